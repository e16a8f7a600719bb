"""SQLite storage: WAL mode, one writer thread that batches inserts, so the event loop never waits on disk."""

from __future__ import annotations

import contextlib
import operator
import os
import queue
import sqlite3
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import astuple
from typing import Any

import orjson

from clawgate.store.base import (
    AttemptRecord,
    CronRecord,
    HealthClear,
    HealthRecord,
    MessageRecord,
    RunRecord,
    SessionRecord,
)
from clawgate.store.schema import (  # noqa: F401  (_SCHEMA, SCHEMA_VERSION: what tests and tools import)
    _ATTEMPT_COLS,
    _CRON_COLS,
    _HEALTH_COLS,
    _MESSAGE_COLS,
    _RUN_COLS,
    _SCHEMA,
    _SESSION_COLS,
    SCHEMA_VERSION,
    _col,
    _decode,
    _encode,
    _upsert,
    migrate,
)


class _Barrier:
    __slots__ = ("future",)

    def __init__(self) -> None:
        self.future: Future[None] = Future()


_STOP = object()
_INSERT_ATTEMPT = (
    f"INSERT INTO attempts ({', '.join(_ATTEMPT_COLS)}) VALUES ({', '.join('?' * len(_ATTEMPT_COLS))})"
)
_attempt_values = operator.attrgetter(*_ATTEMPT_COLS)


