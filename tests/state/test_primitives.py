"""The shared-state primitives behave the same on every engine (process memory, the SQLite file, a real
Redis): keys with TTL, take, counters with a window, compare-and-set, leases, notifications."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any

import pytest

from clawgate.state.lease import Lease
from clawgate.state.memory import MemoryState
from clawgate.state.sqlite import SQLiteState


@pytest.fixture(params=["memory", "sqlite", "redis"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    if request.param == "memory":
        return lambda: MemoryState()
    if request.param == "sqlite":
        return lambda: SQLiteState(str(tmp_path / "shared.db"))
    eng = request.getfixturevalue("redis_engine")
    from clawgate.state.redis import RedisState

    return lambda: RedisState(eng.url)


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def test_keys_ttl_take_and_scan(engine: Any) -> None:
    async def main() -> None:
        st = engine()
        await st.start()
        p = f"t{uuid.uuid4().hex[:6]}:"
        try:
            await st.set(p + "a", "1")
            await st.set(p + "short", "x", ttl=0.2)
            assert await st.get(p + "a") == "1"
            assert await st.add(p + "a", "2") is False
            assert await st.add(p + "b", "2") is True
            assert await st.scan(p) == {p + "a": "1", p + "b": "2", p + "short": "x"}
            await asyncio.sleep(0.35)
            assert await st.get(p + "short") is None
            assert await st.take(p + "b") == "2"
            assert await st.take(p + "b") is None
            await st.delete(p + "a")
            assert await st.scan(p) == {}
        finally:
            await st.close()

    run(main())


def test_counters_cas_and_leases(engine: Any) -> None:
    async def main() -> None:
        st = engine()
        await st.start()
        p = f"t{uuid.uuid4().hex[:6]}:"
        try:
            assert await st.incr(p + "n", ttl=0.3) == 1
            assert await st.incr(p + "n", 4, ttl=0.3) == 5  # the window is not extended
            await asyncio.sleep(0.45)
            assert await st.incr(p + "n", ttl=0.3) == 1
            assert await st.cas(p + "c", None, "v1") is True
            assert await st.cas(p + "c", None, "v2") is False
            assert await st.cas(p + "c", "v1", "v2") is True
            assert await st.get(p + "c") == "v2"
            assert await st.cas(p + "c", "v2", None) is True
            assert await st.get(p + "c") is None
            assert await st.acquire(p + "l", "A", 0.3) is True
            assert await st.acquire(p + "l", "B", 0.3) is False
            assert await st.acquire(p + "l", "A", 0.3) is True  # renewal
            assert await st.holder(p + "l") == "A"
            assert await st.release(p + "l", "B") is False
            assert await st.release(p + "l", "A") is True
            assert await st.acquire(p + "l", "B", 0.3) is True
            await asyncio.sleep(0.45)
            assert await st.holder(p + "l") is None  # expired without heartbeats
            lease = Lease(st, p + "hb", "A", 0.3)
            assert await lease.acquire()
            await asyncio.sleep(0.7)  # longer than the TTL: the heartbeat kept it
            assert await st.holder(p + "hb") == "A"
            await lease.release()
            assert await st.holder(p + "hb") is None
        finally:
            await st.close()

    run(main())


def test_counter_is_atomic_across_two_clients(engine: Any, request: pytest.FixtureRequest) -> None:
    if request.node.callspec.params["engine"] == "memory":
        pytest.skip("process memory is not shared by design")

    async def main() -> None:
        a, b = engine(), engine()
        await a.start()
        await b.start()
        key = f"t{uuid.uuid4().hex[:6]}:n"
        try:
            await asyncio.gather(*(c.incr(key) for _ in range(50) for c in (a, b)))
            assert await a.get(key) == "100"
        finally:
            await a.close()
            await b.close()

    run(main())


def test_notifications_reach_every_client(engine: Any, request: pytest.FixtureRequest) -> None:
    shared = request.node.callspec.params["engine"] != "memory"

    async def main() -> None:
        a = engine()
        b = engine() if shared else a
        got: list[tuple[str, dict[str, Any]]] = []
        b.subscribe(lambda ch, data: got.append((ch, data)))
        await a.start()
        await b.start()
        try:
            await asyncio.sleep(0.1)  # subscribed
            await a.publish("health", {"n": 1})
            a.notify("health", {"n": 2})
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 10
            while len(got) < 2 and loop.time() < deadline:
                await asyncio.sleep(0.02)
            assert got == [("health", {"n": 1}), ("health", {"n": 2})]
        finally:
            await a.close()
            if b is not a:
                await b.close()

    run(main())
