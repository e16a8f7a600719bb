"""Opening a SQLite file in WAL mode from several processes at once (the records' state.db, the shared state's
shared.db): `connect()`.

WAL is a property of the file, set once. Switching to it needs an exclusive lock, and SQLite answers that
switch with `database is locked` at once — without waiting on the busy timeout — when another process holds
the file at the same moment (two gateway workers or a CLI starting together on a fresh home). So the mode is
read first (a file already in WAL needs no lock), and the switch is tried again until `timeout` passes.

Importing this module also registers two adapters with the sqlite3 module (process-wide): None and bools are
bound exactly as before (NULL, 0/1), but without the sqlite3 module's fallback for a type it has no adapter
for, which builds and discards a `ProgrammingError` for every such value bound. A row of attempts (29 columns,
half of them None or bools) cost 58k instructions to bind and insert that way, 35k with the adapters
(callgrind; docs/performance.md)."""

from __future__ import annotations

import sqlite3
import time

_EMPTY: set[None] = set()  # (stays empty: `discard` only ever removes)
sqlite3.register_adapter(bool, int)
sqlite3.register_adapter(type(None), _EMPTY.discard)  # a C callable returning None for its one argument


def connect(path: str, timeout: float, *, check_same_thread: bool = False) -> sqlite3.Connection:
    """A connection in autocommit mode with `busy_timeout` = `timeout`, the file in WAL mode with
    synchronous=NORMAL (":memory:" stays as it is)."""
    conn = sqlite3.connect(path, isolation_level=None, timeout=timeout, check_same_thread=check_same_thread)
    conn.execute(f"PRAGMA busy_timeout={int(timeout * 1000)}")
    if path != ":memory:":
        set_wal(conn, timeout)
        conn.execute("PRAGMA synchronous=NORMAL")
    return conn


def set_wal(conn: sqlite3.Connection, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    pause = 0.005
    while True:
        try:
            mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
            if (
                str(mode).lower() == "wal"
                or str(conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]) == "wal"
            ):
                return
        except sqlite3.OperationalError as e:
            if "locked" not in str(e) and "busy" not in str(e):
                raise
            if time.monotonic() + pause > deadline:
                raise
        time.sleep(pause)  # another process holds the file for its own switch: a few ms
        pause = min(pause * 2, 0.1)
