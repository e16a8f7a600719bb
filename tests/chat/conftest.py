"""Fixtures for the chat surfaces: a real `clawgate gateway run` subprocess wired to the provider emulator
(one emulator per worker), a home whose config and .env point the CLI at it, `clawgate chat` subprocesses,
and tmux sessions.

Every server, subprocess and tmux server is stopped through its own handle in teardown."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from tests.support.emulator import emulator_fixtures
from tests.support.env import SCRUB, home_env, scrub_env
from tests.support.gateway import running_gateway
from tests.support.ports import free_port as free_port
from tests.support.ports import wait_until
from tests.support.timing import limit

from clawgate.emulator import EmulatorThread

TOKEN = "gw-test-token-chat-7d41c9e2b8a6"
WRONG_TOKEN = "gw-test-token-WRONG-000000000"

# Refs every backend understands the same way (the emulator's conventions).
PLAIN_REF = "openai/gpt-4o"
PLAIN_REPLY = "emulated reply from openai model gpt-4o"
SLOW_REF = "openai/fault-slow_chunks-ms500-chunks20"
REJECTED_REF = "openrouter/moonshotai/kimi-k2.5"  # its key is rejected upstream: provider_auth

# The shared list, and what the chat surfaces also need gone: tmux's own variables, and the terminal size that
# pytest-xdist workers set (Textual would size itself by them instead of the pane).
CHAT_SCRUB = (*SCRUB, "TMUX", "TMUX_PANE", "COLUMNS", "LINES")


def wait_for(pred: Callable[[], Any], timeout: float, what: str, describe: Callable[[], str] = str) -> Any:
    """Poll `pred` until truthy; on timeout fail with `what` and `describe()` (e.g. the pane's text)."""
    return wait_until(pred, timeout, what=what, describe=describe)


OPENAI_KEY = "sk-test-chat-openai-good-000000001"
OPENROUTER_GOOD_KEY = "sk-or-v1-test-chat-good-0000000001"
OPENROUTER_WRONG_KEY = "sk-or-v1-test-chat-wrong-000000001"  # what the home's .env holds: rejected (401)
EMU_KEYS = {"openai": [OPENAI_KEY], "openrouter": [OPENROUTER_GOOD_KEY]}


@dataclass
class ChatHome:
    """A CLAWGATE_HOME whose config and .env point the CLI at the gateway under test (token in .env)."""

    path: Path
    url: str
    token: str | None

    def env(self, **extra: str) -> dict[str, str]:
        return home_env(self.path, CHAT_SCRUB, unbuffered=True, **extra)


def make_home(base: Path, emu: EmulatorThread, port: int, token: str | None) -> ChatHome:
    """Providers openai and openrouter on the emulator (openrouter's key is the wrong one), the default model
    openai/gpt-4o, the gateway on 127.0.0.1:port, and the gateway token in $CLAWGATE_HOME/.env."""
    path = base / "cghome"
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    config = {
        "models": {
            "providers": {
                "openai": {"baseUrl": emu.base_url("openai")},
                "openrouter": {"baseUrl": emu.base_url("openrouter")},
            }
        },
        "agents": {
            "defaults": {"model": {"primary": PLAIN_REF, "fallbacks": []}},
            "list": [{"id": "main", "default": True}],
        },
        "gateway": {"bind": "loopback", "port": port, "maxRetryWaitSeconds": 0},
    }
    (path / "clawgate.json").write_text(json.dumps(config, indent=2))
    lines = [f"OPENAI_API_KEY={OPENAI_KEY}", f"OPENROUTER_API_KEY={OPENROUTER_WRONG_KEY}"]
    if token:
        lines.append(f"CLAWGATE_GATEWAY_TOKEN={token}")
    (path / ".env").write_text("\n".join(lines) + "\n")
    (path / ".env").chmod(0o600)
    return ChatHome(path, f"http://127.0.0.1:{port}", token)


_emulator, emu = emulator_fixtures(EMU_KEYS, name="_emulator")


@pytest.fixture
def bare_home(tmp_path: Path, emu: EmulatorThread) -> ChatHome:
    """The same home, with no gateway running from it."""
    return make_home(tmp_path, emu, free_port(), TOKEN)


@pytest.fixture
def chat_home(tmp_path: Path, emu: EmulatorThread) -> Iterator[ChatHome]:
    """A home wired to the emulator, with a real gateway running from it."""
    port = free_port()
    home = make_home(tmp_path, emu, port, TOKEN)
    with running_gateway(home, port):
        yield home


@pytest.fixture(autouse=True)
def _scrub_env(monkeypatch: pytest.MonkeyPatch) -> None:
    scrub_env(monkeypatch, CHAT_SCRUB)


# ------------------------------------------------------------------------------------------ chat CLI


@dataclass
class Proc:
    """A `clawgate …` subprocess whose stdout/stderr are collected by threads (read while it runs)."""

    popen: subprocess.Popen[bytes]
    out: list[bytes] = field(default_factory=list)
    err: list[bytes] = field(default_factory=list)

    def __post_init__(self) -> None:
        for stream, sink in ((self.popen.stdout, self.out), (self.popen.stderr, self.err)):
            threading.Thread(target=self._pump, args=(stream, sink), daemon=True).start()

    @staticmethod
    def _pump(stream: Any, sink: list[bytes]) -> None:
        for chunk in iter(lambda: stream.read1(4096), b""):
            sink.append(chunk)

    @property
    def stdout(self) -> str:
        return b"".join(self.out).decode("utf-8", "replace")

    @property
    def stderr(self) -> str:
        return b"".join(self.err).decode("utf-8", "replace")

    def write(self, text: str) -> None:
        assert self.popen.stdin is not None
        self.popen.stdin.write(text.encode())
        self.popen.stdin.flush()

    def close_stdin(self) -> None:
        assert self.popen.stdin is not None
        self.popen.stdin.close()

    def wait(self, timeout: float = 20.0) -> int:
        return self.popen.wait(timeout)

    def describe(self) -> str:
        return f"--- stdout ---\n{self.stdout}\n--- stderr ---\n{self.stderr}"

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.kill()
            self.popen.wait(limit(5))
        for s in (self.popen.stdin, self.popen.stdout, self.popen.stderr):
            if s is not None:
                with contextlib.suppress(OSError):
                    s.close()


@pytest.fixture
def spawn() -> Iterator[Callable[..., Proc]]:
    """`spawn(home, "chat", "--url", …)`: start `python -m clawgate ARGS` with stdin/stdout/stderr pipes."""
    procs: list[Proc] = []

    def start(home: ChatHome, *args: str, env: dict[str, str] | None = None) -> Proc:
        popen = subprocess.Popen(
            [sys.executable, "-m", "clawgate", *args],
            env=env or home.env(),
            cwd=str(home.path.parent),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        p = Proc(popen)
        procs.append(p)
        return p

    yield start
    for p in procs:
        p.stop()


@dataclass
class ChatRun:
    code: int
    stdout: str
    stderr: str


def run_chat(home: ChatHome, *args: str, input: str = "", timeout: float = 30.0, **env: str) -> ChatRun:
    """`clawgate chat ARGS` with `input` on stdin (a pipe), to completion."""
    r = subprocess.run(
        [sys.executable, "-m", "clawgate", "chat", *args],
        input=input,
        env=home.env(**env),
        cwd=str(home.path.parent),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return ChatRun(r.returncode, r.stdout, r.stderr)


# ----------------------------------------------------------------------------------------------- tmux


def _ensure_tmux() -> str:
    """tmux's path; installs it with apt-get when missing and possible, else skips with the reason."""
    found = shutil.which("tmux")
    if found:
        return found
    if shutil.which("apt-get") is None:
        pytest.skip(
            "tmux is not installed and apt-get is unavailable here: install tmux to run the TUI tests"
        )
    if os.geteuid() != 0:
        pytest.skip(
            "tmux is not installed and this user cannot apt-get install it: run `apt-get install -y tmux`"
        )
    from filelock import FileLock

    with FileLock(
        os.path.join(os.environ.get("TMPDIR", "/tmp"), "clawgate-tests-apt.lock"), timeout=limit(300)
    ):
        if not shutil.which("tmux"):
            env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
            cmd = ["apt-get", "install", "-y", "-q", "tmux"]
            if subprocess.run(cmd, env=env, capture_output=True, timeout=limit(240)).returncode != 0:
                subprocess.run(["apt-get", "update", "-q"], env=env, capture_output=True, timeout=limit(240))
                r = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=limit(240))
                if r.returncode != 0:
                    pytest.fail(f"apt-get install tmux failed:\n{r.stdout}\n{r.stderr}")
    found = shutil.which("tmux")
    if not found:
        pytest.fail("apt-get installed tmux but it is not on PATH")
    return found


@dataclass
class Tmux:
    """One tmux server on its own socket (-S, in a private temp dir) running one session with one pane."""

    exe: str
    socket: Path
    session: str = "chat"

    def cmd(self, *args: str, check: bool = True, env: dict[str, str] | None = None) -> str:
        r = subprocess.run(
            [self.exe, "-S", str(self.socket), "-f", "/dev/null", *args],
            capture_output=True,
            text=True,
            timeout=limit(10),
            env=env,
        )
        if check and r.returncode != 0:
            raise AssertionError(f"tmux {' '.join(args)} failed: {r.stderr}")
        return r.stdout

    def start(self, command: list[str], env: dict[str, str], cwd: Path) -> None:
        import shlex

        # keep the pane (and the exit status) on screen if the program exits, for the failure message
        line = " ".join(shlex.quote(c) for c in command) + '; echo "[exited with status $?]"; sleep 600'
        self.cmd(
            "new-session", "-d", "-s", self.session, "-x", "160", "-y", "45", "-c", str(cwd), line, env=env
        )

    def send(self, *keys: str) -> None:
        self.cmd("send-keys", "-t", self.session, *keys)

    def type(self, text: str) -> None:
        """Type `text` literally, then Enter."""
        self.cmd("send-keys", "-t", self.session, "-l", text)
        self.cmd("send-keys", "-t", self.session, "Enter")

    def screen(self) -> str:
        return self.cmd("capture-pane", "-p", "-t", self.session, check=False)

    def wait_text(self, text: str, timeout: float = 15.0) -> str:
        return wait_for(lambda: text in (s := self.screen()) and s, timeout, repr(text), self.screen)

    def wait(self, pred: Callable[[str], Any], timeout: float = 15.0, what: str = "") -> Any:
        return wait_for(lambda: pred(self.screen()), timeout, what or str(pred), self.screen)

    def kill(self) -> None:
        self.cmd("kill-session", "-t", self.session, check=False)
        self.cmd("kill-server", check=False)


@pytest.fixture
def tmux() -> Iterator[Tmux]:
    exe = _ensure_tmux()
    # a short private dir: socket paths are limited to ~100 bytes, and nothing is left in /tmp/tmux-UID
    sockdir = Path(tempfile.mkdtemp(prefix="cgtmux-"))
    t = Tmux(exe, sockdir / "sock")
    try:
        yield t
    finally:
        t.kill()
        shutil.rmtree(sockdir, ignore_errors=True)


def sigint(proc: Proc) -> None:
    proc.popen.send_signal(signal.SIGINT)
