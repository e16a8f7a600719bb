"""The executor: runs a plan — credentials, retries, fallbacks, health, streaming failover — and records
every try. The gateway, CLI (`infer`, probes), subagents and cron all call it; there is no second path."""

from __future__ import annotations

import asyncio
import itertools
import os
import random
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import orjson

from clawgate.auth.resolve import Candidate
from clawgate.call.health import HealthRegistry
from clawgate.call.inspect import StreamInspector, usage_from
from clawgate.call.sse import SSEEvent, SSEParser
from clawgate.call.transport import ProxyInfo, Timeouts, Transport
from clawgate.dialects.base import StreamFailure
from clawgate.dialects.internal import ChatRequest, ChatResult, Usage
from clawgate.dialects.registry import get_dialect
from clawgate.failures import FALLBACK_CODES, NEXT_CREDENTIAL_CODES, Failure
from clawgate.failures.classify import classify_exception, classify_http, region_hint
from clawgate.plan.types import Attempt, Plan
from clawgate.store.base import AttemptRecord, Store
from clawgate.upstream.decorate import finish_body, prepare

ANTHROPIC_VERSION = "2023-06-01"
_CALL_PREFIX = os.urandom(4).hex()
_CALL_COUNTER = itertools.count(1)


def new_call_id() -> str:
    """A unique call id (random per process + a counter): cheaper than uuid4 on every request."""
    return f"{_CALL_PREFIX}{next(_CALL_COUNTER):08x}"


_READ_SIZE = 65536


@dataclass
class Policy:
    """Retry bounds (configurable through gateway.* settings)."""

    max_retry_wait: float = 30.0  # longest retry-after clawgate will wait before retrying in place
    retries_rate_limit: int = 2
    retries_transient: int = 2  # 5xx / overload / timeout / reset
    backoff_base: float = 0.5
    backoff_cap: float = 8.0


@dataclass
class CallRequest:
    """What a caller wants. `raw` is a client body in dialect `client_api` (None for internal callers)."""

    stream: bool = False
    client_api: str | None = None
    raw: dict[str, Any] | None = None
    chat: ChatRequest | None = None
    purpose: str = "request"
    agent: str | None = None
    session_id: str | None = None
    run_id: str | None = None
    forward_headers: dict[str, str] = field(default_factory=dict)
    ignore_health: bool = False  # probes test credentials live, whatever the health state says
    strip_usage_chunk: bool = (
        False  # set by the executor: usage was requested for the record, not by the client
    )
    max_credentials: int | None = None  # probes of one credential set this to 1

    def chat_request(self) -> ChatRequest:
        if self.chat is None:
            if self.raw is None or self.client_api is None:
                raise ValueError("CallRequest needs either chat or raw + client_api")
            self.chat = get_dialect(self.client_api).decode_request(self.raw)
        return self.chat


@dataclass
class TryResult:
    """One try of one credential on one attempt (or a refusal before sending)."""

    attempt: Attempt
    cred: Candidate | None
    ok: bool
    failure: Failure | None = None
    status: int | None = None
    latency_ms: float | None = None
    first_byte_ms: float | None = None
    sent: bool = True
    try_no: int = 0

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "ref": self.attempt.ref,
            "credential": {"source": self.cred.source, "fingerprint": self.cred.fingerprint}
            if self.cred
            else None,
            "ok": self.ok,
            "sent": self.sent,
            "status": self.status,
            "latency_ms": round(self.latency_ms, 1) if self.latency_ms is not None else None,
        }
        if self.failure:
            out["owner"] = self.failure.owner
            out["code"] = self.failure.code
            out["message"] = self.failure.message
        return out


