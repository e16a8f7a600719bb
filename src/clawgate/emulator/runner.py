"""Running the emulator: `Emulator` on the current loop, `EmulatorThread` for sync tests, `serve()` for the CLI."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import signal
import socket
import threading
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any, TypeVar

from aiohttp import web

from .dialects import resolve
from .faults import Fault, FaultRule, Match
from .log import RequestRecord
from .oauth import OAuthState
from .server import EmulatorApp

T = TypeVar("T")
SHUTDOWN_TIMEOUT = 0.25  # seconds in-flight handlers (hangs, long delays) get before they are cancelled


class _Controls:
    """The state API shared by `Emulator` and `EmulatorThread`: URLs, faults and the request log."""

    _app: EmulatorApp
    host: str
    port: int

    # URLs ------------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        """The server root, e.g. `http://127.0.0.1:PORT`."""
        if not self.port:
            raise RuntimeError("the emulator is not started")
        return f"http://{self.host}:{self.port}"

    def base_url(self, dialect: str, region: str | None = None) -> str:
        """The baseUrl a client uses for `dialect` (e.g. "openai", "dashscope:intl", ("moonshot", "cn"))."""
        name, region = resolve(dialect, region)
        for mount in self._app.mounts:
            if mount.dialect.name == name and mount.region == region:
                return self.url + mount.prefix
        raise ValueError(f"no mount for {dialect!r}")  # pragma: no cover - resolve() guarantees one

    def base_urls(self) -> dict[str, str]:
        """Every mount's baseUrl, keyed "openai", "dashscope:intl", ..."""
        return {m.label: self.url + m.prefix for m in self._app.mounts}

    # Faults ----------------------------------------------------------------------------------
    def add_faults(self, *rules: FaultRule | Mapping[str, Any]) -> None:
        """Append rules (FaultRule or JSON-shaped dicts) to the script."""
        self._app.script.add(rules)

    def set_faults(self, rules: Iterable[FaultRule | Mapping[str, Any]]) -> None:
        """Replace the whole script."""
        self._app.script.replace(rules)

    def add_fault(
        self,
        kind: str,
        *,
        times: int | None = 1,
        dialect: str | None = None,
        region: str | None = None,
        path_suffix: str | None = None,
        model: str | None = None,
        key: str | None = None,
        stream: bool | None = None,
        **params: Any,
    ) -> FaultRule:
        """Append one rule: `emu.add_fault("rate_limit", dialect="openai", retry_after=2)`."""
        rule = FaultRule(
            fault=Fault.from_value({"kind": kind, **params}),
            match=Match(dialect, region, path_suffix, model, key, stream),
            times=times,
        )
        self._app.script.add([rule])
        return rule

    def clear_faults(self) -> None:
        self._app.script.clear()

    @property
    def faults(self) -> list[FaultRule]:
        """The rules still in the script (with their remaining `times`)."""
        return self._app.script.rules()

    def reset(self) -> None:
        """Clear the fault script, the request log and the OAuth servers' counters."""
        self._app.script.clear()
        self._app.log.clear()
        self._app.oauth.reset()
        self._app.prompt_cache.reset()

    # Request log -----------------------------------------------------------------------------
    @property
    def requests(self) -> list[RequestRecord]:
        """A snapshot of the request log, oldest first (control-plane requests are not logged)."""
        return self._app.log.records()

    def requests_for(
        self,
        dialect: str | None = None,
        path_suffix: str | None = None,
        **filters: Any,
    ) -> list[RequestRecord]:
        """Records filtered by dialect, path suffix and `region=`, `endpoint=`, `model=`, `method=`, `where=`."""
        return self._app.log.filter(dialect, path_suffix, **filters)

    @property
    def last_request(self) -> RequestRecord | None:
        records = self._app.log.records()
        return records[-1] if records else None

    @property
    def oauth(self) -> OAuthState:
        """The OAuth servers' state: issue tokens, expire them, count refreshes (see emulator.oauth)."""
        return self._app.oauth

    @property
    def keys(self) -> dict[str, list[str]]:
        return self._app.keyring.scopes()


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(1024)
    sock.setblocking(False)
    return sock


class Emulator(_Controls):
    """The emulator on the running event loop: `async with Emulator(keys=...) as emu: ...`.

    keys: valid keys per scope (`"openai"`, `"dashscope:intl"`, `"moonshot:cn"`, ...); a dialect without keys
    accepts any non-empty key. chunks: default content chunks per stream. log_size: request-log ring size.
    capture_bodies: keep parsed request bodies in the log. models: per-dialect model lists for `/models`.
    faults: an initial fault script.
    """

    def __init__(
        self,
        keys: Mapping[str, Iterable[str] | str] | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        chunks: int = 5,
        log_size: int = 1000,
        capture_bodies: bool = True,
        models: Mapping[str, list[str]] | None = None,
        faults: Iterable[FaultRule | Mapping[str, Any]] = (),
    ) -> None:
        self._app = EmulatorApp(
            keys, chunks=chunks, log_size=log_size, capture_bodies=capture_bodies, models=models
        )
        self._app.script.add(faults)
        self.host = host
        self._requested_port = port
        self.port = 0
        self._runner: web.AppRunner | None = None

    async def start(self) -> str:
        """Bind and listen; returns the root URL. The server is ready when this returns."""
        if self._runner is not None:
            raise RuntimeError("the emulator is already started")
        sock = _bind(self.host, self._requested_port)
        self.port = sock.getsockname()[1]
        self._app.stopping = False
        runner = web.AppRunner(
            self._app.build(),
            access_log=None,
            handler_cancellation=True,
            shutdown_timeout=SHUTDOWN_TIMEOUT,
        )
        await runner.setup()
        try:
            await web.SockSite(runner, sock).start()
        except BaseException:
            await runner.cleanup()
            sock.close()
            raise
        self._runner = runner
        return self.url

    async def stop(self) -> None:
        """Stop listening and end in-flight requests (hung ones are cut)."""
        runner, self._runner = self._runner, None
        if runner is None:
            return
        self._app.stopping = True
        await runner.cleanup()

    async def __aenter__(self) -> Emulator:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def wait_for(self, predicate: Callable[[], T], timeout: float = 5.0, interval: float = 0.005) -> T:
        """Poll `predicate()` on this loop until it is truthy (returned) or `timeout` passes (TimeoutError)."""
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() >= deadline:
                raise TimeoutError(_timeout_message(self, timeout))
            await asyncio.sleep(interval)


