"""The durable stores (SQLite file, real PostgreSQL): records round-trip, `seq` is assigned by the store and
unique across two writers, recovery marks only the runs named, kept Responses answers expire and are bounded, a
database made by an older clawgate gains what is new, and a write that fails is retried or reported — never
dropped silently."""

from __future__ import annotations

import sqlite3
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from tests.support.timing import limit

from clawgate.store.base import (
    CronRecord,
    MessageRecord,
    RunRecord,
    SessionRecord,
    StoredResponse,
    StoreUnavailable,
)
from clawgate.store.sqlite import SQLiteStore


def _fresh_pg_db(engine: Any) -> str:
    """A database of its own for one test on the shared server."""
    import asyncio

    import asyncpg

    name = "t_" + uuid.uuid4().hex[:10]

    async def create() -> None:
        conn = await asyncpg.connect(engine.url)
        try:
            await conn.execute(f"CREATE DATABASE {name}")
        finally:
            await conn.close()

    asyncio.run(create())
    return engine.url.rsplit("/", 1)[0] + "/" + name


@pytest.fixture(params=["sqlite", "postgres"])
def make_store(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    if request.param == "sqlite":
        path = str(tmp_path / "state.db")
        return lambda: SQLiteStore(path)
    from clawgate.store.postgres import PostgresStore

    url = _fresh_pg_db(request.getfixturevalue("postgres_engine"))
    return lambda: PostgresStore(url)


def test_records_round_trip_and_recovery_marks_only_the_runs_named(make_store: Any) -> None:
    store = make_store()
    now = time.time()
    try:
        store.save_session(SessionRecord("s1", "main", now, now, title="t"))
        for i, status in enumerate(["complete", "streaming", "streaming"], 1):
            store.save_message(MessageRecord(f"m{i}", "s1", 0, "user", f"c{i}", status, now, run_id=f"r{i}"))
        store.save_run(RunRecord("r2", "s1", "main", "running", now, worker="w-alive"))
        store.save_run(
            RunRecord(
                "r3",
                "s1",
                "main",
                "running",
                now + 1,
                worker="w-dead",
                subagents=[{"a": 1}],
                fallback=[{"b": 2}],
            )
        )
        store.record_cron(CronRecord("job", now, "ok", next_steps=["x"]))
        store.barrier().result(10)
        msgs = store.list_messages("s1")
        assert [(m.id, m.seq) for m in msgs] == [("m1", 1), ("m2", 2), ("m3", 3)]
        assert {r.id: r.worker for r in store.active_runs()} == {"r2": "w-alive", "r3": "w-dead"}
        assert store.mark_interrupted(now + 5, only=["r3"]) == (1, 1)
        runs = {r.id: r for r in store.list_runs("s1")}
        assert runs["r2"].status == "running" and runs["r3"].status == "interrupted"
        assert runs["r3"].subagents == [{"a": 1}] and runs["r3"].error["code"] == "runtime.interrupted"
        assert runs["r3"].fallback == [{"b": 2}] and runs["r2"].fallback is None
        assert [m.status for m in store.list_messages("s1")] == ["complete", "streaming", "interrupted"]
        # an update keeps the seq; moving a message to the end gives it the next one
        m1 = msgs[0]
        m1.content = "edited"
        store.save_message(m1)
        store.move_to_end("s1", "m1")
        store.barrier().result(10)
        assert [(m.id, m.seq, m.content) for m in store.list_messages("s1")][-1] == ("m1", 4, "edited")
        assert store.cron_history()[0].next_steps == ["x"]
        assert store.count_messages(["s1"]) == {"s1": 3}
        assert store.status()["reachable"] is True
        # the request log's counts and health clears (what a running registry pulls)
        from clawgate.store.base import AttemptRecord, HealthRecord

        for ok, owner in ((True, None), (False, "rate_limit"), (False, "rate_limit")):
            store.record_attempt(
                AttemptRecord(
                    now, "c", "request", None, "openai/m", "openai", "m", "x", None, None, ok, owner=owner
                )
            )
        store.save_health(HealthRecord("openai", "fp", "m", "cooling", until=now + 60))
        store.save_health(
            HealthRecord("qwen", "fq", "*", "rejected", until=now + 60, endpoint="https://a/v1")
        )
        store.barrier().result(10)
        assert {h.provider: h.endpoint for h in store.load_health()} == {
            "openai": None,
            "qwen": "https://a/v1",
        }
        assert store.failures_by_owner(now - 1) == (3, {"rate_limit": 2})
        before = store.health_clears_version()
        store.clear_health("openai")
        store.clear_health("qwen")
        store.barrier().result(10)
        time.sleep(0.25)
        assert store.load_health() == [] and [c.provider for c in store.health_clears()] == ["openai", "qwen"]
        assert store.health_clears_version() != before
    finally:
        store.close()


def _kept(rid: str, created: float, ttl: float = 60.0) -> StoredResponse:
    return StoredResponse(
        rid, created, created + ttl, "m", [{"type": "message", "role": "user", "content": rid}]
    )


def test_kept_responses_round_trip_expire_and_are_bounded(make_store: Any) -> None:
    store = make_store()
    now = time.time()
    try:
        store.save_response(_kept("resp_a", now - 30))
        store.save_response(_kept("resp_old", now - 120))  # expired 60 s ago
        store.save_response(_kept("resp_b", now - 20))
        store.save_response(_kept("resp_c", now - 10))
        store.save_response(_kept("resp_c", now - 10, ttl=90))  # saved again: replaced, not doubled
        store.barrier().result(limit(10))
        got = store.get_response("resp_a", now)
        assert got is not None and got.items == [{"type": "message", "role": "user", "content": "resp_a"}]
        assert got.model == "m" and got.expires_at == now + 30
        assert store.get_response("resp_old", now) is None  # expired: as if unknown
        assert store.get_response("resp_nope", now) is None
        c = store.get_response("resp_c", now)
        assert c is not None and c.expires_at == now + 80
        store.prune_responses(now, keep=2)
        store.barrier().result(limit(10))
        kept = [r for r in ("resp_a", "resp_old", "resp_b", "resp_c") if store.get_response(r, now - 1000)]
        assert kept == ["resp_b", "resp_c"]  # the expired row deleted (not only hidden), the oldest beyond 2
        store.delete_response("resp_b")
        store.barrier().result(limit(10))
        assert store.get_response("resp_b", now) is None
    finally:
        store.close()


def test_a_postgres_database_of_an_older_clawgate_gains_the_responses_table(postgres_engine: Any) -> None:
    import asyncio

    import asyncpg

    from clawgate.store.pg_migrations import MIGRATIONS
    from clawgate.store.postgres import PostgresStore

    url = _fresh_pg_db(postgres_engine)

    async def older() -> None:  # the database as the two steps before it left it, with a row
        conn = await asyncpg.connect(url)
        try:
            await conn.execute(
                "CREATE TABLE clawgate_migrations (version INTEGER PRIMARY KEY, description TEXT, "
                "applied_at DOUBLE PRECISION)"
            )
            for version, description, sql in MIGRATIONS[:2]:
                await conn.execute(sql)
                await conn.execute("INSERT INTO clawgate_migrations VALUES ($1, $2, 0)", version, description)
            await conn.execute(
                "INSERT INTO sessions (id, agent, created_at, updated_at, kind) VALUES ('s1', 'main', 1, 1, 'chat')"
            )
        finally:
            await conn.close()

    asyncio.run(older())
    store = PostgresStore(url)
    try:
        assert store.get_session("s1") is not None  # nothing lost
        now = time.time()
        store.save_response(_kept("resp_1", now))
        store.barrier().result(limit(10))
        assert store.get_response("resp_1", now) is not None
    finally:
        store.close()


def test_an_older_database_keeps_its_health_records_and_gains_their_endpoint(
    tmp_path: Path, postgres_engine: Any
) -> None:
    """A health row written before the endpoint was kept loads with none (it applies to every endpoint)."""
    import asyncio

    import asyncpg

    from clawgate.store.base import HealthRecord
    from clawgate.store.pg_migrations import MIGRATIONS
    from clawgate.store.postgres import PostgresStore

    path = tmp_path / "state.db"
    SQLiteStore(str(path)).close()
    con = sqlite3.connect(path)  # as a file written before health.endpoint (schema 6)
    keep = [r[1] for r in con.execute("PRAGMA table_info(health)") if r[1] != "endpoint"]
    con.executescript(
        f"DROP TABLE health; CREATE TABLE health ({', '.join(keep)}, PRIMARY KEY (provider, fingerprint, model));"
        "ALTER TABLE runs DROP COLUMN fallback; PRAGMA user_version=6;"
        "INSERT INTO health (provider, fingerprint, model, state, count) VALUES ('qwen', 'fp', '*', 'rejected', 1)"
    )
    con.commit()
    con.close()
    url = _fresh_pg_db(postgres_engine)

    async def older() -> None:  # the PostgreSQL database as the four steps before it left it
        conn = await asyncpg.connect(url)
        try:
            await conn.execute(
                "CREATE TABLE clawgate_migrations (version INTEGER PRIMARY KEY, description TEXT, "
                "applied_at DOUBLE PRECISION)"
            )
            for version, description, sql in MIGRATIONS[:4]:
                await conn.execute(sql)
                await conn.execute("INSERT INTO clawgate_migrations VALUES ($1, $2, 0)", version, description)
            await conn.execute(
                "INSERT INTO health (provider, fingerprint, model, state, count) VALUES ('qwen', 'fp', '*', 'rejected', 1)"
            )
        finally:
            await conn.close()

    asyncio.run(older())
    for store in (SQLiteStore(str(path)), PostgresStore(url)):
        try:
            (old,) = store.load_health()
            assert old.state == "rejected" and old.endpoint is None
            store.save_health(HealthRecord("qwen", "fp", "*", "rejected", endpoint="https://b/v1"))
            store.barrier().result(limit(10))
            assert [h.endpoint for h in store.load_health()] == ["https://b/v1"]
            store.save_run(RunRecord("r1", "s1", "main", "completed", 1.0, fallback=[{"ref": "groq/x"}]))
            store.barrier().result(limit(10))
            assert [r.fallback for r in store.list_runs("s1")] == [[{"ref": "groq/x"}]]
        finally:
            store.close()


def test_two_writers_never_get_the_same_seq(make_store: Any) -> None:
    a, b = make_store(), make_store()
    now = time.time()
    try:
        a.save_session(SessionRecord("s", "main", now, now))
        a.barrier().result(10)

        def post(store: Any, tag: str) -> None:
            for i in range(40):
                store.save_message(MessageRecord(f"{tag}{i}", "s", 0, "user", tag, "complete", now))
                if i % 5 == 0:
                    store.barrier().result(10)
            store.barrier().result(10)

        threads = [threading.Thread(target=post, args=(s, t)) for s, t in ((a, "a"), (b, "b"))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        seqs = [m.seq for m in a.list_messages("s")]
        assert len(seqs) == 80 and sorted(seqs) == list(range(1, 81))
    finally:
        a.close()
        b.close()


def test_sqlite_retries_a_locked_file_and_reports_a_failing_write(tmp_path: Path, caplog: Any) -> None:
    path = tmp_path / "state.db"
    store = SQLiteStore(str(path))
    now = time.time()
    try:
        store.save_session(SessionRecord("s", "main", now, now))
        store.barrier().result(10)
        blocker = sqlite3.connect(path, timeout=0.1, isolation_level=None)
        blocker.execute("BEGIN EXCLUSIVE")  # another process holds the file's write lock
        store._writer_conn.execute("PRAGMA busy_timeout=50")
        store.save_message(MessageRecord("m1", "s", 0, "user", "kept", "complete", now))
        fut = store.barrier()
        time.sleep(0.4)
        assert not fut.done()  # waiting, not dropped
        blocker.execute("ROLLBACK")
        blocker.close()
        fut.result(20)
        assert [m.content for m in store.list_messages("s")] == ["kept"]
        assert store.retries >= 1

        def broken(conn: sqlite3.Connection) -> None:
            conn.execute("INSERT INTO no_such_table VALUES (1)")

        store._submit(broken)
        store.save_message(MessageRecord("m2", "s", 0, "user", "also kept", "complete", now))
        store.barrier().result(10)
        assert [m.content for m in store.list_messages("s")] == ["kept", "also kept"]
        assert store.failed_writes == 1  # reported (state.write_failed in the log), the rest committed
    finally:
        store.close()


def test_postgres_outage_writes_wait_and_nothing_is_lost(postgres_engine: Any) -> None:
    from clawgate.store.postgres import PostgresStore

    url = _fresh_pg_db(postgres_engine)
    store = PostgresStore(url)
    now = time.time()
    try:
        store.save_session(SessionRecord("s", "main", now, now))
        store.save_message(MessageRecord("m1", "s", 0, "user", "before", "complete", now))
        store.barrier().result(10)
        postgres_engine.kill()
        try:
            store.save_message(MessageRecord("m2", "s", 0, "user", "during", "complete", now))
            fut = store.barrier()
            with pytest.raises(StoreUnavailable) as exc:
                for _ in range(50):
                    store.list_messages("s")
                    time.sleep(0.1)
            assert exc.value.owner == "runtime" and exc.value.code == "state.database_unreachable"
            assert "127.0.0.1" in exc.value.message
            assert not fut.done() and store.status()["reachable"] is False
        finally:
            postgres_engine.start()
        fut.result(60)
        assert [m.content for m in store.list_messages("s")] == ["before", "during"]
        assert store.status()["reachable"] is True
    finally:
        store.close()


def test_postgres_away_long_drops_request_log_rows_only() -> None:
    """With `queue_limit` writes waiting for a database that is away, a further request-log row is dropped
    (counted in status); a session's write is still kept."""
    from tests.support.ports import free_port

    from clawgate.store.base import AttemptRecord
    from clawgate.store.postgres import PostgresStore

    store = PostgresStore(f"postgresql://clawgate@127.0.0.1:{free_port()}/none", queue_limit=3)
    now = time.time()
    try:
        assert store.status()["reachable"] is False
        for i in range(5):
            store.record_attempt(
                AttemptRecord(now, f"c{i}", "request", "main", "p/m", "p", "m", "chat", None, None, True)
            )
        store.save_session(SessionRecord("s", "main", now, now))
        store.save_session(SessionRecord("t", "main", now, now))
        st = store.status()
        assert (st["dropped"], st["queued"]) == (2, 5)
    finally:
        store.close()
    assert store.failed_writes == 5  # what the database never took is reported at close, not lost silently


def test_sqlite_attempts_written_many_rows_per_insert_all_land_in_order(tmp_path: Path) -> None:
    """Attempts coalesce into multi-row inserts (store/sqlite.py ROWS_PER_INSERT): every record of a batch of
    any size is stored, field by field, in the order it was recorded."""
    from clawgate.store import sqlite as sqlite_store
    from clawgate.store.base import AttemptRecord

    store = SQLiteStore(str(tmp_path / "state.db"), coalesce_seconds=1.0)  # one long batch
    n = sqlite_store.ROWS_PER_INSERT * 3 + 7
    try:
        for i in range(n):
            store.record_attempt(
                AttemptRecord(
                    ts=1000.0 + i, call_id=f"call-{i}", purpose="request", agent="main", ref="openai/gpt-4o",
                    provider="openai", model="gpt-4o", api="openai-completions", cred_source="env:OPENAI_API_KEY",
                    fingerprint="sk-test…0001#abcdef", ok=i % 5 != 0, status=200 if i % 5 else 429,
                    input_tokens=i, output_tokens=2 * i, cost_usd=i / 1e6, client=f"key:{i % 3}",
                )
            )  # fmt: skip
        store.flush()
        got = list(reversed(store.recent_attempts(limit=n + 10)))
    finally:
        store.close()
    assert [a.call_id for a in got] == [f"call-{i}" for i in range(n)]
    assert [(a.ok, a.status, a.input_tokens, a.output_tokens, a.client) for a in got] == [
        (i % 5 != 0, 200 if i % 5 else 429, i, 2 * i, f"key:{i % 3}") for i in range(n)
    ]
    assert got[-1].cost_usd == pytest.approx((n - 1) / 1e6)
