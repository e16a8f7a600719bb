"""Stream encoders: output the official SDK types accept, correct framing, and decode-back equality."""

from __future__ import annotations

import dataclasses
from typing import Any

import anthropic.types
import pydantic
import pytest
from openai.types.chat import ChatCompletionChunk
from openai.types.responses import ResponseStreamEvent

from clawgate.dialects.internal import StreamEvent, Usage
from clawgate.failures import Failure

from . import test_stream_decoders as recorded
from ._support import ALL, CHAT, MESSAGES, RESPONSES, decode_stream, parsed_data, summary

RAW_MESSAGE_EVENT = pydantic.TypeAdapter(anthropic.types.RawMessageStreamEvent)
RESPONSE_EVENT = pydantic.TypeAdapter(ResponseStreamEvent)

EVENTS = [
    StreamEvent(kind="start", id="up_1", model="up-model"),
    StreamEvent(kind="usage", usage=Usage(input_tokens=40, cached_tokens=10)),
    StreamEvent(kind="reasoning", text="Think "),
    StreamEvent(kind="reasoning", text="first."),
    StreamEvent(kind="text", text="Checking "),
    StreamEvent(kind="text", text="both."),
    StreamEvent(kind="tool_call", index=0, id="call_a", name="get_weather"),
    StreamEvent(kind="tool_args", index=0, text='{"city":'),
    StreamEvent(kind="tool_args", index=0, text='"Paris"}'),
    StreamEvent(kind="tool_call", index=1, id="call_b", name="get_time"),
    StreamEvent(kind="tool_args", index=1, text="{}"),
    StreamEvent(kind="finish", finish_reason="tool_calls"),
    StreamEvent(kind="usage", usage=Usage(input_tokens=40, output_tokens=12, cached_tokens=10)),
]

FAILURE = Failure(
    owner="upstream",
    code="upstream.overloaded",
    message="anthropic is overloaded (in-stream error overloaded_error): Overloaded.",
    retryable=True,
    provider="anthropic",
    model="claude-sonnet-4",
    next_steps=["retry later or let a fallback model take over", "clawgate health list"],
)


def encode_all(dialect: Any, events: list[StreamEvent], include_usage: bool = True) -> bytes:
    enc = dialect.stream_encoder("client-model", include_usage)
    return b"".join(enc.encode(ev) for ev in events) + enc.finish()


def validate(dialect: Any, raw: bytes) -> list[Any]:
    """Every event of an encoder's output parsed by the SDK's own types."""
    out = []
    for name, data in parsed_data(raw):
        if dialect is CHAT:
            out.append(data if data == "[DONE]" else ChatCompletionChunk.model_validate(data))
        elif dialect is MESSAGES:
            assert name == data["type"]
            out.append(RAW_MESSAGE_EVENT.validate_python(data))
        else:
            assert name == data["type"]
            out.append(RESPONSE_EVENT.validate_python(data))
    return out


@pytest.mark.parametrize("dialect", ALL, ids=lambda d: d.api)
def test_encoded_stream_is_valid_and_decodes_back(dialect: Any) -> None:
    raw = encode_all(dialect, EVENTS)
    validate(dialect, raw)
    for seed in (0, 1, 5):
        out = decode_stream(dialect, raw, seed)
        assert out.failure is None and out.done
        s = summary(out.events)
        expected = summary(EVENTS)
        if dialect is MESSAGES:  # Anthropic's tool ids are kept as they are when already valid
            assert s["calls"] == expected["calls"]
        assert s == expected


def test_chat_chunks() -> None:
    chunks = validate(CHAT, encode_all(CHAT, EVENTS))
    assert chunks[-1] == "[DONE]"
    chunks = chunks[:-1]
    assert len({(c.id, c.created, c.model) for c in chunks}) == 1 and chunks[0].model == "client-model"
    assert chunks[0].choices[0].delta.role == "assistant"
    tool_deltas = [tc for c in chunks if c.choices for tc in c.choices[0].delta.tool_calls or []]
    assert [(t.index, t.id) for t in tool_deltas] == [
        (0, "call_a"),
        (0, None),
        (0, None),
        (1, "call_b"),
        (1, None),
    ]
    assert chunks[-2].choices[0].finish_reason == "tool_calls"
    assert chunks[-1].choices == [] and chunks[-1].usage is not None
    assert (
        chunks[-1].usage.prompt_tokens,
        chunks[-1].usage.completion_tokens,
        chunks[-1].usage.total_tokens,
    ) == (40, 12, 52)
    assert chunks[-1].usage.prompt_tokens_details.cached_tokens == 10  # type: ignore[union-attr]
    without = validate(CHAT, encode_all(CHAT, EVENTS, include_usage=False))
    assert all(c == "[DONE]" or c.choices for c in without)


def test_anthropic_blocks() -> None:
    events = validate(MESSAGES, encode_all(MESSAGES, EVENTS))
    kinds = [(e.type, getattr(e, "index", None)) for e in events]
    assert kinds == [
        ("message_start", None),
        ("content_block_start", 0),
        ("content_block_delta", 0),
        ("content_block_delta", 0),
        ("content_block_stop", 0),
        ("content_block_start", 1),
        ("content_block_delta", 1),
        ("content_block_delta", 1),
        ("content_block_stop", 1),
        ("content_block_start", 2),
        ("content_block_delta", 2),
        ("content_block_delta", 2),
        ("content_block_stop", 2),
        ("content_block_start", 3),
        ("content_block_delta", 3),
        ("content_block_stop", 3),
        ("message_delta", None),
        ("message_stop", None),
    ]
    assert [events[i].content_block.type for i in (1, 5, 9, 13)] == [
        "thinking",
        "text",
        "tool_use",
        "tool_use",
    ]
    assert events[0].message.id.startswith("msg_") and events[0].message.model == "client-model"
    usage = events[-2].usage
    assert events[-2].delta.stop_reason == "tool_use"
    assert (usage.input_tokens, usage.cache_read_input_tokens, usage.output_tokens) == (30, 10, 12)


