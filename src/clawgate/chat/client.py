"""A small async client (aiohttp) for the gateway's sessions API and its WebSocket (docs/sessions-api.md).

Every failure leaves as a `ChatError` with an owner, a code and the next command: the gateway not answering
(`runtime gateway.not_running`), a refused gateway token (`gateway_auth gateway.token_mismatch`, with the
fingerprint of the token this client sent — a clawgate token, never a provider key), or the error envelope the
gateway answered with.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp

from clawgate.chat.target import Target
from clawgate.errors import ClawgateError

# A chat reply may legitimately take minutes between bytes (the gateway's watchdog bounds a run, not us).
_STREAM_TIMEOUT = aiohttp.ClientTimeout(total=None, connect=5, sock_connect=5, sock_read=None)
_CALL_TIMEOUT = aiohttp.ClientTimeout(total=30, connect=5, sock_connect=5)

EXIT_FAILED = 1
EXIT_NOT_RUNNING = 3


class ChatError(ClawgateError):
    """A chat surface's failure: owner, code, message, next steps (and the exit status for line mode)."""

    exit_code = EXIT_FAILED

    def __init__(
        self,
        message: str,
        *,
        code: str,
        owner: str,
        next_steps: list[str] | tuple[str, ...] = (),
        exit_code: int | None = None,
        status: int | None = None,
    ) -> None:
        super().__init__(message, code=code, owner=owner, next_steps=next_steps)
        if exit_code is not None:
            self.exit_code = exit_code
        self.status = status

    def as_event(self) -> dict[str, Any]:
        """The `run.error`-shaped dict the surfaces render."""
        return {
            "owner": self.owner,
            "code": self.code,
            "message": self.message,
            "next": list(self.next_steps),
        }


def not_running(target: Target, detail: str = "") -> ChatError:
    return ChatError(
        f"no gateway answers at {target.url} (from {target.url_from})" + (f": {detail}" if detail else ""),
        code="gateway.not_running",
        owner="runtime",
        next_steps=["clawgate gateway start", "clawgate gateway status"],
        exit_code=EXIT_NOT_RUNNING,
    )


_TOKEN_CODES = ("gateway.token_missing", "gateway.token_mismatch", "gateway.locked_out")
# refusals of a paired device's token: each has its own fix (pair, re-pair), given by the gateway
_DEVICE_CODES = ("gateway.pairing_required", "gateway.device_token_mismatch", "gateway.device_revoked")


def auth_error(
    target: Target, code: str | None, server_message: str = "", server_next: list[str] | None = None
) -> ChatError:
    """The gateway refused this client's token (or wanted one): a gateway_auth problem, not a provider's."""
    if code in _DEVICE_CODES:
        return ChatError(
            f"the gateway at {target.url} refused this device ({target.describe_token()})"
            + (f" — {server_message}" if server_message else ""),
            code=code,
            owner="gateway_auth",
            next_steps=[s.replace("GATEWAY_URL", target.url) for s in (server_next or [])]
            or [f"clawgate devices pair --url {target.url}"],
        )
    code = code if code in _TOKEN_CODES else None
    if code is None:
        code = "gateway.token_mismatch" if target.token else "gateway.token_missing"
    if code == "gateway.token_missing" and not target.token:
        sent = f"this CLI sent no token ({target.describe_token()})"
    else:
        sent = f"this CLI sent {target.describe_token()}"
    msg = f"the gateway at {target.url} refused the gateway token: {sent}"
    if server_message:
        msg += f" — {server_message}"
    from clawgate.gateway.token import COMPARE_STEP

    steps = [
        COMPARE_STEP,
        "set CLAWGATE_GATEWAY_TOKEN (or gateway.auth.token) to the gateway's token",
    ]
    if not target.token:
        steps.append(f"or pair this machine: clawgate devices pair --url {target.url}")
    return ChatError(msg, code=code, owner="gateway_auth", next_steps=steps)


def _error_fields(body: Any) -> dict[str, Any]:
    """owner/code/message/next out of any of the gateway's error envelopes (OpenAI-, Anthropic-style, flat)."""
    if not isinstance(body, dict):
        return {}
    err = body.get("error", body)
    if not isinstance(err, dict):
        return {"message": str(err)}
    return err


def next_list(err: dict[str, Any]) -> list[str]:
    steps = err.get("next_steps")
    if isinstance(steps, list) and steps:
        return [str(s) for s in steps]
    nxt = err.get("next")
    if isinstance(nxt, list):
        return [str(s) for s in nxt]
    if isinstance(nxt, str) and nxt:
        return [nxt]
    return []


def _http_error(target: Target, status: int, body: Any, what: str) -> ChatError:
    err = _error_fields(body)
    code = str(err.get("code") or "")
    owner = str(err.get("owner") or "")
    message = str(err.get("message") or "").strip()
    if status == 401 or owner == "gateway_auth":
        return auth_error(target, code, message, next_list(err))
    if status == 404 and (not owner or message.startswith("no route")):
        return ChatError(
            f"the gateway at {target.url} has no sessions API ({what} answered 404); it is older than this CLI",
            code="gateway.no_sessions_api",
            owner="runtime",
            next_steps=["clawgate gateway restart", "clawgate gateway status"],
        )
    return ChatError(
        message or f"{what} answered HTTP {status}",
        code=code or "gateway.error",  # an answer without clawgate's fields: say so, do not guess an owner
        owner=owner or "runtime",
        next_steps=next_list(err) or ["clawgate logs --limit 20"],
        status=status,
    )


