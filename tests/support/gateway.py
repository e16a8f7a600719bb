"""`python -m clawgate gateway run` as a subprocess: started on a free port (or a given one), ready when /healthz
answers (polled, with a deadline), and always stopped by its own handle (SIGTERM, then SIGKILL on timeout).
Every time limit here is a base value scaled by the machine's measured slowness (`timing.limit`), and each
gateway records how long it took to become ready (`ready_s`).

Also the gateway suites' home (`GwHome`, `make_home`) and `run_cli`, shared by tests/gateway and tests/ui."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from .env import SCRUB, home_env
from .ports import PORT_TRIES, PortTaken, free_port, port_taken, wait_until
from .timing import limit

# The gateway suites also drop NO_PROXY (the proxies themselves are in SCRUB).
GATEWAY_SCRUB: tuple[str, ...] = (*SCRUB, "NO_PROXY", "no_proxy")


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
        return home_env(self.path, GATEWAY_SCRUB, unbuffered=True, **extra)


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
        timeout=limit(timeout),
    )


@dataclass
class GatewayProcess:
    """A running `clawgate gateway run` subprocess; its stdout and stderr go to `out_path`."""

    home: Any
    port: int
    proc: subprocess.Popen[bytes]
    out_path: Path
    token: str | None = None
    ready_s: float | None = None  # how long it took from spawn to the first 200 from /healthz

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
        timeout = kw.pop("timeout", 20.0)
        if isinstance(timeout, (int, float)):
            timeout = limit(timeout)
        return httpx.Client(base_url=self.url, headers=self.headers(), timeout=timeout, **kw)

    def status(self) -> dict[str, Any]:
        r = httpx.get(self.url + "/api/status", headers=self.headers(), timeout=limit(5))
        r.raise_for_status()
        return r.json()

    def kill(self) -> None:
        """SIGKILL: no drain, no cleanup."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(limit(10))

    def stop(self, timeout: float = 15.0) -> int:
        """SIGTERM, wait `timeout` (the drain; scaled), SIGKILL if it is still running. Returns the exit status."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(limit(timeout))
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(limit(5))
        return int(self.proc.returncode)


def spawn_gateway(
    home: Any,
    port: int | None = None,
    *,
    token: str | None = None,
    quiet: bool = True,
    args: tuple[str, ...] = (),
    env: Mapping[str, str] | None = None,
    extra_env: Mapping[str, str] | None = None,
    cwd: Path | str | None = None,
    wait: bool = True,
    timeout: float = 20.0,
) -> GatewayProcess:
    """Start `python -m clawgate gateway run --port N [ARGS] [--quiet]` for `home` (anything with `.path` and
    `.env()`) and, by default, wait until /healthz answers; a gateway that does not is stopped, then it fails.

    port: a free port by default — and when another process takes that port between choosing and binding it
    (the machine is shared), a fresh one, up to `PORT_TRIES` times. token: what `headers()` sends. env: the whole
    environment (default `home.env()`), `extra_env` on top. cwd: the gateway's working directory (where it looks
    for ./.env), default the home's parent. The output goes to `<home's parent>/gateway-<port>.out`."""
    if port is None and wait:
        for _ in range(PORT_TRIES - 1):
            try:
                return _spawn(home, free_port(), token, quiet, args, env, extra_env, cwd, wait, timeout)
            except PortTaken:
                continue  # the last try below raises if it happens again
    return _spawn(home, port or free_port(), token, quiet, args, env, extra_env, cwd, wait, timeout)


def _spawn(
    home: Any,
    port: int,
    token: str | None,
    quiet: bool,
    args: tuple[str, ...],
    env: Mapping[str, str] | None,
    extra_env: Mapping[str, str] | None,
    cwd: Path | str | None,
    wait: bool,
    timeout: float,
) -> GatewayProcess:
    out_path = home.path.parent / f"gateway-{port}.out"
    run_env = dict(env or home.env())
    run_env.update(extra_env or {})
    cmd = [sys.executable, "-m", "clawgate", "gateway", "run", "--port", str(port), *args]
    started = time.monotonic()
    if quiet:
        cmd.append("--quiet")
    with out_path.open("ab") as out:
        proc = subprocess.Popen(
            cmd,
            env=run_env,
            cwd=str(cwd or home.path.parent),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    gw = GatewayProcess(home, port, proc, out_path, token)
    if wait:
        try:
            wait_ready(gw, timeout)
            gw.ready_s = time.monotonic() - started
        except BaseException:
            gw.stop()
            raise
    return gw


def wait_ready(gw: GatewayProcess, timeout: float = 20.0) -> None:
    """Poll /healthz until it answers 200; fail at once if the process exits, or after `timeout` seconds
    (scaled by `wait_until`)."""

    def ready() -> bool:
        if gw.proc.poll() is not None:
            out = gw.output()
            kind = PortTaken if port_taken(out) else AssertionError
            raise kind(f"the gateway exited with {gw.proc.returncode}:\n{out}")
        try:
            return httpx.get(gw.url + "/healthz", timeout=limit(2)).status_code == 200
        except httpx.HTTPError:
            return False

    wait_until(ready, timeout, what="the gateway's /healthz", describe=gw.output)


@contextlib.contextmanager
def running_gateway(home: Any, port: int | None = None, **options: Any) -> Iterator[GatewayProcess]:
    """`spawn_gateway(home, port, **options)`, stopped by its handle when the block ends."""
    gw = spawn_gateway(home, port, **options)
    try:
        yield gw
    finally:
        gw.stop()
