"""The control UI's URL table: the page and its static files, the login (one-time code → cookie), and the
endpoints the views read — each a thin wrapper over `views`, `failures` and `probe` behind the auth guard."""

from __future__ import annotations

import asyncio
import mimetypes
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response, StreamingResponse
from starlette.routing import Route

from clawgate import __version__
from clawgate.errors import ClawgateError
from clawgate.failures import Failure
from clawgate.gateway.auth import LOGIN_HINT, UI_COOKIE, UI_SESSION_TTL, _cookie, presented_token

from .clients import client_routes
from .failures import FAILURE_WINDOW, failures
from .probe import PROBE_TIMEOUT, probe
from .respond import (
    PAGE_HEADERS,
    STATIC_TYPES,
    auth_denial,
    bad_request,
    fail,
    json_response,
    read_body,
    sse_event,
)
from .views import agents, change_digest, doctor, overview, providers

if TYPE_CHECKING:
    from clawgate.gateway.app import GatewayApp

STATIC = Path(__file__).resolve().parent.parent.parent / "ui" / "static"
TICK_SECONDS = 1.5  # how often /api/ui/events looks for changes


def ui_routes(gw: GatewayApp) -> list[Route]:
    files = {p.name: p for p in STATIC.iterdir() if p.is_file()} if STATIC.is_dir() else {}

    async def index(request: Request) -> Response:
        page = files.get("index.html")
        if page is None:
            return fail(
                Failure(owner="runtime", code="ui.missing", message="the UI's files are not installed")
            )
        return Response(page.read_bytes(), media_type="text/html; charset=utf-8", headers=PAGE_HEADERS)

    async def static(request: Request) -> Response:
        name = request.path_params["name"]
        path = files.get(name)
        if path is None:
            return fail(
                Failure(owner="request", code="request.not_found", message=f"no UI file {name!r}"), 404
            )
        ctype = STATIC_TYPES.get(path.suffix) or mimetypes.guess_type(name)[0] or "application/octet-stream"
        return Response(path.read_bytes(), media_type=ctype, headers=PAGE_HEADERS)

    async def ui_root(request: Request) -> Response:
        return RedirectResponse("/", status_code=303)

    async def login(request: Request) -> Response:
        if gw.auth.token.mode != "token":
            return RedirectResponse("/", status_code=303, headers={"referrer-policy": "no-referrer"})
        code = request.query_params.get("code") or ""
        sid = await gw.auth.ui.redeem(code) if code else None
        headers = {"referrer-policy": "no-referrer", "cache-control": "no-store"}
        if sid is None:
            return RedirectResponse("/?login=expired", status_code=303, headers=headers)
        resp = RedirectResponse("/", status_code=303, headers=headers)
        resp.set_cookie(
            UI_COOKIE,
            sid,
            max_age=int(UI_SESSION_TTL),
            path="/",
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
        )
        return resp

    async def login_codes(request: Request) -> Response:
        mode = gw.auth.token.mode
        if mode == "token" and presented_token(dict(request.scope["headers"])) is None:
            return fail(
                Failure(
                    owner="gateway_auth",
                    code="gateway.token_missing",
                    message="a login code is only given for the gateway token (Authorization: Bearer), "
                    "not for a browser session",
                    next_steps=["clawgate dashboard"],
                ),
                401,
            )
        denied = auth_denial(gw, request)
        if denied is not None:
            return denied
        if mode != "token":
            return json_response({"auth": mode, "code": None, "path": "/", "expires_in": None}, 201)
        code, ttl = await gw.auth.ui.issue_code()
        return json_response(
            {"auth": mode, "code": code, "path": f"/ui/login?code={quote(code)}", "expires_in": ttl}, 201
        )

    async def logout(request: Request) -> Response:
        sid = _cookie(dict(request.scope["headers"]), UI_COOKIE)
        if gw.auth.ui_session(dict(request.scope["headers"])) is not None:
            gw.auth.ui.revoke(sid)
        resp = json_response({"logged_out": True})
        resp.delete_cookie(UI_COOKIE, path="/", httponly=True, samesite="strict")
        return resp

    async def session(request: Request) -> Response:
        denied = auth_denial(gw, request)
        if denied is not None:
            return denied
        headers = dict(request.scope["headers"])
        mode = gw.auth.token.mode
        via = "none" if mode != "token" else ("token" if presented_token(headers) else "cookie")
        peer = request.scope.get("client")
        who = gw.auth.identify(headers, peer[0] if peer else None)
        kind = getattr(who, "kind", "owner")
        return json_response(
            {
                "auth": mode,
                "via": "device" if kind == "device" else via,
                "client": kind,  # owner (may change keys and devices) | device (reads)
                "name": getattr(who, "name", None),
                "version": __version__,
                "address": gw.address,
                "login": LOGIN_HINT,
            }
        )

    def guarded(fn: Any, *, thread: bool = True) -> Any:
        async def endpoint(request: Request) -> Response:
            denied = auth_denial(gw, request)
            if denied is not None:
                return denied
            try:
                data = await asyncio.to_thread(fn, gw) if thread else fn(gw)
            except ClawgateError as exc:
                return json_response({"error": exc.to_json()}, 503 if exc.owner == "config" else 400)
            return json_response(data)

        return endpoint

    async def failures_ep(request: Request) -> Response:
        denied = auth_denial(gw, request)
        if denied is not None:
            return denied
        try:
            window = max(60.0, min(float(request.query_params.get("window") or FAILURE_WINDOW), 7 * 86400.0))
        except ValueError:
            return bad_request("'window' must be a number of seconds")
        return json_response(await asyncio.to_thread(failures, gw, window))

    async def probe_ep(request: Request) -> Response:
        denied = auth_denial(gw, request)
        if denied is not None:
            return denied
        body = await read_body(request)
        pid = body.get("provider")
        agent = body.get("agent")
        if not isinstance(pid, str) or not pid:
            return bad_request("'provider' is required")
        if agent is not None and not isinstance(agent, str):
            return bad_request("'agent' must be a string")
        try:
            return json_response(await probe(gw, pid, agent or None))
        except ClawgateError as exc:
            return json_response({"error": exc.to_json()}, 400)
        except TimeoutError:
            return fail(
                Failure(
                    owner="network",
                    code="network.timeout",
                    message=f"the probe did not finish within {PROBE_TIMEOUT:g} s",
                    next_steps=[f"clawgate models status --probe --probe-provider {pid}"],
                ),
                504,
            )

    async def doctor_ep(request: Request) -> Response:
        denied = auth_denial(gw, request)
        if denied is not None:
            return denied
        try:
            return json_response(await asyncio.to_thread(doctor, gw))
        except ClawgateError as exc:
            return json_response({"error": exc.to_json()}, 503)

    async def events(request: Request) -> Response:
        denied = auth_denial(gw, request)
        if denied is not None:
            return denied

        async def stream() -> AsyncIterator[bytes]:
            last: dict[str, Any] = {}
            yield b"retry: 3000\n\n"
            while not gw.draining:
                denied = gw.check_auth(request.scope)
                if denied is not None:
                    yield sse_event(
                        "auth", {"owner": denied.owner, "code": denied.code, "next": ["clawgate dashboard"]}
                    )
                    return
                digest = await asyncio.to_thread(change_digest, gw)
                changed = [k for k, v in digest.items() if last.get(k) != v]
                last = digest
                yield sse_event("update", {"at": time.time(), "changed": changed, "inflight": gw.inflight})
                await asyncio.sleep(TICK_SECONDS)
            yield sse_event("bye", {"reason": "the gateway is shutting down"})

        return StreamingResponse(
            stream(),
            media_type="text/event-stream",
            headers={
                "cache-control": "no-cache",
                "x-accel-buffering": "no",
                "x-content-type-options": "nosniff",
            },
        )

    return [
        Route("/", index, methods=["GET", "HEAD"]),
        Route("/ui", ui_root, methods=["GET"]),
        Route("/ui/", ui_root, methods=["GET"]),
        Route("/ui/static/{name}", static, methods=["GET", "HEAD"]),
        Route("/ui/login", login, methods=["GET"]),
        Route("/api/ui/login-codes", login_codes, methods=["POST"]),
        Route("/api/ui/logout", logout, methods=["POST"]),
        Route("/api/ui/session", session, methods=["GET"]),
        Route("/api/ui/overview", guarded(overview), methods=["GET"]),
        Route("/api/ui/agents", guarded(agents), methods=["GET"]),
        Route("/api/ui/providers", guarded(providers), methods=["GET"]),
        Route("/api/ui/probe", probe_ep, methods=["POST"]),
        Route("/api/ui/failures", failures_ep, methods=["GET"]),
        Route("/api/ui/doctor", doctor_ep, methods=["POST"]),
        Route("/api/ui/events", events, methods=["GET"]),
        *client_routes(gw),
    ]
