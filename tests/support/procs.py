"""A server a test starts as a subprocess (Prometheus, the OTLP receiver): wait until it answers over HTTP —
failing at once, with its output, if it exits — and stop it by its own handle (SIGTERM, then SIGKILL)."""

from __future__ import annotations

import signal
import subprocess
from collections.abc import Callable

import httpx

from .ports import wait_until
from .timing import limit


def wait_answering(
    proc: subprocess.Popen[bytes],
    url: str,
    name: str,
    output: Callable[[], str],
    timeout: float,
    interval: float = 0.1,
) -> None:
    """Poll `url` until it answers 200 (deadline `timeout`, scaled)."""

    def ready() -> bool:
        if proc.poll() is not None:
            raise AssertionError(f"{name} exited with {proc.returncode}:\n{output()}")
        try:
            return httpx.get(url, timeout=limit(1)).status_code == 200
        except httpx.HTTPError:
            return False

    wait_until(ready, timeout, interval=interval, what=f"{name} at {url}", describe=output)


def stop(proc: subprocess.Popen[bytes], timeout: float = 20.0) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(limit(timeout))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(limit(5))
