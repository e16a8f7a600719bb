"""The try's one lazy timer (call/deadline.py) through IOErrors, as the executor uses it: a wait that outlasts its
limit is that phase's timeout, the total budget binds when it is nearer, nothing fires between waits, and a
cancellation that is not the timer's goes on."""

from __future__ import annotations

import asyncio

import pytest

from clawgate.call.deadline import Deadline
from clawgate.failures.classify import CallFailed, IOErrors

LIMIT = 0.2  # seconds; every assertion below is about which failure, never about how fast


async def _wait(io: IOErrors, dl: Deadline, phase: str, limit: float | None, sleep: float) -> None:
    dl.wait(phase, limit)
    try:
        with io:
            await asyncio.sleep(sleep)
    finally:
        dl.stop()


def _io(dl: Deadline) -> IOErrors:
    io = IOErrors("openai", "api.openai.com", "gpt-4o")
    io.deadline = dl
    return io


def test_a_wait_longer_than_its_limit_is_that_phase_s_timeout() -> None:
    async def go() -> CallFailed:
        dl = Deadline()
        with pytest.raises(CallFailed) as e:
            await _wait(_io(dl), dl, "idle", LIMIT, 30)
        dl.close()
        return e.value

    f = asyncio.run(go()).failure
    assert (f.owner, f.code) == ("network", "network.timeout") and "(idle timeout)" in f.message


def test_the_total_budget_binds_when_it_ends_first() -> None:
    async def go() -> CallFailed:
        dl = Deadline(total=LIMIT)
        with pytest.raises(CallFailed) as e:
            await _wait(_io(dl), dl, "first_byte", 30, 30)
        dl.close()
        return e.value

    f = asyncio.run(go()).failure
    assert f.code == "network.timeout" and "(total timeout)" in f.message


def test_waits_moved_later_and_time_between_waits_never_fire() -> None:
    async def go() -> int:
        dl = Deadline()
        io = _io(dl)
        for _ in range(3):  # each wait ends well within its limit, though together they outlast it
            await _wait(io, dl, "idle", LIMIT * 2, LIMIT)
            await asyncio.sleep(LIMIT * 2)  # the consumer's time: no wait is open
        dl.close()
        return 3

    assert asyncio.run(go()) == 3


def test_a_cancellation_that_is_not_the_timer_s_goes_on() -> None:
    async def go() -> bool:
        dl = Deadline()
        task = asyncio.ensure_future(_wait(_io(dl), dl, "idle", 30, 30))
        await asyncio.sleep(0.01)
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            return True
        finally:
            dl.close()
        return False

    assert asyncio.run(go())
