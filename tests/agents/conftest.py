"""Fixtures for the agent runtime: one provider emulator per worker, a home wired to it, the gateway in-process
(uvicorn on a free loopback port, in a thread, stopped by its handle) and as a real subprocess (for kill -9)."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from tests.support import ports
from tests.support.emulator import emulator_fixtures
from tests.support.gateway import GatewayProcess, spawn_gateway
from tests.support.ports import free_port
from tests.support.timing import limit

from clawgate.emulator import EmulatorThread

# Every key is fake. A test that drives a key into a rejected state uses its own home, so its state.db (and
# health) is its own.
OPENAI_KEY = "sk-test-agents-openai-000000000001"
GROQ_KEY = "gsk_test_agents_groq_0000000000001"
MAIN_PROFILE_KEY = "sk-test-agents-main-profile-00000001"
HELPER_PROFILE_KEY = "sk-test-agents-helper-profile-0000001"
WRONG_KEY = "sk-test-agents-wrong-000000000000001"
TOKEN = "agents-test-token-4c2f9a1e7b3d5f60"

EMU_KEYS = {"openai": [OPENAI_KEY, MAIN_PROFILE_KEY, HELPER_PROFILE_KEY], "groq": [GROQ_KEY]}


def wait_until(pred: Callable[[], Any], timeout: float = 10.0, interval: float = 0.02, what: str = "") -> Any:
    """`tests.support.ports.wait_until` with this suite's default interval, 20 ms (the shared default is 50 ms):
    the agent tests have always polled at that rate for states such as a run in flight."""
    return ports.wait_until(pred, timeout, interval, what)


emulator, emu = emulator_fixtures(EMU_KEYS)


def agent_config(emu: EmulatorThread, **extra: Any) -> dict[str, Any]:
    """openai and groq pointed at the emulator; agent `main` (default) on openai/gpt-4o and `helper`."""
    cfg: dict[str, Any] = {
        "models": {
            "providers": {
                "openai": {
                    "baseUrl": emu.base_url("openai"),
                    "models": [
                        {"id": "gpt-4o", "contextWindow": 128000},
                        {"id": "tiny", "contextWindow": 400},
                    ],
                },
                "groq": {"baseUrl": emu.base_url("groq")},
            }
        },
        "agents": {
            "defaults": {"model": {"primary": "openai/gpt-4o", "fallbacks": []}},
            "list": [{"id": "main", "default": True}, {"id": "helper"}],
        },
        "gateway": {"maxRetryWaitSeconds": 0, "reloadIntervalSeconds": 0.2, "drainSeconds": 1},
    }
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(cfg.get(key), dict):
            cfg[key] = {**cfg[key], **value}
        else:
            cfg[key] = value
    return cfg


def profiles(key: str, provider: str = "openai", name: str = "default") -> dict[str, Any]:
    return {
        "version": 1,
        "profiles": {f"{provider}:{name}": {"type": "api_key", "provider": provider, "key": key}},
    }


# -- SSE ------------------------------------------------------------------------------------------------


def sse_events(lines: Iterator[str]) -> Iterator[dict[str, Any]]:
    """Events of an SSE response (`event:` + `data:` JSON), as dicts."""
    data: list[str] = []
    for line in lines:
        if line.startswith("data:"):
            data.append(line[5:].strip())
        elif line == "" and data:
            yield json.loads("\n".join(data))
            data = []


# -- the gateway in-process ----------------------------------------------------------------------------


@dataclass
class Gw:
    """A gateway serving on 127.0.0.1:port from this process (uvicorn in a thread with its own loop)."""

    home: Any
    token: str | None = None
    port: int = 0
    rt: Any = None
    app: Any = None
    svc: Any = None
    server: Any = None
    loop: asyncio.AbstractEventLoop | None = None
    thread: threading.Thread | None = None
    error: list[BaseException] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def client(self, timeout: float = 20.0) -> httpx.Client:
        return httpx.Client(base_url=self.url, headers=self.headers(), timeout=timeout)

    def start(self) -> Gw:
        import uvicorn

        from clawgate.call.runtime import Runtime
        from clawgate.gateway import extensions, sessions_api, ws  # noqa: F401  (route registration)
        from clawgate.gateway.app import GatewayApp
        from clawgate.gateway.routes import build_routes
        from clawgate.paths import Paths

        env = self.home.env()
        self.port = free_port()
        self.rt = Runtime(Paths.discover(env), env, cwd=None)
        self.app = GatewayApp(self.rt, address=self.url)
        self.app.extra = build_routes(self.app, extensions.routes(self.app))
        self.svc = self.app.agents
        config = uvicorn.Config(
            self.app,
            host="127.0.0.1",
            port=self.port,
            loop="asyncio",
            http="httptools",
            ws="websockets-sansio",
            lifespan="off",
            log_level="warning",
            access_log=False,
            timeout_graceful_shutdown=2,
        )
        self.server = uvicorn.Server(config)
        ready = threading.Event()

        async def main() -> None:
            self.loop = asyncio.get_running_loop()
            serve = asyncio.ensure_future(self.server.serve())
            while not self.server.started and not serve.done():
                await asyncio.sleep(0.01)
            self.svc.ensure_started()
            ready.set()
            try:
                await serve
            finally:
                await self.svc.aclose()
                await self.rt.aclose()

        def run() -> None:
            try:
                asyncio.run(main())
            except BaseException as exc:  # surfaced by start()/stop()
                self.error.append(exc)
            finally:
                ready.set()

        self.thread = threading.Thread(target=run, name="agents-test-gateway", daemon=True)
        self.thread.start()
        if not ready.wait(limit(20)) or self.error or not self.server.started:
            self.stop()
            raise AssertionError(f"in-process gateway did not start: {self.error}")
        return self

    def call(self, fn: Callable[[], Any], timeout: float = 10.0) -> Any:
        """Run `fn()` (a coroutine function or plain function) on the gateway's loop and return its result."""
        assert self.loop is not None

        async def go() -> Any:
            out = fn()
            if asyncio.iscoroutine(out):
                out = await out
            return out

        return asyncio.run_coroutine_threadsafe(go(), self.loop).result(timeout)

    def stop(self) -> None:
        if self.server is not None:
            self.server.should_exit = True
        if self.thread is not None:
            self.thread.join(limit(20))
            assert not self.thread.is_alive(), "in-process gateway did not stop"
            self.thread = None
        if self.rt is not None:
            self.rt.close()
            self.rt = None

    # -- API helpers --

    def session(self, **body: Any) -> dict[str, Any]:
        r = httpx.post(self.url + "/api/sessions", json=body, headers=self.headers(), timeout=limit(10))
        assert r.status_code == 201, r.text
        return r.json()  # type: ignore[no-any-return]

    def post(self, sid: str, content: str, **body: Any) -> dict[str, Any]:
        r = httpx.post(
            f"{self.url}/api/sessions/{sid}/messages",
            json={"content": content, "stream": False, **body},
            headers=self.headers(),
            timeout=limit(30),
        )
        assert r.status_code == 200, r.text
        return r.json()  # type: ignore[no-any-return]

    def stream(self, sid: str, content: str, **body: Any) -> list[dict[str, Any]]:
        with httpx.stream(
            "POST",
            f"{self.url}/api/sessions/{sid}/messages",
            json={"content": content, **body},
            headers=self.headers(),
            timeout=limit(30),
        ) as r:
            assert r.status_code == 200, r.read()
            assert r.headers["content-type"].startswith("text/event-stream")
            return list(sse_events(r.iter_lines()))

    def show(self, sid: str) -> dict[str, Any]:
        r = httpx.get(f"{self.url}/api/sessions/{sid}", headers=self.headers(), timeout=limit(10))
        assert r.status_code == 200, r.text
        return r.json()  # type: ignore[no-any-return]

    def run(self, rid: str) -> dict[str, Any]:
        r = httpx.get(f"{self.url}/api/runs/{rid}", headers=self.headers(), timeout=limit(10))
        assert r.status_code == 200, r.text
        return r.json()  # type: ignore[no-any-return]

    def active_run(self, sid: str) -> str | None:
        return self.show(sid)["session"]["active_run_id"]  # type: ignore[no-any-return]


@pytest.fixture
def gateway(home: Any) -> Iterator[Callable[..., Gw]]:
    """`gateway(token=None)` starts an in-process gateway on the test's home (config written beforehand)."""
    started: list[Gw] = []

    def start(token: str | None = None) -> Gw:
        gw = Gw(home, token).start()
        started.append(gw)
        return gw

    try:
        yield start
    finally:
        for gw in started:
            gw.stop()


# -- the gateway as a subprocess -----------------------------------------------------------------------


GwProcess = GatewayProcess  # the suite's name for a gateway subprocess (it has `kill()` for kill -9)


@pytest.fixture
def gateway_process(home: Any) -> Iterator[Callable[..., GwProcess]]:
    """`gateway_process(token=None)` starts `clawgate gateway run` on the test's home (from its work dir)."""
    procs: list[GwProcess] = []

    def start(token: str | None = None) -> GwProcess:
        gw = spawn_gateway(home, token=token, cwd=home.work, extra_env={"PYTHONUNBUFFERED": "1"})
        procs.append(gw)
        return gw

    try:
        yield start
    finally:
        for gw in procs:
            gw.stop()
