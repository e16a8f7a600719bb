"""An OpenAI chat stream passed through is checked as bytes where that is exact (call/passthrough.py), and by the
SSE parser everywhere else: the client gets the same bytes, the record the same usage, an in-band error still
ends the stream as a failure."""

from __future__ import annotations

import asyncio

import pytest
from tests.calls.conftest import runtime, wire_home

from clawgate.call import passthrough
from clawgate.call.executor import CallRequest, SSEBatch
from clawgate.call.inspect import StreamInspector
from clawgate.call.sse import SSEParser
from clawgate.failures import Failure

ROLE = b'data: {"id":"c1","choices":[{"index":0,"delta":{"role":"assistant","content":""}}]}\n\n'
TEXT = b'data: {"id":"c1","choices":[{"index":0,"delta":{"content":"hi "}}]}\n\n'
STOP = b'data: {"id":"c1","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\n'
USAGE = (
    b'data: {"id":"c1","choices":[],"usage":{"prompt_tokens":9,"completion_tokens":3,"total_tokens":12}}\n\n'
)
DONE = b"data: [DONE]\n\n"
STREAM = ROLE + TEXT * 3 + STOP + USAGE + DONE


def inspector() -> StreamInspector:
    return StreamInspector("openai-completions", "openai", "127.0.0.1", "gpt-4o")


def test_a_plain_stream_is_checked_as_bytes_and_loses_only_the_usage_chunk_nobody_asked_for() -> None:
    ins = inspector()
    out = passthrough.check(STREAM, ins, strip_usage=True)
    assert out == ROLE + TEXT * 3 + STOP + DONE
    assert ins.done and ins.saw_data
    assert (ins.usage.input_tokens, ins.usage.output_tokens) == (9, 3)


def test_a_client_that_asked_for_usage_gets_every_byte() -> None:
    ins = inspector()
    assert passthrough.check(STREAM, ins, strip_usage=False) == STREAM
    assert ins.usage.output_tokens == 3


def test_a_read_without_the_end_leaves_the_stream_open() -> None:
    ins = inspector()
    assert passthrough.check(ROLE + TEXT, ins, strip_usage=True) == ROLE + TEXT
    assert not ins.done and ins.usage.output_tokens is None


@pytest.mark.parametrize(
    "chunk",
    [
        ROLE
        + b'data: {"error":{"message":"overloaded","type":"server_error"}}\n\n',  # a possible in-band error
        ROLE.replace(b"\n\n", b"\r\n\r\n"),  # CRLF endings
        b"event: message\n" + ROLE,  # a field other than data
        b": keep-alive\n\n" + ROLE,  # a comment
        b'data: {"a":\ndata: 1}\n\n',  # one event on two data lines
        ROLE + TEXT[:20],  # an event split across reads
        ROLE + b"\n" + TEXT,  # an empty block between events
        TEXT.replace(b"hi ", b"[DONE]") + DONE,  # the sentinel's text inside an event
        b"data:  [DONE]\n\n",  # the sentinel not exactly as sent by OpenAI
        b"\xef\xbb\xbf" + ROLE,  # a byte-order mark
    ],
    ids=[
        "error",
        "crlf",
        "event-line",
        "comment",
        "multiline",
        "split",
        "blank-block",
        "done-text",
        "done-spaced",
        "bom",
    ],
)
def test_anything_else_goes_to_the_parser(chunk: bytes) -> None:
    assert passthrough.check(chunk, inspector(), strip_usage=True) is None


def _reference(chunks: list[bytes], strip_usage: bool) -> tuple[bytes, int | None]:
    """What the SSE parser and the inspector alone make of the same reads (the behaviour before the bytes check)."""
    parser, ins, out = SSEParser(), inspector(), b""
    for c in chunks:
        for ev in parser.feed(c):
            assert ins.check(ev) is None
            if not (strip_usage and passthrough.usage_only(ev.raw)):
                out += ev.raw
    return out, ins.usage.output_tokens


@pytest.mark.parametrize("strip_usage", [True, False])
@pytest.mark.parametrize("cut", [0, 1, 7, len(ROLE), len(ROLE) + 3, len(STREAM) - 5])
def test_any_split_of_the_reads_gives_the_client_the_same_bytes(strip_usage: bool, cut: int) -> None:
    """The stream's logic as call/streams.py runs it: bytes while the parser is between events, parser after."""
    chunks = [c for c in (STREAM[:cut], STREAM[cut:]) if c]
    parser, ins, out = SSEParser(), inspector(), b""
    for c in chunks:
        if parser.between_events:
            raw = passthrough.check(c, ins, strip_usage)
            if raw is not None:
                out += raw
                continue
        for ev in parser.feed(c):
            assert ins.check(ev) is None
            if not (strip_usage and passthrough.usage_only(ev.raw)):
                out += ev.raw
    assert (out, ins.usage.output_tokens) == _reference(chunks, strip_usage)
    assert ins.done


def _passthrough_call(rt, emu) -> tuple[list[SSEBatch | Failure], object]:
    raw = {"model": "openai/gpt-4o", "messages": [{"role": "user", "content": "hi"}], "stream": True}
    req = CallRequest(stream=True, client_api="openai-completions", raw=raw)

    async def go():
        try:
            outcome = await rt.run(rt.plan(None, "openai/gpt-4o"), req)
            assert outcome.ok, outcome.failure
            return [i async for i in outcome], outcome
        finally:
            await rt.aclose()

    return asyncio.run(go())


def test_events_arriving_one_by_one_pass_through_with_the_usage_recorded(home, emu) -> None:
    wire_home(home, emu)
    emu.add_fault("slow_chunks", dialect="openai", chunks=4, chunk_delay_ms=30)
    items, outcome = _passthrough_call(runtime(home), emu)
    assert all(isinstance(i, SSEBatch) for i in items) and len(items) > 2  # one batch per read
    parser = SSEParser()
    events = parser.feed(b"".join(i.raw for i in items)) + parser.close()  # type: ignore[union-attr]
    assert events[-1].data == "[DONE]" and not [e for e in events if passthrough.usage_only(e.raw)]
    assert outcome.usage.output_tokens  # type: ignore[attr-defined]


def test_an_in_band_error_after_the_first_event_still_ends_the_stream_as_a_failure(home, emu) -> None:
    wire_home(home, emu)
    emu.add_fault("inband_error", dialect="openai", after=2, chunks=6, chunk_delay_ms=30)
    items, _ = _passthrough_call(runtime(home), emu)
    assert isinstance(items[0], SSEBatch) and b"data:" in items[0].raw
    assert isinstance(items[-1], Failure) and items[-1].owner == "upstream", items[-1]
