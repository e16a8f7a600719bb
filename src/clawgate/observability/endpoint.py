"""`GET /metrics`: on the gateway's own address (a plain ASGI handler, like the model endpoints), or on a listener
of its own when `observability.metrics.listen` is set (aiohttp's server on the gateway's loop). Either way the
gateway token is checked as for `/api/status` unless `observability.metrics.requireToken` is false. The
exposition is built in a worker thread: the credential health gauge may resolve credentials (exec SecretRefs)
and must never stall the event loop."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from clawgate.failures import Failure
from clawgate.gateway.errors import error_response, request_error

Send = Callable[[dict[str, Any]], Awaitable[None]]
PATH = "/metrics"


def _denied(gw: Any, headers: dict[bytes, bytes], peer: str | None) -> Failure | None:
    if not gw.rt.snapshot.config.observability.metrics.require_token:
        return None
    denied: Failure | None = gw.auth.check(headers, peer, allow_cookie=False)
    return denied


async def _exposition(gw: Any, accept: str | None) -> tuple[bytes, str]:
    metrics = gw.obs.metrics
    await metrics.refresh()  # the shared health, read on the loop that holds the shared-state connection
    return await asyncio.to_thread(metrics.render, accept)


async def serve_asgi(gw: Any, scope: Mapping[str, Any], send: Send) -> None:
    """The handler mounted at /metrics on the gateway's own address."""
    headers = dict(scope["headers"])
    if scope["method"] not in ("GET", "HEAD"):
        await _send_failure(send, request_error(f"{PATH} accepts GET only, not {scope['method']}"), 405)
        return
    client = scope.get("client")
    denied = _denied(gw, headers, client[0] if client else None)
    if denied is not None:
        await _send_failure(send, denied)
        return
    if gw.obs is None or gw.obs.metrics is None:
        await _send_failure(send, _disabled(), 404)
        return
    accept = headers.get(b"accept")
    body, ctype = await _exposition(gw, accept.decode("latin-1") if accept else None)
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", ctype.encode()), (b"cache-control", b"no-store")],
        }
    )
    await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body})


def _disabled() -> Failure:
    f = request_error("metrics are off (observability.metrics.enabled is false)", code="request.not_found")
    f.next_steps = ["clawgate config set observability.metrics.enabled true"]
    return f


async def _send_failure(send: Send, f: Failure, status: int | None = None) -> None:
    status, headers, body = error_response(f, "openai-completions", status)
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class Listener:
    """`/metrics` on `observability.metrics.listen` (HOST:PORT), nothing else on that address."""

    def __init__(self, gw: Any, listen: str) -> None:
        host, _, port = listen.rpartition(":")
        self.gw = gw
        self.host = host.strip("[]")
        self.port = int(port)
        self._runner: Any = None

    async def start(self) -> None:
        from aiohttp import web

        async def handle(request: web.Request) -> web.StreamResponse:
            headers = {k.lower().encode("latin-1"): v.encode("latin-1") for k, v in request.headers.items()}
            denied = _denied(self.gw, headers, request.remote)
            if denied is not None:
                status, hdrs, body = error_response(denied, "openai-completions")
                return web.Response(
                    body=body, status=status, headers={k.decode(): v.decode() for k, v in hdrs}
                )
            data, ctype = await _exposition(self.gw, request.headers.get("accept"))
            resp = web.Response(body=data, headers={"content-type": ctype, "cache-control": "no-store"})
            return resp

        app = web.Application()
        app.router.add_get(PATH, handle)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        # workers of one gateway (PROMETHEUS_MULTIPROC_DIR) share the port; each answers for all of them
        shared = bool(self.gw.obs.metrics.mp_dir)
        await web.TCPSite(self._runner, self.host, self.port, reuse_port=shared or None).start()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None


# -- the gateway's lifecycle: the separate listener, and flushing spans at shutdown -------------------------

_LISTENERS: dict[int, Listener] = {}


def listening(gw: Any) -> bool:
    """Is the separate /metrics listener of this gateway up (`observability.metrics.listen`)?"""
    return id(gw) in _LISTENERS


async def _on_start(gw: Any) -> None:
    obs = getattr(gw, "obs", None)
    listen = gw.rt.snapshot.config.observability.metrics.listen
    if obs is None or obs.metrics is None or not listen:
        return
    from clawgate import logs as log

    listener = Listener(gw, listen)
    try:
        await listener.start()
    except OSError as exc:
        log.event(
            "observability.listen_failed",
            f"cannot serve /metrics on {listen} (observability.metrics.listen): {exc.strerror or exc}; the "
            "gateway serves on without it",
            level=40,
            next="pick a free address: clawgate config set observability.metrics.listen 127.0.0.1:9464",
        )
        return
    _LISTENERS[id(gw)] = listener
    log.event("observability.metrics_listening", f"/metrics on http://{listen}{PATH}", listen=listen)


async def _on_stop(gw: Any) -> None:
    listener = _LISTENERS.pop(id(gw), None)
    if listener is not None:
        await listener.stop()
    obs = getattr(gw, "obs", None)
    if obs is not None:
        await asyncio.to_thread(obs.shutdown)  # export the spans still queued (bounded by the OTLP timeout)


_registered: list[bool] = []


def register_lifecycle() -> None:
    """Hook the listener and the span flush into the gateway's start and stop (once per process)."""
    if _registered:
        return
    from clawgate.gateway import extensions

    extensions.on_start(_on_start)
    extensions.on_stop(_on_stop)
    _registered.append(True)
