"""The PostgreSQL store's engine: its own event loop in its own thread, the asyncpg pool (the migrations run
on the first connection), the writer that commits queued writes in batches, the reads, and the status.

Writes return at once and are committed in batches by the writer (the serving loop never waits on the
database); `barrier()` completes once everything before it is committed. A batch that fails because the
database is unreachable is kept and retried (every second) until it commits — never dropped; a batch that
fails for its data is split and each failing write is reported. Reads raise `StoreUnavailable` while the
database is away (the sessions API answers 503, owner `runtime`). The queries by subject are the mixins
`PostgresStore` puts on top (`pg_attempts`, `pg_sessions`, `pg_clients`, `responses`).
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
import time
from collections.abc import Coroutine
from concurrent.futures import Future
from typing import Any, TypeVar

from clawgate import logs as log
from clawgate.state.redis import scrub_url, url_host
from clawgate.store.base import StoreUnavailable
from clawgate.store.pg_migrations import LOCK_ID, MIGRATIONS

T = TypeVar("T")
RETRY_SECONDS = 1.0
READ_TIMEOUT = 5.0


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


class PostgresEngine:
    """The loop, pool, writer and reads under `PostgresStore` (the queries by subject are its mixins)."""

    def __init__(
        self,
        url: str,
        pool_size: int = 4,
        retention_rows: int = 200_000,
        coalesce_seconds: float = 0.05,
        queue_limit: int = 200_000,
        connect_timeout: float = 5.0,
    ) -> None:
        super().__init__()  # the mixins' own state (PostgresSessions)
        self.url = url
        self.host = url_host(url)
        self._pool_size = pool_size
        self._retention = retention_rows
        self._coalesce = coalesce_seconds
        self._queue_limit = queue_limit
        self._q: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._pending = 0
        self._pending_lock = threading.Condition()
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
        self._error = f"{type(exc).__name__}: {scrub_url(str(exc), self.url)}"
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

    def _submit(self, op: Any, droppable: bool = False) -> None:
        """Queue a write: a (sql, args) tuple (consecutive ones with the same sql go in one executemany), an
        `async op(conn)`, or a barrier. A `droppable` one (a request-log row) is not kept when the queue holds
        `queue_limit` writes already (the database has been away that long)."""
        if self._closed:
            return
        with self._pending_lock:
            if droppable and self._pending >= self._queue_limit:
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

    # -- reads ----------------------------------------------------------------------------------------

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


def unavailable(host: str, error: str) -> StoreUnavailable:
    return StoreUnavailable(
        f"the sessions database (PostgreSQL at {host}) is unreachable ({error}); model calls keep working, "
        "sessions wait for it",
        next_steps=["clawgate doctor", f"check the PostgreSQL server at {host} (state.database)"],
    )
