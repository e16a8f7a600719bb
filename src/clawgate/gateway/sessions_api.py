"""The sessions HTTP API (docs/sessions-api.md): sessions, messages (streamed as SSE run events), stop, runs,
subagents, and cron. Registered with the gateway through `gateway.extensions`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import orjson
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from clawgate.agents.errors import ShuttingDown
from clawgate.agents.events import sse
from clawgate.agents.service import AgentService, attach
from clawgate.agents.state import message_json, run_json
from clawgate.errors import ClawgateError, NotFoundError
from clawgate.failures import Failure, failure, from_error
from clawgate.gateway import extensions
from clawgate.gateway.errors import error_response
from clawgate.store.base import StoreUnavailable

if TYPE_CHECKING:
    from clawgate.gateway.app import GatewayApp

KEEPALIVE_SECONDS = 15.0
_SSE_HEADERS = {"cache-control": "no-cache", "x-accel-buffering": "no"}


def _json(obj: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(obj, default=str), status_code=status, media_type="application/json")


def fail(f: Failure, status: int | None = None) -> Response:
    code, headers, body = error_response(f, "openai-completions", status, tail=False)
    return Response(body, status_code=code, headers={k.decode(): v.decode() for k, v in headers})


def failure_of(exc: ClawgateError) -> tuple[Failure, int | None]:
    """A raised error as an API failure: unknown ids are 404 (owner request), refusals 400, shutdown 503."""
    if isinstance(exc, NotFoundError):
        return failure("request.not_found", exc.message, next_steps=list(exc.next_steps)), 404
    if isinstance(exc, StoreUnavailable):  # the sessions database is away: not taken, try again
        return from_error(exc, retryable=True), 503
    if isinstance(exc, ShuttingDown):
        return from_error(exc), 503
    f = from_error(exc)
    return f, (400 if f.owner == "request" else None)


def bad_request(message: str, field: str | None = None) -> Response:
    return fail(
        Failure(
            owner="request",
            code="request.invalid",
            message=message,
            next_steps=["see docs/sessions-api.md" + (f" (field {field!r})" if field else "")],
        ),
        400,
    )


class SessionsAPI:
    def __init__(self, gw: GatewayApp) -> None:
        self.gw = gw
        self.svc: AgentService = attach(gw)

    # -- plumbing -----------------------------------------------------------------------------------

    def _guard(self, request: Request) -> Response | None:
        denied = self.gw.check_auth(request.scope)
        if denied is not None:
            return fail(denied)
        self.svc.ensure_started()
        return None

    async def _body(self, request: Request) -> dict[str, Any] | Response:
        limit = self.gw.rt.snapshot.config.gateway.max_body_bytes
        raw = await request.body()
        if len(raw) > limit:
            return fail(
                Failure(
                    owner="request",
                    code="request.too_large",
                    message=f"request body is larger than gateway.maxBodyBytes ({limit} bytes)",
                    next_steps=["send a shorter message"],
                ),
                413,
            )
        if not raw.strip():
            return {}
        try:
            body = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            return bad_request(f"request body is not valid JSON: {exc}")
        if not isinstance(body, dict):
            return bad_request("request body must be a JSON object")
        return body

    def routes(self) -> list[Route]:
        def h(fn: Any) -> Any:
            async def endpoint(request: Request) -> Response:
                denied = self._guard(request)
                if denied is not None:
                    return denied
                try:
                    await self.svc.ready()
                    response: Response = await fn(request)
                    return response
                except ClawgateError as exc:
                    f, status = failure_of(exc)
                    return fail(f, status)

            return endpoint

        return [
            Route("/api/sessions", h(self.create_session), methods=["POST"]),
            Route("/api/sessions", h(self.list_sessions), methods=["GET"]),
            Route("/api/sessions/{id}", h(self.show_session), methods=["GET"]),
            Route("/api/sessions/{id}/messages", h(self.post_message), methods=["POST"]),
            Route("/api/sessions/{id}/stop", h(self.stop), methods=["POST"]),
            Route("/api/runs/{id}", h(self.show_run), methods=["GET"]),
            Route("/api/runs/{id}/subagents", h(self.spawn), methods=["POST"]),
            Route("/api/cron", h(self.cron_list), methods=["GET"]),
            Route("/api/cron/history", h(self.cron_history), methods=["GET"]),
            Route("/api/cron/{id}/run", h(self.cron_run), methods=["POST"]),
        ]

    # -- sessions -------------------------------------------------------------------------------------

    async def create_session(self, request: Request) -> Response:
        body = await self._body(request)
        if isinstance(body, Response):
            return body
        for key in ("agent", "model", "title"):
            if body.get(key) is not None and not isinstance(body[key], str):
                return bad_request(f"'{key}' must be a string", key)
        mgr = self.svc.mgr
        state = await mgr.create_session(
            body.get("agent") or None, body.get("model") or None, body.get("title")
        )
        return _json(mgr.session_json(state), 201)

    async def list_sessions(self, request: Request) -> Response:
        agent = request.query_params.get("agent") or None
        try:
            limit = int(request.query_params.get("limit") or 50)
        except ValueError:
            return bad_request("'limit' must be a number", "limit")
        limit = max(1, min(limit, 1000))
        return _json({"sessions": await self.svc.mgr.list_sessions(agent, limit)})

    async def show_session(self, request: Request) -> Response:
        return _json(await self.svc.mgr.show(request.path_params["id"]))

    async def post_message(self, request: Request) -> Response:
        body = await self._body(request)
        if isinstance(body, Response):
            return body
        content = body.get("content")
        if not isinstance(content, str) or not content.strip():
            return bad_request("'content' must be a non-empty string", "content")
        stream = body.get("stream", True)
        mode = body.get("mode")
        tools = body.get("tools", False)
        if not isinstance(stream, bool):
            return bad_request("'stream' must be true or false", "stream")
        if mode is not None and mode not in ("queue", "interrupt"):
            return bad_request('\'mode\' must be "queue" or "interrupt"', "mode")
        if not isinstance(tools, bool):
            return bad_request("'tools' must be true or false", "tools")
        mgr = self.svc.mgr
        sid = request.path_params["id"]
        await mgr.get(sid)  # 404 before anything is written
        sub = self.svc.bus.subscribe([sid]) if stream else None
        try:
            posted = await mgr.post(sid, content, mode=mode, tools=tools)
        except BaseException:
            if sub is not None:
                sub.close()
            raise
        if posted.run is None:  # a slash command, answered at once
            if sub is not None:
                sub.close()
                return StreamingResponse(
                    _replay(posted.events), media_type="text/event-stream", headers=_SSE_HEADERS
                )
            return _json(
                {
                    "command": posted.command,
                    "run": None,
                    "message": None,
                    "session": mgr.session_json(posted.session),
                    "events": posted.events,
                }
            )
        run = posted.run
        if sub is not None:
            return StreamingResponse(
                _follow(sub, run.id), media_type="text/event-stream", headers=_SSE_HEADERS
            )
        await run.done.wait()
        return _json(
            {
                "run": run_json(run.rec),
                "message": message_json(run.reply) if run.reply is not None else None,
                "user_message": message_json(posted.message) if posted.message else None,
            }
        )

    async def stop(self, request: Request) -> Response:
        return _json({"stopped": await self.svc.mgr.stop(request.path_params["id"])})

    async def show_run(self, request: Request) -> Response:
        return _json(await self.svc.mgr.get_run(request.path_params["id"]))

    async def spawn(self, request: Request) -> Response:
        body = await self._body(request)
        if isinstance(body, Response):
            return body
        prompt = body.get("prompt")
        if not isinstance(prompt, str) or not prompt.strip():
            return bad_request("'prompt' must be a non-empty string", "prompt")
        for key in ("agent", "model"):
            if body.get(key) is not None and not isinstance(body[key], str):
                return bad_request(f"'{key}' must be a string", key)
        child = await self.svc.mgr.spawn_for(
            request.path_params["id"],
            prompt,
            agent=body.get("agent") or None,
            model=body.get("model") or None,
        )
        return _json(
            {"run": run_json(child.rec), "message": message_json(child.reply) if child.reply else None}
        )

    # -- cron -------------------------------------------------------------------------------------------

    async def cron_list(self, request: Request) -> Response:
        return _json({"jobs": self.svc.cron.list_json(), "via": "gateway"})

    async def cron_history(self, request: Request) -> Response:
        import asyncio

        job = request.query_params.get("job") or None
        try:
            limit = max(1, min(int(request.query_params.get("limit") or 50), 1000))
        except ValueError:
            return bad_request("'limit' must be a number", "limit")
        await self.svc.mgr.durable()
        rows = await asyncio.to_thread(self.svc.rt.store.cron_history, job, limit)
        return _json({"history": [r.to_json() for r in rows]})

    async def cron_run(self, request: Request) -> Response:
        rec = await self.svc.cron.run_job(request.path_params["id"], "manual")
        return _json({"record": rec.to_json(), "via": "gateway"})


async def _replay(events: list[dict[str, Any]]) -> AsyncIterator[bytes]:
    for ev in events:
        yield sse(ev)


async def _follow(sub: Any, run_id: str) -> AsyncIterator[bytes]:
    """This run's events (and those about it: subagents, notices) until it finishes."""
    try:
        while True:
            ev = await sub.get(timeout=KEEPALIVE_SECONDS)
            if ev is None:
                if sub.closed:
                    return
                yield b": keep-alive\n\n"
                continue
            if ev.get("run_id") != run_id:
                continue
            yield sse(ev)
            if ev["type"] == "run.finished":
                return
    finally:
        sub.close()


def _routes(gw: GatewayApp) -> list[Any]:
    return SessionsAPI(gw).routes()


extensions.register(_routes)
