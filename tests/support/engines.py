"""Real Redis and PostgreSQL servers for tests: Debian's `redis-server` and PostgreSQL binaries started as
child processes on free ports, each with its own temporary data directory, readiness polled with a deadline,
stopped (or killed, and started again on the same port and data) by their own handle.

PostgreSQL refuses to run as root: when the tests run as root, initdb and postgres run as the `postgres`
user (Debian's package creates it) or `nobody`, in a data directory made for them outside pytest's private
tmp. Tests skip with the reason when a binary is missing."""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .ports import quiet_port, wait_until

READY_SECONDS = 60.0
# passwords in the URLs (obviously fake): what clawgate shows of an engine must never contain them
REDIS_PASSWORD = "redis-test-secret-7b3c9d2e"
PG_PASSWORD = "pg-test-secret-4f8a1c6b"


def redis_binary() -> str | None:
    return shutil.which("redis-server")


def postgres_bindir() -> Path | None:
    for pattern in ("/usr/lib/postgresql/*/bin",):
        for d in sorted(glob.glob(pattern), reverse=True):
            if os.access(Path(d) / "postgres", os.X_OK) and os.access(Path(d) / "initdb", os.X_OK):
                return Path(d)
    found = shutil.which("postgres")
    return Path(found).parent if found and shutil.which("initdb") else None


def _accepts(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


@dataclass
class Engine:
    """One server process. `url` for clients; `kill()` (SIGKILL) and `start()` again for outage tests."""

    name: str
    port: int
    data: Path
    argv: list[str]
    log: Path
    user: str | None = None
    proc: subprocess.Popen[bytes] | None = None
    extra_ready: Any = None
    env: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        if self.name == "redis":
            return f"redis://:{REDIS_PASSWORD}@127.0.0.1:{self.port}/0"
        return f"postgresql://clawgate:{PG_PASSWORD}@127.0.0.1:{self.port}/clawgate"

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                self.argv,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                user=self.user,
                env={**os.environ, **self.env},
                cwd=str(self.data),
            )
        wait_until(self._ready, READY_SECONDS, 0.05, f"{self.name} on port {self.port}", self.output)

    def _ready(self) -> bool:
        if self.proc is not None and self.proc.poll() is not None:
            raise AssertionError(f"{self.name} exited with {self.proc.returncode}:\n{self.output()}")
        if not _accepts(self.port):
            return False
        return True if self.extra_ready is None else bool(self.extra_ready())

    def output(self) -> str:
        try:
            return self.log.read_text(errors="replace")[-3000:]
        except OSError:
            return ""

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(30)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM if self.name == "redis" else signal.SIGINT)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None


@contextlib.contextmanager
def redis_server() -> Iterator[Engine]:
    binary = redis_binary()
    assert binary, "redis-server is not installed"
    data = Path(tempfile.mkdtemp(prefix="clawgate-redis-"))
    port = quiet_port()  # below the ephemeral range: it binds only after start-up
    argv = [
        binary,
        "--port",
        str(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        "--dir",
        str(data),
        "--daemonize",
        "no",
        "--protected-mode",
        "yes",
        "--loglevel",
        "warning",
        "--requirepass",
        REDIS_PASSWORD,
    ]
    eng = Engine("redis", port, data, argv, data / "redis.log")

    def pong() -> bool:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
                s.sendall(f"AUTH {REDIS_PASSWORD}\r\nPING\r\n".encode())
                got = b""
                while b"PONG" not in got and len(got) < 64:
                    chunk = s.recv(64)
                    if not chunk:
                        break
                    got += chunk
                return b"+OK" in got and b"+PONG" in got
        except OSError:
            return False

    eng.extra_ready = pong
    try:
        eng.start()
        yield eng
    finally:
        eng.stop()
        shutil.rmtree(data, ignore_errors=True)


def _pg_user() -> str | None:
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            pwd.getpwnam(name)
            return name
    raise AssertionError("running as root and no unprivileged user (postgres, nobody) to run PostgreSQL as")


@contextlib.contextmanager
def postgres_server() -> Iterator[Engine]:
    bindir = postgres_bindir()
    assert bindir is not None, "PostgreSQL binaries are not installed"
    user = _pg_user()
    data = Path(tempfile.mkdtemp(prefix="clawgate-pg-"))
    if user is not None:
        pw = pwd.getpwnam(user)
        os.chown(data, pw.pw_uid, pw.pw_gid)
    pgdata = data / "db"
    subprocess.run(
        [
            str(bindir / "initdb"),
            "-D",
            str(pgdata),
            "-U",
            "clawgate",
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-sync",
            "--no-instructions",
        ],
        check=True,
        capture_output=True,
        user=user,
        cwd=str(data),
        timeout=120,
    )
    port = quiet_port()  # below the ephemeral range: it binds only after start-up
    argv = [
        str(bindir / "postgres"),
        "-D",
        str(pgdata),
        "-p",
        str(port),
        "-h",
        "127.0.0.1",
        "-k",
        str(data),
        "-F",
        "-c",
        "max_connections=50",
        "-c",
        "shared_buffers=16MB",
        "-c",
        "log_min_messages=warning",
    ]
    eng = Engine("postgres", port, data, argv, data / "postgres.log", user=user)
    if user is not None:
        pw = pwd.getpwnam(user)
        eng.log.touch()
        os.chown(eng.log, pw.pw_uid, pw.pw_gid)

    def accepting() -> bool:
        r = subprocess.run(
            [
                str(bindir / "pg_isready") if (bindir / "pg_isready").exists() else "pg_isready",
                "-h",
                "127.0.0.1",
                "-p",
                str(port),
                "-U",
                "clawgate",
                "-d",
                "postgres",
            ],
            capture_output=True,
            timeout=10,
        )
        return r.returncode == 0

    eng.extra_ready = accepting
    try:
        eng.start()
        subprocess.run(
            [str(bindir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "clawgate", "clawgate"],
            check=True,
            capture_output=True,
            timeout=60,
        )
        yield eng
    finally:
        eng.stop()
        shutil.rmtree(data, ignore_errors=True)


def skip_reason(kind: str) -> str | None:
    """Why a test that needs `kind` (redis | postgres) cannot run here, or None."""
    if kind == "redis" and redis_binary() is None:
        return "redis-server is not installed (scripts/system-deps.sh installs Debian's redis-server)"
    if kind == "postgres" and postgres_bindir() is None:
        return "PostgreSQL is not installed (scripts/system-deps.sh installs Debian's postgresql)"
    return None
