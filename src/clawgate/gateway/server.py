"""Running the gateway: bind safety, uvicorn (uvloop + httptools), hot reload, drain on SIGTERM, pidfile."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import socket
import sys
from typing import Any, cast

import uvicorn

from clawgate import __version__
from clawgate import logs as log
from clawgate.call.runtime import Runtime
from clawgate.envsteps import generate_gateway_token, in_home, set_var
from clawgate.errors import ClawgateError
from clawgate.gateway.app import GatewayApp
from clawgate.gateway.pidfile import bind_host, is_loopback_host, remove_pidfile, write_pidfile
from clawgate.gateway.sockets import bind
from clawgate.gateway.token import resolve_gateway_token
from clawgate.paths import Paths, display_path


class GatewayServer(uvicorn.Server):
    """uvicorn's server plus a drain window: on SIGTERM stop accepting, let streams finish for
    `drain` seconds, then end the rest with an error event so no client hangs."""

    def __init__(self, config: uvicorn.Config, gateway: GatewayApp, drain: float) -> None:
        super().__init__(config)
        self.gateway = gateway
        self.drain = drain
        self._drain_started = False

    @contextlib.contextmanager
    def capture_signals(self) -> Any:
        # uvicorn re-raises the captured signal after shutdown (killing the process before our own cleanup:
        # flushing the store, removing the pidfile); the drain already handled it, so exit normally instead.
        with super().capture_signals():
            yield
            self._captured_signals.clear()

    on_listening: Any = None

    async def startup(self, sockets: Any = None) -> None:
        await super().startup(sockets)
        if self.on_listening is not None and not self.should_exit:
            self.on_listening()  # the pidfile exists before the first request can be answered

    def handle_exit(self, sig: int, frame: Any) -> None:
        if not self._drain_started:
            self._drain_started = True
            self.gateway.draining = True
            log.event(
                "gateway.draining",
                f"signal {sig}: draining for up to {self.drain:.0f}s",
                streams=len(self.gateway.streams),
            )
            loop = asyncio.get_event_loop()
            loop.call_soon_threadsafe(loop.call_later, self.drain, self._abort)
            from clawgate.gateway import extensions

            loop.call_soon_threadsafe(lambda: loop.create_task(extensions.draining(self.gateway)))
        super().handle_exit(sig, frame)

    def _abort(self) -> None:
        n = self.gateway.abort_streams()
        if n:
            log.event(
                "gateway.aborted_streams", f"ended {n} stream(s) or call(s) still open after the drain window"
            )


def prepare(
    paths: Paths, environ: dict[str, str], host: str | None = None, port: int | None = None
) -> tuple[Runtime, str, int]:
    """Load everything and check that it is safe to listen; raises ClawgateError with the reason."""
    rt = Runtime(paths, environ, cwd=None, warm=True)  # every reload resolves the agents' plans off the loop
    gw = rt.snapshot.config.gateway
    host = host or bind_host(gw.bind)
    port = port if port is not None else gw.port
    token = resolve_gateway_token(rt.snapshot)
    if token.error:
        rt.close()
        raise ClawgateError(
            f"cannot start: {token.error}",
            code="gateway.token_missing",
            owner="gateway_auth",
            next_steps=[
                generate_gateway_token(paths),
                "clawgate gateway run",
            ],
        )
    if not is_loopback_host(host) and token.mode != "token":
        rt.close()
        raise ClawgateError(
            f"refusing to listen on {host}:{port} without a gateway token: anyone who can reach this address "
            "could spend your provider credits",
            code="gateway.token_missing",
            owner="gateway_auth",
            next_steps=[
                generate_gateway_token(paths),
                "or keep the default: clawgate config set gateway.bind loopback",
            ],
        )
    return rt, host, port


def _check_port(host: str, port: int) -> None:
    bind(host, port).close()  # gateway.port_in_use before anything starts


async def _reload_loop(rt: Runtime, app: GatewayApp, interval: float) -> None:
    last_error: str | None = None
    while True:
        await asyncio.sleep(interval)
        try:
            changed = await asyncio.to_thread(rt.refresh)
        except Exception as exc:  # never let the watcher die
            log.event("config.reload_failed", f"{type(exc).__name__}: {exc}", level=40)
            continue
        if changed:
            app.on_reload()
            last_error = None
            log.event(
                "config.reloaded",
                "config, environment or credentials changed; new calls use them",
                reloads=rt.reloads,
            )
        elif rt.last_error is not None and str(rt.last_error) != last_error:
            last_error = str(rt.last_error)
            app.reload_error = last_error
            log.event(
                "config.rejected",
                f"the edited config was rejected; the last good config keeps serving: {last_error}",
                level=40,
                code=rt.last_error.code,
            )


def run(
    paths: Paths,
    environ: dict[str, str],
    host: str | None = None,
    port: int | None = None,
    console: bool = True,
    worker_fd: int | None = None,
    worker_of: int | None = None,
) -> int:
    """Run the gateway in the foreground until SIGINT/SIGTERM. Returns the exit status. As a worker of
    `gateway run --workers N` (gateway/workers.py) it serves the supervisor's listening socket `worker_fd`."""
    paths.ensure_home()  # a home that is a file is a clear error here, not a crash in the log set-up
    log.setup(paths.logs_dir, console=console)
    rt, host, port = prepare(paths, environ, host, port)
    sock = None
    if worker_fd is not None:
        sock = socket.socket(fileno=worker_fd)
    else:
        _check_port(host, port)
    cfg = rt.snapshot.config.gateway
    url = f"http://{host if ':' not in host else f'[{host}]'}:{port}"
    gateway = GatewayApp(rt, address=url)
    _lifecycle_hooks()
    gateway.extra = LazyRoutes(gateway)
    config = uvicorn.Config(
        gateway,
        host=host,
        port=port,
        loop="uvloop" if sys.platform != "win32" else "asyncio",
        http="httptools",
        # the websockets library is imported on the first upgrade, not at start-up
        ws=cast(Any, _websocket_protocol),
        lifespan="off",
        log_level="warning",
        access_log=False,
        server_header=False,
        timeout_graceful_shutdown=int(cfg.drain_seconds) + 5,
        timeout_keep_alive=30,
    )
    server = GatewayServer(config, gateway, cfg.drain_seconds)

    async def main() -> None:
        await rt.node.start()  # shared state: this process's lease, notifications from the others
        await gateway.auth.start()
        if rt.health_share is not None:
            await rt.health_share.start()
        reload_task = asyncio.create_task(_reload_loop(rt, gateway, cfg.reload_interval_seconds))
        if worker_of is None:
            server.on_listening = lambda: write_pidfile(paths, url, host, port, state=state_json(rt))
        else:
            watch = asyncio.create_task(_orphan_watch(server, worker_of))
        started = asyncio.create_task(_announce(server, paths, rt, url, host, port))
        from clawgate.gateway import extensions

        async def start_extensions() -> None:
            while not server.started:
                if server.should_exit:
                    return
                await asyncio.sleep(0.02)
            await extensions.started(gateway)

        ext_task = asyncio.create_task(start_extensions())
        try:
            await server.serve(sockets=[sock] if sock is not None else None)
        finally:
            reload_task.cancel()
            started.cancel()
            ext_task.cancel()
            if worker_of is not None:
                watch.cancel()
            await extensions.stopped(gateway)
            await rt.aclose()

    try:
        asyncio.run(main()) if sys.platform == "win32" else _run_uvloop(main)
    finally:
        if worker_of is None:
            with contextlib.suppress(Exception):
                remove_pidfile(paths)
        rt.close()
        log.event("gateway.stopped", "gateway stopped")
        log.shutdown()
    return 0