@dataclass
class CallOutcome:
    ok: bool
    call_id: str
    tries: list[TryResult]
    attempt: Attempt | None = None
    cred: Candidate | None = None
    api: str | None = None  # dialect of `body`
    body: bytes | None = None
    failure: Failure | None = None
    usage: Usage = field(default_factory=Usage)
    upstream_ms: float = 0.0  # time spent waiting on providers (for x-clawgate-overhead-ms)
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)  # upstream headers worth passing on (retry-after)

    def result(self) -> ChatResult:
        """The response decoded into the internal form."""
        assert self.body is not None and self.api is not None
        return get_dialect(self.api).decode_response(orjson.loads(self.body))

    @property
    def first_failure(self) -> Failure | None:
        for t in self.tries:
            if t.failure is not None:
                return t.failure
        return None


class SSEBatch:
    """Upstream SSE events passed through unchanged, as one upstream read brought them."""

    __slots__ = ("events",)

    def __init__(self, events: list[SSEEvent]) -> None:
        self.events = events

    @property
    def raw(self) -> bytes:
        evs = self.events
        return evs[0].raw if len(evs) == 1 else b"".join(e.raw for e in evs)


class StreamOutcome(CallOutcome):
    """An open stream. Iterate it for items: `SSEBatch` (events passed through unchanged — forward `.raw` —
    when the client speaks the upstream dialect), `StreamEvent` (decoded, otherwise), and at most one final
    `Failure` (mid-stream)."""

    _items: AsyncIterator[Any] | None = None
    _closer: Callable[[], None] | None = None

    def __aiter__(self) -> AsyncIterator[Any]:
        assert self._items is not None
        return self._items

    async def aclose(self) -> None:
        if self._items is not None:
            await self._items.aclose()  # type: ignore[attr-defined]
        if self._closer is not None:
            self._closer()


def auth_headers(api: str, cred: Candidate | None) -> dict[str, str]:
    if cred is None:
        return {}
    secret = cred.secret()
    if secret is None:
        return {}
    if api == "anthropic-messages" and cred.kind == "api_key":
        return {"x-api-key": secret}
    return {"Authorization": f"Bearer {secret}"}


