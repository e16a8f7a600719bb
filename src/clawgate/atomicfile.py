"""Crash-safe file writes: temp file + fsync + rename under a lock, 0600, so a kill never leaves half a file.

A symlink is written through: the temp file goes next to the link's target and is renamed over it, so the
link stays. Directories that exist keep their mode (only ones created here are made 0700), and the lock file
beside the written file is removed when the lock is released.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from clawgate.errors import ClawgateError
from clawgate.paths import create_private_dirs

_STALE_TMP_SECONDS = 60.0
_LOCK_POLL_SECONDS = 0.05


def write_target(path: Path) -> Path:
    """The file a write of `path` replaces: the final target when `path` is a symlink (or sits under one)."""
    return Path(os.path.realpath(path))


def atomic_write(path: Path, data: bytes | str, mode: int = 0o600) -> None:
    """Replace `path` with `data` atomically: readers see the old or the new content, never a mix."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    path = write_target(path)
    create_private_dirs(path.parent)
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
    """Hold an exclusive lock for read-modify-write of `path`: flock on a sibling `.<name>.lock` (of the link's
    target when `path` is a symlink), which is removed again on release."""
    target = write_target(path)
    create_private_dirs(target.parent)
    lock_file = target.parent / f".{target.name}.lock"
    fd = _acquire(lock_file, timeout)
    if fd is None:
        raise ClawgateError(
            f"another clawgate process holds the lock on {path} (waited {timeout:.0f}s)",
            code="runtime.lock_timeout",
            owner="runtime",
            next_steps=["ps aux | grep clawgate", "try the command again"],
        )
    try:
        yield
    finally:
        # removed while still held: a process waiting on this file gets its lock only after this, and then
        # sees the name gone (or taken by a newer file) and starts over (`_acquire`)
        with contextlib.suppress(OSError):
            os.unlink(lock_file)
        os.close(fd)


def _acquire(lock_file: Path, timeout: float) -> int | None:
    """The descriptor holding the flock on `lock_file` as it is now named, or None after `timeout` s."""
    import fcntl

    deadline = time.monotonic() + timeout
    while True:
        fd = os.open(lock_file, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        os.close(fd)
                        return None
                    time.sleep(_LOCK_POLL_SECONDS)
            held = os.fstat(fd)
            try:
                now = os.stat(lock_file)
            except FileNotFoundError:
                now = None
        except BaseException:
            os.close(fd)
            raise
        if now is not None and (now.st_dev, now.st_ino) == (held.st_dev, held.st_ino):
            return fd
        os.close(fd)  # the previous holder removed this file on release: lock the one now at that name


def read_text_if_exists(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
