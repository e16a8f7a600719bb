"""Processes the bench starts (each stopped by its handle) and what /proc says about them.

CPU is utime+stime of the process and all its live descendants (LiteLLM's workers, uvicorn's reloader, …),
in seconds; RSS is VmRSS summed over the same tree; the peak is the sum of each process's VmHWM.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from pathlib import Path

CLK_TCK = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    """A loopback port free right now (the OS picks it)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stat_fields(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # the command name (field 2) may hold spaces and parentheses: split after the last ')'
    return raw[raw.rfind(")") + 2 :].split()


def children_map() -> dict[int, list[int]]:
    out: dict[int, list[int]] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        f = _stat_fields(int(name))
        if f is None:
            continue
        out.setdefault(int(f[1]), []).append(int(name))  # f[1] = ppid
    return out


def tree(pid: int) -> list[int]:
    """`pid` and its live descendants."""
    kids = children_map()
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(kids.get(p, ()))
    return out


def cpu_seconds(pids: Sequence[int]) -> float:
    ticks = 0
    for p in pids:
        f = _stat_fields(p)
        if f is not None:
            ticks += int(f[11]) + int(f[12])  # utime, stime (fields 14, 15 of stat)
    return ticks / CLK_TCK


def system_busy_seconds() -> float:
    """Non-idle CPU time of the whole machine (all CPUs), from /proc/stat."""
    f = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    v = [int(x) for x in f]
    idle = v[3] + (v[4] if len(v) > 4 else 0)  # idle + iowait
    total = sum(v[:8])  # guest time is already in user/nice
    return (total - idle) / CLK_TCK


def own_cpu_seconds() -> float:
    """This process plus its reaped children (wrk runs)."""
    import resource

    s, c = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return s.ru_utime + s.ru_stime + c.ru_utime + c.ru_stime


def _status_kb(pid: int, key: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def rss_mb(pids: Sequence[int]) -> float:
    return sum(_status_kb(p, "VmRSS:") for p in pids) / 1024


def hwm_mb(pids: Sequence[int]) -> float:
    return sum(_status_kb(p, "VmHWM:") for p in pids) / 1024


class Proc:
    """A child process in its own session; `stop()` ends it (SIGTERM, then SIGKILL to its group)."""

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        env: dict[str, str] | None = None,
        cwd: str | Path | None = None,
        log: Path | None = None,
    ) -> None:
        self.name = name
        self.argv = list(argv)
        self.log = log
        out = open(log, "wb") if log else subprocess.DEVNULL  # noqa: SIM115 - closed in stop()
        self._out = out
        self.popen = subprocess.Popen(
            self.argv,
            env=env,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.pid = self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def pids(self) -> list[int]:
        return tree(self.pid) if self.alive() else []

    def cpu(self) -> float:
        return cpu_seconds(self.pids())

    def rss(self) -> float:
        return rss_mb(self.pids())

    def hwm(self) -> float:
        return hwm_mb(self.pids())

    def tail(self, n: int = 20) -> str:
        if not self.log:
            return ""
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return ""

    def stop(self, grace: float = 5.0) -> None:
        if self.alive():
            with contextlib.suppress(ProcessLookupError):
                self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(grace)
            except subprocess.TimeoutExpired:
                pass
        # our child had its own session (pgid == pid): end whatever it left behind in that group
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.popen.wait(5)
        if self._out is not subprocess.DEVNULL:
            self._out.close()  # type: ignore[union-attr]


def http_ok(url: str, timeout: float = 1.0, any_status: bool = False) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:  # loopback readiness probe
            return 200 <= r.status < 300
    except urllib.error.HTTPError:
        return any_status  # it answered (with an error status)
    except (urllib.error.URLError, OSError, ValueError):
        return False


def wait_ready(proc: Proc, url: str, deadline_s: float, any_status: bool = False) -> float:
    """Poll `url` until it answers 2xx (any status with `any_status`); returns the seconds it took. Raises if the
    process dies or time runs out."""
    t0 = time.monotonic()
    while True:
        if not proc.alive():
            raise RuntimeError(
                f"{proc.name} exited with {proc.popen.returncode} before it was ready:\n{proc.tail()}"
            )
        if http_ok(url, any_status=any_status):
            return time.monotonic() - t0
        if time.monotonic() - t0 > deadline_s:
            raise RuntimeError(f"{proc.name} not ready at {url} after {deadline_s:.0f}s:\n{proc.tail()}")
        time.sleep(0.05)


def settle(cpu: Callable[[], float], quiet_s: float = 0.15, limit_s: float = 5.0) -> float:
    """Wait until `cpu()` stops increasing for `quiet_s` (≤ 1 tick), at most `limit_s`; returns the wait."""
    t0 = time.monotonic()
    last = cpu()
    while time.monotonic() - t0 < limit_s:
        time.sleep(quiet_s)
        now = cpu()
        if now - last <= 1.0 / CLK_TCK:
            break
        last = now
    return time.monotonic() - t0
