"""The ASGI app. The model-call endpoints are plain ASGI handlers (no per-request framework work on the hot
path); everything else (status, models, UI, sessions) is routed through Starlette."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import orjson

from clawgate import __version__
from clawgate import logs as log
from clawgate.call import skipped
from clawgate.call.bodies import AttemptNotes
from clawgate.call.runtime import Runtime
from clawgate.call.types import CallOutcome, CallRequest, StreamOutcome
from clawgate.clients.identity import Client
from clawgate.dialects import reshape
from clawgate.dialects.registry import get_dialect
from clawgate.errors import ClawgateError
from clawgate.failures import Failure, failure, from_error
from clawgate.gateway import aux_calls, streaming
from clawgate.gateway.access import RATE, WHO, Access, caller
from clawgate.gateway.auth import AuthSettings, GatewayAuth
from clawgate.gateway.errors import error_response, request_error
from clawgate.gateway.requests import BodyTooLarge, ClientGone, ClientWatch, read_body, validate_body
from clawgate.gateway.responses_state import ResponseMemory
from clawgate.gateway.streaming import STARTED
from clawgate.gateway.token import resolve_gateway_token
from clawgate.plan.client_dialect import for_client
from clawgate.plan.types import Plan

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]

_JSON = (b"content-type", b"application/json")
MODEL_ENDPOINTS = {
    "/v1/chat/completions": "openai-completions",
    "/chat/completions": "openai-completions",
    "/v1/responses": "openai-responses",
    "/responses": "openai-responses",
    "/v1/messages": "anthropic-messages",
}
# auxiliary model calls (gateway/aux_calls.py): path -> the dialect of their requests and errors
AUX_ENDPOINTS = {
    "/v1/messages/count_tokens": "anthropic-messages",
    "/v1/embeddings": "openai-completions",
    "/embeddings": "openai-completions",
}
_OMITTED = b"x-clawgate-omitted"


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
        self.calls: dict[asyncio.Task[Any], bool] = {}  # requests waiting on a provider -> aborted flag
        self.inflight = 0
        self.auth = GatewayAuth(
            resolve_gateway_token(runtime.snapshot), self._auth_settings(), runtime.shared
        )
        # client keys, devices, limits, spend (gateway/access.py); the replica is loaded before listening
        self.access = Access(runtime)
        self.access.registry.reload()
        self.auth.clients = self.access.registry
        self.extra = extra
        self.reload_error: str | None = None
        self.last_reload: float | None = None
        cfg = runtime.snapshot.config.gateway.responses
        self.memory = ResponseMemory(runtime.store, cfg.ttl_seconds, cfg.max_stored)
        from clawgate.observability.setup import attach

        self.metrics_here = False  # GET /metrics on this address (set by `attach`)
        self.obs = attach(self)  # [observability] metrics + traces (None when both are off)

    def _auth_settings(self) -> AuthSettings:
        a = self.rt.snapshot.config.gateway.auth
        return AuthSettings(
            a.max_failures_per_minute, a.lockout_seconds, a.exempt_loopback, list(a.trusted_proxies)
        )

    def on_reload(self) -> None:
        self.auth.update(resolve_gateway_token(self.rt.snapshot), self._auth_settings())
        cfg = self.rt.snapshot.config.gateway.responses
        self.memory.ttl, self.memory.keep = cfg.ttl_seconds, cfg.max_stored
        self.access.on_reload()
        self.last_reload = time.time()
        from clawgate.observability.setup import reloaded

        reloaded(self)

    # ------------------------------------------------------------------------------------------ ASGI

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            api = MODEL_ENDPOINTS.get(scope["path"]) or AUX_ENDPOINTS.get(scope["path"])
            if api is not None:
                if scope["method"] == "POST":
                    await self.model_call(scope, receive, send, api)
                else:
                    await self._not_routed(scope, send, 405, api)
                return
            if scope["path"] == "/metrics" and self.metrics_here:
                from clawgate.observability.endpoint import serve_asgi

                await serve_asgi(self, scope, send)
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
        self,
        scope: Mapping[str, Any],
        headers: dict[bytes, bytes] | None = None,
        allow_cookie: bool = True,
        allow_keys: bool = False,
    ) -> Failure | None:
        client = scope.get("client")
        return self.auth.check(
            dict(scope["headers"]) if headers is None else headers,
            client[0] if client else None,
            allow_cookie=allow_cookie,
            allow_keys=allow_keys,
        )

    def identify(self, scope: Mapping[str, Any], headers: dict[bytes, bytes]) -> Client | Failure:
        """Who a model call is from (the owner, a client key, a device), or the refusal to answer with."""
        client = scope.get("client")
        return self.auth.identify(headers, client[0] if client else None, allow_cookie=False)

    async def model_call(self, scope: Scope, receive: Receive, send: Send, api: str) -> None:
        t0 = time.perf_counter()
        self.inflight += 1
        obs = self.obs
        if obs is not None:
            obs.request_started(scope, api)  # [observability] request start
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
            if not scope.get(STARTED):
                f = failure(
                    "runtime.internal",
                    f"clawgate failed while handling this request ({type(exc).__name__}); this is a clawgate bug",
                    next_steps=["clawgate logs --limit 20", "retry the request"],
                )
                await self._fail(send, f, api, t0, scope)
        finally:
            self.inflight -= 1
            if obs is not None:
                obs.request_done(scope)  # [observability] request end (always, once)

    async def _admit(
        self, scope: Scope, receive: Receive, send: Send, api: str, t0: float
    ) -> tuple[dict[bytes, bytes], Any] | None:
        """(headers, parsed body) of a request the gateway takes, or None once it has answered it."""
        if self.draining:
            f = failure(
                "runtime.shutdown",
                "the gateway is shutting down",
                retry_after=2,
                next_steps=["retry in a moment"],
            )
            await self._fail(send, f, api, t0, scope)
            return None
        headers = dict(scope["headers"])
        who = self.identify(scope, headers)
        if isinstance(who, Failure):
            await self._fail(send, who, api, t0, scope)
            return None
        scope[WHO] = who
        limit = self.rt.snapshot.config.gateway.max_body_bytes
        try:
            raw = await read_body(receive, limit)
        except ClientGone:
            return None
        except BodyTooLarge:
            f = request_error(
                f"request body is larger than gateway.maxBodyBytes ({limit} bytes)", code="request.too_large"
            )
            await self._fail(send, f, api, t0, scope)
            return None
        try:
            return headers, orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            await self._fail(send, request_error(f"request body is not valid JSON: {exc}"), api, t0, scope)
            return None

    async def plan_request(self, model: Any, headers: dict[bytes, bytes], api: str) -> Plan | Failure:
        """The plan for a request's model (routes, aliases, families and agent/<id> are the plan's), on the
        client's own dialect wherever the provider serves it; cached per snapshot, a new one made off the
        loop. A Failure (owner `request`) when the request names what cannot be planned."""
        agent_hdr = headers.get(b"x-clawgate-agent")
        try:
            agent = agent_hdr.decode() if agent_hdr else None
        except UnicodeDecodeError:
            bad = request_error("the x-clawgate-agent header is not UTF-8 text (it names an agent id)")
            bad.next_steps = [
                "send x-clawgate-agent: <agent id>, e.g. main",
                "clawgate config get agents.list",
            ]
            return bad
        name = model if isinstance(model, str) and model else None
        cache = self.rt.snapshot.plan_cache
        key = ("client", api, agent, name)
        cached = cache.get(key)
        if cached is not None:
            return cached
        try:
            plan = for_client(await self.rt.plan_async(agent, name), api)
        except ClawgateError as exc:
            f = from_error(exc)
            if f.owner != "request":  # whatever the resolver refused here, the request named it
                f = request_error(exc.message)
                f.next_steps = list(exc.next_steps)
            return f
        cache[key] = plan
        return plan

    async def _model_call(self, scope: Scope, receive: Receive, send: Send, api: str, t0: float) -> None:
        admitted = await self._admit(scope, receive, send, api, t0)
        if admitted is None:
            return
        headers, body = admitted
        if scope["path"] in AUX_ENDPOINTS:
            await aux_calls.handle(self, scope, receive, send, api, headers, body, t0)
            return
        problem = validate_body(body, api)
        if problem is not None:
            await self._fail(send, problem, api, t0, scope)
            return
        plan = await self.plan_request(body.get("model"), headers, api)
        if isinstance(plan, Failure):
            await self._fail(send, plan, api, t0, scope)
            return
        refused = await self.access.admit_call(scope, plan, body.get("model"))  # a key's scopes, budget, RPM
        if refused is not None:
            await self._fail(send, refused, api, t0, scope)
            return
        if api == "openai-responses" and body.get("previous_response_id") is not None:
            expanded = await self.memory.expand(body, plan)
            if isinstance(expanded, Failure):
                await self._fail(send, expanded, api, t0, scope)
                return
            body = expanded
        stream = bool(body.get("stream"))
        fwd = {}
        for name in (b"anthropic-version", b"anthropic-beta"):
            if name in headers:
                fwd[name.decode()] = headers[name].decode("latin-1")
        req = CallRequest(
            stream=stream,
            client_api=api,
            raw=body,
            purpose="request",
            agent=plan.agent,
            forward_headers=fwd,
            client=caller(scope),
        )
        if self.obs is not None:
            self.observe_parsed(scope, body, req)
        called = await self.call(scope, receive, send, api, t0, plan, req)
        if called is None:
            return
        outcome, watcher = called
        try:
            if stream:
                assert isinstance(outcome, StreamOutcome)
                await streaming.answer(self, scope, watcher, send, api, outcome, t0, body, req)
            else:
                await self._plain(send, api, outcome, t0, scope, req, body)
        finally:
            watcher.cancel()

    def observe_parsed(self, scope: Scope, body: dict[str, Any], req: CallRequest) -> None:
        """[observability] The request is planned: its model, and the CallRequest that carries its span."""
        assert self.obs is not None
        model = body.get("model")
        self.obs.request_parsed(scope, model if isinstance(model, str) else None, req)

    async def call(
        self, scope: Scope, receive: Receive, send: Send, api: str, t0: float, plan: Plan, req: CallRequest
    ) -> tuple[CallOutcome, ClientWatch] | None:
        """Run the plan while watching the client: (outcome, the watcher — cancel it once answered), or
        None when a failure (or the client leaving) was already answered."""
        # The client may leave while the provider is still working (a slow first byte, a long non-streaming
        # answer): watch for that from now on and cancel the upstream call with it, so the provider stops. The
        # plan runs in this request's own task (no task of its own: one less per request); the watcher, or the
        # drain window closing (`abort_streams`), cancels this task while the call is in flight. The watch
        # itself starts only once the call has run a moment (requests.ClientWatch).
        watcher = ClientWatch(receive)
        task = asyncio.current_task()
        assert task is not None
        in_flight = True

        def client_gone(_w: ClientWatch) -> None:
            if in_flight:
                task.cancel()

        watcher.add_done_callback(client_gone)
        self.calls[task] = False
        answered = False
        try:
            try:
                outcome = await self.rt.run(plan, req)
            except asyncio.CancelledError:
                if self.calls.get(task):  # the drain window closed before the provider answered
                    if task.uncancel() == 0:
                        in_flight = False
                        await self._fail(send, _SHUTDOWN, api, t0, scope)
                        return None
                elif watcher.done() and task.uncancel() == 0:
                    self._log(scope, 499, t0, None, 0.0, _CLIENT_GONE)
                    return None
                raise  # we are being cancelled ourselves, not (only) by the client leaving
            finally:
                in_flight = False
                watcher.remove_done_callback(client_gone)
                del self.calls[task]
            if not outcome.ok:
                assert outcome.failure is not None
                await self._fail(send, outcome.failure, api, t0, scope, outcome)
                return None
            answered = True
            return outcome, watcher
        finally:
            if not answered:
                watcher.cancel()

    async def _plain(
        self,
        send: Send,
        api: str,
        outcome: CallOutcome,
        t0: float,
        scope: Scope,
        req: CallRequest,
        body: dict[str, Any],
    ) -> None:
        assert outcome.body is not None and outcome.api is not None and outcome.attempt is not None
        notes: AttemptNotes | None = req.notes.get(outcome.attempt.ref)
        if outcome.api == api:
            data = outcome.body
        else:
            result = reshape.result(outcome.result(), notes.forced_tool if notes else None)
            encoded = get_dialect(api).encode_response(result, outcome.attempt.ref, req.chat)
            data = orjson.dumps(encoded)
        if api == "openai-responses" and self.memory.keeps(body, outcome.attempt, outcome.api == api):
            await self.memory.remember_body(body, data)  # committed before the answer is sent
        overhead = (time.perf_counter() - t0) * 1000 - outcome.upstream_ms
        scope[STARTED] = True
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    _JSON,
                    (b"content-length", b"%d" % len(data)),  # not chunked: one body, known length
                    *self._served_headers(outcome, notes),
                    *scope.get(RATE, ()),
                    (b"x-clawgate-overhead-ms", b"%.2f" % max(overhead, 0)),
                ],
            }
        )
        await send({"type": "http.response.body", "body": data})
        self._log(scope, 200, t0, outcome, overhead)

    def _served_headers(self, outcome: CallOutcome, notes: AttemptNotes | None) -> list[tuple[bytes, bytes]]:
        att = outcome.attempt
        out = [(b"x-request-id", outcome.call_id.encode())]
        if att is not None:
            out.append((b"x-clawgate-model", att.ref.encode()))
        omitted = notes.header() if notes is not None else None
        if omitted:
            out.append((_OMITTED, omitted.encode()))
        if len(outcome.tries) > 1:  # more than one try: was a model or credential skipped on the way?
            fallback = skipped.header(outcome)
            if fallback is not None:
                out.append((skipped.HEADER, fallback))
        return out

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
        headers.append((b"content-length", b"%d" % len(body)))
        headers.append((b"x-clawgate-overhead-ms", b"%.2f" % max(overhead, 0)))
        headers.extend(scope.get(RATE, ()))
        if outcome is not None:
            headers.append((b"x-request-id", outcome.call_id.encode()))
        scope[STARTED] = True
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
        obs = self.obs
        if obs is not None and scope["method"] == "POST":
            path = scope["path"]
            api = MODEL_ENDPOINTS.get(path) or AUX_ENDPOINTS.get(path)
            if api is not None:  # [observability] the answer is complete
                obs.request_finished(scope, api, status, t0, outcome, overhead, f)
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
