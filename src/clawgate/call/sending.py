"""One try on the wire: send the request and wait for the answer's head (`open_answer`), then either read a whole
body (`read_plain`) or hand over to `streams.start_stream`. Every I/O step runs inside the classifier's
`IOErrors`, so any aiohttp/asyncio/OS error arrives here as `CallFailed(failure)`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import aiohttp
import orjson

from clawgate.call import bodies, wire
from clawgate.call.inspect import usage_from
from clawgate.call.records import Recorder, Try
from clawgate.call.transport import ProxyInfo, Timeouts, Transport
from clawgate.call.types import CallOutcome, TryResult
from clawgate.clients.meter import Meter
from clawgate.dialects.internal import Usage
from clawgate.failures import Failure
from clawgate.failures.classify import CallFailed, classify_http, classify_stream_error
from clawgate.failures.classify.local import bad_body
from clawgate.upstream.decorate import decorated, finish_body, prepare


async def open_answer(
    tr: Try,
    transport: Transport,
    proxy: Callable[[str], ProxyInfo],
    timeouts: Timeouts,
    meter: Meter | None = None,
) -> tuple[aiohttp.ClientResponse | None, Failure | None, float]:
    """Send the request; (response, None, first-byte ms) on a 2xx, else (None, failure, ms). `meter` reads
    the provider's rate-limit headers of every answer (clients/pressure.py)."""
    att, io = tr.att, tr.io
    try:
        url, body = wire.url_and_body(att, tr.req)
    except bodies.Refused as refused:  # a field the provider's format cannot carry: nothing is sent
        return None, refused.failure, 0.0
    via = wire.proxy_of(att, url, proxy)
    dl = io.deadline
    try:
        with io:
            io.phase = "connect"
            headers = wire.headers(att, tr.cred, tr.req)
            if decorated(att, tr.cred):  # API kind's URL; OAuth refresh and rules
                dl.wait("connect")  # within the total budget only
                out = await prepare(att, tr.cred, url, body, headers)
                if isinstance(out, Failure):
                    return None, out, tr.elapsed_ms()
                if out is not None:
                    url, body, headers = out.url, out.body, out.headers
            dl.wait("first_byte", timeouts.first_byte)
            io.phase = "first_byte"
            session = io.session = transport.session(att.provider)
            resp = await session.post(
                url,
                data=body,
                headers=headers,
                proxy=via.url,
                timeout=wire.static(att).client_timeout,
            )
            dl.stop()
    except CallFailed as exc:
        f = exc.failure
        if via.url:
            f.message += f" (through proxy {via.to_json()['url']} from {via.variable})"
        return None, f, tr.elapsed_ms()
    first_ms = tr.elapsed_ms()
    if meter is not None:
        meter.observe(att.provider, tr.cred.fingerprint if tr.cred else None, resp.headers)
    if resp.status < 300:
        return resp, None, first_ms
    data = b""
    try:
        with io:
            io.phase = "body"
            dl.wait("body", timeouts.idle)
            data = await resp.read()
            dl.stop()
    except CallFailed:
        pass  # the status alone still classifies
    finally:
        resp.release()
    mismatch = tr.cred is not None and any(i.code == "auth.key_provider_mismatch" for i in tr.cred.issues)
    f = classify_http(
        resp.status,
        resp.headers,
        data,
        provider=att.provider,
        api=att.api,
        host=tr.host,
        model=att.model,
        key_mismatch=mismatch,
    )
    if via.url and f.code == "auth.rejected":
        f.message += (
            f" (sent through proxy {via.to_json()['url']} set by {via.variable}; a proxy "
            "that strips Authorization headers causes exactly this)"
        )
    return None, f, first_ms


async def read_plain(
    tr: Try, rec: Recorder, resp: aiohttp.ClientResponse, first_ms: float, timeouts: Timeouts
) -> tuple[Any, Failure | None, float]:
    """Read a whole (non-streaming) answer; an in-band error in a 200 body is a failure like any other."""
    att = tr.att
    try:
        with tr.io:
            tr.io.phase = "idle"
            tr.io.deadline.wait("idle", timeouts.idle)
            data = await resp.read()
            tr.io.deadline.stop()
    except CallFailed as exc:
        rec.failed(tr, exc.failure, resp.status)
        return None, exc.failure, tr.elapsed_ms()
    finally:
        resp.release()
    elapsed = tr.elapsed_ms()
    body_bytes = finish_body(att, data.lstrip())  # DeepSeek may send keep-alive lines before the JSON
    try:
        obj = orjson.loads(body_bytes)
    except orjson.JSONDecodeError:
        obj = None
    f: Failure | None = None
    if not isinstance(obj, dict):
        f = bad_body(att.provider, att.model, tr.host, resp.status)
    elif "error" in obj or _choice_error(obj):
        f = classify_stream_error(
            obj, event=None, provider=att.provider, api=att.api, host=tr.host, model=att.model
        )
    if f is not None:
        rec.failed(tr, f, resp.status, first_ms)
        return None, f, elapsed
    usage = usage_from(obj, att.api) or Usage()
    answered_by = obj.get("model")
    answered_by = answered_by if isinstance(answered_by, str) else None
    t = TryResult(
        att,
        tr.cred,
        True,
        None,
        status=resp.status,
        latency_ms=elapsed,
        first_byte_ms=first_ms,
        try_no=tr.try_no,
        response_model=answered_by,
    )
    tr.tries.append(t)
    rec.record(tr.call_id, tr.req, t, usage, request_id=_request_id(resp.headers))
    out = CallOutcome(
        ok=True,
        call_id=tr.call_id,
        tries=tr.tries,
        attempt=att,
        cred=tr.cred,
        api=att.api,
        body=body_bytes,
        usage=usage,
        status=resp.status,
        response_model=answered_by,
    )
    return out, None, elapsed


def _choice_error(obj: dict[str, Any]) -> bool:
    choices = obj.get("choices")
    if isinstance(choices, list) and choices and isinstance(choices[0], dict):
        return choices[0].get("finish_reason") == "error" or "error" in choices[0]
    return False


def _request_id(headers: Any) -> str | None:
    return headers.get("x-request-id") or headers.get("request-id")
