"""PostgreSQL storage (asyncpg with a pool) for the durable records of many gateway processes and machines.

The `Store` protocol stays what the rest of clawgate uses: writes return at once and are committed in batches
by a writer that runs on the store's own event loop in its own thread (the serving loop never waits on the
database); `barrier()` completes once everything before it is committed. A batch that fails because the
database is unreachable is kept and retried (every second) until it commits — never dropped; a batch that fails
for its data is split and each failing write is reported. Reads raise `StoreUnavailable` while the database is
away (the sessions API answers 503, owner `runtime`).
"""

from __future__ import annotations

import asyncio
import contextlib
import operator
import queue
import threading
import time
from collections.abc import Awaitable, Callable, Coroutine
from concurrent.futures import Future
from dataclasses import astuple
from typing import Any, TypeVar

import orjson

from clawgate import logs as log
from clawgate.state.redis import url_host
from clawgate.store.base import (
    AttemptRecord,
    CronRecord,
    HealthClear,
    HealthRecord,
    MessageRecord,
    RunRecord,
    SessionRecord,
    StoreUnavailable,
)
from clawgate.store.columns import (
    ATTEMPT_COLS,
    CRON_COLS,
    HEALTH_COLS,
    INTERRUPTED_ERROR,
    MESSAGE_COLS,
    MESSAGE_UPDATE_COLS,
    RUN_COLS,
    SESSION_COLS,
    col,
    decode,
    encode,
)
from clawgate.store.pg_clients import PostgresClients
from clawgate.store.pg_migrations import LOCK_ID, MIGRATIONS
from clawgate.store.responses import POSTGRES, ResponsesStore

T = TypeVar("T")
Op = tuple[str, tuple[Any, ...]] | Callable[[Any], Awaitable[None]]
RETRY_SECONDS = 1.0
READ_TIMEOUT = 5.0
CLEARS_EVERY = 0.2  # seconds between two looks at the newest health clear


def _marks(n: int, start: int = 1) -> str:
    return ", ".join(f"${i}" for i in range(start, start + n))


def _upsert(table: str, cols: list[str], key: tuple[str, ...], update: list[str] | None = None) -> str:
    names = ", ".join(col(c) for c in cols)
    sets = ", ".join(f"{col(c)} = excluded.{col(c)}" for c in (update or [c for c in cols if c not in key]))
    return f"INSERT INTO {table} ({names}) VALUES ({_marks(len(cols))}) ON CONFLICT ({', '.join(key)}) DO UPDATE SET {sets}"


_INSERT_ATTEMPT = f"INSERT INTO attempts ({', '.join(ATTEMPT_COLS)}) VALUES ({_marks(len(ATTEMPT_COLS))})"
_attempt_values = operator.attrgetter(*ATTEMPT_COLS)
_SAVE_HEALTH = _upsert("health", HEALTH_COLS, ("provider", "fingerprint", "model"))
_SAVE_SESSION = _upsert("sessions", SESSION_COLS, ("id",))
_SAVE_RUN = _upsert("runs", RUN_COLS, ("id",))
_UPDATE_MESSAGE = (
    "UPDATE messages SET "
    + ", ".join(f"{c} = ${i}" for i, c in enumerate(MESSAGE_UPDATE_COLS, 2))
    + " WHERE id = $1"
)
# a new message takes the next seq of its session from `session_seqs` (a row lock: two processes never get
# the same one); explicit seqs (imports, tests) are kept
_INSERT_MESSAGE = (
    "WITH s AS (INSERT INTO session_seqs AS q (session_id, last) VALUES "
    "($2, COALESCE((SELECT MAX(seq) FROM messages WHERE session_id = $2), 0) + 1) "
    "ON CONFLICT (session_id) DO UPDATE SET last = GREATEST(q.last + 1, $3) RETURNING last) "
    f"INSERT INTO messages ({', '.join(MESSAGE_COLS)}) VALUES ("
    + ", ".join(
        "CASE WHEN $3 > 0 THEN $3 ELSE (SELECT last FROM s) END" if c == "seq" else f"${i}"
        for i, c in enumerate(MESSAGE_COLS, 1)
    )
    + ") ON CONFLICT (id) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in MESSAGE_UPDATE_COLS)
)
_MOVE_TO_END = (
    "WITH s AS (UPDATE session_seqs SET last = last + 1 WHERE session_id = $1 RETURNING last) "
    "UPDATE messages SET seq = (SELECT last FROM s) WHERE id = $2 AND EXISTS (SELECT 1 FROM s) "
    "AND seq < (SELECT MAX(seq) FROM messages WHERE session_id = $1)"
)
_INSERT_CRON = f"INSERT INTO cron_runs ({', '.join(CRON_COLS)}) VALUES ({_marks(len(CRON_COLS))})"


