"""Where a running gateway says it is: bind names → host, the pidfile (written atomically, read leniently) and
the short path ids that /healthz publishes so a CLI can tell "another home" apart."""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path
from typing import Any

from clawgate import __version__
from clawgate.atomicfile import atomic_write
from clawgate.paths import Paths

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


def write_pidfile(paths: Paths, url: str, host: str, port: int) -> None:
    atomic_write(
        pidfile(paths),
        json.dumps(
            {
                "pid": os.getpid(),
                "url": url,
                "host": host,
                "port": port,
                "home": str(paths.home),
                "config": str(paths.config),
                "version": __version__,
                "started": time.time(),
            }
        ),
    )


def path_id(path: str | Path) -> str:
    """A short, non-reversible id of a path (its real path): /healthz publishes the gateway's home and config
    this way, so a CLI can tell "another home" apart without a token and without the gateway showing paths."""
    return hashlib.sha256(os.path.realpath(path).encode()).hexdigest()[:12]
