"""A session's history re-read from the durable store (SQLite file, real PostgreSQL) while this process writes
it: a read in flight when a message is posted and its run adds the reply does not lose them (the reply shown
and sent to the model is the one the run streams into), and a message another process writes is shown as
its row says, not as this process first read it."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.support.cluster import fresh_database
from tests.support.timing import limit

from clawgate.agents.sessions import SessionManager
from clawgate.call.runtime import Runtime
from clawgate.paths import Paths
from clawgate.store.base import Store
from clawgate.store.sqlite import SQLiteStore

from .conftest import OPENAI_KEY, agent_config

HANG = "openai/fault-hang-after1"  # one content chunk, then nothing until the run closes the request


@pytest.fixture(params=["sqlite", "postgres"])
def open_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[], Store]]:
    """open_store() -> a new store object on one database (two calls: two processes' stores)."""
    opened: list[Store] = []
    if request.param == "sqlite":
        path = str(tmp_path / "sessions.db")

        def make() -> Store:
            return SQLiteStore(path)
    else:
        from clawgate.store.postgres import PostgresStore

        url = fresh_database(request.getfixturevalue("postgres_engine").url)

        def make() -> Store:
            return PostgresStore(url)

    def opener() -> Store:
        store = make()
        opened.append(store)
        return store

    yield opener
    for store in opened:
        store.close()


def _runtime(home: Any, store: Store) -> Runtime:
    env = home.env()
    return Runtime(Paths.discover(env), env, cwd=None, store=store)


async def _until(pred: Callable[[], Any], what: str) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit(10)
    while not pred():
        assert loop.time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.01)


def _pause_first_read(
    monkeypatch: pytest.MonkeyPatch, store: Store
) -> tuple[threading.Event, threading.Event]:
    """The next `list_messages` reads its rows, then waits for `resume` before it returns them."""
    read, resume = threading.Event(), threading.Event()
    real = store.list_messages

    def paused(session_id: str) -> Any:
        rows = real(session_id)
        if not read.is_set():
            read.set()
            assert resume.wait(limit(20)), "the test never resumed the paused read"
        return rows

    monkeypatch.setattr(store, "list_messages", paused)
    return read, resume


def test_a_read_in_flight_while_a_run_adds_its_reply_keeps_the_streaming_reply(
    home: Any, emu: Any, open_store: Callable[[], Store], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The CI flake of test_messages_posted_during_a_run_are_queued_and_answered_in_order, forced: a show's
    read returns the rows from before the post; meanwhile the message is posted and the run adds its reply
    (written, not yet committed). The read must not drop them, or the history ends up with a copy of the
    reply as it was then ('' and streaming) while the run streams into an object nobody shows."""
    home.config(agent_config(emu))
    home.dotenv(f"OPENAI_API_KEY={OPENAI_KEY}\n")
    store = open_store()
    rt = _runtime(home, store)

    async def go() -> None:
        mgr = SessionManager(rt)
        try:
            state = await mgr.create_session(model=HANG)
            read, resume = _pause_first_read(monkeypatch, store)
            showing = asyncio.create_task(mgr.show(state.id))
            await asyncio.to_thread(read.wait, limit(10))  # the show has read the empty history
            posted = await mgr.post(state.id, "one")
            run, msg = posted.run, posted.message
            assert run is not None and msg is not None
            await _until(lambda: run.reply is not None, "the run's reply")
            reply = run.reply
            assert reply is not None
            resume.set()
            during = await showing
            assert [m["id"] for m in during["messages"]] == [msg.id, reply.id]
            await mgr.show(state.id)  # while the reply streams (the test's active_run polling)
            await _until(lambda: reply.content, "the first chunk")
            assert await mgr.stop(state.id, wait=limit(10)) == run.id
            shown = await mgr.show(state.id)
            assert [(m["role"], m["content"], m["status"]) for m in shown["messages"]] == [
                ("user", "one", "complete"),
                ("assistant", reply.content, "stopped"),
            ]
            assert any(m is reply for m in state.history)  # the object the run wrote, not a copy
            # the next model call sees the first exchange as it ended
            second = await mgr.post(state.id, "two", model="openai/gpt-4o")
            assert second.run is not None and await second.run.wait(limit(20))
            assert second.run.rec.status == "completed"
            sent = emu.requests_for("openai", model="gpt-4o")[-1].body["messages"]
            assert [m["content"] for m in sent] == ["one", reply.content, "two"]
        finally:
            await mgr.aclose()
            await rt.aclose()

    try:
        asyncio.run(go())
    finally:
        rt.close()


def test_a_message_another_process_writes_is_shown_as_its_row_says(
    home: Any, open_store: Callable[[], Store]
) -> None:
    """Process A read B's reply while B streamed it; once B has written it whole, A shows (and would send to
    the model) the whole reply — and a message of B's that is trimmed is gone from B's history too."""
    home.config({"agents": {"defaults": {"model": "openai/gpt-4o"}}})
    rt_a, rt_b = _runtime(home, open_store()), _runtime(home, open_store())

    def seen(shown: dict[str, Any]) -> list[tuple[str, str, str]]:
        return [(m["role"], m["content"], m["status"]) for m in shown["messages"]]

    async def go() -> None:
        a, b = SessionManager(rt_a), SessionManager(rt_b)
        try:
            sa = await a.create_session()
            sb = await b.get(sa.id)
            first = b.add_message(sb, role="user", content="hello", status="complete")
            reply = b.add_message(sb, role="assistant", content="", status="streaming")
            await b.durable()
            assert seen(await a.show(sa.id)) == [
                ("user", "hello", "complete"),
                ("assistant", "", "streaming"),
            ]
            reply.content, reply.status = "the whole answer", "complete"
            b.store.save_message(reply)
            await b.durable()
            expect = [("user", "hello", "complete"), ("assistant", "the whole answer", "complete")]
            assert seen(await a.show(sa.id)) == expect
            assert seen(await b.show(sa.id)) == expect
            a.store.trim_messages(sa.id, 1)  # another process keeps only the newest message
            await a.durable()
            assert seen(await b.show(sa.id)) == expect[1:] and first.id not in sb.own
        finally:
            await a.aclose()
            await b.aclose()
            await rt_a.aclose()
            await rt_b.aclose()

    try:
        asyncio.run(go())
    finally:
        rt_a.close()
        rt_b.close()
