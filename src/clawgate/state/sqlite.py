"""Shared state in a SQLite file (the embedded default): processes on one home coordinate through the file and
its locks. Every operation is one short `BEGIN IMMEDIATE` transaction on the state layer's own thread (the
serving loop never waits on the file); notifications are rows in `notes`, polled by every process."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import orjson

from clawgate import sqlite_wal
from clawgate.state.base import Handler, StateUnavailable, lease_key
from clawgate.state.memory import deliver

T = TypeVar("T")

POLL_SECONDS = 0.05  # how often each process reads new notifications
NOTE_KEEP_SECONDS = 60.0  # notifications older than this are swept
SWEEP_SECONDS = 5.0

_SCHEMA = """
CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL, expires REAL);
CREATE INDEX IF NOT EXISTS kv_expires ON kv(expires);
CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY AUTOINCREMENT, channel TEXT, data TEXT, ts REAL);
"""


# incr as one upsert: a live counter grows by `by`; an expired one (or none) starts at `by` with a new expiry
_INCR = (
    "INSERT INTO kv (key, value, expires) VALUES (:key, :by, :expires) ON CONFLICT(key) DO UPDATE SET "
    "value = CASE WHEN kv.expires IS NOT NULL AND kv.expires <= :now THEN :by "
    "ELSE CAST(kv.value AS INTEGER) + :by END, "
    "expires = CASE WHEN kv.expires IS NOT NULL AND kv.expires <= :now THEN :expires ELSE kv.expires END "
    "RETURNING value"
)


class SQLiteState:
    engine = "sqlite"

    def __init__(self, path: str, clock: Callable[[], float] = time.time) -> None:
        self.path = path
        self._clock = clock
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="clawgate-state")
        self._conn: sqlite3.Connection | None = None
        self._handlers: list[Handler] = []
        self._outbox: list[tuple[str, str, float]] = []
        self._flushing: asyncio.Future[None] | None = None
        self._poller: asyncio.Task[None] | None = None
        self._last_id = 0
        self._last_sweep = 0.0
        self._error: str | None = None
        self._since: float | None = None
        self._started = False
        self._closed = False

    # -- plumbing ---------------------------------------------------------------------------------------

    def describe(self) -> dict[str, Any]:
        return {
            "engine": "sqlite",
            "host": None,
            "path": self.path,
            "reachable": self._error is None,
            "error": self._error,
            "since": self._since,
        }

    @property
    def reachable(self) -> bool:
        return self._error is None

    def _connect(self) -> sqlite3.Connection:
        if self._conn is None:
            os.makedirs(os.path.dirname(self.path) or ".", mode=0o700, exist_ok=True)
            if not os.path.exists(self.path):
                os.close(os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o600))
            conn = sqlite_wal.connect(self.path, 5)
            conn.executescript(_SCHEMA)
            self._conn = conn
        return self._conn

    def _tx(self, fn: Callable[[sqlite3.Connection], T], write: bool = True) -> T:
        conn = self._connect()
        if not write:
            return fn(conn)
        conn.execute("BEGIN IMMEDIATE")
        try:
            out = fn(conn)
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        return out

    async def _run(self, fn: Callable[[sqlite3.Connection], T], write: bool = True) -> T:
        if self._closed:
            raise StateUnavailable(f"the shared state at {self.path} is closed")
        loop = asyncio.get_running_loop()
        try:
            out = await loop.run_in_executor(self._pool, self._tx, fn, write)
        except sqlite3.Error as exc:
            if self._error is None:
                self._since = self._clock()
            self._error = f"{type(exc).__name__}: {exc}"
            raise StateUnavailable(f"shared state {self.path}: {exc}") from exc
        self._error = None
        self._since = None
        return out

    def run_sync(self, fn: Callable[[sqlite3.Connection], T], write: bool = True) -> T:
        """For synchronous callers (a CLI command, a read-through on a miss): the same thread, waited on."""
        try:
            return self._pool.submit(self._tx, fn, write).result(10)
        except sqlite3.Error as exc:
            raise StateUnavailable(f"shared state {self.path}: {exc}") from exc

    async def start(self) -> None:
        if self._started:
            return
        self._started = True
        self._last_id = await self._run(
            lambda c: int(c.execute("SELECT COALESCE(MAX(id), 0) FROM notes").fetchone()[0]), write=False
        )
        self._poller = asyncio.get_running_loop().create_task(self._poll(), name="clawgate-state-notes")

    async def close(self) -> None:
        if self._closed:
            return
        with contextlib.suppress(Exception):
            await self._flush()
        self._closed = True
        if self._poller is not None:
            self._poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._poller
        conn, self._conn = self._conn, None
        if conn is not None:
            self._pool.submit(conn.close).result(5)
        self._pool.shutdown(wait=True)

    async def ping(self) -> bool:
        try:
            await self._run(lambda c: c.execute("SELECT 1").fetchone(), write=False)
        except StateUnavailable:
            return False
        return True

    # -- keys -------------------------------------------------------------------------------------------

    def _expires(self, ttl: float | None) -> float | None:
        return None if ttl is None else self._clock() + ttl

    def _read(self, c: sqlite3.Connection, key: str) -> str | None:
        row = c.execute(
            "SELECT value FROM kv WHERE key = ? AND (expires IS NULL OR expires > ?)", (key, self._clock())
        ).fetchone()
        return None if row is None else str(row[0])

    def _put(self, c: sqlite3.Connection, key: str, value: str, ttl: float | None) -> None:
        c.execute(
            "INSERT INTO kv (key, value, expires) VALUES (?, ?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value, expires = excluded.expires",
            (key, value, self._expires(ttl)),
        )

    def get_now(self, key: str) -> str | None:
        return self.run_sync(lambda c: self._read(c, key), write=False)

    async def get(self, key: str) -> str | None:
        return await self._run(lambda c: self._read(c, key), write=False)

    async def set(self, key: str, value: str, ttl: float | None = None) -> None:
        await self._run(lambda c: self._put(c, key, value, ttl))

    async def add(self, key: str, value: str, ttl: float | None = None) -> bool:
        def op(c: sqlite3.Connection) -> bool:
            if self._read(c, key) is not None:
                return False
            self._put(c, key, value, ttl)
            return True

        return await self._run(op)

    async def take(self, key: str) -> str | None:
        def op(c: sqlite3.Connection) -> str | None:
            value = self._read(c, key)
            c.execute("DELETE FROM kv WHERE key = ?", (key,))
            return value

        return await self._run(op)

    async def delete(self, key: str) -> None:
        await self._run(lambda c: c.execute("DELETE FROM kv WHERE key = ?", (key,)))

    async def scan(self, prefix: str) -> dict[str, str]:
        def op(c: sqlite3.Connection) -> dict[str, str]:
            rows = c.execute(
                "SELECT key, value FROM kv WHERE key >= ? AND key < ? AND (expires IS NULL OR expires > ?)",
                (prefix, prefix + "\U0010ffff", self._clock()),
            ).fetchall()
            return {str(k): str(v) for k, v in rows}

        return await self._run(op, write=False)

    async def incr(self, key: str, by: int = 1, ttl: float | None = None) -> int:
        """One statement, atomic on its own (autocommit): a counter that expired starts again at `by`."""

        def op(c: sqlite3.Connection) -> int:
            args = {"key": key, "by": by, "expires": self._expires(ttl), "now": self._clock()}
            return int(c.execute(_INCR, args).fetchone()[0])

        return await self._run(op, write=False)

    async def cas(self, key: str, expected: str | None, new: str | None, ttl: float | None = None) -> bool:
        def op(c: sqlite3.Connection) -> bool:
            if self._read(c, key) != expected:
                return False
            if new is None:
                c.execute("DELETE FROM kv WHERE key = ?", (key,))
            else:
                self._put(c, key, new, ttl)
            return True

        return await self._run(op)

    # -- leases -----------------------------------------------------------------------------------------

    async def acquire(self, name: str, owner: str, ttl: float) -> bool:
        key = lease_key(name)

        def op(c: sqlite3.Connection) -> bool:
            current = self._read(c, key)
            if current is not None and current != owner:
                return False
            self._put(c, key, owner, ttl)
            return True

        return await self._run(op)

    async def release(self, name: str, owner: str) -> bool:
        return await self.cas(lease_key(name), owner, None)

    async def holder(self, name: str) -> str | None:
        return await self.get(lease_key(name))

    # -- notifications ----------------------------------------------------------------------------------

    def subscribe(self, handler: Handler) -> None:
        self._handlers.append(handler)

    def notify(self, channel: str, data: dict[str, Any]) -> None:
        """Queue a notification (in order; written within a few milliseconds, many in one transaction)."""
        self._outbox.append((channel, orjson.dumps(data, default=str).decode(), self._clock()))
        if self._flushing is None and not self._closed:
            with contextlib.suppress(RuntimeError):  # no running loop: close() flushes it
                self._flushing = asyncio.get_running_loop().create_task(self._flush_soon())

    async def _flush_soon(self) -> None:
        try:
            await asyncio.sleep(0.005)
            await self._flush()
        finally:
            self._flushing = None
            if self._outbox and not self._closed:
                self._flushing = asyncio.get_running_loop().create_task(self._flush_soon())

    async def _flush(self) -> None:
        if not self._outbox:
            return
        rows, self._outbox = self._outbox, []
        try:
            await self._run(
                lambda c: c.executemany("INSERT INTO notes (channel, data, ts) VALUES (?, ?, ?)", rows)
            )
        except StateUnavailable:
            self._outbox[:0] = rows  # kept, in order, for the next try
            raise

    async def publish(self, channel: str, data: dict[str, Any]) -> None:
        self.notify(channel, data)
        await self._flush()

    async def _poll(self) -> None:
        while True:
            await asyncio.sleep(POLL_SECONDS)
            try:
                rows = await self._run(self._read_notes, write=self._sweep_due())
            except StateUnavailable:
                await asyncio.sleep(1.0)
                continue
            for note_id, channel, data in rows:
                self._last_id = max(self._last_id, note_id)
                with contextlib.suppress(orjson.JSONDecodeError):
                    await deliver(self._handlers, channel, orjson.loads(data))

    def _sweep_due(self) -> bool:
        """Poll inside a write transaction only when a sweep of old notes and expired keys is due."""
        return self._clock() - self._last_sweep > SWEEP_SECONDS

    def _read_notes(self, c: sqlite3.Connection) -> list[tuple[int, str, str]]:
        now = self._clock()
        if now - self._last_sweep > SWEEP_SECONDS and c.in_transaction:
            self._last_sweep = now
            c.execute("DELETE FROM notes WHERE ts < ?", (now - NOTE_KEEP_SECONDS,))
            c.execute("DELETE FROM kv WHERE expires IS NOT NULL AND expires <= ?", (now,))
        return [
            (int(i), str(ch), str(d))
            for i, ch, d in c.execute(
                "SELECT id, channel, data FROM notes WHERE id > ? ORDER BY id", (self._last_id,)
            ).fetchall()
        ]