class SQLiteStore:
    """The embedded default store. Thread-safe; writes go through one background writer thread."""

    def __init__(
        self, path: str | None, retention_rows: int = 200_000, coalesce_seconds: float = 0.05
    ) -> None:
        self.path = path or ":memory:"
        self._retention = retention_rows
        if path:
            os.makedirs(os.path.dirname(path) or ".", mode=0o700, exist_ok=True)
            if not os.path.exists(path):
                fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
                os.close(fd)
        self._read_lock = threading.Lock()
        self._clears_marked = 0
        self._reader = self._connect()
        self._init_schema(self._reader)
        self._writer_conn = self._connect() if path else self._reader
        self._q: queue.SimpleQueue[Any] = queue.SimpleQueue()
        # the writer waits this long after the first queued write to commit many in one transaction; a
        # barrier, flush or close cuts the wait short (`_urgent`)
        self._coalesce = coalesce_seconds
        self._urgent = threading.Event()
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
        migrate(conn)

    # -- the writer thread ----------------------------------------------------------------------------

    def _submit(self, op: Callable[[sqlite3.Connection], None] | tuple[str, tuple[Any, ...]]) -> None:
        if self._closed:
            return
        with self._pending_lock:
            self._pending += 1
        self._q.put(op)
        if not isinstance(op, tuple) and not callable(op):  # a barrier or the stop marker: commit now
            self._urgent.set()

    def _run(self) -> None:
        conn = self._writer_conn
        inserted = 0
        while True:
            item = self._q.get()
            if self._coalesce > 0 and isinstance(item, tuple) and not self._urgent.is_set():
                self._urgent.wait(self._coalesce)  # let more writes arrive: one commit for many requests
            self._urgent.clear()
            batch = [item]
            while len(batch) < 1000:
                try:
                    batch.append(self._q.get_nowait())
                except queue.Empty:
                    break
            stop = False
            barriers: list[_Barrier] = []
            try:
                with self._lock_for_memory():
                    conn.execute("BEGIN")
                    run_sql: str | None = None
                    run_args: list[tuple[Any, ...]] = []
                    for op in batch:
                        if isinstance(op, tuple):
                            if op[0] is not run_sql and op[0] != run_sql:
                                if run_args:
                                    conn.executemany(run_sql, run_args)  # type: ignore[arg-type]
                                run_sql, run_args = op[0], []
                            run_args.append(op[1])
                            inserted += op[0] is _INSERT_ATTEMPT
                            continue
                        if run_args:
                            conn.executemany(run_sql, run_args)  # type: ignore[arg-type]
                            run_sql, run_args = None, []
                        if op is _STOP:
                            stop = True
                        elif isinstance(op, _Barrier):
                            barriers.append(op)
                        else:
                            op(conn)
                    if run_args:
                        conn.executemany(run_sql, run_args)  # type: ignore[arg-type]
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
                for b in barriers:
                    if b.future.set_running_or_notify_cancel():  # False: the waiter gave up (cancelled)
                        b.future.set_result(None)
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
        self._urgent.set()
        deadline = time.monotonic() + timeout
        with self._pending_lock:
            while self._pending > 0:
                left = deadline - time.monotonic()
                if left <= 0:
                    return
                self._pending_lock.wait(left)

    def barrier(self) -> Future[None]:
        b = _Barrier()
        if self._closed:
            b.future.set_result(None)
            return b.future
        self._submit(b)  # type: ignore[arg-type]
        return b.future

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
        self._submit((_INSERT_ATTEMPT, _attempt_values(rec)))

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

    def failures_by_owner(self, since: float | None = None) -> tuple[int, dict[str, int]]:
        where, args = ("WHERE ts >= ?", (since,)) if since is not None else ("", ())
        rows = self._query(
            f"SELECT ok, owner, COUNT(*) FROM attempts {where} GROUP BY ok, owner",
            args,
        )
        total = sum(int(n) for _, _, n in rows)
        return total, {owner: int(n) for ok, owner, n in rows if not ok and owner}

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

    def delete_health(
        self, provider: str | None = None, fingerprint: str | None = None, model: str | None = None
    ) -> None:
        where: list[str] = []
        args: list[Any] = []
        for col, value in (("provider", provider), ("fingerprint", fingerprint), ("model", model)):
            if value:
                where.append(f"{col} = ?")
                args.append(value)
        sql = "DELETE FROM health" + (" WHERE " + " AND ".join(where) if where else "")
        self._submit((sql, tuple(args)))

    def clear_health(self, provider: str | None = None, fingerprint: str | None = None) -> None:
        self.delete_health(provider, fingerprint)
        self._submit(
            (
                "INSERT INTO health_clears (ts, provider, fingerprint) VALUES (?, ?, ?)",
                (time.time(), provider, fingerprint),
            )
        )
        # the marker moves only once the clear is committed, so whoever sees it move also finds the row (a rare,
        # deliberate act: waiting for the commit here costs nothing that matters)
        self.barrier().result(timeout=10)
        self._mark_clear()

    def _mark_clear(self) -> None:
        self._clears_marked += 1
        if self.path == ":memory:":
            return
        try:  # one byte appended per clear: the size grows even within one mtime tick
            with open(self.path + ".clears", "ab") as f:
                f.write(b".")
        except OSError:
            pass  # the row is there: other processes still find it on their next look

    def health_clears_version(self) -> object:
        if self.path == ":memory:":
            return self._clears_marked
        try:
            st = os.stat(self.path + ".clears")
        except OSError:
            return None
        return (st.st_size, st.st_mtime_ns)

    def health_clears(self, after: int = 0) -> list[HealthClear]:
        if after < 0:
            rows = self._query(
                "SELECT id, ts, provider, fingerprint FROM health_clears ORDER BY id DESC LIMIT 1", ()
            )
        else:
            rows = self._query(
                "SELECT id, ts, provider, fingerprint FROM health_clears WHERE id > ? ORDER BY id", (after,)
            )
        return [HealthClear(int(i), float(ts), p, f) for i, ts, p, f in rows]

    # -- sessions, messages, runs -----------------------------------------------------------------------

    def save_session(self, rec: SessionRecord) -> None:
        self._submit((_upsert("sessions", _SESSION_COLS), tuple(getattr(rec, c) for c in _SESSION_COLS)))

    def _sessions(self, where: str, args: tuple[Any, ...], limit: int) -> list[SessionRecord]:
        sql = f"SELECT {', '.join(_SESSION_COLS)} FROM sessions {where} ORDER BY updated_at DESC LIMIT ?"
        return [SessionRecord(**_decode(_SESSION_COLS, r)) for r in self._query(sql, (*args, limit))]

    def get_session(self, session_id: str) -> SessionRecord | None:
        rows = self._sessions("WHERE id = ?", (session_id,), 1)
        return rows[0] if rows else None

    def list_sessions(
        self, agent: str | None = None, limit: int = 50, kind: str | None = None
    ) -> list[SessionRecord]:
        where, args = [], []
        if agent:
            where.append("agent = ?")
            args.append(agent)
        if kind:
            where.append("kind = ?")
            args.append(kind)
        return self._sessions(("WHERE " + " AND ".join(where)) if where else "", tuple(args), limit)

    def find_session(self, agent: str, title: str, kind: str | None = None) -> SessionRecord | None:
        where, args = "WHERE agent = ? AND title = ?", [agent, title]
        if kind:
            where += " AND kind = ?"
            args.append(kind)
        rows = self._sessions(where, tuple(args), 1)
        return rows[0] if rows else None

    def save_message(self, rec: MessageRecord) -> None:
        values = tuple(_encode(c, getattr(rec, c)) for c in _MESSAGE_COLS)
        self._submit((_upsert("messages", _MESSAGE_COLS), values))

    def list_messages(self, session_id: str) -> list[MessageRecord]:
        sql = f"SELECT {', '.join(_MESSAGE_COLS)} FROM messages WHERE session_id = ? ORDER BY seq"
        return [MessageRecord(**_decode(_MESSAGE_COLS, r)) for r in self._query(sql, (session_id,))]

    def count_messages(self, session_ids: list[str]) -> dict[str, int]:
        if not session_ids:
            return {}
        marks = ", ".join("?" * len(session_ids))
        sql = f"SELECT session_id, COUNT(*) FROM messages WHERE session_id IN ({marks}) GROUP BY session_id"
        return {r[0]: int(r[1]) for r in self._query(sql, tuple(session_ids))}

    def trim_messages(self, session_id: str, keep: int) -> None:
        sql = (
            "DELETE FROM messages WHERE session_id = ? AND seq <= (SELECT seq FROM messages WHERE "
            "session_id = ? ORDER BY seq DESC LIMIT 1 OFFSET ?)"
        )
        self._submit((sql, (session_id, session_id, keep)))

    def save_run(self, rec: RunRecord) -> None:
        values = tuple(_encode(c, getattr(rec, c)) for c in _RUN_COLS)
        self._submit((_upsert("runs", _RUN_COLS), values))

    def _runs(self, where: str, args: tuple[Any, ...]) -> list[RunRecord]:
        sql = f"SELECT {', '.join(_col(c) for c in _RUN_COLS)} FROM runs {where} ORDER BY created_at"
        return [RunRecord(**_decode(_RUN_COLS, r)) for r in self._query(sql, args)]

    def get_run(self, run_id: str) -> RunRecord | None:
        rows = self._runs("WHERE id = ?", (run_id,))
        return rows[0] if rows else None

    def list_runs(self, session_id: str) -> list[RunRecord]:
        return self._runs("WHERE session_id = ?", (session_id,))

    def active_runs(self) -> list[RunRecord]:
        return self._runs("WHERE status IN ('queued', 'running')", ())

    def mark_interrupted(self, now: float) -> tuple[int, int]:
        counts = [0, 0]
        error = orjson.dumps(
            {
                "owner": "runtime",
                "code": "runtime.interrupted",
                "message": "the gateway stopped while this run was in flight; the reply so far is kept",
                "next": ["send the message again"],
            }
        ).decode()

        def op(conn: sqlite3.Connection) -> None:
            cur = conn.execute(
                "UPDATE messages SET status = 'interrupted', error = COALESCE(error, ?), updated_at = ? "
                "WHERE status = 'streaming'",
                (error, now),
            )
            counts[0] = cur.rowcount
            cur = conn.execute(
                "UPDATE runs SET status = 'interrupted', ended_at = ?, error = COALESCE(error, ?) "
                "WHERE status IN ('queued', 'running')",
                (now, error),
            )
            counts[1] = cur.rowcount

        self._submit(op)
        self.barrier().result(30)
        return counts[0], counts[1]

    # -- cron -----------------------------------------------------------------------------------------

    def record_cron(self, rec: CronRecord) -> None:
        values = tuple(_encode(c, getattr(rec, c)) for c in _CRON_COLS)
        sql = f"INSERT INTO cron_runs ({', '.join(_CRON_COLS)}) VALUES ({', '.join('?' * len(_CRON_COLS))})"
        self._submit((sql, values))

    def cron_history(self, job_id: str | None = None, limit: int = 50) -> list[CronRecord]:
        sql = f"SELECT id, {', '.join(_CRON_COLS)} FROM cron_runs"
        args: tuple[Any, ...] = ()
        if job_id:
            sql += " WHERE job_id = ?"
            args = (job_id,)
        sql += " ORDER BY id DESC LIMIT ?"
        return [CronRecord(id=r[0], **_decode(_CRON_COLS, r[1:])) for r in self._query(sql, (*args, limit))]
