"""SQLite storage: WAL mode, one writer thread that batches inserts, so the event loop never waits on disk."""

from __future__ import annotations

import contextlib
import os
import queue
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import astuple, fields
from typing import Any

from clawgate.store.base import AttemptRecord, HealthRecord

SCHEMA_VERSION = 1

_ATTEMPT_COLS = [f.name for f in fields(AttemptRecord) if f.name != "id"]
_HEALTH_COLS = [f.name for f in fields(HealthRecord) if f.name != "extra"]

_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS attempts (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  {", ".join(f"{c} {'REAL' if c in ('ts', 'latency_ms', 'first_byte_ms') else ''}" for c in _ATTEMPT_COLS)}
);
CREATE INDEX IF NOT EXISTS attempts_ts ON attempts(ts);
CREATE TABLE IF NOT EXISTS health (
  {", ".join(_HEALTH_COLS)},
  PRIMARY KEY (provider, fingerprint, model)
);
"""

_STOP = object()


class SQLiteStore:
    """The embedded default store. Thread-safe; writes go through one background writer thread."""

    def __init__(self, path: str | None, retention_rows: int = 200_000) -> None:
        self.path = path or ":memory:"
        self._retention = retention_rows
        if path:
            os.makedirs(os.path.dirname(path) or ".", mode=0o700, exist_ok=True)
            if not os.path.exists(path):
                fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
                os.close(fd)
        self._read_lock = threading.Lock()
        self._reader = self._connect()
        self._init_schema(self._reader)
        self._writer_conn = self._connect() if path else self._reader
        self._q: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._pending = 0
        self._pending_lock = threading.Condition()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="clawgate-sqlite-writer", daemon=True)
        self._thread.start()

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=10)
        if self.path != ":memory:":
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA busy_timeout=10000")
        return conn

    def _init_schema(self, conn: sqlite3.Connection) -> None:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version < SCHEMA_VERSION:
            conn.executescript(_SCHEMA)
            conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")

    # -- the writer thread ----------------------------------------------------------------------------

    def _submit(self, op: Callable[[sqlite3.Connection], None] | tuple[str, tuple[Any, ...]]) -> None:
        if self._closed:
            return
        with self._pending_lock:
            self._pending += 1
        self._q.put(op)

    def _run(self) -> None:
        conn = self._writer_conn
        inserted = 0
        while True:
            item = self._q.get()
            batch = [item]
            while len(batch) < 1000:
                try:
                    batch.append(self._q.get_nowait())
                except queue.Empty:
                    break
            stop = False
            try:
                with self._lock_for_memory():
                    conn.execute("BEGIN")
                    for op in batch:
                        if op is _STOP:
                            stop = True
                        elif isinstance(op, tuple):
                            conn.execute(op[0], op[1])
                            inserted += op[0].startswith("INSERT INTO attempts")
                        else:
                            op(conn)
                    conn.execute("COMMIT")
                if inserted > 5000:
                    inserted = 0
                    self._trim(conn)
            except sqlite3.Error:
                with contextlib.suppress(sqlite3.Error):
                    conn.execute("ROLLBACK")
            finally:
                with self._pending_lock:
                    self._pending -= len(batch)
                    self._pending_lock.notify_all()
            if stop:
                return

    def _lock_for_memory(self) -> Any:
        # an in-memory database has a single connection shared by reader and writer
        return self._read_lock if self.path == ":memory:" else contextlib.nullcontext()

    def _trim(self, conn: sqlite3.Connection) -> None:
        row = conn.execute("SELECT MAX(id) FROM attempts").fetchone()
        if row and row[0] and row[0] > self._retention:
            conn.execute("DELETE FROM attempts WHERE id <= ?", (row[0] - self._retention,))

    def flush(self, timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        with self._pending_lock:
            while self._pending > 0:
                left = deadline - time.monotonic()
                if left <= 0:
                    return
                self._pending_lock.wait(left)

    def close(self) -> None:
        if self._closed:
            return
        self._submit(_STOP)  # type: ignore[arg-type]
        self._closed = True
        self._thread.join(10)
        with contextlib.suppress(sqlite3.Error):
            self._reader.close()
            if self._writer_conn is not self._reader:
                self._writer_conn.close()

    # -- attempts -------------------------------------------------------------------------------------

    def record_attempt(self, rec: AttemptRecord) -> None:
        values = tuple(getattr(rec, c) for c in _ATTEMPT_COLS)
        sql = f"INSERT INTO attempts ({', '.join(_ATTEMPT_COLS)}) VALUES ({', '.join('?' * len(_ATTEMPT_COLS))})"
        self._submit((sql, values))

    def _query(self, sql: str, args: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        with self._read_lock:
            return self._reader.execute(sql, args).fetchall()

    def recent_attempts(
        self, limit: int = 100, since: float | None = None, failures_only: bool = False
    ) -> list[AttemptRecord]:
        where = []
        args: list[Any] = []
        if since is not None:
            where.append("ts >= ?")
            args.append(since)
        if failures_only:
            where.append("ok = 0")
        sql = f"SELECT id, {', '.join(_ATTEMPT_COLS)} FROM attempts"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY id DESC LIMIT ?"
        args.append(limit)
        out = []
        for row in self._query(sql, tuple(args)):
            data = dict(zip(_ATTEMPT_COLS, row[1:], strict=True))
            data["ok"] = bool(data["ok"])
            data["stream"] = bool(data["stream"])
            data["sent"] = bool(data["sent"])
            out.append(AttemptRecord(id=row[0], **data))
        return out

    def count_attempts(self, since: float | None = None) -> int:
        if since is None:
            return int(self._query("SELECT COUNT(*) FROM attempts", ())[0][0])
        return int(self._query("SELECT COUNT(*) FROM attempts WHERE ts >= ?", (since,))[0][0])

    # -- health ---------------------------------------------------------------------------------------

    def load_health(self) -> list[HealthRecord]:
        rows = self._query(f"SELECT {', '.join(_HEALTH_COLS)} FROM health", ())
        return [HealthRecord(**dict(zip(_HEALTH_COLS, r, strict=True))) for r in rows]

    def save_health(self, rec: HealthRecord) -> None:
        values = astuple(rec)[: len(_HEALTH_COLS)]
        sql = (
            f"INSERT OR REPLACE INTO health ({', '.join(_HEALTH_COLS)}) "
            f"VALUES ({', '.join('?' * len(_HEALTH_COLS))})"
        )
        self._submit((sql, tuple(values)))

    def delete_health(self, provider: str | None = None, fingerprint: str | None = None) -> None:
        where, args = [], []
        if provider:
            where.append("provider = ?")
            args.append(provider)
        if fingerprint:
            where.append("fingerprint = ?")
            args.append(fingerprint)
        sql = "DELETE FROM health" + (" WHERE " + " AND ".join(where) if where else "")
        self._submit((sql, tuple(args)))