class Executor:
    def __init__(
        self,
        transport: Transport,
        health: HealthRegistry,
        store: Store | None,
        policy: Policy | None = None,
        proxy_lookup: Callable[[str], ProxyInfo] | None = None,
        sleep: Callable[[float], Any] = asyncio.sleep,
    ) -> None:
        self.transport = transport
        self.health = health
        self.store = store
        self.policy = policy or Policy()
        self._proxy = proxy_lookup or (lambda url: ProxyInfo(None))
        self._sleep = sleep

    # ------------------------------------------------------------------------------------------ helpers

    def _body(self, att: Attempt, req: CallRequest) -> bytes:
        model = att.model
        if req.raw is not None and req.client_api == att.api:
            body = dict(req.raw)
            body["model"] = model
            if req.stream and att.api == "openai-completions":
                # ask for usage so the attempt record has tokens (as the translating path does); the usage
                # chunk is kept from a client that did not ask for it
                opts = body.get("stream_options")
                if not (isinstance(opts, dict) and opts.get("include_usage")):
                    body["stream_options"] = {
                        **(opts if isinstance(opts, dict) else {}),
                        "include_usage": True,
                    }
                    req.strip_usage_chunk = True
            return orjson.dumps(body)
        dialect = get_dialect(att.api)
        return orjson.dumps(dialect.encode_request(req.chat_request(), model))

    def _headers(self, att: Attempt, cred: Candidate | None, req: CallRequest) -> dict[str, str]:
        headers = {"Content-Type": "application/json"}
        if att.api == "anthropic-messages":
            headers["anthropic-version"] = ANTHROPIC_VERSION
            if req.client_api == "anthropic-messages":
                for k in ("anthropic-version", "anthropic-beta"):
                    if k in req.forward_headers:
                        headers[k] = req.forward_headers[k]
        if req.stream:
            headers["Accept"] = "text/event-stream"
        headers.update(auth_headers(att.api, cred))
        headers.update(att.headers)
        return headers

    def _record(
        self,
        call_id: str,
        req: CallRequest,
        t: TryResult,
        usage: Usage | None = None,
        request_id: str | None = None,
    ) -> None:
        if self.store is None:
            return
        f = t.failure
        att = t.attempt
        self.store.record_attempt(
            AttemptRecord(
                ts=time.time(),
                call_id=call_id,
                purpose=req.purpose,
                agent=req.agent,
                ref=att.ref,
                provider=att.provider,
                model=att.model,
                api=att.api,
                cred_source=t.cred.source if t.cred else None,
                fingerprint=t.cred.fingerprint if t.cred else None,
                ok=t.ok,
                status=t.status,
                owner=f.owner if f else None,
                code=f.code if f else None,
                message=(f.message[:500] if f else None),
                latency_ms=t.latency_ms,
                first_byte_ms=t.first_byte_ms,
                input_tokens=usage.input_tokens if usage else None,
                output_tokens=usage.output_tokens if usage else None,
                stream=req.stream,
                try_no=t.try_no,
                sent=t.sent,
                session_id=req.session_id,
                run_id=req.run_id,
                request_id=request_id or (f.request_id if f else None),
            )
        )

    def _decorate(self, f: Failure, att: Attempt, cred: Candidate | None) -> Failure:
        """Add what only the executor knows: which credential (source + fingerprint) was refused."""
        f.provider = f.provider or att.provider
        f.model = f.model or att.model
        if cred is None:
            return f
        f.credential_source = cred.source
        f.credential_fingerprint = cred.fingerprint
        if f.code in ("auth.rejected", "auth.region_mismatch"):
            who = f"{att.provider} rejected credential {cred.source} ({cred.fingerprint})"
            if cred.inherited_from:
                who += f", inherited from agent {cred.inherited_from}"
            msg = f"{who}: {f.provider_message or f.message}"
            hint = region_hint(att.provider, urlsplit(att.base_url or "").hostname)
            if hint:
                msg += f" — {hint}"
                if any(i.code == "auth.key_provider_mismatch" for i in cred.issues):
                    f.code = "auth.region_mismatch"  # a plan-bound key shape on the other plan's host
            f.message = msg
        return f

    def _refusal(self, att: Attempt, code: str, owner: str, message: str, next_steps: list[str]) -> Failure:
        return Failure(
            owner=owner,
            code=code,
            message=message,
            provider=att.provider or None,
            model=att.model or None,
            next_steps=next_steps,
            try_fallback=code in FALLBACK_CODES,
        )

    def _timeouts(self, att: Attempt) -> Timeouts:
        local = bool(att.view and att.view.preset and att.view.preset.local)
        return Timeouts.for_provider(att.timeout or 600.0, local)

    # ------------------------------------------------------------------------------------------- sending

    async def _open(
        self, att: Attempt, cred: Candidate | None, req: CallRequest, timeouts: Timeouts
    ) -> tuple[aiohttp.ClientResponse | None, Failure | None, float]:
        dialect = get_dialect(att.api)
        url = f"{att.base_url}{dialect.path}"
        host = urlsplit(url).hostname
        session = self.transport.session(att.provider)
        proxy = self._proxy(url)
        t0 = time.perf_counter()
        phase = "connect"
        try:
            body = self._body(att, req)
            headers = self._headers(att, cred, req)
            out = await prepare(att, cred, url, body, headers)  # API kind's URL; OAuth refresh and rules
            if isinstance(out, Failure):
                return None, out, (time.perf_counter() - t0) * 1000
            if out is not None:
                url, body, headers = out.url, out.body, out.headers
            async with asyncio.timeout(timeouts.first_byte):
                phase = "first_byte"
                resp = await session.post(
                    url,
                    data=body,
                    headers=headers,
                    proxy=proxy.url,
                    timeout=aiohttp.ClientTimeout(
                        total=None, sock_connect=timeouts.connect, connect=timeouts.connect
                    ),
                )
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            f = classify_exception(exc, provider=att.provider, host=host, phase=phase)
            if proxy.url:
                f.message += f" (through proxy {proxy.to_json()['url']} from {proxy.variable})"
            return None, f, (time.perf_counter() - t0) * 1000
        first_ms = (time.perf_counter() - t0) * 1000
        if resp.status >= 300:
            try:
                async with asyncio.timeout(timeouts.idle):
                    data = await resp.read()
            except (TimeoutError, aiohttp.ClientError):
                data = b""
            finally:
                resp.release()
            f = classify_http(
                resp.status,
                resp.headers,
                data,
                provider=att.provider,
                api=att.api,
                host=host,
                model=att.model,
            )
            if proxy.url and f.code == "auth.rejected":
                f.message += (
                    f" (sent through proxy {proxy.to_json()['url']} set by {proxy.variable}; a proxy "
                    "that strips Authorization headers causes exactly this)"
                )
            return None, f, first_ms
        return resp, None, first_ms

    def _retry_wait(self, f: Failure, try_no: int) -> float | None:
        """Seconds to wait before retrying in place, or None when this failure must not be retried."""
        if not f.retryable:
            return None
        limit = (
            self.policy.retries_rate_limit
            if f.code == "rate_limit.exceeded"
            else self.policy.retries_transient
        )
        if try_no >= limit:
            return None
        if f.retry_after is not None:
            return f.retry_after if f.retry_after <= self.policy.max_retry_wait else None
        backoff = min(self.policy.backoff_cap, self.policy.backoff_base * (2**try_no))
        return backoff * random.uniform(0.5, 1.0)

    # ---------------------------------------------------------------------------------------- the loop

    async def run(self, plan: Plan, req: CallRequest) -> CallOutcome:
        """Run the plan. Non-streaming: returns with the whole body. Streaming: returns a StreamOutcome
        whose first event has already arrived (failover happens only before the first byte)."""
        call_id = new_call_id()
        tries: list[TryResult] = []
        upstream_ms = 0.0
        reported: Failure | None = None
        f: Failure | None
        if not plan.attempts:
            f = Failure(
                owner="config",
                code="model.not_configured" if plan.model.ref is None else "model.unknown",
                message=f"agent {plan.agent} has no model to call",
                next_steps=[
                    "clawgate config set agents.defaults.model.primary PROVIDER/MODEL",
                    "clawgate models list",
                ],
            )
            return self._failed(call_id, tries, f, upstream_ms)
        for att in plan.attempts:
            if att.error is not None:
                f = self._refusal(
                    att,
                    att.error["code"],
                    att.error["owner"],
                    att.error["message"],
                    list(att.error.get("next", [])),
                )
                tries.append(TryResult(att, None, False, f, sent=False))
                self._record(call_id, req, tries[-1])
                reported = reported or f
                if f.code in FALLBACK_CODES:
                    continue
                break
            creds: list[Candidate | None] = list(att.credential.distinct_usable()) if att.credential else []
            if not creds:
                if att.credential is not None and att.credential.optional:
                    creds = [None]
                else:
                    f = self._missing(att)
                    tries.append(TryResult(att, None, False, f, sent=False))
                    self._record(call_id, req, tries[-1])
                    reported = reported or f
                    continue
            if req.max_credentials:
                creds = creds[: req.max_credentials]
            creds = self._health_order(att, creds, req)
            last: Failure | None = None
            for cred in creds:
                fp = cred.fingerprint if cred else None
                verdict = self.health.verdict(att.provider, fp, att.model)
                if not verdict.allowed and not req.ignore_health:
                    last = self._cached_failure(att, cred, verdict.record)
                    tries.append(TryResult(att, cred, False, last, sent=False))
                    self._record(call_id, req, tries[-1])
                    reported = reported or last
                    if last.code in NEXT_CREDENTIAL_CODES or last.code in (
                        "health.cooling",
                        "access.billing",
                    ):
                        continue
                    break
                try_no = 0
                while True:
                    outcome, f, ms = await self._try(att, cred, req, call_id, try_no, tries)
                    upstream_ms += ms
                    if f is None:
                        self.health.on_success(att.provider, fp, att.model)
                        outcome.tries = tries
                        outcome.upstream_ms = upstream_ms
                        outcome.failure = None
                        return outcome
                    self._decorate(f, att, cred)
                    self.health.on_failure(f, fp, att.model, cred.source if cred else None)
                    last = f
                    reported = reported if (reported and reported.code != "health.cooling") else f
                    wait = self._retry_wait(f, try_no)
                    if wait is None:
                        break
                    t_wait = time.perf_counter()
                    await self._sleep(wait)
                    upstream_ms += (time.perf_counter() - t_wait) * 1000  # waiting on the provider, not us
                    try_no += 1
                if (
                    last is not None
                    and last.code in NEXT_CREDENTIAL_CODES
                    and not (att.credential is not None and att.credential.pinned)
                ):
                    continue
                break
            if last is not None and not (last.try_fallback or last.code in FALLBACK_CODES):
                break
        assert reported is not None or tries
        return self._failed(call_id, tries, reported or tries[-1].failure, upstream_ms)  # type: ignore[arg-type]

    def _failed(self, call_id: str, tries: list[TryResult], f: Failure, upstream_ms: float) -> CallOutcome:
        return CallOutcome(ok=False, call_id=call_id, tries=tries, failure=f, upstream_ms=upstream_ms)

    def _missing(self, att: Attempt) -> Failure:
        cred = att.credential
        checked = "; ".join(cred.checked) if cred else "nothing"
        unresolved = [
            c for c in (cred.candidates if cred else []) for i in c.issues if i.code == "env.unresolved_ref"
        ]
        env_name = att.view.env_vars[0] if att.view else "API_KEY"
        if unresolved:
            c = unresolved[0]
            return Failure(
                owner="environment",
                code="env.unresolved_ref",
                provider=att.provider,
                model=att.model,
                message=f"no credential for {att.provider}: {c.source} is {c.ref}, which is not set in "
                "clawgate's environment (nothing was sent)",
                next_steps=[
                    f"add it to ~/.clawgate/.env, then: clawgate models status --agent "
                    f"{cred.agent if cred else 'main'}",
                    "clawgate env",
                ],
                try_fallback=True,
            )
        bad = [c for c in (cred.candidates if cred else []) if not c.usable]
        why = f"; unusable: {bad[0].source}: {bad[0].fatal_reason}" if bad else ""
        return Failure(
            owner="provider_auth",
            code="auth.missing_credential",
            provider=att.provider,
            model=att.model,
            message=f"no usable credential for {att.provider} (checked: {checked}){why}; nothing was sent",
            next_steps=[
                f"echo '{env_name}=...' >> ~/.clawgate/.env",
                f"clawgate auth add {att.provider}",
                "clawgate doctor",
            ],
            try_fallback=True,
        )

    def _health_order(
        self, att: Attempt, creds: list[Candidate | None], req: CallRequest
    ) -> list[Candidate | None]:
        """Credentials not known to be rejected first (stable otherwise)."""
        if req.ignore_health or len(creds) < 2:
            return creds

        def bad(c: Candidate | None) -> bool:
            return c is not None and not self.health.verdict(att.provider, c.fingerprint, att.model).allowed

        return sorted(creds, key=bad)

    def _cached_failure(self, att: Attempt, cred: Candidate | None, rec: Any) -> Failure:
        until = time.strftime("%H:%M:%S", time.localtime(rec.until)) if rec and rec.until else "?"
        first = ""
        if rec is not None and rec.first_ts:
            first_at = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(rec.first_ts))
            first = (
                f"; first failure {first_at}: {rec.first_owner} {rec.first_status or ''} "
                f"{rec.first_code}: {rec.first_message}"
            )
        who = f"{cred.source} ({cred.fingerprint})" if cred else att.provider
        if rec is not None and rec.state == "rejected":
            code, owner = "auth.rejected", "provider_auth"
            msg = f"{att.provider} rejected {who} earlier; not retried until {until}{first}"
            nxt = [
                f"clawgate models status --probe --agent {att.credential.agent if att.credential else 'main'}",
                f"clawgate health clear --provider {att.provider}",
            ]
        elif rec is not None and rec.state == "blocked":
            code, owner = (rec.first_code or "access.billing"), (rec.first_owner or "provider_access")
            msg = f"{who} on {att.provider} is blocked until {until}{first}"
            nxt = ["fix the account (billing/quota/permissions), then: clawgate health clear"]
        else:
            code, owner = "health.cooling", "rate_limit"
            msg = f"{who} / {att.model} on {att.provider} is cooling down until {until}{first}"
            nxt = [
                "clawgate health list",
                "wait, or add a fallback model: clawgate config set "
                "agents.defaults.model.fallbacks '[\"PROVIDER/MODEL\"]'",
            ]
        return Failure(
            owner=owner,
            code=code,
            message=msg,
            provider=att.provider,
            model=att.model,
            retry_after=max(0.0, rec.until - time.time()) if rec and rec.until else None,
            next_steps=nxt,
            try_fallback=True,
            credential_source=cred.source if cred else None,
            credential_fingerprint=cred.fingerprint if cred else None,
        )

    def _failed_try(
        self,
        att: Attempt,
        cred: Candidate | None,
        req: CallRequest,
        call_id: str,
        try_no: int,
        tries: list[TryResult],
        f: Failure,
        t0: float,
        status: int | None = None,
        first_ms: float | None = None,
    ) -> tuple[None, Failure, float]:
        """Record one try that failed after it was sent; returns what `_try` returns for it."""
        elapsed = (time.perf_counter() - t0) * 1000
        t = TryResult(
            att, cred, False, f, status=status, latency_ms=elapsed, first_byte_ms=first_ms, try_no=try_no
        )
        tries.append(t)
        self._record(call_id, req, t)
        return None, f, elapsed

    async def _try(
        self,
        att: Attempt,
        cred: Candidate | None,
        req: CallRequest,
        call_id: str,
        try_no: int,
        tries: list[TryResult],
    ) -> tuple[Any, Failure | None, float]:
        timeouts = self._timeouts(att)
        t0 = time.perf_counter()
        host = urlsplit(att.base_url or "").hostname
        try:
            async with asyncio.timeout(timeouts.total):
                resp, f, first_ms = await self._open(att, cred, req, timeouts)
                if f is not None:
                    return self._failed_try(att, cred, req, call_id, try_no, tries, f, t0, f.status, first_ms)
                assert resp is not None
                if not req.stream:
                    return await self._finish_plain(
                        att, cred, req, call_id, try_no, tries, resp, t0, first_ms, timeouts
                    )
        except TimeoutError:
            f = classify_exception(TimeoutError(), provider=att.provider, host=host, phase="total")
            return self._failed_try(att, cred, req, call_id, try_no, tries, f, t0)
        except asyncio.CancelledError:
            self._record_cancel(att, cred, req, call_id, try_no, tries, t0)
            raise
        try:
            return await self._start_stream(
                att, cred, req, call_id, try_no, tries, resp, t0, first_ms, timeouts
            )
        except asyncio.CancelledError:
            resp.close()
            self._record_cancel(att, cred, req, call_id, try_no, tries, t0)
            raise

    def _record_cancel(
        self,
        att: Attempt,
        cred: Candidate | None,
        req: CallRequest,
        call_id: str,
        try_no: int,
        tries: list[TryResult],
        t0: float,
    ) -> None:
        """A try the caller abandoned before the provider answered is still a try: record it."""
        f = Failure(
            owner="runtime",
            code="runtime.cancelled",
            provider=att.provider,
            model=att.model,
            message="the caller went away before the provider answered; the request was cancelled",
        )
        self._failed_try(att, cred, req, call_id, try_no, tries, f, t0)

    async def _finish_plain(
        self,
        att: Attempt,
        cred: Candidate | None,
        req: CallRequest,
        call_id: str,
        try_no: int,
        tries: list[TryResult],
        resp: aiohttp.ClientResponse,
        t0: float,
        first_ms: float,
        timeouts: Timeouts,
    ) -> tuple[Any, Failure | None, float]:
        host = urlsplit(att.base_url or "").hostname
        try:
            async with asyncio.timeout(timeouts.idle):
                data = await resp.read()
        except (TimeoutError, aiohttp.ClientError) as exc:
            failed = classify_exception(exc, provider=att.provider, host=host, phase="idle")
            return self._failed_try(att, cred, req, call_id, try_no, tries, failed, t0, resp.status)
        finally:
            resp.release()
        elapsed = (time.perf_counter() - t0) * 1000
        body_bytes = finish_body(att, data.lstrip())  # DeepSeek may send keep-alive lines before the JSON
        try:
            obj = orjson.loads(body_bytes)
        except orjson.JSONDecodeError:
            obj = None
        f: Failure | None = None
        if not isinstance(obj, dict):
            f = Failure(
                owner="upstream",
                code="upstream.bad_response",
                provider=att.provider,
                model=att.model,
                status=resp.status,
                host=host,
                message=f"{att.provider} answered {resp.status} with a body that is not a JSON object",
                retryable=True,
                next_steps=["clawgate doctor"],
                try_fallback=True,
            )
        else:
            from clawgate.failures.classify import classify_stream_error

            f = (
                classify_stream_error(
                    obj, event=None, provider=att.provider, api=att.api, host=host, model=att.model
                )
                if ("error" in obj or _choice_error(obj))
                else None
            )
        if f is not None:
            return self._failed_try(att, cred, req, call_id, try_no, tries, f, t0, resp.status, first_ms)
        usage = usage_from(obj) or Usage()
        t = TryResult(
            att,
            cred,
            True,
            None,
            status=resp.status,
            latency_ms=elapsed,
            first_byte_ms=first_ms,
            try_no=try_no,
        )
        tries.append(t)
        self._record(call_id, req, t, usage, request_id=_request_id(resp.headers))
        out = CallOutcome(
            ok=True,
            call_id=call_id,
            tries=tries,
            attempt=att,
            cred=cred,
            api=att.api,
            body=body_bytes,
            usage=usage,
            status=resp.status,
        )
        return out, None, elapsed

    async def _start_stream(
        self,
        att: Attempt,
        cred: Candidate | None,
        req: CallRequest,
        call_id: str,
        try_no: int,
        tries: list[TryResult],
        resp: aiohttp.ClientResponse,
        t0: float,
        first_ms: float,
        timeouts: Timeouts,
    ) -> tuple[Any, Failure | None, float]:
        """Read until the first data event; an error before it fails over, after it goes to the client."""
        host = urlsplit(att.base_url or "").hostname
        parser = SSEParser()
        inspector = StreamInspector(att.api, att.provider, host, att.model)
        passthrough = req.client_api == att.api
        strip_usage = req.strip_usage_chunk
        decoder = None if passthrough else get_dialect(att.api).stream_decoder(att.provider, host, att.model)
        first: list[SSEEvent] = []
        loop = asyncio.get_running_loop()

        def fail(f: Failure) -> tuple[Any, Failure, float]:
            resp.close()
            return self._failed_try(att, cred, req, call_id, try_no, tries, f, t0, resp.status, first_ms)

        try:
            async with asyncio.timeout(timeouts.first_byte):
                while not first:
                    chunk = await resp.content.readany()
                    if not chunk:
                        first = parser.close()
                        if not first:
                            return fail(
                                Failure(
                                    owner="upstream",
                                    code="upstream.stream_cut",
                                    provider=att.provider,
                                    model=att.model,
                                    host=host,
                                    status=resp.status,
                                    retryable=True,
                                    try_fallback=True,
                                    message=f"{att.provider} closed the stream before sending any event",
                                    next_steps=["clawgate health list"],
                                )
                            )
                        break
                    first = parser.feed(chunk)
        except (TimeoutError, aiohttp.ClientError) as exc:
            return fail(classify_exception(exc, provider=att.provider, host=host, phase="first_byte"))
        first_event_ms = (time.perf_counter() - t0) * 1000
        decoded_first: list[Any] = []
        for ev in first:
            f = inspector.check(ev)
            if f is not None:
                return fail(f)
            if decoder is not None:
                try:
                    decoded_first.extend(decoder.feed(ev))
                except StreamFailure as sf:
                    return fail(sf.failure)
        out = StreamOutcome(
            ok=True, call_id=call_id, tries=tries, attempt=att, cred=cred, api=att.api, status=resp.status
        )
        out.headers = {}
        record = TryResult(
            att, cred, True, None, status=resp.status, first_byte_ms=first_event_ms, try_no=try_no
        )
        tries.append(record)
        executor = self

        async def items() -> AsyncIterator[Any]:
            failure: Failure | None = None
            deadline = loop.time() + timeouts.total
            try:
                if passthrough:
                    kept = [ev for ev in first if not (strip_usage and _usage_only(ev.raw))]
                    if kept:
                        yield SSEBatch(kept)
                else:
                    for item in decoded_first:
                        yield item
                done = inspector.done
                deadline = loop.time() + timeouts.total - (time.perf_counter() - t0)
                with_idle = asyncio.timeout(timeouts.idle)
                async with with_idle:
                    while not done:
                        with_idle.reschedule(min(loop.time() + timeouts.idle, deadline))
                        chunk = await resp.content.readany()
                        if not chunk:
                            tail = parser.close()
                            events = tail
                        else:
                            events = parser.feed(chunk)
                        batch: list[SSEEvent] = []
                        for ev in events:
                            f = inspector.check(ev)
                            if f is not None:
                                failure = f
                                break
                            if passthrough:
                                if not (strip_usage and _usage_only(ev.raw)):
                                    batch.append(ev)
                            else:
                                try:
                                    for item in decoder.feed(ev):  # type: ignore[union-attr]
                                        yield item
                                except StreamFailure as sf:
                                    failure = sf.failure
                                    break
                        if batch:
                            yield SSEBatch(batch)  # everything one upstream read brought, in one write
                        if failure is not None or inspector.done:
                            break
                        if not chunk:
                            if not inspector.done and not (decoder is not None and decoder.done):
                                failure = Failure(
                                    owner="upstream",
                                    code="upstream.stream_cut",
                                    provider=att.provider,
                                    model=att.model,
                                    host=host,
                                    message=f"{att.provider} ended the stream without its final "
                                    "event; the answer may be truncated",
                                    next_steps=["retry the request", "clawgate logs --limit 20"],
                                )
                            break
            except TimeoutError:
                phase = "total" if loop.time() >= deadline else "idle"
                failure = classify_exception(TimeoutError(), provider=att.provider, host=host, phase=phase)
            except (aiohttp.ClientError, OSError) as exc:
                failure = classify_exception(exc, provider=att.provider, host=host, phase="idle")
            except (GeneratorExit, asyncio.CancelledError):
                record.ok = False
                record.failure = Failure(
                    owner="runtime",
                    code="runtime.cancelled",
                    provider=att.provider,
                    model=att.model,
                    message="the client went away; the upstream request was cancelled",
                )
                raise
            finally:
                resp.close()
                record.latency_ms = (time.perf_counter() - t0) * 1000
                if failure is not None:
                    executor._decorate(failure, att, cred)
                    record.ok = False
                    record.failure = failure
                executor._record(call_id, req, record, inspector.usage)
                out.usage = inspector.usage
            if failure is not None:
                out.failure = failure
                yield failure

        out._items = items()
        out._closer = resp.close
        return out, None, first_event_ms


def _usage_only(raw: bytes) -> bool:
    """An OpenAI usage chunk (`choices: []`), which a client that did not ask for usage must not see."""
    return b'"choices":[]' in raw or b'"choices": []' in raw


def _choice_error(obj: dict[str, Any]) -> bool:
    choices = obj.get("choices")
    if isinstance(choices, list) and choices and isinstance(choices[0], dict):
        return choices[0].get("finish_reason") == "error" or "error" in choices[0]
    return False


def _request_id(headers: Any) -> str | None:
    return headers.get("x-request-id") or headers.get("request-id")