def state_json(rt: Runtime) -> dict[str, Any]:
    """Which engines this process shares state through (hosts only, never a password)."""
    return {"shared": rt.shared.describe(), "database": rt.store.status(), "worker": rt.node.worker}


async def _orphan_watch(server: GatewayServer, parent: int) -> None:
    """A worker whose supervisor is gone (killed) stops too, draining like on SIGTERM."""
    while os.getppid() == parent:
        await asyncio.sleep(1.0)
    log.event("gateway.orphaned", f"the supervisor (pid {parent}) is gone; this worker stops", level=30)
    import signal as _signal

    server.handle_exit(_signal.SIGTERM, None)


def _websocket_protocol(**kwargs: Any) -> Any:
    """uvicorn's sans-I/O websockets protocol for an upgraded connection. Made here, on the first WebSocket
    (the control UI's live view): a gateway that serves only model calls never loads the websockets library
    (~1.3 MB of a worker's memory)."""
    from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

    return WebSocketsSansIOProtocol(**kwargs)


def _run_uvloop(main: Any) -> None:
    import uvloop

    uvloop.run(main())


def _lifecycle_hooks() -> None:
    """What must start and stop with the gateway whether or not its other endpoints are ever asked for: the
    clients layer (access_hooks) and the agent service (sessions, cron: agents/service.py installs its hooks
    when imported). In this order, as when the route modules registered them: the clients layer starts first."""
    from importlib import import_module

    import_module("clawgate.gateway.access_hooks")
    import_module("clawgate.agents.service")


