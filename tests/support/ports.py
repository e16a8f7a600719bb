"""Free loopback ports chosen at run time, and polling with a deadline (never a bare sleep) that scales with the
machine's measured slowness (`timing.limit`)."""

from __future__ import annotations

import random
import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .timing import limit


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _ephemeral_range() -> tuple[int, int]:
    try:
        low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
        return int(low), int(high)
    except (OSError, ValueError):
        return 32768, 60999  # Linux's default


def quiet_port() -> int:
    """A free TCP port on 127.0.0.1 *below* the kernel's ephemeral range, for a server that binds only after its
    start-up (Phoenix, Redis, PostgreSQL, Prometheus): ports from `free_port` are ephemeral, and in that time an
    outgoing connection or another test worker's `bind(0)` can be given the same one."""
    low, _ = _ephemeral_range()
    for _ in range(200):
        port = random.randrange(max(1024, low - 12000), low)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    return free_port()


PORT_TRIES = 3  # starts of a server whose chosen port another process took before it bound it


class PortTaken(AssertionError):
    """A server could not bind its port: another process took it after it was chosen (start it on a fresh one)."""


def port_taken(output: str) -> bool:
    """Does a server's output say it could not bind its port?"""
    return "address already in use" in output.lower()


def wait_until(
    pred: Callable[[], Any],
    timeout: float = 10.0,
    interval: float = 0.05,
    what: str = "",
    describe: Callable[[], str] | None = None,
) -> Any:
    """Poll `pred` every `interval` seconds until it returns something truthy, and return that; fail with `what`
    (and, when given, `describe()` on the next line, e.g. a process's output) after `timeout` seconds — generous
    on an idle machine — times the machine's current slowness."""
    timeout = limit(timeout)
    deadline = time.monotonic() + timeout
    while True:
        value = pred()
        if value:
            return value
        if time.monotonic() > deadline:
            message = f"timed out after {timeout:.1f}s waiting for {what or pred}"
            if describe is not None:
                message += f"\n{describe()}"
            raise AssertionError(message)
        time.sleep(interval)
