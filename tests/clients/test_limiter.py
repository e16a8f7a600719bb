"""The limiter on a real shared-state engine (the SQLite file): concurrent requests in one process are counted
exactly — each admitted one gets its own place, the allowance is never passed — while requests arriving
together share counter operations; a window seen full refuses without another one; the engine away lets
requests through."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from clawgate.clients.limits import Limiter, Windows
from clawgate.state.base import StateUnavailable
from clawgate.state.sqlite import SQLiteState


class Counting:
    """The engine, with its `incr` calls counted (what a request costs the engine)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.incrs = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    async def incr(self, key: str, by: int = 1, ttl: float | None = None) -> int:
        self.incrs += 1
        return int(await self.inner.incr(key, by, ttl))


def test_concurrent_requests_are_counted_exactly_and_share_counter_operations(tmp_path: Path) -> None:
    async def main() -> tuple[list[Any], int, Any]:
        state = SQLiteState(str(tmp_path / "shared.db"))
        await state.start()
        counting = Counting(state)
        lim = Limiter(counting, Windows(600))  # one window for the whole test: 10 rpm = 100 per window
        verdicts = await asyncio.gather(*(lim.take("key:x", 10, None) for _ in range(300)))
        n = counting.incrs
        after = await lim.take("key:x", 10, None)  # the window is known full here: no counter operation
        assert counting.incrs == n
        await state.close()
        return verdicts, n, after

    verdicts, incrs, after = asyncio.run(main())
    admitted = [v for v in verdicts if v.ok]
    assert len(admitted) == 100
    assert sorted(v.remaining for v in admitted) == list(range(100))  # each its own place
    assert incrs < 300, incrs  # requests that came together were counted together
    assert not after.ok and after.what == "requests"


def test_an_unreachable_engine_lets_requests_through(tmp_path: Path) -> None:
    class Away(Counting):
        async def incr(self, key: str, by: int = 1, ttl: float | None = None) -> int:
            raise StateUnavailable("gone")

    async def main() -> Any:
        state = SQLiteState(str(tmp_path / "shared.db"))
        lim = Limiter(Away(state), Windows(60))
        out = await lim.take("key:y", 1, None)
        await state.close()
        return out

    v = asyncio.run(main())
    assert v.ok and v.remaining == -1
