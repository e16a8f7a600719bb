"""Where running gateways say they are: bind names → host, the pidfile (one entry per gateway process of the
home, each with its workers; written atomically under a lock, read leniently) and the short path ids that
/healthz publishes so a CLI can tell "another home" apart."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from clawgate import __version__
from clawgate.atomicfile import atomic_write
from clawgate.paths import Paths
from clawgate.processes import pid_alive

PIDFILE = "gateway.json"


def bind_host(bind: str) -> str:
    b = bind.strip().lower()
    if b in ("loopback", "localhost", ""):
        return "127.0.0.1"
    if b in ("lan", "all", "any"):
        return "0.0.0.0"
    return bind.strip()


def is_loopback_host(host: str) -> bool:
    from ipaddress import ip_address

    try:
        return ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def pidfile(paths: Paths) -> Path:
    return paths.run_dir / PIDFILE


def read_pidfile(paths: Paths) -> dict[str, Any] | None:
    try:
        data = json.loads(pidfile(paths).read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _update(paths: Paths, change: Any) -> dict[str, Any] | None:
    """Read-modify-write the pidfile under its lock: `change(gateways)` edits the list of entries (dead ones
    are pruned first). The top level mirrors the oldest entry (what one-gateway readers expect)."""
    path = pidfile(paths)
    paths.run_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    with _locked(str(path) + ".lock", timeout=10):
        data = read_pidfile(paths) or {}
        gateways = [g for g in data.get("gateways", [data] if data.get("pid") else []) if isinstance(g, dict)]
        gateways = [g for g in gateways if pid_alive(int(g.get("pid", 0)))]
        gateways = change(gateways)
        if not gateways:
            with contextlib.suppress(OSError):
                path.unlink()
            return None
        gateways.sort(key=lambda g: g.get("started") or 0)
        out = {**gateways[0], "gateways": gateways}
        atomic_write(path, json.dumps(out))
        return out


_CONTENDED = (errno.EACCES, errno.EAGAIN, errno.EWOULDBLOCK)


@contextlib.contextmanager
def _locked(lock_file: str, timeout: float) -> Iterator[None]:
    """The pidfile's lock: flock on `lock_file`, the lock filelock's FileLock takes (and interoperable with it),
    taken here without loading filelock (~0.6 MB of a gateway process's memory). Like FileLock: the lock file
    stays in place, contention is polled every 50 ms, filelock's Timeout after `timeout` s; filelock itself
    where flock is missing (no fcntl, or a filesystem without it: its soft-lock fallback)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        fcntl = None  # type: ignore[assignment]
    fd = os.open(lock_file, os.O_RDWR | os.O_CREAT, 0o644) if fcntl is not None else -1
    try:
        deadline = time.monotonic() + timeout
        while fd >= 0:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in _CONTENDED:
                    if exc.errno in (errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOLCK):
                        os.close(fd)
                        fd = -1
                        break
                    raise
            if time.monotonic() >= deadline:
                from filelock import Timeout

                raise Timeout(lock_file)
            time.sleep(0.05)
        if fd < 0:
            from filelock import FileLock

            with FileLock(lock_file, timeout=timeout):
                yield
            return
        yield
    finally:
        if fd >= 0:
            os.close(fd)  # closing the descriptor releases the flock


def write_pidfile(
    paths: Paths, url: str, host: str, port: int, workers: list[int] | None = None, state: Any = None
) -> None:
    """Register this gateway process (and its workers) in the home's pidfile, next to any other gateway of the
    same home: `gateway status` and `gateway stop` find every one."""
    me = os.getpid()
    entry = {
        "pid": me,
        "url": url,
        "host": host,
        "port": port,
        "home": str(paths.home),
        "config": str(paths.config),
        "version": __version__,
        "started": time.time(),
        "workers": list(workers or []),
    }
    if state is not None:
        entry["state"] = state

    def change(gateways: list[dict[str, Any]]) -> list[dict[str, Any]]:
        old = next((g for g in gateways if g.get("pid") == me), None)
        if old is not None:
            entry["started"] = old.get("started") or entry["started"]
        return [g for g in gateways if g.get("pid") != me] + [entry]

    _update(paths, change)


def remove_pidfile(paths: Paths, pid: int | None = None) -> None:
    """Take this process (or `pid`) out of the pidfile; the file goes with the last gateway."""
    me = pid or os.getpid()
    _update(paths, lambda gateways: [g for g in gateways if g.get("pid") != me])


def gateways(paths: Paths) -> list[dict[str, Any]]:
    """Every gateway process of this home that is alive, each with its live workers."""
    data = read_pidfile(paths)
    if not data:
        return []
    out = []
    for g in data.get("gateways", [data]):
        if isinstance(g, dict) and pid_alive(int(g.get("pid", 0))):
            out.append({**g, "workers": [w for w in g.get("workers") or [] if pid_alive(int(w))]})
    return out


def path_id(path: str | Path) -> str:
    """A short, non-reversible id of a path (its real path): /healthz publishes the gateway's home and config
    this way, so a CLI can tell "another home" apart without a token and without the gateway showing paths."""
    return hashlib.sha256(os.path.realpath(path).encode()).hexdigest()[:12]


def health_body(paths: Paths) -> bytes:
    """What GET /healthz answers: ids (not paths) of the home and config this gateway runs from (`gateway status`
    compares them without a token) and which process answered (one of `gateway run --workers N`)."""
    import orjson

    return orjson.dumps(
        {
            "ok": True,
            "service": "clawgate",
            "version": __version__,
            "home_id": path_id(paths.home),
            "config_id": path_id(paths.config),
            "pid": os.getpid(),
        }
    )
