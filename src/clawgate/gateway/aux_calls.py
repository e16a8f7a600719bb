"""The auxiliary model endpoints: `POST /v1/messages/count_tokens` and `POST /v1/embeddings`.

They are model calls like any other: the request's model goes through the same plan (routes, families,
agent → model → provider → credential), the executor sends them with the same credentials, retries, health
and failure classification, and failures answer in the endpoint's own envelope.

- count_tokens: the provider counts when it can (Anthropic's `/v1/messages/count_tokens`, OpenAI's
  `/responses/input_tokens`). A provider without a counting endpoint gets no request at all: the answer is
  an estimate (about four characters per token) marked as one (`x-clawgate-estimate` and a
  `clawgate.estimated` field).
- embeddings: sent to an OpenAI-compatible provider that has `/embeddings`; others are refused
  (`request.unsupported_endpoint`, nothing sent).
"""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING, Any

import orjson

from clawgate.call.bodies import ENDPOINTS
from clawgate.call.types import CallRequest
from clawgate.failures import Failure
from clawgate.gateway.access import RATE, caller
from clawgate.gateway.requests import validate_count_tokens, validate_embeddings
from clawgate.gateway.streaming import STARTED
from clawgate.plan.client_dialect import for_client
from clawgate.plan.types import Plan

if TYPE_CHECKING:
    from clawgate.gateway.app import GatewayApp, Receive, Scope, Send

_JSON = (b"content-type", b"application/json")
CHARS_PER_TOKEN = 4
# Failures of a provider's counting endpoint after which the estimate answers instead.
_NO_COUNTING = frozenset({"request.unsupported_endpoint", "provider.api_mismatch"})


async def handle(
    gw: GatewayApp,
    scope: Scope,
    receive: Receive,
    send: Send,
    api: str,
    headers: dict[bytes, bytes],
    body: Any,
    t0: float,
) -> None:
    count = scope["path"].endswith("count_tokens")
    problem = validate_count_tokens(body) if count else validate_embeddings(body)
    if problem is not None:
        await gw._fail(send, problem, api, t0, scope)
        return
    plan = await gw.plan_request(body.get("model"), headers, api)
    if isinstance(plan, Failure):
        await gw._fail(send, plan, api, t0, scope)
        return
    refused = await gw.access.admit_call(scope, plan, body.get("model"))  # a client key's scopes and limits
    if refused is not None:
        await gw._fail(send, refused, api, t0, scope)
        return
    if count:
        await _count_tokens(gw, scope, receive, send, api, body, plan, t0)
    else:
        await _embeddings(gw, scope, receive, send, api, body, plan, t0)


def _counts_upstream(plan: Plan) -> bool:
    return any(a.error is None and a.api in ENDPOINTS["count_tokens"] for a in plan.attempts)


async def _count_tokens(
    gw: GatewayApp, scope: Scope, receive: Receive, send: Send, api: str, body: Any, plan: Plan, t0: float
) -> None:
    plan = for_client(plan, "openai-responses")  # a provider that serves Responses counts with it
    usable = [a for a in plan.attempts if a.error is None]
    if usable and not _counts_upstream(plan):
        await _estimate(gw, scope, send, body, plan, t0, "the provider has no token-counting endpoint")
        return
    req = CallRequest(
        client_api=api,
        raw=body,
        purpose="count_tokens",
        agent=plan.agent,
        endpoint="count_tokens",
        client=caller(scope),
    )
    req.forward_headers = {
        k.decode(): v.decode("latin-1")
        for k, v in dict(scope["headers"]).items()
        if k in (b"anthropic-version", b"anthropic-beta")
    }
    if gw.obs is not None:
        gw.observe_parsed(scope, body, req)
    outcome = await gw.rt.run(plan, req)
    if not outcome.ok:
        assert outcome.failure is not None
        if outcome.failure.code in _NO_COUNTING:
            await _estimate(gw, scope, send, body, plan, t0, outcome.failure.message)
            return
        await gw._fail(send, outcome.failure, api, t0, scope, outcome)
        return
    assert outcome.body is not None
    counted = orjson.loads(outcome.body).get("input_tokens")
    answer = {"input_tokens": counted if isinstance(counted, int) else 0}
    await _send(gw, scope, send, t0, answer, outcome, [])


async def _estimate(
    gw: GatewayApp, scope: Scope, send: Send, body: dict[str, Any], plan: Plan, t0: float, why: str
) -> None:
    tokens = estimate_tokens(body)
    att = next((a for a in plan.attempts if a.error is None), None)
    answer = {
        "input_tokens": tokens,
        "clawgate": {
            "estimated": True,
            "method": f"about {CHARS_PER_TOKEN} characters per token",
            "reason": why,
            "model": att.ref if att else None,
        },
    }
    extra = [(b"x-clawgate-estimate", f"chars/{CHARS_PER_TOKEN}".encode())]
    if att is not None:
        extra.append((b"x-clawgate-model", att.ref.encode()))
    await _send(gw, scope, send, t0, answer, None, extra)


def estimate_tokens(body: dict[str, Any]) -> int:
    """Characters of the system prompt, messages and tool definitions, over four (at least 1)."""
    chars = 0
    for key in ("system", "messages", "tools"):
        value = body.get(key)
        if value:
            chars += len(_text(value))
    return max(1, math.ceil(chars / CHARS_PER_TOKEN))


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "".join(_text(v) for v in value)
    if isinstance(value, dict):
        if value.get("type") == "text" and isinstance(value.get("text"), str):
            return str(value["text"])
        if "content" in value:
            return _text(value["content"])
        return orjson.dumps(value).decode()
    return ""


async def _embeddings(
    gw: GatewayApp, scope: Scope, receive: Receive, send: Send, api: str, body: Any, plan: Plan, t0: float
) -> None:
    req = CallRequest(
        client_api=api,
        raw=body,
        purpose="embeddings",
        agent=plan.agent,
        endpoint="embeddings",
        client=caller(scope),
    )
    if gw.obs is not None:
        gw.observe_parsed(scope, body, req)
    called = await gw.call(scope, receive, send, api, t0, plan, req)
    if called is None:
        return  # the failure (or the client leaving) is answered
    outcome, watcher = called
    try:
        assert outcome.body is not None
        await _send(gw, scope, send, t0, None, outcome, [], raw=outcome.body)
    finally:
        watcher.cancel()


async def _send(
    gw: GatewayApp,
    scope: Scope,
    send: Send,
    t0: float,
    answer: dict[str, Any] | None,
    outcome: Any,
    extra: list[tuple[bytes, bytes]],
    raw: bytes | None = None,
) -> None:
    data = raw if raw is not None else orjson.dumps(answer)
    upstream = outcome.upstream_ms if outcome is not None else 0.0
    overhead = (time.perf_counter() - t0) * 1000 - upstream
    headers = [
        _JSON,
        *extra,
        *scope.get(RATE, ()),
        (b"x-clawgate-overhead-ms", f"{max(overhead, 0):.2f}".encode()),
    ]
    if outcome is not None:
        headers += gw._served_headers(outcome, None)
    scope[STARTED] = True
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": data})
    gw._log(scope, 200, t0, outcome, overhead)
