"""Crash-safe file writes: temp file + fsync + rename under a lock, 0600, so a kill never leaves half a file."""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from clawgate.errors import ClawgateError
from clawgate.paths import ensure_private_dir

_STALE_TMP_SECONDS = 60.0


def atomic_write(path: Path, data: bytes | str, mode: int = 0o600) -> None:
    """Replace `path` with `data` atomically: readers see the old or the new content, never a mix."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    ensure_private_dir(path.parent)
    _sweep_stale_temps(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.tmp-", dir=str(path.parent))
    try:
        with os.fdopen(fd, "wb") as fh:
            os.fchmod(fh.fileno(), mode)
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_dir(path.parent)


def _fsync_dir(directory: Path) -> None:
    try:
        dfd = os.open(str(directory), os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dfd)
    except OSError:
        pass
    finally:
        os.close(dfd)


def _sweep_stale_temps(path: Path) -> None:
    """Remove temp files left by a writer that was killed before its rename."""
    now = time.time()
    try:
        for entry in path.parent.glob(f".{path.name}.tmp-*"):
            with contextlib.suppress(OSError):
                if now - entry.stat().st_mtime > _STALE_TMP_SECONDS:
                    entry.unlink()
    except OSError:
        pass


@contextlib.contextmanager
def locked(path: Path, timeout: float = 15.0) -> Iterator[None]:
    """Hold an exclusive lock for read-modify-write of `path` (a sibling `.lock` file)."""
    from filelock import FileLock, Timeout  # only writers load it (a gateway that only serves never does)

    ensure_private_dir(path.parent)
    lock = FileLock(str(path.parent / f".{path.name}.lock"), timeout=timeout, mode=0o600)
    try:
        with lock:
            yield
    except Timeout as exc:
        raise ClawgateError(
            f"another clawgate process holds the lock on {path} (waited {timeout:.0f}s)",
            code="runtime.lock_timeout",
            owner="runtime",
            next_steps=["ps aux | grep clawgate", "try the command again"],
        ) from exc


def read_text_if_exists(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
