"""Streaming is unbuffered and a mid-stream cut is an error, never a silent truncation (item 5)."""

from __future__ import annotations

import pytest
from tests.calls.conftest import PROVIDERS, call, chat, runtime, wire_home

from clawgate.dialects.internal import StreamEvent

IDS = [p.id for p in PROVIDERS]


@pytest.mark.parametrize("p", PROVIDERS[:3], ids=IDS[:3])
def test_first_chunk_arrives_before_the_second_is_sent(p, home, emu):
    wire_home(home, emu)
    emu.add_fault("slow_chunks", dialect=p.dialect, chunk_delay_ms=400, chunks=3)
    rt = runtime(home)
    done = call(rt, rt.plan(None, f"{p.id}/{p.model}"), chat(stream=True), emu)
    assert done.outcome.ok and done.failure is None
    assert done.first_event_chunks_sent == 1  # when the caller had the first text, the emulator had sent one


@pytest.mark.parametrize("p", PROVIDERS, ids=IDS)
def test_mid_stream_cut_is_an_error_event(p, home, emu):
    wire_home(home, emu)
    emu.add_fault("cut_mid_stream", dialect=p.dialect, after=2, chunks=6)
    rt = runtime(home)
    done = call(rt, rt.plan(None, f"{p.id}/{p.model}"), chat(stream=True), emu)
    assert done.outcome.ok  # the stream started: no failover after the first byte
    texts = [e for e in done.events if isinstance(e, StreamEvent) and e.kind == "text"]
    assert len(texts) == 2
    assert done.failure is not None and done.failure.owner == "upstream"
    assert done.failure.code == "upstream.stream_cut"


def test_stream_fails_over_before_the_first_byte(home, emu):
    wire_home(home, emu, model={"primary": "openai/gpt-4o", "fallbacks": ["groq/llama-3.3-70b-versatile"]})
    emu.add_fault("overloaded", dialect="openai", times=None)
    rt = runtime(home, retries_transient=0)
    done = call(rt, rt.plan(), chat(stream=True), emu)
    assert done.outcome.ok and done.outcome.attempt.provider == "groq" and done.failure is None


def test_in_band_error_as_the_first_event_fails_over(home, emu):
    wire_home(
        home,
        emu,
        model={"primary": "openrouter/moonshotai/kimi-k2.5", "fallbacks": ["groq/llama-3.3-70b-versatile"]},
    )
    emu.add_fault("inband_error", dialect="openrouter", after=0)
    rt = runtime(home, retries_transient=0, retries_rate_limit=0)
    done = call(rt, rt.plan(), chat(stream=True), emu)
    assert done.outcome.ok and done.outcome.attempt.provider == "groq"
    assert done.outcome.tries[0].failure is not None


def test_keepalive_comments_are_not_content(home, emu):
    wire_home(home, emu)
    emu.add_fault("keepalive", dialect="deepseek", keepalive_ms=20, chunk_delay_ms=60, chunks=3)
    rt = runtime(home)
    done = call(rt, rt.plan(None, "deepseek/deepseek-chat"), chat(stream=True), emu)
    assert done.failure is None and done.text == "emulated reply from deepseek model deepseek-chat"


def test_passthrough_stream_records_usage_without_showing_it_to_a_client_that_did_not_ask(home, emu):
    import asyncio

    from clawgate.call.executor import CallRequest, SSEBatch

    wire_home(home, emu)
    rt = runtime(home)
    raw = {"model": "openai/gpt-4o", "messages": [{"role": "user", "content": "hi"}], "stream": True}
    req = CallRequest(stream=True, client_api="openai-completions", raw=raw)

    async def go():
        try:
            outcome = await rt.run(rt.plan(None, "openai/gpt-4o"), req)
            items = [i async for i in outcome]
            return outcome, items
        finally:
            await rt.aclose()

    outcome, batches = asyncio.run(go())
    assert all(isinstance(b, SSEBatch) for b in batches)
    from clawgate.call.sse import SSEParser

    parser = (
        SSEParser()
    )  # what the client gets: the batches' bytes (checked as bytes, or the parser's events)
    items = parser.feed(b"".join(b.raw for b in batches)) + parser.close()
    assert not [i for i in items if b'"choices":[]' in i.raw]  # the client did not ask for usage
    assert items[-1].data == "[DONE]"
    assert outcome.usage.output_tokens is not None  # but the record has it
    assert emu.last_request.body["stream_options"] == {"include_usage": True}
    assert raw.get("stream_options") is None  # the caller's body is not modified
