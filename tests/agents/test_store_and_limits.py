"""The store's session tables (schema migration by PRAGMA user_version, crash recovery) and the watchdog limits."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path

from tests.support.timing import limit

from clawgate.agents.watchdog import Limits, limits_for, watch
from clawgate.plan.snapshot import Snapshot
from clawgate.store.base import CronRecord, MessageRecord, RunRecord, SessionRecord
from clawgate.store.sqlite import _SCHEMA, SCHEMA_VERSION, SQLiteStore


def test_a_version_1_database_is_migrated_in_place(tmp_path: Path):
    path = tmp_path / "state.db"
    conn = sqlite3.connect(path)
    conn.executescript(_SCHEMA)
    conn.execute("PRAGMA user_version=1")
    conn.execute("INSERT INTO attempts (ts, call_id, ok) VALUES (1.0, 'c1', 1)")
    conn.commit()
    conn.close()
    store = SQLiteStore(str(path))
    try:
        assert store.count_attempts() == 1  # nothing lost
        now = time.time()
        store.save_session(SessionRecord("s1", "main", now, now))
        store.barrier().result(5)
        assert store.get_session("s1") is not None
    finally:
        store.close()
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 7


def test_records_round_trip_and_recovery_marks_only_what_was_in_flight(tmp_path: Path):
    store = SQLiteStore(str(tmp_path / "state.db"))
    now = time.time()
    try:
        store.save_session(SessionRecord("s1", "main", now, now, title="t", model_pin="openai/gpt-4o"))
        for i, status in enumerate(["complete", "complete", "streaming", "stopped"], 1):
            store.save_message(
                MessageRecord(f"m{i}", "s1", i, "user" if i % 2 else "assistant", f"c{i}", status, now)
            )
        store.save_run(RunRecord("r1", "s1", "main", "completed", now, usage={"input_tokens": 1}))
        store.save_run(
            RunRecord("r2", "s1", "main", "running", now + 1, limit=None, subagents=[{"run_id": "r3"}])
        )
        store.save_run(RunRecord("r4", "s1", "main", "queued", now + 2))
        store.record_cron(CronRecord("job", now, "ok"))
        store.barrier().result(5)
        assert store.mark_interrupted(now + 5) == (1, 2)
        msgs = store.list_messages("s1")
        assert [m.status for m in msgs] == ["complete", "complete", "interrupted", "stopped"]
        assert msgs[2].error and msgs[2].error["code"] == "runtime.interrupted"
        runs = {r.id: r for r in store.list_runs("s1")}
        assert (runs["r1"].status, runs["r2"].status, runs["r4"].status) == (
            "completed",
            "interrupted",
            "interrupted",
        )
        assert runs["r2"].subagents == [{"run_id": "r3"}] and runs["r1"].usage == {"input_tokens": 1}
        assert store.count_messages(["s1", "s2"]) == {"s1": 4}
        store.trim_messages("s1", 2)
        store.barrier().result(5)
        assert [m.id for m in store.list_messages("s1")] == ["m3", "m4"]
        assert store.find_session("main", "t").id == "s1"  # type: ignore[union-attr]
        assert [c.job_id for c in store.cron_history()] == ["job"]
    finally:
        store.close()


def test_limits_come_from_the_agent_then_the_defaults_then_built_in(home):
    home.config(
        {
            "agents": {
                "defaults": {"model": "openai/gpt-4o", "runTimeoutSeconds": 600},
                "list": [{"id": "main", "default": True, "idleTimeoutSeconds": 30}, {"id": "other"}],
            }
        }
    )
    snap = Snapshot.load()
    assert limits_for(snap, "main", local=False) == Limits(
        30.0, 600.0, "agents.list[0].idleTimeoutSeconds", "agents.defaults.runTimeoutSeconds"
    )
    assert limits_for(snap, "other", local=False).idle == 120.0
    assert limits_for(snap, "other", local=True).idle == 300.0
    home.config({"agents": {"defaults": {"idleTimeoutSeconds": 5}}})
    lim = limits_for(Snapshot.load(), "main", local=True)
    assert (lim.idle, lim.idle_from, lim.total, lim.total_from) == (
        5.0,
        "agents.defaults.idleTimeoutSeconds",
        900.0,
        "default",
    )


class FakeRun:
    def __init__(self, now: float) -> None:
        self.started_mono = self.last_activity_mono = now
        self.fired: str | None = None

    @property
    def finished(self) -> bool:
        return self.fired is not None

    def expire(self, limit: str) -> None:
        self.fired = limit


def test_watch_fires_the_idle_limit_unless_activity_keeps_arriving():
    idle = limit(0.15)

    async def go() -> tuple[str | None, str | None, float]:
        loop = asyncio.get_running_loop()
        quiet = FakeRun(loop.time())
        busy = FakeRun(loop.time())
        # short limits, scaled by the machine's slowness: the busy run's 20 ms heartbeats must keep arriving
        # well inside the idle limit on a loaded machine too
        limits = Limits(idle=idle, total=4 * idle, idle_from="test", total_from="test")
        t0 = loop.time()
        quiet_task = asyncio.ensure_future(watch(quiet, limits))
        busy_task = asyncio.ensure_future(watch(busy, limits))
        while not busy_task.done():
            busy.last_activity_mono = loop.time()  # something arrives every 20 ms
            await asyncio.sleep(0.02)
        return await quiet_task, await busy_task, loop.time() - t0

    quiet, busy, elapsed = asyncio.run(go())
    assert (quiet, busy) == ("idle", "total")
    assert 4 * idle - 0.05 <= elapsed < 4 * idle + limit(1.4)


def test_a_waiter_that_gives_up_on_a_barrier_does_not_stop_the_writer(tmp_path: Path):
    store = SQLiteStore(str(tmp_path / "state.db"))
    try:
        for _ in range(20):
            store.barrier().cancel()  # e.g. a task awaiting durable() cancelled at shutdown
        now = time.time()
        store.save_session(SessionRecord("s1", "main", now, now))
        store.barrier().result(5)
        assert store.get_session("s1") is not None
        assert store._thread.is_alive()
    finally:
        store.close()