def _disconnected(target: Target, exc: BaseException) -> ChatError:
    return ChatError(
        f"the connection to the gateway at {target.url} broke ({type(exc).__name__}: {exc})",
        code="gateway.disconnected",
        owner="runtime",
        next_steps=["clawgate gateway status", "clawgate logs --limit 20"],
    )


async def _json_body(resp: aiohttp.ClientResponse) -> Any:
    raw = await resp.read()
    try:
        return json.loads(raw or b"null")
    except ValueError:
        return {"message": raw.decode("utf-8", "replace")[:300]}


async def iter_sse(resp: aiohttp.ClientResponse) -> AsyncIterator[dict[str, Any]]:
    """`event:` + `data:` blocks as dicts with `type` set (from the event line when the data lacks it)."""
    event: str | None = None
    data: list[str] = []
    async for raw in resp.content:
        line = raw.decode("utf-8", "replace").rstrip("\r\n")
        if not line:
            if data:
                payload = "\n".join(data)
                try:
                    obj = json.loads(payload)
                except ValueError:
                    obj = {"text": payload}
                if not isinstance(obj, dict):
                    obj = {"data": obj}
                if event and not obj.get("type"):
                    obj["type"] = event
                yield obj
            event, data = None, []
            continue
        if line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if name == "event":
            event = value.strip()
        elif name == "data":
            data.append(value)


class GatewayClient:
    """HTTP calls to one gateway; `connect_ws()` opens the event socket. Use as an async context manager."""

    def __init__(self, target: Target) -> None:
        self.target = target
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> GatewayClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            # trust_env=False: a proxy variable must never route a loopback gateway call elsewhere
            self._session = aiohttp.ClientSession(timeout=_CALL_TIMEOUT, trust_env=False)
        return self._session

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.target.token}"} if self.target.token else {}

    async def request(self, method: str, path: str, body: Any = None, params: Any = None) -> Any:
        url = self.target.url + path
        try:
            async with self.http.request(
                method, url, json=body, params=params, headers=self.headers()
            ) as resp:
                data = await _json_body(resp)
                if resp.status >= 400:
                    raise _http_error(self.target, resp.status, data, f"{method} {path}")
                return data
        except ChatError:
            raise
        except aiohttp.ClientConnectorError as exc:
            raise not_running(self.target, str(getattr(exc, "os_error", "") or "")) from None
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            raise _disconnected(self.target, exc) from None

    # ------------------------------------------------------------------------------------- sessions

    async def create_session(
        self, agent: str | None = None, model: str | None = None, title: str | None = None
    ) -> dict[str, Any]:
        body = {k: v for k, v in (("agent", agent), ("model", model), ("title", title)) if v}
        data = await self.request("POST", "/api/sessions", body)
        return data.get("session", data) if isinstance(data, dict) else {}

    async def get_session(self, session_id: str) -> dict[str, Any]:
        """`{"session": Session, "messages": [...], "runs": [...]}`."""
        data = await self.request("GET", f"/api/sessions/{session_id}")
        return data if isinstance(data, dict) else {}

    async def list_sessions(self, agent: str | None = None, limit: int | None = None) -> list[dict[str, Any]]:
        params = {k: str(v) for k, v in (("agent", agent), ("limit", limit)) if v}
        data = await self.request("GET", "/api/sessions", params=params or None)
        return list(data.get("sessions", [])) if isinstance(data, dict) else []

    async def stop(self, session_id: str) -> str | None:
        data = await self.request("POST", f"/api/sessions/{session_id}/stop", {})
        return data.get("stopped") if isinstance(data, dict) else None

    async def send(
        self, session_id: str, content: str, mode: str | None = None
    ) -> AsyncIterator[dict[str, Any]]:
        """Post a message and yield the run's events (SSE) until the gateway ends the stream."""
        body: dict[str, Any] = {"content": content, "stream": True}
        if mode:
            body["mode"] = mode
        path = f"/api/sessions/{session_id}/messages"
        try:
            async with self.http.post(
                self.target.url + path,
                json=body,
                headers={**self.headers(), "Accept": "text/event-stream"},
                timeout=_STREAM_TIMEOUT,
            ) as resp:
                if resp.status >= 400:
                    raise _http_error(self.target, resp.status, await _json_body(resp), f"POST {path}")
                ctype = resp.headers.get("content-type", "")
                if "text/event-stream" not in ctype:
                    # a non-streamed answer ({"run", "message"}) — render it as the equivalent events
                    for ev in _events_from_json(session_id, await _json_body(resp)):
                        yield ev
                    return
                async for ev in iter_sse(resp):
                    yield ev
        except ChatError:
            raise
        except aiohttp.ClientConnectorError as exc:
            raise not_running(self.target, str(getattr(exc, "os_error", "") or "")) from None
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            raise _disconnected(self.target, exc) from None

    # ------------------------------------------------------------------------------------ websocket

    async def connect_ws(self, client: str = "tui") -> WsConnection:
        """Open `/ws`, send the connect frame with the token, and wait for `connected`."""
        try:
            ws = await self.http.ws_connect(
                self.target.ws_url, heartbeat=20, timeout=aiohttp.ClientWSTimeout(ws_close=5)
            )
        except aiohttp.WSServerHandshakeError as exc:
            if exc.status == 401:
                raise auth_error(self.target, None, exc.message) from None
            raise ChatError(
                f"the gateway at {self.target.url} refused the WebSocket (HTTP {exc.status}: {exc.message})",
                code="gateway.ws_refused" if exc.status != 404 else "gateway.no_sessions_api",
                owner="runtime",
                next_steps=["clawgate gateway restart", "clawgate gateway status"],
            ) from None
        except aiohttp.ClientConnectorError as exc:
            raise not_running(self.target, str(getattr(exc, "os_error", "") or "")) from None
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            raise _disconnected(self.target, exc) from None
        conn = WsConnection(self.target, ws)
        frame: dict[str, Any] = {"type": "connect", "client": client}
        if self.target.token:
            frame["token"] = self.target.token
        try:
            await conn.send(frame)
            first = await asyncio.wait_for(conn.receive(), timeout=10)
        except BaseException:
            await conn.close()
            raise
        if first is None or first.get("type") != "connected":
            await conn.close()
            raise ChatError(
                f"the gateway answered the connect frame with {first!r}",
                code="gateway.ws_protocol",
                owner="runtime",
                next_steps=["clawgate gateway restart"],
            )
        conn.hello = first
        return conn


