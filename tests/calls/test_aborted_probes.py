"""A probe run aborted by one probe's error, and connections closed under a call in flight: health keeps only
what the providers actually answered."""

from __future__ import annotations

import asyncio
import time

import pytest
from tests.calls.conftest import BY_ID, chat, runtime, wire_home
from tests.support.timing import limit

from clawgate.call.probe import probe_plan


class _Exploding:
    """A session whose post raises an unexpected error once the other probes are in flight at the emulator."""

    def __init__(self, emu, in_flight: int) -> None:
        self.emu, self.in_flight, self.closed = emu, in_flight, False

    async def post(self, *args, **kwargs):
        deadline = time.monotonic() + limit(10.0)
        while len(self.emu.requests) < self.in_flight:
            assert time.monotonic() < deadline, "the other probes never reached the emulator"
            await asyncio.sleep(0.01)
        raise ValueError("an error no classifier knows")


def test_an_aborted_probe_run_records_nothing_it_did_not_hear(home, emu, monkeypatch):
    wire_home(
        home,
        emu,
        model={
            "primary": "openai/fault-slow_first_byte-ms30000",
            "fallbacks": ["anthropic/fault-slow_first_byte-ms30000", f"deepseek/{BY_ID['deepseek'].model}"],
        },
    )
    rt = runtime(home)
    plan = rt.plan()
    real_session = rt.transport.session
    monkeypatch.setattr(
        rt.transport,
        "session",
        lambda key: _Exploding(emu, 2) if key == "deepseek" else real_session(key),
    )

    async def go():
        try:
            return await probe_plan(rt, plan)
        finally:
            await rt.aclose()

    with pytest.raises(ValueError):
        asyncio.run(go())
    # the hanging probes were cut short by clawgate, not answered by their providers: no cooldown, no rejection
    assert rt.health.records() == []


def test_connections_closed_under_a_call_are_not_the_providers_answer(home, emu):
    wire_home(home, emu, model="openai/fault-slow_first_byte-ms30000")
    rt = runtime(home, retries_transient=0)
    plan = rt.plan()

    async def go():
        task = asyncio.create_task(rt.run(plan, chat()))
        deadline = time.monotonic() + limit(10.0)
        while not emu.requests:
            assert time.monotonic() < deadline, "the call never reached the emulator"
            await asyncio.sleep(0.01)
        await rt.transport.close()  # what a command's or the gateway's shutdown does
        return await task

    outcome = asyncio.run(go())
    assert not outcome.ok
    assert outcome.failure.code == "runtime.cancelled", outcome.failure.code
    assert "closed its connections" in outcome.failure.message
    assert rt.health.records() == []