class LazyRoutes:
    """The non-model endpoints (status, models, UI, sessions, pairing, WebSocket: Starlette), built on the first
    request for one of them: a gateway that only serves model calls and `/healthz` never loads Starlette or the
    modules behind those endpoints (~0.9 MB of a worker's memory). Until then GET /healthz gets the same answer
    (the same body and headers) without them."""

    def __init__(self, gateway: GatewayApp) -> None:
        from clawgate.gateway.pidfile import health_body

        self.gateway = gateway
        self.app: Any = None
        self.health = health_body(gateway.rt.paths)  # what routes.py's /healthz answers too

    def build(self) -> Any:
        if self.app is None:
            from clawgate.gateway.routes import build_routes

            self.app = build_routes(self.gateway, _extra_routes(self.gateway))
        return self.app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if (
            self.app is None
            and scope["type"] == "http"
            and scope["path"] == "/healthz"
            and scope["method"] == "GET"
        ):
            body = self.health
            headers = [(b"content-length", str(len(body)).encode()), (b"content-type", b"application/json")]
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return
        await self.build()(scope, receive, send)


def _extra_routes(gateway: GatewayApp) -> list[Any]:
    """Routes added by later subsystems (UI, sessions); each module registers itself here."""
    from clawgate.gateway import (  # noqa: F401  (they register their routes)
        devices_api,
        extensions,
        sessions_api,
        ui_api,
        ws,
    )

    return extensions.routes(gateway)


async def _announce(server: GatewayServer, paths: Paths, rt: Runtime, url: str, host: str, port: int) -> None:
    while not server.started:
        await asyncio.sleep(0.02)
    # everything loaded at start-up is long-lived: keep it out of the garbage collector's way
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 50, 100)
    # the background writers (logs, SQLite) run Python code; with the default 5 ms switch interval a request
    # arriving while one of them works can wait that long for the GIL. 0.5 ms bounds it (the log writer also
    # lets go of the GIL every few events; docs/performance.md)
    sys.setswitchinterval(0.0005)
    snap = rt.snapshot

    def with_credential() -> list[str]:  # resolving credentials may run exec SecretRefs: not on the loop
        return [
            v.id for v in snap.catalog.providers.values() if snap.credentials(v, snap.main_agent()).winner
        ]

    usable = await asyncio.to_thread(with_credential)
    token = resolve_gateway_token(snap)
    lines = [
        f"clawgate {__version__} gateway listening on {url}",
        f"  home {display_path(paths.home)} · config {display_path(paths.config)}"
        + ("" if paths.config.exists() else " (not created yet: built-in defaults)"),
        f"  auth: {'token ' + (token.fingerprint or '') + ' from ' + token.source if token.mode == 'token' else 'none (loopback only)'}",
        f"  OpenAI base_url: {url}/v1   Anthropic base_url: {url}",
    ]
    if usable:
        lines.append(f"  providers with a credential: {', '.join(usable)}")
    else:
        lines.append("  no provider has a credential yet. Add one (picked up without a restart):")
        lines.append(f"    {set_var('OPENROUTER_API_KEY', paths)}   # writes {display_path(paths.env_file)}")
        lines.append(
            "    "
            + in_home(
                "clawgate config set agents.defaults.model.primary openrouter/moonshotai/kimi-k2.5", paths
            )
        )
    checks = ("clawgate doctor", "clawgate models status", "clawgate gateway status")
    lines.append("  check it: " + " · ".join(in_home(c, paths) for c in checks))
    log.event("gateway.started", "\n".join(lines), url=url, pid=os.getpid())
    _ = ClawgateError
