"""Health keys on (provider, key, model): a success clears only its own record, and failures after the first
streamed event are recorded like any other."""

from __future__ import annotations

import asyncio

from tests.calls.conftest import call, chat, runtime, wire_home

from clawgate.failures import Failure
from clawgate.store import open_store


def _stored(home) -> list:
    store = open_store(str(home.path / "state.db"))
    try:
        return store.load_health()
    finally:
        store.close()


def test_a_success_on_one_model_keeps_the_other_models_records(home, emu):
    wire_home(home, emu, model="openai/gpt-4o")
    emu.add_fault("rate_limit", dialect="openai", model="gpt-4o-mini", times=None, retry_after=60)
    emu.add_fault("server_error", dialect="openai", model="gpt-4o", times=1)
    rt = runtime(home, persist=True, retries_transient=0)

    async def go() -> None:
        try:
            bad = await rt.run(rt.plan(None, "openai/gpt-4o-mini"), chat())
            assert bad.failure is not None and bad.failure.owner == "rate_limit"
            bad = await rt.run(rt.plan(None, "openai/gpt-4o"), chat())
            assert bad.failure is not None and bad.failure.owner == "upstream"
            # gpt-4o now has a record of its own; a success on it (re-tested, as a probe does) clears that one
            ok = await rt.run(rt.plan(None, "openai/gpt-4o"), chat(ignore_health=True))
            assert ok.ok
        finally:
            await rt.aclose()
            rt.close()

    asyncio.run(go())
    models = {(r.provider, r.model) for r in _stored(home)}
    assert ("openai", "gpt-4o-mini") in models, models
    assert ("openai", "gpt-4o") not in models, models


def test_a_failure_after_the_first_streamed_event_reaches_health(home, emu):
    # Anthropic's in-band `overloaded_error`, after two text chunks: the provider is overloaded
    wire_home(home, emu, model="anthropic/claude-sonnet-4-5")
    emu.add_fault("inband_error", dialect="anthropic", after=2, chunks=6, chunk_delay_ms=100, times=1)
    rt = runtime(home, persist=True)
    done = call(rt, rt.plan(), chat(stream=True), emu)
    assert isinstance(done.failure, Failure) and done.text  # some text arrived, then the error
    assert (done.failure.owner, done.failure.code) == ("upstream", "upstream.overloaded")
    recs = [r for r in rt.health.records() if r.provider == "anthropic" and r.model == "claude-sonnet-4-5"]
    assert recs and recs[0].first_code == "upstream.overloaded" and recs[0].state == "cooling", recs
    rt.close()
    assert any(r.model == "claude-sonnet-4-5" for r in _stored(home))
