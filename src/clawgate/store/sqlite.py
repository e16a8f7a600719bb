"""SQLite storage: WAL mode, one writer thread that batches inserts, so the event loop never waits on disk."""

from __future__ import annotations

import contextlib
import functools
import itertools
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

from clawgate import logs as log
from clawgate import sqlite_wal
from clawgate.store.base import (
    AttemptRecord,
    CronRecord,
    HealthClear,
    HealthRecord,
    MessageRecord,
    RunRecord,
    SessionRecord,
)
from clawgate.store.columns import INTERRUPTED_ERROR, MESSAGE_UPDATE_COLS
from clawgate.store.columns import decode as _decode
from clawgate.store.columns import encode as _encode
from clawgate.store.responses import SQLITE, ResponsesStore
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
    _upsert,
    migrate,
)
from clawgate.store.sqlite_clients import SQLiteClients

RETRY_DELAYS = (0.05, 0.2, 0.5, 1.0, 2.0)  # a batch that fails for a busy/locked file is tried again
# a message is inserted with the next `seq` of its session (assigned here, in the writer's transaction, which
# the file's lock makes the only one: two processes never get the same seq); an update keeps its place
_SAVE_MESSAGE = (
    f"INSERT INTO messages ({', '.join(_MESSAGE_COLS)}) VALUES ("
    + ", ".join(
        "CASE WHEN ? > 0 THEN ? ELSE COALESCE((SELECT MAX(seq) FROM messages WHERE session_id = ?), 0) + 1 END"
        if c == "seq"
        else "?"
        for c in _MESSAGE_COLS
    )
    + ") ON CONFLICT(id) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in MESSAGE_UPDATE_COLS)
)
_MOVE_TO_END = (
    "UPDATE messages SET seq = (SELECT MAX(seq) FROM messages WHERE session_id = ?) + 1 "
    "WHERE id = ? AND seq < (SELECT MAX(seq) FROM messages WHERE session_id = ?)"
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
# attempts are inserted many rows per statement: one step (one release of the GIL, which the serving loop then
# has to give back) per ROWS_PER_INSERT rows instead of one per row
ROWS_PER_INSERT = 50
_flat = itertools.chain.from_iterable
_ROW = "(" + ", ".join("?" * len(_ATTEMPT_COLS)) + ")"


@functools.lru_cache(maxsize=ROWS_PER_INSERT)
def _insert_attempts(rows: int) -> str:
    return f"INSERT INTO attempts ({', '.join(_ATTEMPT_COLS)}) VALUES " + ", ".join([_ROW] * rows)


def _many(conn: sqlite3.Connection, sql: str, args: list[tuple[Any, ...]]) -> None:
    """`executemany(sql, args)`; attempts as multi-row inserts."""
    if sql is not _INSERT_ATTEMPT or len(args) == 1:
        conn.executemany(sql, args)
        return
    for i in range(0, len(args), ROWS_PER_INSERT):
        part = args[i : i + ROWS_PER_INSERT]
        conn.execute(_insert_attempts(len(part)), list(_flat(part)))


class SQLiteStore(ResponsesStore, SQLiteClients):
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
        self._clients_marked = 0
        self._reader = self._connect()
        self._init_schema(self._reader)
        self._writer_conn = self._connect() if path else self._reader
        self._q: queue.SimpleQueue[Any] = queue.SimpleQueue()
        # the writer waits this long after the first queued write to commit many in one transaction; a
        # barrier, flush or close cuts the wait short (`_urgent`)
        self._coalesce = coalesce_seconds
        self._urgent = threading.Event()
        self._closed = False
        self.retries = 0  # batches tried again (busy/locked file)
        self.failed_writes = 0  # ops that failed on their own (each reported in the log)
        self._thread = threading.Thread(target=self._run, name="clawgate-sqlite-writer", daemon=True)
        self._thread.start()

    def _connect(self) -> sqlite3.Connection:
        return sqlite_wal.connect(self.path, 10)

    def _init_schema(self, conn: sqlite3.Connection) -> None:
        migrate(conn)

    # -- the writer thread ----------------------------------------------------------------------------

    def _submit(self, op: Callable[[sqlite3.Connection], None] | tuple[str, tuple[Any, ...]]) -> None:
        if self._closed:
            return
        self._q.put(op)
        if not isinstance(op, tuple) and not callable(op):  # a barrier or the stop marker: commit now
            self._urgent.set()

    def _run(self) -> None:
        conn = self._writer_conn
        q = self._q
        inserted = 0
        while True:
            item = q.get()
            if self._coalesce > 0 and item.__class__ is tuple and not self._urgent.is_set():
                self._urgent.wait(self._coalesce)  # let more writes arrive: one commit for many requests
            self._urgent.clear()
            batch = [item]
            for _ in range(min(q.qsize(), 999)):
                batch.append(q.get_nowait())
            # one pass: writes (SQL tuples, callables) in order; barriers and the stop marker after the commit
            ops: list[Any] = []
            barriers: list[_Barrier] = []
            stop = False
            for op in batch:
                if op.__class__ is tuple:
                    ops.append(op)
                    if op[0] is _INSERT_ATTEMPT:
                        inserted += 1
                elif op is _STOP:
                    stop = True
                elif op.__class__ is _Barrier:
                    barriers.append(op)
                else:
                    ops.append(op)
            try:
                self._write(conn, ops)
                if inserted > 5000:
                    inserted = 0
                    with contextlib.suppress(sqlite3.Error):
                        self._trim(conn)
            finally:
                for b in barriers:
                    if b.future.set_running_or_notify_cancel():  # False: the waiter gave up (cancelled)
                        b.future.set_result(None)
            if stop:
                return

    def _write(self, conn: sqlite3.Connection, ops: list[Any]) -> None:
        """Commit `ops` in one transaction; a busy or locked file is retried with backoff. When the batch
        still fails, each op is tried on its own and the ones that fail are reported (never dropped
        silently)."""
        if not ops:
            return
        for delay in (*RETRY_DELAYS, None):
            try:
                self._apply(conn, ops)
                return
            except sqlite3.OperationalError as exc:
                self._rollback(conn)
                if delay is None:
                    break
                self.retries += 1
                log.event("state.write_retry", f"{self.path}: {exc}; retrying in {delay}s", level=30)
                time.sleep(delay)
            except sqlite3.Error:
                self._rollback(conn)
                break
        for op in ops:
            try:
                self._apply(conn, [op])
            except sqlite3.Error as exc:
                self._rollback(conn)
                self.failed_writes += 1
                what = op[0].split("(")[0].strip() if isinstance(op, tuple) else getattr(op, "__name__", "op")
                log.event(
                    "state.write_failed",
                    f"a write to {self.path} failed and was not stored: {what}: {type(exc).__name__}: {exc}",
                    level=40,
                    path=self.path,
                    failed=self.failed_writes,
                )

    def _apply(self, conn: sqlite3.Connection, ops: list[Any]) -> None:
        with self._lock_for_memory():
            conn.execute("BEGIN")
            run_sql: str | None = None
            run_args: list[tuple[Any, ...]] = []
            for op in ops:
                if isinstance(op, tuple):
                    if op[0] is not run_sql and op[0] != run_sql:
                        if run_args:
                            _many(conn, run_sql, run_args)  # type: ignore[arg-type]
                        run_sql, run_args = op[0], []
                    run_args.append(op[1])
                    continue
                if run_args:
                    _many(conn, run_sql, run_args)  # type: ignore[arg-type]
                    run_sql, run_args = None, []
                op(conn)
            if run_args:
                _many(conn, run_sql, run_args)  # type: ignore[arg-type]
            conn.execute("COMMIT")

    def _rollback(self, conn: sqlite3.Connection) -> None:
        with contextlib.suppress(sqlite3.Error):
            if conn.in_transaction:
                conn.execute("ROLLBACK")

    def _lock_for_memory(self) -> Any:
        # an in-memory database has a single connection shared by reader and writer
        return self._read_lock if self.path == ":memory:" else contextlib.nullcontext()

    def _trim(self, conn: sqlite3.Connection) -> None:
        row = conn.execute("SELECT MAX(id) FROM attempts").fetchone()
        if row and row[0] and row[0] > self._retention:
            conn.execute("DELETE FROM attempts WHERE id <= ?", (row[0] - self._retention,))

    def flush(self, timeout: float = 5.0) -> None:
        """Wait (at most `timeout` seconds) until every write submitted before is committed."""
        with contextlib.suppress(TimeoutError):
            self.barrier().result(timeout)

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

    def record_attempt_row(self, row: tuple[Any, ...]) -> None:
        if not self._closed:
            self._q.put((_INSERT_ATTEMPT, row))

    def _query(self, sql: str, args: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        with self._read_lock:
            return self._reader.execute(sql, args).fetchall()

    _response_rows = _query
    _responses_sql = SQLITE

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
        values: list[Any] = []
        for c in _MESSAGE_COLS:
            if c == "seq":
                values += [rec.seq, rec.seq, rec.session_id]
            else:
                values.append(_encode(c, getattr(rec, c)))
        self._submit((_SAVE_MESSAGE, tuple(values)))

    def move_to_end(self, session_id: str, message_id: str) -> None:
        self._submit((_MOVE_TO_END, (session_id, message_id, session_id)))

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

    def mark_interrupted(self, now: float, only: list[str] | None = None) -> tuple[int, int]:
        counts = [0, 0]
        error = orjson.dumps(INTERRUPTED_ERROR).decode()
        if only is not None and not only:
            return 0, 0
        marks = ", ".join("?" * len(only or []))
        runs_where = "status IN ('queued', 'running')" + (f" AND id IN ({marks})" if only else "")
        msgs_where = "status = 'streaming'" + (f" AND run_id IN ({marks})" if only else "")

        def op(conn: sqlite3.Connection) -> None:
            cur = conn.execute(
                f"UPDATE messages SET status = 'interrupted', error = COALESCE(error, ?), updated_at = ? "
                f"WHERE {msgs_where}",
                (error, now, *(only or [])),
            )
            counts[0] = cur.rowcount
            cur = conn.execute(
                f"UPDATE runs SET status = 'interrupted', ended_at = ?, error = COALESCE(error, ?) "
                f"WHERE {runs_where}",
                (now, error, *(only or [])),
            )
            counts[1] = cur.rowcount

        self._submit(op)
        self.barrier().result(30)
        return counts[0], counts[1]

    def status(self) -> dict[str, Any]:
        return {
            "engine": "sqlite",
            "host": None,
            "path": self.path,
            "reachable": True,
            "error": None,
            "queued": self._q.qsize(),
            "retries": self.retries,
            "failed_writes": self.failed_writes,
        }

    @property
    def available(self) -> bool:
        return True

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
