"""Stream timeouts measure the upstream, never the consumer: a slow consumer reads the whole stream, and a timeout
that does fire (the provider stalls) ends the stream with an error item and a log line."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from tests.calls.conftest import chat, runtime

from clawgate import logs
from clawgate.dialects.internal import StreamEvent
from clawgate.failures import Failure

CHUNKS = 5


def _home(home, emu, **provider: Any) -> None:
    home.config(
        {
            "models": {"providers": {"openai": {"baseUrl": emu.base_url("openai"), **provider}}},
            "agents": {"defaults": {"model": "openai/gpt-4o"}},
        }
    )
    home.dotenv("OPENAI_API_KEY=sk-test-openai-good-00000000000001\n")


async def _slow_read(rt, per_item: float) -> tuple[list[Any], float]:
    """Consume a stream like a slow client: `per_item` seconds of work after every item."""
    out = await rt.run(rt.plan(), chat(stream=True))
    assert out.ok, out.failure
    items: list[Any] = []
    t0 = time.monotonic()
    try:
        async for item in out:
            items.append(item)
            await asyncio.sleep(per_item)
    finally:
        await out.aclose()
        await rt.aclose()
    return items, time.monotonic() - t0


def _texts(items: list[Any]) -> list[str]:
    return [i.text for i in items if isinstance(i, StreamEvent) and i.kind == "text"]


def test_a_slow_consumer_outlasting_the_total_timeout_gets_the_whole_stream(home, emu):
    # the provider sends an event every 0.1 s; the consumer takes ~1 s per event, longer than the whole
    # timeoutSeconds budget: only time spent waiting on the provider counts
    _home(home, emu, timeoutSeconds=2)
    emu.add_fault("slow_chunks", dialect="openai", chunks=CHUNKS, chunk_delay_ms=100)
    rt = runtime(home)
    items, took = asyncio.run(_slow_read(rt, 1.0))
    assert not [i for i in items if isinstance(i, Failure)], items
    assert len(_texts(items)) == CHUNKS
    assert took > 2  # the consumer really was slower than the budget


def test_a_slow_consumer_outlasting_the_idle_timeout_gets_the_whole_stream(home, emu):
    _home(home, emu, idleTimeoutSeconds=1)
    emu.add_fault("slow_chunks", dialect="openai", chunks=CHUNKS, chunk_delay_ms=100)
    rt = runtime(home)
    items, took = asyncio.run(_slow_read(rt, 1.0))
    print(f"read {len(_texts(items))} chunks in {took:.1f}s with idleTimeoutSeconds=1")
    assert not [i for i in items if isinstance(i, Failure)], items
    assert len(_texts(items)) == CHUNKS
    assert took > 3


def test_an_upstream_stall_ends_the_stream_with_an_error_item_and_a_log_line(home, emu, tmp_path):
    _home(home, emu, idleTimeoutSeconds=1)
    emu.add_fault("hang", dialect="openai", after=2, chunks=CHUNKS, chunk_delay_ms=50)
    logs.setup(tmp_path / "logs", console=False)
    try:
        rt = runtime(home)
        items, _ = asyncio.run(_slow_read(rt, 0.0))
    finally:
        logs.shutdown()
    failures = [i for i in items if isinstance(i, Failure)]
    assert len(failures) == 1 and items[-1] is failures[0], items
    f = failures[0]
    assert (f.owner, f.code) == ("network", "network.timeout") and "idle" in f.message
    assert len(_texts(items)) == 2
    entries = logs.read(tmp_path / "logs")
    timeouts = [e for e in entries if e.get("event") == "call.timeout"]
    assert timeouts and timeouts[0].get("phase") == "idle" and timeouts[0].get("provider") == "openai"
