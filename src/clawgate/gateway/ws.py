"""The WebSocket at `/ws` (docs/sessions-api.md): the first frame must be `connect` with the gateway token
(anything else closes with 1008 and a reason code); then run events for the sessions the client follows."""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING, Any

import orjson
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from clawgate import __version__
from clawgate.agents.events import Subscription
from clawgate.agents.service import AgentService, attach
from clawgate.errors import ClawgateError
from clawgate.gateway import extensions
from clawgate.gateway.sessions_api import failure_of

if TYPE_CHECKING:
    from clawgate.gateway.app import GatewayApp

POLICY_VIOLATION = 1008
CONNECT_TIMEOUT = 10.0  # seconds to send the connect frame


class SocketClosed(Exception):
    pass


class Connection:
    def __init__(self, gw: GatewayApp, svc: AgentService, ws: WebSocket) -> None:
        self.gw = gw
        self.svc = svc
        self.ws = ws
        self.sub: Subscription | None = None
        self.lock = asyncio.Lock()

    async def send(self, frame: dict[str, Any]) -> None:
        async with self.lock:
            await self.ws.send_text(orjson.dumps(frame, default=str).decode())

    async def refuse(self, reason: str) -> None:
        with contextlib.suppress(Exception):
            await self.ws.close(code=POLICY_VIOLATION, reason=reason)

    async def handshake(self) -> bool:
        """Read and check the first frame; False when the socket was closed."""
        try:
            async with asyncio.timeout(CONNECT_TIMEOUT):
                text = await self.ws.receive_text()
        except (TimeoutError, KeyError):
            await self.refuse("CONNECT_REQUIRED")
            return False
        except WebSocketDisconnect:
            return False
        try:
            frame = orjson.loads(text)
        except orjson.JSONDecodeError:
            frame = None
        if not isinstance(frame, dict) or frame.get("type") != "connect":
            await self.refuse("CONNECT_REQUIRED")
            return False
        token = frame.get("token")
        headers: dict[bytes, bytes] = {}
        if isinstance(token, str) and token:
            headers[b"authorization"] = b"Bearer " + token.encode("utf-8", "surrogateescape")
        denied = self.gw.check_auth(self.ws.scope, headers)
        if denied is not None:
            await self.refuse(denied.code)  # gateway.token_missing | token_mismatch | locked_out
            return False
        await self.svc.ready()
        await self.send(
            {
                "type": "connected",
                "version": __version__,
                "agent": self.gw.rt.snapshot.main_agent(),
                "client": frame.get("client"),
            }
        )
        return True

    async def pump(self, sub: Subscription) -> None:
        while True:
            ev = await sub.get()
            if ev is None:
                if sub.overflowed:
                    await self.send(
                        {
                            "type": "error",
                            "owner": "runtime",
                            "code": "ws.overflow",
                            "message": "this client fell too far behind; re-read the session",
                        }
                    )
                return
            await self.send(ev)

    async def error(self, exc: ClawgateError, frame: dict[str, Any]) -> None:
        f, _ = failure_of(exc)
        await self.send(
            {
                "type": "error",
                "owner": f.owner,
                "code": f.code,
                "message": f.message,
                "next": f.next_steps,
                "frame": frame.get("type"),
            }
        )

    async def handle(self, frame: dict[str, Any]) -> None:
        mgr = self.svc.mgr
        sub = self.sub
        assert sub is not None
        kind = frame.get("type")
        sid = frame.get("session_id")
        if kind == "ping":
            await self.send({"type": "pong"})
        elif kind == "subscribe":
            state = await mgr.get(str(sid))
            sub.add(state.id)
            await self.send(
                {"type": "subscribed", "session_id": state.id, "session": mgr.session_json(state)}
            )
        elif kind == "send":
            content = frame.get("content")
            if not isinstance(content, str) or not content.strip():
                await self.send(
                    {
                        "type": "error",
                        "owner": "request",
                        "code": "request.invalid",
                        "message": "'content' must be a non-empty string",
                        "next": [],
                        "frame": kind,
                    }
                )
                return
            state = await mgr.get(str(sid))
            sub.add(state.id)
            mode = frame.get("mode") if frame.get("mode") in ("queue", "interrupt") else None
            posted = await mgr.post(state.id, content, mode=mode, tools=bool(frame.get("tools", False)))
            if posted.command == "/new":
                sub.add(posted.session.id)
        elif kind == "stop":
            state = await mgr.get(str(sid))
            sub.add(state.id)
            await mgr.post(state.id, "/stop")  # as the slash command: a notice says what was stopped
        elif kind == "new":
            agent = frame.get("agent") if isinstance(frame.get("agent"), str) else None
            model = frame.get("model") if isinstance(frame.get("model"), str) else None
            state = await mgr.create_session(agent, model)
            sub.add(state.id)
            await self.send(
                {"type": "session.new", "session_id": state.id, "session": mgr.session_json(state)}
            )
        else:
            await self.send(
                {
                    "type": "error",
                    "owner": "request",
                    "code": "request.invalid",
                    "message": f"unknown frame type {kind!r} (subscribe, send, stop, new, ping)",
                    "next": [],
                    "frame": kind,
                }
            )

    async def serve(self) -> None:
        await self.ws.accept()
        if not await self.handshake():
            return
        self.sub = sub = self.svc.bus.subscribe()
        pump = asyncio.get_running_loop().create_task(self.pump(sub))
        try:
            while True:
                try:
                    text = await self.ws.receive_text()
                except (WebSocketDisconnect, KeyError, RuntimeError):
                    return
                try:
                    frame = orjson.loads(text)
                except orjson.JSONDecodeError:
                    frame = None
                if not isinstance(frame, dict):
                    await self.send(
                        {
                            "type": "error",
                            "owner": "request",
                            "code": "request.invalid",
                            "message": "frames are JSON objects with a 'type'",
                            "next": [],
                        }
                    )
                    continue
                try:
                    await self.handle(frame)
                except ClawgateError as exc:
                    await self.error(exc, frame)
        finally:
            sub.close()
            pump.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await pump
            if self.ws.application_state != WebSocketState.DISCONNECTED:
                with contextlib.suppress(Exception):
                    await self.ws.close()


def _routes(gw: GatewayApp) -> list[Any]:
    svc = attach(gw)

    async def endpoint(websocket: WebSocket) -> None:
        await Connection(gw, svc, websocket).serve()

    return [WebSocketRoute("/ws", endpoint)]


extensions.register(_routes)