def _timeout_message(emu: _Controls, timeout: float) -> str:
    tail = [f"{r.method} {r.path} -> {r.status} fault={r.fault_kind}" for r in emu.requests[-5:]]
    return f"condition not met within {timeout}s; last requests: {tail or 'none'}"


def _new_loop() -> asyncio.AbstractEventLoop:
    try:
        import uvloop

        return uvloop.new_event_loop()
    except ImportError:  # pragma: no cover - uvloop is a dependency on POSIX
        return asyncio.new_event_loop()


class EmulatorThread(_Controls):
    """The emulator on its own event-loop thread, for synchronous tests: `with EmulatorThread(...) as emu:`.

    Takes the same arguments as `Emulator`, plus `uvloop` (use uvloop when installed, default True).
    """

    def __init__(
        self, keys: Mapping[str, Iterable[str] | str] | None = None, *, uvloop: bool = True, **options: Any
    ):
        self._emu = Emulator(keys, **options)
        self._app = self._emu._app
        self.host = self._emu.host
        self.port = 0
        self._use_uvloop = uvloop
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    def start(self, timeout: float = 10.0) -> str:
        """Start the server thread; returns the root URL once the socket is listening."""
        if self._thread is not None:
            raise RuntimeError("the emulator thread is already started")
        loop = _new_loop() if self._use_uvloop else asyncio.new_event_loop()
        ready = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(self._emu.start())
            except BaseException as exc:
                failure.append(exc)
                ready.set()
                loop.close()
                return
            ready.set()
            try:
                loop.run_forever()
            finally:
                loop.run_until_complete(self._emu.stop())
                loop.run_until_complete(loop.shutdown_asyncgens())
                loop.close()

        self._loop = loop
        self._thread = threading.Thread(target=run, name="clawgate-emulator", daemon=True)
        self._thread.start()
        if not ready.wait(timeout):
            raise TimeoutError(f"emulator did not start within {timeout}s")
        if failure:
            self._thread.join()
            self._thread = self._loop = None
            raise failure[0]
        self.port = self._emu.port
        return self.url

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the server and join its thread."""
        thread, loop = self._thread, self._loop
        if thread is None or loop is None:
            return
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout)
        if thread.is_alive():
            raise TimeoutError(f"emulator thread did not stop within {timeout}s")
        self._thread = self._loop = None

    def __enter__(self) -> EmulatorThread:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def call(self, coro: Awaitable[T], timeout: float = 10.0) -> T:
        """Run a coroutine on the emulator's loop and return its result."""
        if self._loop is None:
            raise RuntimeError("the emulator thread is not started")
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)  # type: ignore[arg-type]

    def wait_for(self, predicate: Callable[[], T], timeout: float = 5.0, interval: float = 0.005) -> T:
        """Poll `predicate()` until it is truthy (returned) or `timeout` passes (TimeoutError)."""
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() >= deadline:
                raise TimeoutError(_timeout_message(self, timeout))
            time.sleep(interval)


def serve(
    host: str = "127.0.0.1",
    port: int = 0,
    keys: Mapping[str, Iterable[str] | str] | None = None,
    *,
    out: Callable[[str], None] | None = None,
    use_uvloop: bool = True,
    **options: Any,
) -> None:
    """Run the emulator in the foreground until SIGINT/SIGTERM, printing each dialect's baseUrl first.

    `options` are those of `Emulator` (chunks, log_size, capture_bodies, models, faults).
    """
    emit = out or (lambda line: print(line, flush=True))

    async def main() -> None:
        emu = Emulator(keys, host=host, port=port, **options)
        await emu.start()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, stop.set)
        emit(f"clawgate emulator listening on {emu.url}")
        width = max(len(label) for label in emu.base_urls())
        for label, url in emu.base_urls().items():
            emit(f"  {label:<{width}}  {url}")
        emit(f"  {'control':<{width}}  {emu.url}/_emulator/ (health, faults, requests, reset)")
        # This process only serves the emulator: move startup objects out of the collector's way and collect
        # less often, which keeps the tail latency of a benchmark upstream low.
        gc.collect()
        gc.freeze()
        gc.set_threshold(50_000, *gc.get_threshold()[1:])
        try:
            await stop.wait()
        finally:
            await emu.stop()

    loop = _new_loop() if use_uvloop else asyncio.new_event_loop()
    try:
        loop.run_until_complete(main())
    finally:
        loop.close()
