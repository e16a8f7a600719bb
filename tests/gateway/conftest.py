"""Fixtures for the gateway tests: one provider emulator per worker, throwaway homes, and gateway
subprocesses (`python -m clawgate gateway run`) that are always stopped by their own handle."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from clawgate.emulator import EmulatorThread

# Every key is fake. Each provider that a test drives into a credential-wide health state (rejected,
# blocked) gets its own key, so one test's failure never cools down another test's provider.
OPENAI_KEY = "sk-test-openai-gw-000000000001"
ANTHROPIC_KEY = "sk-ant-api03-test-gw-00000001"
OPENROUTER_KEY = "sk-or-v1-test-gw-0000000000000001"
GROQ_KEY = "gsk_test_gw_good_000000000001"
GROQ_WRONG_KEY = "gsk_test_gw_wrong_00000000001"
DEEPSEEK_KEY = "sk-test-deepseek-gw-000000001"
TOKEN = "gw-test-token-5b1e0c9a7d3f4e2a"
CANARY = "sk-test-CANARY-7f3a9c1e5b2d4f60"

EMU_KEYS = {
    "openai": [OPENAI_KEY],
    "anthropic": [ANTHROPIC_KEY],
    "openrouter": [OPENROUTER_KEY],
    "groq": [GROQ_KEY],
    "deepseek": [DEEPSEEK_KEY],
}

_SCRUB = (
    "CLAWGATE_HOME",
    "CLAWGATE_CONFIG",
    "CLAWGATE_GATEWAY_TOKEN",
    "OPENAI_API_KEY",
    "ANTHROPIC_API_KEY",
    "ANTHROPIC_OAUTH_TOKEN",
    "OPENROUTER_API_KEY",
    "GROQ_API_KEY",
    "DASHSCOPE_API_KEY",
    "MODELSTUDIO_API_KEY",
    "QWEN_API_KEY",
    "MOONSHOT_API_KEY",
    "KIMI_API_KEY",
    "DEEPSEEK_API_KEY",
    "GEMINI_API_KEY",
    "GOOGLE_API_KEY",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
    "NO_PROXY",
    "no_proxy",
)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until(pred: Callable[[], Any], timeout: float = 10.0, interval: float = 0.05, what: str = "") -> Any:
    """Poll `pred` until it returns something truthy; fail with `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = pred()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what or pred}")
        time.sleep(interval)


@dataclass
class GwHome:
    """A clawgate state dir (CLAWGATE_HOME) with helpers to write its files."""

    path: Path

    @property
    def config_path(self) -> Path:
        return self.path / "clawgate.json"

    def config(self, data: dict[str, Any] | str) -> Path:
        p = self.config_path
        text = data if isinstance(data, str) else json.dumps(data, indent=2)
        # write then rename, as editors do: the gateway never reads half a file
        tmp = p.with_suffix(".tmp")
        tmp.write_text(text)
        os.replace(tmp, p)
        return p

    def dotenv(self, text: str) -> Path:
        p = self.path / ".env"
        p.write_text(text)
        p.chmod(0o600)
        return p

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in _SCRUB}
        env["CLAWGATE_HOME"] = str(self.path)
        env["PYTHONUNBUFFERED"] = "1"
        env.update(extra)
        return env


def make_home(base: Path, name: str = "cghome") -> GwHome:
    p = base / name
    p.mkdir(mode=0o700, parents=True)
    return GwHome(p)


def run_cli(home: GwHome, *args: str, timeout: float = 30.0, **env: str) -> subprocess.CompletedProcess[str]:
    """`clawgate ARGS` as a subprocess with the home's environment."""
    return subprocess.run(
        [sys.executable, "-m", "clawgate", *args],
        env=home.env(**env),
        cwd=str(home.path),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@dataclass
class Gateway:
    """A running `clawgate gateway run` subprocess."""

    home: GwHome
    port: int
    proc: subprocess.Popen[bytes]
    out_path: Path
    token: str | None = None
    _out: Any = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        try:
            return self.out_path.read_text(errors="replace")
        except OSError:
            return ""

    def headers(self, **extra: str) -> dict[str, str]:
        h = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        h.update(extra)
        return h

    def client(self, **kw: Any) -> httpx.Client:
        return httpx.Client(base_url=self.url, headers=self.headers(), timeout=kw.pop("timeout", 20.0), **kw)

    def status(self) -> dict[str, Any]:
        r = httpx.get(self.url + "/api/status", headers=self.headers(), timeout=5)
        r.raise_for_status()
        return r.json()  # type: ignore[no-any-return]

    def stop(self, timeout: float = 15.0) -> int:
        """SIGTERM, wait, SIGKILL on timeout. Returns the exit status."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if self._out is not None:
            self._out.close()
            self._out = None
        return int(self.proc.returncode)


def spawn_gateway(
    home: GwHome,
    port: int | None = None,
    *,
    quiet: bool = True,
    args: tuple[str, ...] = (),
    token: str | None = None,
    env: dict[str, str] | None = None,
    wait: bool = True,
    timeout: float = 20.0,
) -> Gateway:
    """Start `python -m clawgate gateway run --port N` and (by default) wait until /healthz answers."""
    port = port or free_port()
    out_path = home.path.parent / f"gateway-{port}.out"
    out = out_path.open("wb")
    cmd = [sys.executable, "-m", "clawgate", "gateway", "run", "--port", str(port), *args]
    if quiet:
        cmd.append("--quiet")
    proc = subprocess.Popen(
        cmd,
        env=env or home.env(),
        cwd=str(home.path.parent),
        stdin=subprocess.DEVNULL,
        stdout=out,
        stderr=subprocess.STDOUT,
    )
    gw = Gateway(home, port, proc, out_path, token, out)
    if wait:
        try:
            wait_ready(gw, timeout)
        except BaseException:
            gw.stop()
            raise
    return gw


def wait_ready(gw: Gateway, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if gw.proc.poll() is not None:
            raise AssertionError(f"the gateway exited with {gw.proc.returncode}:\n{gw.output()}")
        try:
            if httpx.get(gw.url + "/healthz", timeout=0.5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    raise AssertionError(f"the gateway did not answer /healthz within {timeout}s:\n{gw.output()}")


def provider_config(emu: EmulatorThread) -> dict[str, Any]:
    """`models.providers` pointing the presets used by the tests at the emulator."""
    return {
        name: {"baseUrl": emu.base_url(name)}
        for name in ("openai", "anthropic", "openrouter", "groq", "deepseek")
    }


def base_config(emu: EmulatorThread, **gateway: Any) -> dict[str, Any]:
    return {
        "models": {"providers": provider_config(emu)},
        "agents": {
            "defaults": {"model": {"primary": "openai/gpt-4o", "fallbacks": []}},
            "list": [
                {"id": "main", "default": True},
                {"id": "claude", "model": "anthropic/claude-sonnet-4-5"},
            ],
        },
        "gateway": {"reloadIntervalSeconds": 0.2, "maxRetryWaitSeconds": 0, **gateway},
    }


def base_dotenv(token: str | None = TOKEN, groq_key: str = GROQ_KEY) -> str:
    lines = [
        f"OPENAI_API_KEY={OPENAI_KEY}",
        f"ANTHROPIC_API_KEY={ANTHROPIC_KEY}",
        f"OPENROUTER_API_KEY={OPENROUTER_KEY}",
        f"GROQ_API_KEY={groq_key}",
        f"DEEPSEEK_API_KEY={DEEPSEEK_KEY}",
    ]
    if token:
        lines.append(f"CLAWGATE_GATEWAY_TOKEN={token}")
    return "\n".join(lines) + "\n"


@dataclass
class CliResult:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def gcli(cli: Callable[..., Any], monkeypatch: pytest.MonkeyPatch) -> Callable[..., CliResult]:
    """`clawgate ARGS` in-process (no interpreter start-up) for a given home: `gcli(home, "gateway", ...)`."""

    def run(home: GwHome, *args: str) -> CliResult:
        monkeypatch.setenv("CLAWGATE_HOME", str(home.path))
        monkeypatch.chdir(home.path.parent)
        r = cli(*args)
        return CliResult(r.code, r.out, r.err)

    return run


@pytest.fixture(scope="session")
def emulator() -> Iterator[EmulatorThread]:
    emu = EmulatorThread(keys=EMU_KEYS)
    emu.start()
    try:
        yield emu
    finally:
        emu.stop()


@pytest.fixture
def emu(emulator: EmulatorThread) -> EmulatorThread:
    """The worker's emulator with an empty fault script and request log."""
    emulator.reset()
    return emulator


@pytest.fixture(autouse=True)
def _scrub_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in _SCRUB:
        monkeypatch.delenv(name, raising=False)