def _down_errors() -> tuple[type[BaseException], ...]:
    import asyncpg

    return (
        OSError,
        TimeoutError,
        asyncpg.exceptions.PostgresConnectionError,
        asyncpg.exceptions.InterfaceError,
        asyncpg.exceptions.CannotConnectNowError,
        asyncpg.exceptions.AdminShutdownError,
        asyncpg.exceptions.CrashShutdownError,
        asyncpg.exceptions.TooManyConnectionsError,
        asyncpg.exceptions.DeadlockDetectedError,
        asyncpg.exceptions.SerializationError,
    )


class _Barrier:
    __slots__ = ("future",)

    def __init__(self) -> None:
        self.future: Future[None] = Future()


_STOP = object()


class PostgresStore(ResponsesStore, PostgresClients):
    def __init__(
        self,
        url: str,
        pool_size: int = 4,
        retention_rows: int = 200_000,
        coalesce_seconds: float = 0.05,
        queue_limit: int = 200_000,
        connect_timeout: float = 5.0,
    ) -> None:
        self.url = url
        self.host = url_host(url)
        self._pool_size = pool_size
        self._retention = retention_rows
        self._coalesce = coalesce_seconds
        self._queue_limit = queue_limit
        self._q: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._pending = 0
        self._pending_lock = threading.Condition()
        self._clears_at = -CLEARS_EVERY
        self._clears_seen: object = None
        self._known: set[str] = set()  # message ids this process inserted (later saves are plain updates)
        self._pool: Any = None
        self._error: str | None = None
        self._since: float | None = None
        self.retries = 0
        self.failed_writes = 0
        self.dropped = 0
        self._closed = False
        self._loop = asyncio.new_event_loop()
        self._urgent: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._serve, name="clawgate-postgres", daemon=True)
        self._ready = threading.Event()
        self._thread.start()
        self._ready.wait(10)
        # the first connection (and the migrations) before anyone reads; an unreachable database is reported
        # and retried, never fatal: model calls do not need it
        with contextlib.suppress(StoreUnavailable, TimeoutError):
            self._call(self._ensure_pool(), timeout=connect_timeout + 5)

    # -- the store's own loop -------------------------------------------------------------------------

    def _serve(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._urgent = asyncio.Event()
        self._writer = self._loop.create_task(self._write_loop())
        self._ready.set()
        self._loop.run_forever()

    def _call(self, coro: Coroutine[Any, Any, T], timeout: float = READ_TIMEOUT) -> T:
        fut = asyncio.run_coroutine_threadsafe(coro, self._loop)
        try:
            return fut.result(timeout)
        except TimeoutError:
            fut.cancel()
            raise self._down(TimeoutError(f"no answer within {timeout:g} s")) from None

    def _down(self, exc: BaseException) -> StoreUnavailable:
        if self._error is None:
            self._since = time.time()
            log.event(
                "state.database_unreachable",
                f"PostgreSQL at {self.host} is unreachable ({type(exc).__name__}); writes wait and are retried",
                level=30,
                host=self.host,
            )
        self._error = f"{type(exc).__name__}: {_scrub(str(exc), self.url)}"
        return unavailable(self.host, self._error)

    def _up(self) -> None:
        if self._error is not None:
            log.event(
                "state.database_reconnected",
                f"PostgreSQL at {self.host} answers again after {time.time() - (self._since or time.time()):.1f} s",
            )
        self._error, self._since = None, None

    async def _ensure_pool(self) -> Any:
        if self._pool is not None:
            return self._pool
        import asyncpg

        try:
            pool = await asyncpg.create_pool(
                self.url, min_size=1, max_size=self._pool_size, timeout=5, command_timeout=30
            )
            async with pool.acquire() as conn, conn.transaction():
                await conn.execute("SELECT pg_advisory_xact_lock($1)", LOCK_ID)
                await conn.execute(
                    "CREATE TABLE IF NOT EXISTS clawgate_migrations (version INTEGER PRIMARY KEY, "
                    "description TEXT, applied_at DOUBLE PRECISION)"
                )
                done = {r[0] for r in await conn.fetch("SELECT version FROM clawgate_migrations")}
                for version, description, sql in MIGRATIONS:
                    if version not in done:
                        await conn.execute(sql)
                        await conn.execute(
                            "INSERT INTO clawgate_migrations VALUES ($1, $2, $3)",
                            version,
                            description,
                            time.time(),
                        )
        except _down_errors() as exc:
            raise self._down(exc) from None
        self._pool = pool
        self._up()
        return pool

    async def _write_loop(self) -> None:
        assert self._urgent is not None
        retry: list[Any] = []
        while True:
            if not retry and self._q.empty():
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self._coalesce if self._coalesce > 0 else 0.05):
                        await self._urgent.wait()
            elif self._coalesce > 0 and not self._urgent.is_set():
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self._coalesce):
                        await self._urgent.wait()
            self._urgent.clear()
            if self._error is not None and not retry and self._q.empty():
                await self._probe()  # nothing to write: find out anyway when the database is back
                continue
            batch = retry
            retry = []
            while len(batch) < 1000:
                try:
                    batch.append(self._q.get_nowait())
                except queue.Empty:
                    break
            if not batch:
                continue
            ops = [op for op in batch if isinstance(op, tuple) or (callable(op) and op is not _STOP)]
            try:
                await self._write(ops)
            except Exception as exc:
                if not isinstance(exc, StoreUnavailable):  # a bug of ours: the writer never dies of it
                    log.event("state.writer_failed", f"{type(exc).__name__}: {exc}", level=40, exc_info=True)
                if self._closed and any(op is _STOP for op in batch):
                    self._settle(batch)  # closing with the database away: what is left is reported
                    self.failed_writes += len(ops)
                    log.event("state.write_failed", f"{len(ops)} write(s) not stored at close", level=40)
                    return
                await asyncio.sleep(RETRY_SECONDS)
                retry = batch  # kept, in order, with everything that arrived meanwhile behind it
                continue
            self._settle(batch)
            if any(op is _STOP for op in batch):
                return

    async def _probe(self) -> None:
        await asyncio.sleep(RETRY_SECONDS)
        with contextlib.suppress(Exception):
            pool = await self._ensure_pool()
            try:
                await pool.fetchval("SELECT 1")
            except _down_errors() as exc:
                raise self._down(exc) from None
            self._up()

    def _settle(self, batch: list[Any]) -> None:
        with self._pending_lock:
            self._pending -= len(batch)
            self._pending_lock.notify_all()
        for b in batch:
            if isinstance(b, _Barrier) and b.future.set_running_or_notify_cancel():
                b.future.set_result(None)

    async def _write(self, ops: list[Any]) -> None:
        if not ops:
            return
        import asyncpg

        pool = await self._ensure_pool()
        try:
            await self._apply(pool, ops)
            self._up()
            return
        except _down_errors() as exc:
            self.retries += 1
            raise self._down(exc) from None
        except asyncpg.exceptions.PostgresError:
            pass
        for op in ops:  # a data error: find the write(s) at fault, keep the rest
            try:
                await self._apply(pool, [op])
            except _down_errors() as exc:
                raise self._down(exc) from None
            except asyncpg.exceptions.PostgresError as exc:
                self.failed_writes += 1
                what = op[0].split("(")[0][:60] if isinstance(op, tuple) else getattr(op, "__name__", "op")
                log.event(
                    "state.write_failed",
                    f"a write to PostgreSQL at {self.host} failed and was not stored: {what}: {exc}",
                    level=40,
                    failed=self.failed_writes,
                )

    async def _apply(self, pool: Any, ops: list[Any]) -> None:
        async with pool.acquire() as conn, conn.transaction():
            run_sql: str | None = None
            run_args: list[tuple[Any, ...]] = []
            for op in ops:
                if isinstance(op, tuple):
                    if op[0] is not run_sql:
                        if run_args:
                            await conn.executemany(run_sql, run_args)
                        run_sql, run_args = op[0], []
                    run_args.append(op[1])
                    continue
                if run_args:
                    await conn.executemany(run_sql, run_args)
                    run_sql, run_args = None, []
                await op(conn)
            if run_args:
                await conn.executemany(run_sql, run_args)

    # -- writes ---------------------------------------------------------------------------------------

    def _submit(self, op: Any) -> None:
        if self._closed:
            return
        with self._pending_lock:
            if self._pending >= self._queue_limit and isinstance(op, tuple) and op[0] is _INSERT_ATTEMPT:
                self.dropped += 1  # the request log only; reported in status and the log
                if self.dropped in (1, 10, 100) or self.dropped % 1000 == 0:
                    log.event(
                        "state.write_dropped",
                        f"PostgreSQL at {self.host} has been away with {self._pending} writes waiting: "
                        f"{self.dropped} request-log row(s) were not kept",
                        level=40,
                    )
                return
            self._pending += 1
        self._q.put(op)
        if not isinstance(op, tuple) and not callable(op):
            self._wake()

    def _wake(self) -> None:
        if self._urgent is not None and not self._loop.is_closed():
            with contextlib.suppress(RuntimeError):
                self._loop.call_soon_threadsafe(self._urgent.set)

    def barrier(self) -> Future[None]:
        b = _Barrier()
        if self._closed:
            b.future.set_result(None)
            return b.future
        self._submit(b)
        return b.future

    def flush(self, timeout: float = 5.0) -> None:
        self._wake()
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
        self._closed = True
        with self._pending_lock:
            self._pending += 1
        self._q.put(_STOP)
        self._wake()
        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(
                asyncio.wait_for(asyncio.shield(self._writer), 10), self._loop
            ).result(12)

        async def shutdown() -> None:
            if self._pool is not None:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(self._pool.close(), 5)

        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(shutdown(), self._loop).result(7)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)

    def record_attempt(self, rec: AttemptRecord) -> None:
        self._submit((_INSERT_ATTEMPT, _attempt_values(rec)))

    def save_health(self, rec: HealthRecord) -> None:
        self._submit((_SAVE_HEALTH, tuple(astuple(rec)[: len(HEALTH_COLS)])))

    def delete_health(
        self, provider: str | None = None, fingerprint: str | None = None, model: str | None = None
    ) -> None:
        where, args = _where({"provider": provider, "fingerprint": fingerprint, "model": model})
        sql = "DELETE FROM health" + where

        async def op(conn: Any) -> None:
            await conn.execute(sql, *args)

        self._submit(op)

    def clear_health(self, provider: str | None = None, fingerprint: str | None = None) -> None:
        self.delete_health(provider, fingerprint)
        self._submit(
            (
                "INSERT INTO health_clears (ts, provider, fingerprint) VALUES ($1, $2, $3)",
                (time.time(), provider, fingerprint),
            )
        )

    def save_session(self, rec: SessionRecord) -> None:
        self._submit((_SAVE_SESSION, tuple(getattr(rec, c) for c in SESSION_COLS)))

    def save_message(self, rec: MessageRecord) -> None:
        if rec.id in self._known:
            values = (rec.id, *(encode(c, getattr(rec, c)) for c in MESSAGE_UPDATE_COLS))
            self._submit((_UPDATE_MESSAGE, values))
            return
        if len(self._known) > 100_000:
            self._known.clear()
        self._known.add(rec.id)
        self._submit((_INSERT_MESSAGE, tuple(encode(c, getattr(rec, c)) for c in MESSAGE_COLS)))

    def move_to_end(self, session_id: str, message_id: str) -> None:
        self._submit((_MOVE_TO_END, (session_id, message_id)))

    def trim_messages(self, session_id: str, keep: int) -> None:
        sql = (
            "DELETE FROM messages WHERE session_id = $1 AND seq <= (SELECT seq FROM messages WHERE "
            "session_id = $1 ORDER BY seq DESC LIMIT 1 OFFSET $2)"
        )
        self._submit((sql, (session_id, keep)))

    def save_run(self, rec: RunRecord) -> None:
        self._submit((_SAVE_RUN, tuple(encode(c, getattr(rec, c)) for c in RUN_COLS)))

    def record_cron(self, rec: CronRecord) -> None:
        self._submit((_INSERT_CRON, tuple(encode(c, getattr(rec, c)) for c in CRON_COLS)))

    def mark_interrupted(self, now: float, only: list[str] | None = None) -> tuple[int, int]:
        if only is not None and not only:
            return 0, 0
        error = orjson.dumps(INTERRUPTED_ERROR).decode()
        counts = [0, 0]

        async def op(conn: Any) -> None:
            runs = "status IN ('queued', 'running')" + (" AND id = ANY($3::text[])" if only else "")
            msgs = "status = 'streaming'" + (" AND run_id = ANY($3::text[])" if only else "")
            extra = (list(only),) if only else ()
            r = await conn.execute(
                f"UPDATE messages SET status = 'interrupted', error = COALESCE(error, $1), updated_at = $2 "
                f"WHERE {msgs}",
                error,
                now,
                *extra,
            )
            counts[0] = int(r.split()[-1])
            r = await conn.execute(
                f"UPDATE runs SET status = 'interrupted', error = COALESCE(error, $1), ended_at = $2 WHERE {runs}",
                error,
                now,
                *extra,
            )
            counts[1] = int(r.split()[-1])

        self._submit(op)
        try:
            self.barrier().result(30)
        except TimeoutError:
            raise unavailable(self.host, self._error or "no answer within 30 s") from None
        return counts[0], counts[1]

    # -- reads ----------------------------------------------------------------------------------------

    _responses_sql = POSTGRES

    def _response_rows(self, sql: str, args: tuple[Any, ...]) -> list[Any]:
        return self._fetch(sql, *args)

    def _fetch(self, sql: str, *args: Any) -> list[Any]:
        if self._closed:
            raise unavailable(self.host, "the store is closed")

        async def run() -> list[Any]:
            pool = await self._ensure_pool()
            try:
                rows = await pool.fetch(sql, *args)
            except _down_errors() as exc:
                raise self._down(exc) from None
            self._up()
            return list(rows)

        return self._call(run())

    def recent_attempts(
        self, limit: int = 100, since: float | None = None, failures_only: bool = False
    ) -> list[AttemptRecord]:
        where, args = [], []
        if since is not None:
            args.append(since)
            where.append(f"ts >= ${len(args)}")
        if failures_only:
            where.append("ok = false")
        args.append(limit)
        sql = (
            f"SELECT id, {', '.join(ATTEMPT_COLS)} FROM attempts"
            + (" WHERE " + " AND ".join(where) if where else "")
            + f" ORDER BY id DESC LIMIT ${len(args)}"
        )
        return [
            AttemptRecord(id=r[0], **dict(zip(ATTEMPT_COLS, r[1:], strict=True)))
            for r in self._fetch(sql, *args)
        ]

    def count_attempts(self, since: float | None = None) -> int:
        if since is None:
            return int(self._fetch("SELECT COUNT(*) FROM attempts")[0][0])
        return int(self._fetch("SELECT COUNT(*) FROM attempts WHERE ts >= $1", since)[0][0])

    def load_health(self) -> list[HealthRecord]:
        rows = self._fetch(f"SELECT {', '.join(HEALTH_COLS)} FROM health")
        return [HealthRecord(**dict(zip(HEALTH_COLS, r, strict=True))) for r in rows]

    def _sessions(self, where: str, args: tuple[Any, ...], limit: int) -> list[SessionRecord]:
        sql = (
            f"SELECT {', '.join(SESSION_COLS)} FROM sessions {where} ORDER BY updated_at DESC "
            f"LIMIT ${len(args) + 1}"
        )
        return [SessionRecord(**decode(SESSION_COLS, r)) for r in self._fetch(sql, *args, limit)]

    def get_session(self, session_id: str) -> SessionRecord | None:
        rows = self._sessions("WHERE id = $1", (session_id,), 1)
        return rows[0] if rows else None

    def list_sessions(
        self, agent: str | None = None, limit: int = 50, kind: str | None = None
    ) -> list[SessionRecord]:
        where, args = _where({"agent": agent, "kind": kind})
        return self._sessions(where, tuple(args), limit)

    def find_session(self, agent: str, title: str, kind: str | None = None) -> SessionRecord | None:
        where, args = _where({"agent": agent, "title": title, "kind": kind})
        rows = self._sessions(where, tuple(args), 1)
        return rows[0] if rows else None

    def list_messages(self, session_id: str) -> list[MessageRecord]:
        sql = f"SELECT {', '.join(MESSAGE_COLS)} FROM messages WHERE session_id = $1 ORDER BY seq"
        return [MessageRecord(**decode(MESSAGE_COLS, r)) for r in self._fetch(sql, session_id)]

    def count_messages(self, session_ids: list[str]) -> dict[str, int]:
        if not session_ids:
            return {}
        sql = (
            "SELECT session_id, COUNT(*) FROM messages WHERE session_id = ANY($1::text[]) GROUP BY session_id"
        )
        return {r[0]: int(r[1]) for r in self._fetch(sql, list(session_ids))}

    def _runs(self, where: str, *args: Any) -> list[RunRecord]:
        sql = f"SELECT {', '.join(col(c) for c in RUN_COLS)} FROM runs {where} ORDER BY created_at"
        return [RunRecord(**decode(RUN_COLS, r)) for r in self._fetch(sql, *args)]

    def get_run(self, run_id: str) -> RunRecord | None:
        rows = self._runs("WHERE id = $1", run_id)
        return rows[0] if rows else None

    def list_runs(self, session_id: str) -> list[RunRecord]:
        return self._runs("WHERE session_id = $1", session_id)

    def active_runs(self) -> list[RunRecord]:
        return self._runs("WHERE status IN ('queued', 'running')")

    def failures_by_owner(self, since: float | None = None) -> tuple[int, dict[str, int]]:
        where, args = ("WHERE ts >= $1", (since,)) if since is not None else ("", ())
        rows = self._fetch(f"SELECT ok, owner, COUNT(*) FROM attempts {where} GROUP BY ok, owner", *args)
        total = sum(int(r[2]) for r in rows)
        return total, {r[1]: int(r[2]) for r in rows if not r[0] and r[1]}

    def health_clears_version(self) -> object:
        """The newest clear's id, read at most every CLEARS_EVERY seconds (a refusing registry asks; with
        PostgreSQL, clears also arrive at once through the shared state's notification)."""
        now = time.monotonic()
        if now - self._clears_at >= CLEARS_EVERY and self.available:
            self._clears_at = now
            with contextlib.suppress(StoreUnavailable):
                self._clears_seen = self._fetch("SELECT COALESCE(MAX(id), 0) FROM health_clears")[0][0]
        return self._clears_seen

    def health_clears(self, after: int = 0) -> list[HealthClear]:
        if not self.available:
            return []  # asked on the path of a call: never raise there (the clear arrives when it is back)
        try:
            if after < 0:
                rows = self._fetch(
                    "SELECT id, ts, provider, fingerprint FROM health_clears ORDER BY id DESC LIMIT 1"
                )
            else:
                rows = self._fetch(
                    "SELECT id, ts, provider, fingerprint FROM health_clears WHERE id > $1 ORDER BY id", after
                )
        except StoreUnavailable:
            return []
        return [HealthClear(int(r[0]), float(r[1]), r[2], r[3]) for r in rows]

    def cron_history(self, job_id: str | None = None, limit: int = 50) -> list[CronRecord]:
        where, args = _where({"job_id": job_id})
        sql = (
            f"SELECT id, {', '.join(CRON_COLS)} FROM cron_runs{where} ORDER BY id DESC LIMIT ${len(args) + 1}"
        )
        return [CronRecord(id=r[0], **decode(CRON_COLS, r[1:])) for r in self._fetch(sql, *args, limit)]

    # -- status ---------------------------------------------------------------------------------------

    @property
    def available(self) -> bool:
        return self._error is None and self._pool is not None

    def status(self) -> dict[str, Any]:
        return {
            "engine": "postgres",
            "host": self.host,
            "reachable": self.available,
            "error": self._error,
            "since": self._since,
            "queued": self._pending,
            "retries": self.retries,
            "failed_writes": self.failed_writes,
            "dropped": self.dropped,
        }


def _where(filters: dict[str, Any]) -> tuple[str, list[Any]]:
    parts, args = [], []
    for name, value in filters.items():
        if value:
            args.append(value)
            parts.append(f"{name} = ${len(args)}")
    return (" WHERE " + " AND ".join(parts)) if parts else "", args


def unavailable(host: str, error: str) -> StoreUnavailable:
    return StoreUnavailable(
        f"the sessions database (PostgreSQL at {host}) is unreachable ({error}); model calls keep working, "
        "sessions wait for it",
        next_steps=["clawgate doctor", f"check the PostgreSQL server at {host} (state.database)"],
    )


def _scrub(text: str, url: str) -> str:
    from urllib.parse import urlsplit

    with contextlib.suppress(ValueError):
        password = urlsplit(url).password
        if password:
            text = text.replace(password, "***")
    return text.replace(url, url_host(url))
