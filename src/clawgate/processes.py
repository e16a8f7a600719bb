"""Whether a process id names a live process (the pidfile's gateways and workers, a lease holder on this host)."""

from __future__ import annotations

import os


def pid_alive(pid: int) -> bool:
    """True when `pid` exists — also when it is another user's (kill answers EPERM); never for pid ≤ 0."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