class WsConnection:
    """An open, authenticated `/ws`: `send(frame)`, `receive()` (None when closed), async iteration."""

    def __init__(self, target: Target, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.target = target
        self.ws = ws
        self.hello: dict[str, Any] = {}

    @property
    def closed(self) -> bool:
        return self.ws.closed

    async def send(self, frame: dict[str, Any]) -> None:
        try:
            await self.ws.send_str(json.dumps(frame))
        except (aiohttp.ClientError, ConnectionError, RuntimeError) as exc:
            raise _disconnected(self.target, exc) from None

    async def receive(self) -> dict[str, Any] | None:
        """The next JSON frame; None on a normal close; ChatError on a policy close (1008) or a broken link."""
        while True:
            msg = await self.ws.receive()
            if msg.type == aiohttp.WSMsgType.TEXT:
                try:
                    obj = json.loads(msg.data)
                except ValueError:
                    continue
                if isinstance(obj, dict):
                    return obj
                continue
            if msg.type == aiohttp.WSMsgType.BINARY:
                continue
            if msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSING, aiohttp.WSMsgType.CLOSED):
                code = self.ws.close_code
                if msg.type == aiohttp.WSMsgType.CLOSE:
                    code = msg.data
                reason = str(msg.extra or "") if msg.type == aiohttp.WSMsgType.CLOSE else ""
                if code == 1008:
                    raise self._policy_error(reason)
                return None
            if msg.type == aiohttp.WSMsgType.ERROR:
                raise _disconnected(self.target, self.ws.exception() or ConnectionError("websocket error"))

    def _policy_error(self, reason: str) -> ChatError:
        code = reason.split(":", 1)[0].split()[0] if reason.strip() else ""
        if code in _TOKEN_CODES or code in _DEVICE_CODES:
            return auth_error(self.target, code or None, reason)
        return ChatError(
            f"the gateway closed the WebSocket (1008 {reason or 'policy violation'})",
            code=code or "gateway.ws_policy",
            owner="gateway_auth" if "TOKEN" in reason.upper() else "runtime",
            next_steps=["clawgate gateway status"],
        )

    async def close(self) -> None:
        if not self.ws.closed:
            await self.ws.close()

    def __aiter__(self) -> WsConnection:
        return self

    async def __anext__(self) -> dict[str, Any]:
        frame = await self.receive()
        if frame is None:
            raise StopAsyncIteration
        return frame


def _events_from_json(session_id: str, data: Any) -> list[dict[str, Any]]:
    """`{"run": Run, "message": Message}` (a non-streamed answer) as the events a stream would have carried."""
    if not isinstance(data, dict):
        return []
    run = data.get("run") or {}
    msg = data.get("message") or {}
    rid = run.get("id") or msg.get("run_id")
    out: list[dict[str, Any]] = []
    if msg.get("content"):
        out.append({"type": "token", "session_id": session_id, "run_id": rid, "text": msg["content"]})
    err = run.get("error") or msg.get("error")
    if err:
        out.append({"type": "run.error", "session_id": session_id, "run_id": rid, **err})
    out.append(
        {
            "type": "run.finished",
            "session_id": session_id,
            "run_id": rid,
            "status": run.get("status") or msg.get("status"),
            "usage": run.get("usage"),
            "ref": run.get("ref"),
        }
    )
    return out
