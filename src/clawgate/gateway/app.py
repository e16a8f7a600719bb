"""The ASGI app. The model-call endpoints are plain ASGI handlers (no per-request framework work on the hot
path); everything else (status, models, UI, sessions) is routed through Starlette."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import orjson

from clawgate import __version__
from clawgate import logs as log
from clawgate.call.executor import CallOutcome, CallRequest, SSEBatch, StreamOutcome
from clawgate.call.runtime import Runtime
from clawgate.dialects.internal import StreamEvent
from clawgate.dialects.registry import get_dialect
from clawgate.errors import ClawgateError
from clawgate.failures import Failure, failure, from_error
from clawgate.gateway.auth import AuthSettings, GatewayAuth
from clawgate.gateway.errors import error_response, request_error
from clawgate.gateway.requests import BodyTooLarge, ClientGone, read_body, validate_body, wait_disconnect
from clawgate.gateway.token import resolve_gateway_token

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]

_JSON = (b"content-type", b"application/json")
_SSE_HEADERS = [
    (b"content-type", b"text/event-stream; charset=utf-8"),
    (b"cache-control", b"no-cache"),
    (b"x-accel-buffering", b"no"),
]
MODEL_ENDPOINTS = {
    "/v1/chat/completions": "openai-completions",
    "/chat/completions": "openai-completions",
    "/v1/responses": "openai-responses",
    "/responses": "openai-responses",
    "/v1/messages": "anthropic-messages",
}


_SHUTDOWN = failure(
    "runtime.shutdown",
    "the gateway shut down before the provider answered (the drain window, gateway.drainSeconds, "
    "closed); the upstream request was cancelled",
    next_steps=["retry the request"],
)
_CLIENT_GONE = failure(
    "runtime.cancelled", "the client went away before the answer; the upstream request was cancelled"
)


class GatewayApp:
    """The gateway. `runtime` holds config/credentials/health; `extra` is a Starlette app for the rest."""

    def __init__(self, runtime: Runtime, address: str = "", extra: Any = None) -> None:
        self.rt = runtime
        self.address = address
        self.started = time.time()
        self.draining = False
        self.streams: dict[asyncio.Task[Any], bool] = {}  # active stream pumps -> aborted-for-shutdown flag
        self.calls: dict[asyncio.Future[Any], bool] = {}  # calls waiting on a provider -> aborted flag
        self.inflight = 0
        self.auth = GatewayAuth(
            resolve_gateway_token(runtime.snapshot), self._auth_settings(), runtime.shared
        )
        self.extra = extra
        self.reload_error: str | None = None
        self.last_reload: float | None = None

    def _auth_settings(self) -> AuthSettings:
        a = self.rt.snapshot.config.gateway.auth
        return AuthSettings(
            a.max_failures_per_minute, a.lockout_seconds, a.exempt_loopback, list(a.trusted_proxies)
        )

    def on_reload(self) -> None:
        self.auth.update(resolve_gateway_token(self.rt.snapshot), self._auth_settings())
        self.last_reload = time.time()

    # ------------------------------------------------------------------------------------------ ASGI

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            api = MODEL_ENDPOINTS.get(scope["path"])
            if api is not None:
                if scope["method"] == "POST":
                    await self.model_call(scope, receive, send, api)
                else:
                    await self._not_routed(scope, send, 405, api)
                return
            if self.extra is not None:
                await self.extra(scope, receive, _timed(send))
                return
            await self._not_routed(scope, send, 404, "openai-completions")
            return
        if self.extra is not None:
            await self.extra(scope, receive, send)

    async def _not_routed(self, scope: Scope, send: Send, status: int, api: str) -> None:
        t0 = time.perf_counter()
        if status == 405:
            f = request_error(f"{scope['path']} accepts POST only, not {scope['method']}")
        else:
            f = request_error(f"no route {scope['method']} {scope['path']}", code="request.not_found")
            f.next_steps = ["OpenAI base_url: <gateway>/v1 · Anthropic base_url: <gateway>"]
        await self._fail(send, f, api, t0, scope, status=status)

    # ------------------------------------------------------------------------------- model endpoints

    def check_auth(
        self, scope: Mapping[str, Any], headers: dict[bytes, bytes] | None = None, allow_cookie: bool = True
    ) -> Failure | None:
        client = scope.get("client")
        return self.auth.check(
            dict(scope["headers"]) if headers is None else headers,
            client[0] if client else None,
            allow_cookie=allow_cookie,
        )

    async def model_call(self, scope: Scope, receive: Receive, send: Send, api: str) -> None:
        t0 = time.perf_counter()
        self.inflight += 1
        try:
            await self._model_call(scope, receive, send, api, t0)
        except Exception as exc:
            # a bug of ours must still answer in the endpoint's envelope, with an owner (and be logged)
            log.event(
                "gateway.internal_error",
                f"{type(exc).__name__}: {exc}",
                level=40,
                path=scope["path"],
                exc_info=True,
            )
            if not scope.get(_STARTED):
                f = failure(
                    "runtime.internal",
                    f"clawgate failed while handling this request ({type(exc).__name__}); this is a clawgate bug",
                    next_steps=["clawgate logs --limit 20", "retry the request"],
                )
                await self._fail(send, f, api, t0, scope)
        finally:
            self.inflight -= 1

    async def _model_call(self, scope: Scope, receive: Receive, send: Send, api: str, t0: float) -> None:
        if self.draining:
            f = failure(
                "runtime.shutdown",
                "the gateway is shutting down",
                retry_after=2,
                next_steps=["retry in a moment"],
            )
            await self._fail(send, f, api, t0, scope)
            return
        headers = dict(scope["headers"])
        denied = self.check_auth(scope, headers, allow_cookie=False)
        if denied is not None:
            await self._fail(send, denied, api, t0, scope)
            return
        limit = self.rt.snapshot.config.gateway.max_body_bytes
        try:
            raw = await read_body(receive, limit)
        except ClientGone:
            return
        except BodyTooLarge:
            await self._fail(
                send,
                request_error(
                    f"request body is larger than gateway.maxBodyBytes ({limit} bytes)",
                    code="request.too_large",
                ),
                api,
                t0,
                scope,
            )
            return
        try:
            body = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            await self._fail(send, request_error(f"request body is not valid JSON: {exc}"), api, t0, scope)
            return
        problem = validate_body(body, api)
        if problem is not None:
            await self._fail(send, problem, api, t0, scope)
            return
        agent_hdr = headers.get(b"x-clawgate-agent")
        try:
            agent = agent_hdr.decode() if agent_hdr else None
        except UnicodeDecodeError:
            bad = request_error("the x-clawgate-agent header is not UTF-8 text (it names an agent id)")
            bad.next_steps = [
                "send x-clawgate-agent: <agent id>, e.g. main",
                "clawgate config get agents.list",
            ]
            await self._fail(send, bad, api, t0, scope)
            return
        model = body.get("model")
        try:
            plan = await self.plan_for(model if isinstance(model, str) else None, agent)
        except ClawgateError as exc:
            f = from_error(exc)
            if f.owner != "request":  # whatever the resolver refused here, the request named it
                f = request_error(exc.message)
                f.next_steps = list(exc.next_steps)
            await self._fail(send, f, api, t0, scope)
            return
        stream = bool(body.get("stream"))
        fwd = {}
        for name in (b"anthropic-version", b"anthropic-beta"):
            if name in headers:
                fwd[name.decode()] = headers[name].decode("latin-1")
        req = CallRequest(
            stream=stream, client_api=api, raw=body, purpose="request", agent=plan.agent, forward_headers=fwd
        )
        # The client may leave while the provider is still working (a slow first byte, a long non-streaming
        # answer): watch for that from now on and cancel the upstream call with it, so the provider stops.
        watcher = asyncio.ensure_future(wait_disconnect(receive))
        call = asyncio.ensure_future(self.rt.run(plan, req))
        watcher.add_done_callback(lambda _t: call.cancel())  # a no-op once the call is done
        self.calls[call] = False
        try:
            try:
                outcome = await call
            except asyncio.CancelledError:
                if self.calls.get(call) and call.cancelled():
                    # the drain window closed before the provider answered
                    await self._fail(send, _SHUTDOWN, api, t0, scope)
                    return
                if not call.cancelled() or not watcher.done() or watcher.cancelled():
                    raise  # we are being cancelled ourselves, not the client leaving
                self._log(scope, 499, t0, None, 0.0, _CLIENT_GONE)
                return
            finally:
                del self.calls[call]
            if not outcome.ok:
                assert outcome.failure is not None
                await self._fail(send, outcome.failure, api, t0, scope, outcome)
                return
            if stream:
                assert isinstance(outcome, StreamOutcome)
                await self._stream(scope, watcher, send, api, outcome, t0, body)
            else:
                await self._plain(send, api, outcome, t0, scope)
        finally:
            watcher.cancel()

    async def plan_for(self, model: str | None, agent: str | None) -> Any:
        """The plan for a request (cached; a new one is made off the loop)."""
        if model and model.startswith("agent/"):
            return await self.rt.plan_async(model.split("/", 1)[1], None)
        if not model:
            return await self.rt.plan_async(agent, None)
        return await self.rt.plan_async(agent, model)

    async def _plain(self, send: Send, api: str, outcome: CallOutcome, t0: float, scope: Scope) -> None:
        assert outcome.body is not None and outcome.api is not None
        if outcome.api == api:
            data = outcome.body
        else:
            assert outcome.attempt is not None
            data = orjson.dumps(get_dialect(api).encode_response(outcome.result(), outcome.attempt.ref))
        overhead = (time.perf_counter() - t0) * 1000 - outcome.upstream_ms
        scope[_STARTED] = True
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    _JSON,
                    *self._served_headers(outcome),
                    (b"x-clawgate-overhead-ms", f"{max(overhead, 0):.2f}".encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": data})
        self._log(scope, 200, t0, outcome, overhead)

    def _served_headers(self, outcome: CallOutcome) -> list[tuple[bytes, bytes]]:
        att = outcome.attempt
        out = [(b"x-request-id", outcome.call_id.encode())]
        if att is not None:
            out.append((b"x-clawgate-model", att.ref.encode()))
        return out

    async def _stream(
        self,
        scope: Scope,
        watcher: asyncio.Future[None],
        send: Send,
        api: str,
        outcome: StreamOutcome,
        t0: float,
        body: dict[str, Any],
    ) -> None:
        overhead = (time.perf_counter() - t0) * 1000 - outcome.upstream_ms
        scope[_STARTED] = True
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    *_SSE_HEADERS,
                    *self._served_headers(outcome),
                    (b"x-clawgate-overhead-ms", f"{max(overhead, 0):.2f}".encode()),
                ],
            }
        )
        assert outcome.attempt is not None
        include_usage = (
            bool((body.get("stream_options") or {}).get("include_usage"))
            if api == "openai-completions"
            else True
        )
        dialect = get_dialect(api)
        label = str(body.get("model") or outcome.attempt.ref)

        def make_encoder() -> Any:
            return dialect.stream_encoder(label, include_usage)

        # a pass-through stream needs an encoder only to end it after an error — except Responses, whose
        # encoder must follow the upstream response id from the start
        encoder = None if (outcome.api == api and api != "openai-responses") else make_encoder()
        finished: list[bool] = []
        pump = asyncio.ensure_future(self._pump(send, api, outcome, encoder, make_encoder, finished))
        self.streams[pump] = False
        watcher.add_done_callback(lambda _t: pump.cancel() if not (pump.done() or finished) else None)
        status = 200
        try:
            await pump
        except asyncio.CancelledError:
            status = 499  # client went away: the upstream request was closed with it
            if not watcher.done():
                raise
        finally:
            aborted = self.streams.pop(pump, False)
            with contextlib.suppress(Exception):
                await outcome.aclose()
        if aborted:
            status = 503
        self._log(scope, status, t0, outcome, overhead)

    async def _pump(
        self,
        send: Send,
        api: str,
        outcome: StreamOutcome,
        encoder: Any,
        make_encoder: Any,
        finished: list[bool],
    ) -> None:
        failure: Failure | None = None
        try:
            async for item in outcome:
                if isinstance(item, SSEBatch):  # passed through unchanged, one write per upstream read
                    if encoder is not None:
                        for ev in item.events:
                            encoder.adopt(ev)
                    await send({"type": "http.response.body", "body": item.raw, "more_body": True})
                elif isinstance(item, StreamEvent):
                    data = encoder.encode(item)
                    if data:
                        await send({"type": "http.response.body", "body": data, "more_body": True})
                else:
                    failure = item
        except asyncio.CancelledError:
            if not self.streams.get(asyncio.current_task(), False):  # type: ignore[arg-type]
                raise
            failure = _failure(
                "runtime.shutdown",
                "the gateway is shutting down; the stream was ended before it finished",
                next_steps=["retry the request"],
            )
            with contextlib.suppress(Exception):
                await outcome.aclose()
        except Exception as exc:  # a bug of ours mid-stream: end the stream with an error event, not a cut
            log.event("gateway.internal_error", f"{type(exc).__name__}: {exc}", level=40, exc_info=True)
            failure = _failure(
                "runtime.internal",
                f"clawgate failed while streaming ({type(exc).__name__}); this is a clawgate bug",
                next_steps=["clawgate logs --limit 20", "retry the request"],
            )
            with contextlib.suppress(Exception):
                await outcome.aclose()
        if failure is not None:
            tail = (encoder or make_encoder()).error(failure)
        elif outcome.api == api:
            tail = b""
        else:
            tail = encoder.finish()
        finished.append(True)
        await send({"type": "http.response.body", "body": tail, "more_body": False})

    async def _fail(
        self,
        send: Send,
        f: Failure,
        api: str,
        t0: float,
        scope: Scope,
        outcome: CallOutcome | None = None,
        status: int | None = None,
    ) -> None:
        status, headers, body = error_response(f, api, status)
        upstream = outcome.upstream_ms if outcome else 0.0
        overhead = (time.perf_counter() - t0) * 1000 - upstream
        headers.append((b"x-clawgate-overhead-ms", f"{max(overhead, 0):.2f}".encode()))
        if outcome is not None:
            headers.append((b"x-request-id", outcome.call_id.encode()))
        scope[_STARTED] = True
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})
        self._log(scope, status, t0, outcome, overhead, f)

    def _log(
        self,
        scope: Scope,
        status: int,
        t0: float,
        outcome: CallOutcome | None,
        overhead: float,
        f: Failure | None = None,
    ) -> None:
        att = outcome.attempt if outcome else None
        if att is None and outcome is not None and outcome.tries:
            att = outcome.tries[-1].attempt  # a failed call: the attempt that failed last
        f = f or (outcome.failure if outcome else None)
        client = scope.get("client")
        log.event(
            "request",
            method=scope["method"],
            path=scope["path"],
            status=status,
            ms=round((time.perf_counter() - t0) * 1000, 2),
            overhead_ms=round(overhead, 2),
            call_id=outcome.call_id if outcome else None,
            ref=att.ref if att else None,
            owner=f.owner if f else None,
            code=f.code if f else None,
            client=client[0] if client else None,
        )

    # ------------------------------------------------------------------------------------- draining

    def abort_streams(self) -> int:
        """End every open stream with an error event, and every call still waiting on a provider with a 503
        (shutdown after the drain window)."""
        n = 0
        for call in list(self.calls):
            if not call.done():
                self.calls[call] = True
                call.cancel()
                n += 1
        for task in list(self.streams):
            if not task.done():
                self.streams[task] = True
                task.cancel()
                n += 1
        return n


_STARTED = "clawgate.response_started"  # scope key: the response has begun (an error can no longer be sent)
_OWNER = b"x-clawgate-owner"


def _timed(send: Send) -> Send:
    """`send` for the non-model endpoints: adds `x-clawgate-overhead-ms` to every response, and an owner to
    every error that does not name one (a missing route is the request's fault; a crash is ours)."""
    t0 = time.perf_counter()

    async def timed_send(msg: dict[str, Any]) -> None:
        if msg["type"] == "http.response.start":
            headers = list(msg.get("headers") or ())
            if msg["status"] >= 400 and not any(k.lower() == _OWNER for k, _ in headers):
                headers.append((_OWNER, b"runtime" if msg["status"] >= 500 else b"request"))
            headers.append((b"x-clawgate-overhead-ms", f"{(time.perf_counter() - t0) * 1000:.2f}".encode()))
            msg = {**msg, "headers": headers}
        await send(msg)

    return timed_send


VERSION = __version__
_failure = failure  # `_pump` has a local named `failure`