def test_responses_events() -> None:
    events = validate(RESPONSES, encode_all(RESPONSES, EVENTS))
    assert [e.sequence_number for e in events] == list(range(len(events)))
    types = [e.type for e in events]
    assert types[:2] == ["response.created", "response.in_progress"]
    assert types[-1] == "response.completed"
    for needed in (
        "response.output_item.added",
        "response.content_part.added",
        "response.output_text.delta",
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.function_call_arguments.delta",
        "response.function_call_arguments.done",
        "response.reasoning_text.delta",
    ):
        assert needed in types
    final = events[-1].response
    assert len({e.response.id for e in events if hasattr(e, "response")}) == 1
    assert [o.type for o in final.output] == ["reasoning", "message", "function_call", "function_call"]
    assert final.output_text == "Checking both."
    assert (final.output[2].call_id, final.output[2].arguments) == ("call_a", '{"city":"Paris"}')
    assert (final.usage.input_tokens, final.usage.output_tokens, final.usage.total_tokens) == (40, 12, 52)


@pytest.mark.parametrize("dialect", ALL, ids=lambda d: d.api)
def test_finish_closes_open_blocks_without_a_finish_event(dialect: Any) -> None:
    events = [StreamEvent(kind="start"), StreamEvent(kind="text", text="cut")]
    raw = encode_all(dialect, events)
    validate(dialect, raw)
    out = decode_stream(dialect, raw)
    assert out.done and summary(out.events)["text"] == "cut" and summary(out.events)["finish"] == "stop"
    enc = dialect.stream_encoder("m")
    assert enc.finish() and enc.finish() == b"" and enc.encode(StreamEvent(kind="text", text="x")) == b""
    tool_only = encode_all(dialect, [StreamEvent(kind="tool_call", index=0, id="c", name="f")])
    assert summary(decode_stream(dialect, tool_only).events)["finish"] == "tool_calls"


def test_anthropic_finish_on_empty_stream_is_still_a_message() -> None:
    events = validate(MESSAGES, encode_all(MESSAGES, []))
    assert [e.type for e in events] == ["message_start", "message_delta", "message_stop"]


def test_error_events() -> None:
    enc = CHAT.stream_encoder("m")
    raw = enc.encode(StreamEvent(kind="text", text="par")) + enc.error(FAILURE)
    data = parsed_data(raw)
    assert data[-1] == (None, "[DONE]")
    err = data[-2][1]["error"]
    assert (err["code"], err["owner"], err["type"], err["next"]) == (
        "upstream.overloaded",
        "upstream",
        "upstream_error",
        "retry later or let a fallback model take over",
    )
    assert enc.finish() == b""

    enc = MESSAGES.stream_encoder("m")
    raw = enc.encode(StreamEvent(kind="text", text="par")) + enc.error(FAILURE)
    name, body = parsed_data(raw)[-1]
    assert name == "error"
    assert anthropic.types.ErrorResponse.model_validate(body).error.type == "overloaded_error"
    assert (body["error"]["code"], body["error"]["owner"]) == ("upstream.overloaded", "upstream")

    enc = RESPONSES.stream_encoder("m")
    events = validate(RESPONSES, enc.encode(StreamEvent(kind="text", text="par")) + enc.error(FAILURE))
    error, failed = events[-2:]
    assert (error.type, error.code, error.model_extra["owner"]) == (
        "error",
        "upstream.overloaded",
        "upstream",
    )
    assert failed.type == "response.failed" and failed.response.status == "failed"
    assert failed.response.error.code == "server_error"
    assert failed.response.error.model_extra["clawgate_code"] == "upstream.overloaded"


@pytest.mark.parametrize("dst", ALL, ids=lambda d: d.api)
@pytest.mark.parametrize(
    ("src", "stream"),
    [
        (CHAT, recorded.OPENAI_TOOL_STREAM),
        (MESSAGES, recorded.ANTHROPIC_STREAM),
        (RESPONSES, recorded.RESPONSES_STREAM),
    ],
    ids=["from-chat", "from-messages", "from-responses"],
)
def test_recorded_upstream_streams_translate(src: Any, stream: bytes, dst: Any) -> None:
    """Upstream bytes -> decoder -> another dialect's encoder -> that dialect's SDK types and decoder."""
    upstream = decode_stream(src, stream, 3)
    enc = dst.stream_encoder("client-model")
    raw = b"".join(enc.encode(ev) for ev in upstream.events) + enc.finish()
    validate(dst, raw)
    again = summary(decode_stream(dst, raw, 4).events)
    want = summary(upstream.events)
    if dst is not MESSAGES and isinstance(want.get("usage"), Usage):
        # only Anthropic's usage names cache writes; elsewhere they stay counted in input_tokens
        want["usage"] = dataclasses.replace(want["usage"], cache_write_tokens=None)
    assert again == want
