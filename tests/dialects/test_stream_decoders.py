"""Stream decoders on recorded-shape upstream streams, fed through the real SSE parser with any chunk split."""

from __future__ import annotations

import orjson
import pytest

from clawgate.dialects.internal import StreamEvent, Usage

from ._support import CHAT, MESSAGES, RESPONSES, decode_stream, sse_lines, summary

SEEDS = [0, 1, 2, 3, 17]


def _chunk(delta: dict, finish: str | None = None, **top: object) -> dict:
    choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
    return {
        "id": "chatcmpl-Bx1",
        "object": "chat.completion.chunk",
        "created": 1747000000,
        "model": "gpt-4.1-2025-04-14",
        "choices": [choice],
        "usage": None,
        "obfuscation": "x1y2",
        **top,
    }


# OpenAI chat: role delta, text, a tool call in fragments, finish, the include_usage chunk, [DONE].
OPENAI_TOOL_STREAM = sse_lines(
    (None, _chunk({"role": "assistant", "content": "", "refusal": None})),
    (None, _chunk({"content": "Let me "})),
    (None, _chunk({"content": "check."})),
    (
        None,
        _chunk(
            {
                "tool_calls": [
                    {
                        "index": 0,
                        "id": "call_Qx1",
                        "type": "function",
                        "function": {"name": "get_weather", "arguments": ""},
                    }
                ]
            }
        ),
    ),
    (None, _chunk({"tool_calls": [{"index": 0, "function": {"arguments": '{"ci'}}]})),
    (None, _chunk({"tool_calls": [{"index": 0, "function": {"arguments": 'ty": "Pa'}}]})),
    (None, _chunk({"tool_calls": [{"index": 0, "function": {"arguments": 'ris"}'}}]})),
    (None, _chunk({}, "tool_calls")),
    (
        None,
        {
            "id": "chatcmpl-Bx1",
            "object": "chat.completion.chunk",
            "created": 1747000000,
            "model": "gpt-4.1-2025-04-14",
            "choices": [],
            "usage": {
                "prompt_tokens": 52,
                "completion_tokens": 17,
                "total_tokens": 69,
                "prompt_tokens_details": {"cached_tokens": 32, "audio_tokens": 0},
            },
        },
    ),
    (None, "[DONE]"),
)


@pytest.mark.parametrize("seed", SEEDS)
def test_openai_chat_tool_call_and_usage_chunk(seed: int) -> None:
    out = decode_stream(CHAT, OPENAI_TOOL_STREAM, seed)
    assert out.failure is None and out.done
    assert out.events[0] == StreamEvent(kind="start", id="chatcmpl-Bx1", model="gpt-4.1-2025-04-14")
    assert [e.kind for e in out.events] == [
        "start",
        "text",
        "text",
        "tool_call",
        "tool_args",
        "tool_args",
        "tool_args",
        "finish",
        "usage",
    ]
    assert summary(out.events) == {
        "text": "Let me check.",
        "reasoning": "",
        "calls": [{"id": "call_Qx1", "name": "get_weather", "arguments": '{"city": "Paris"}'}],
        "finish": "tool_calls",
        "usage": Usage(input_tokens=52, output_tokens=17, cached_tokens=32),
    }


def test_openai_chat_missing_and_extra_done() -> None:
    without_done = OPENAI_TOOL_STREAM.replace(b"data: [DONE]\n\n", b"")
    out = decode_stream(CHAT, without_done)
    assert out.failure is None and out.done  # finish seen: complete even without [DONE]
    twice = OPENAI_TOOL_STREAM + b"data: [DONE]\n\n" + sse_lines((None, _chunk({"content": "late"})))
    out2 = decode_stream(CHAT, twice)
    assert out2.failure is None and summary(out2.events)["text"] == "Let me check."


def test_openai_chat_cut_before_finish_is_not_done() -> None:
    raw = sse_lines((None, _chunk({"role": "assistant", "content": ""})), (None, _chunk({"content": "Hel"})))
    out = decode_stream(CHAT, raw)
    assert out.failure is None and not out.done


# OpenAI: the recorded gpt-4.1 mid-stream error (coder/aibridge stream_error.txtar): a bare data line, no [DONE].
OPENAI_ERROR_STREAM = sse_lines(
    (None, _chunk({"role": "assistant", "content": ""})),
    (None, _chunk({"content": "Partial"})),
    (
        None,
        '{"error": {"message": "The server had an error while processing your request. Sorry about that!", '
        '"type": "server_error"}}',
    ),
)


@pytest.mark.parametrize("seed", SEEDS)
def test_openai_chat_mid_stream_error(seed: int) -> None:
    out = decode_stream(CHAT, OPENAI_ERROR_STREAM, seed)
    assert summary(out.events)["text"] == "Partial"
    assert out.failure is not None
    assert (out.failure.owner, out.failure.code) == ("upstream", "upstream.stream_error")
    assert "server had an error" in (out.failure.provider_message or "")


# OpenRouter: keep-alive comments anywhere, then the documented mid-stream error chunk (finish_reason "error").
OPENROUTER_STREAM = (
    b": OPENROUTER PROCESSING\n\n"
    + sse_lines((None, _chunk({"role": "assistant", "content": ""}, provider="OpenAI")))
    + b": OPENROUTER PROCESSING\n\n"
    + sse_lines((None, _chunk({"content": "Hello"}, provider="OpenAI")))
    + b": OPENROUTER PROCESSING\n\n"
    + b'data: {"id":"gen-abc123","object":"chat.completion.chunk","created":1234567890,"model":"openai/gpt-4o",'
    b'"provider":"OpenAI","error":{"code":429,"message":"Rate limit exceeded","metadata":{"error_type":'
    b'"rate_limit_exceeded"}},"choices":[{"index":0,"delta":{"content":""},"finish_reason":"error"}]}\n\n'
)


@pytest.mark.parametrize("seed", SEEDS)
def test_openrouter_comments_and_mid_stream_error(seed: int) -> None:
    out = decode_stream(CHAT, OPENROUTER_STREAM, seed, provider="openrouter")
    assert summary(out.events)["text"] == "Hello"
    assert out.failure is not None
    assert (out.failure.owner, out.failure.code, out.failure.provider) == (
        "rate_limit",
        "rate_limit.exceeded",
        "openrouter",
    )


def test_openrouter_usage_in_final_chunk_and_reasoning() -> None:
    raw = sse_lines(
        (None, _chunk({"role": "assistant", "content": "", "reasoning": "Think"})),
        (None, _chunk({"reasoning": "ing."})),
        (None, _chunk({"content": "Hi"})),
        (
            None,
            _chunk(
                {},
                "stop",
                usage={"prompt_tokens": 9, "completion_tokens": 3, "total_tokens": 12},
            ),
        ),
        (None, "[DONE]"),
    )
    s = summary(decode_stream(CHAT, raw, provider="openrouter").events)
    assert (s["reasoning"], s["text"], s["finish"]) == ("Thinking.", "Hi", "stop")
    assert s["usage"] == Usage(input_tokens=9, output_tokens=3)


def test_groq_x_groq_usage_in_last_chunk() -> None:
    last = _chunk({}, "stop")
    del last["usage"]
    last["x_groq"] = {
        "id": "req_01jbd6g2qdfw2adyrt2az8hz4w",
        "usage": {"prompt_tokens": 18, "completion_tokens": 5, "total_tokens": 23, "queue_time": 0.01},
    }
    raw = sse_lines((None, _chunk({"role": "assistant", "content": ""})), (None, _chunk({"content": "Yo"})))
    raw += sse_lines((None, last), (None, "[DONE]"))
    out = decode_stream(CHAT, raw, 2, provider="groq")
    assert summary(out.events)["usage"] == Usage(input_tokens=18, output_tokens=5)
    assert out.done


@pytest.mark.parametrize("seed", SEEDS)
def test_llamacpp_error_without_done(seed: int) -> None:
    raw = sse_lines(
        (None, _chunk({"role": "assistant", "content": ""})),
        (None, '{"error":{"code":500,"message":"llama_decode failed","type":"server_error"}}'),
    )
    out = decode_stream(CHAT, raw, seed, provider="llamacpp")
    assert out.failure is not None and out.failure.code == "upstream.stream_error"
    assert out.failure.provider == "llamacpp"


def test_parallel_tool_calls_and_index_less_deltas() -> None:
    raw = sse_lines(
        (None, _chunk({"role": "assistant", "content": None})),
        (None, _chunk({"tool_calls": [{"id": "a", "function": {"name": "f", "arguments": '{"x":'}}]})),
        (None, _chunk({"tool_calls": [{"function": {"arguments": "1}"}}]})),
        (
            None,
            _chunk({"tool_calls": [{"index": 1, "id": "b", "function": {"name": "g", "arguments": "{}"}}]}),
        ),
        (None, _chunk({}, "stop")),  # Ollama-style "stop" after tool calls
    )
    s = summary(decode_stream(CHAT, raw).events)
    assert s["calls"] == [
        {"id": "a", "name": "f", "arguments": '{"x":1}'},
        {"id": "b", "name": "g", "arguments": "{}"},
    ]
    assert s["finish"] == "tool_calls"


def test_non_json_data_is_bad_response() -> None:
    raw = sse_lines((None, _chunk({"role": "assistant"})), (None, "<html>502 Bad Gateway</html>"))
    for dialect in (CHAT, MESSAGES, RESPONSES):
        out = decode_stream(dialect, raw, provider="relay")
        assert out.failure is not None
        assert (out.failure.owner, out.failure.code) == ("upstream", "upstream.bad_response")
        assert "502 Bad Gateway" in out.failure.message and out.failure.try_fallback


# Anthropic: the documented event sequence with a ping right after the first content_block_start, thinking,
# a tool_use with input_json_delta, message_delta with cumulative usage, message_stop, then OpenRouter's
# stray `event: data` / `data: [DONE]`.
ANTHROPIC_STREAM = sse_lines(
    (
        "message_start",
        {
            "type": "message_start",
            "message": {
                "id": "msg_01XFDUDYJgAACzvnptvVoYEL",
                "type": "message",
                "role": "assistant",
                "content": [],
                "model": "claude-sonnet-4-20250514",
                "stop_reason": None,
                "stop_sequence": None,
                "usage": {
                    "input_tokens": 25,
                    "cache_creation_input_tokens": 0,
                    "cache_read_input_tokens": 100,
                    "output_tokens": 1,
                    "service_tier": "standard",
                },
            },
        },
    ),
    (
        "content_block_start",
        {
            "type": "content_block_start",
            "index": 0,
            "content_block": {"type": "thinking", "thinking": "", "signature": ""},
        },
    ),
    ("ping", {"type": "ping"}),
    (
        "content_block_delta",
        {"type": "content_block_delta", "index": 0, "delta": {"type": "thinking_delta", "thinking": "Hmm."}},
    ),
    (
        "content_block_delta",
        {
            "type": "content_block_delta",
            "index": 0,
            "delta": {"type": "signature_delta", "signature": "EqQ="},
        },
    ),
    ("content_block_stop", {"type": "content_block_stop", "index": 0}),
    (
        "content_block_start",
        {"type": "content_block_start", "index": 1, "content_block": {"type": "text", "text": ""}},
    ),
    (
        "content_block_delta",
        {"type": "content_block_delta", "index": 1, "delta": {"type": "text_delta", "text": "Checking"}},
    ),
    ("content_block_stop", {"type": "content_block_stop", "index": 1}),
    (
        "content_block_start",
        {
            "type": "content_block_start",
            "index": 2,
            "content_block": {"type": "tool_use", "id": "toolu_01T1x", "name": "get_weather", "input": {}},
        },
    ),
    (
        "content_block_delta",
        {
            "type": "content_block_delta",
            "index": 2,
            "delta": {"type": "input_json_delta", "partial_json": ""},
        },
    ),
    (
        "content_block_delta",
        {
            "type": "content_block_delta",
            "index": 2,
            "delta": {"type": "input_json_delta", "partial_json": '{"city": "Pa'},
        },
    ),
    (
        "content_block_delta",
        {
            "type": "content_block_delta",
            "index": 2,
            "delta": {"type": "input_json_delta", "partial_json": 'ris"}'},
        },
    ),
    ("content_block_stop", {"type": "content_block_stop", "index": 2}),
    ("some_future_event", {"type": "some_future_event", "x": 1}),
    (
        "message_delta",
        {
            "type": "message_delta",
            "delta": {"stop_reason": "tool_use", "stop_sequence": None},
            "usage": {"output_tokens": 89},
        },
    ),
    ("message_stop", {"type": "message_stop"}),
    ("data", "[DONE]"),
)


@pytest.mark.parametrize("seed", SEEDS)
def test_anthropic_stream(seed: int) -> None:
    out = decode_stream(MESSAGES, ANTHROPIC_STREAM, seed, provider="anthropic")
    assert out.failure is None and out.done
    assert out.events[0] == StreamEvent(
        kind="start", id="msg_01XFDUDYJgAACzvnptvVoYEL", model="claude-sonnet-4-20250514"
    )
    assert out.events[1] == StreamEvent(
        kind="usage", usage=Usage(input_tokens=125, cached_tokens=100, cache_write_tokens=0)
    )
    assert summary(out.events) == {
        "text": "Checking",
        "reasoning": "Hmm.",
        "calls": [{"id": "toolu_01T1x", "name": "get_weather", "arguments": '{"city": "Paris"}'}],
        "finish": "tool_calls",
        "usage": Usage(input_tokens=125, output_tokens=89, cached_tokens=100, cache_write_tokens=0),
    }


def test_anthropic_ignores_everything_after_message_stop() -> None:
    raw = ANTHROPIC_STREAM + sse_lines(
        ("error", {"type": "error", "error": {"type": "api_error", "message": "late"}})
    )
    out = decode_stream(MESSAGES, raw, provider="openrouter")
    assert out.failure is None and out.done


@pytest.mark.parametrize("seed", SEEDS)
def test_anthropic_event_error(seed: int) -> None:
    head = ANTHROPIC_STREAM.split(b"event: content_block_stop")[0]
    raw = (
        head
        + b'event: error\ndata: {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}\n\n'
    )
    out = decode_stream(MESSAGES, raw, seed, provider="anthropic")
    assert summary(out.events)["reasoning"] == "Hmm."
    assert out.failure is not None
    assert (out.failure.owner, out.failure.code, out.failure.provider_type) == (
        "upstream",
        "upstream.overloaded",
        "overloaded_error",
    )


def _resp(status: str, **extra: object) -> dict:
    return {
        "id": "resp_67c9",
        "object": "response",
        "created_at": 1741290958,
        "status": status,
        "model": "gpt-4.1",
        "output": [],
        **extra,
    }


# Responses: the documented sequence (created, in_progress, items, deltas, done events, completed; no [DONE]).
RESPONSES_STREAM = sse_lines(
    (
        "response.created",
        {"type": "response.created", "sequence_number": 0, "response": _resp("in_progress")},
    ),
    (
        "response.in_progress",
        {"type": "response.in_progress", "sequence_number": 1, "response": _resp("in_progress")},
    ),
    (
        "response.output_item.added",
        {
            "type": "response.output_item.added",
            "sequence_number": 2,
            "output_index": 0,
            "item": {
                "id": "msg_1",
                "type": "message",
                "status": "in_progress",
                "role": "assistant",
                "content": [],
            },
        },
    ),
    (
        "response.content_part.added",
        {
            "type": "response.content_part.added",
            "sequence_number": 3,
            "item_id": "msg_1",
            "output_index": 0,
            "content_index": 0,
            "part": {"type": "output_text", "text": "", "annotations": []},
        },
    ),
    (
        "response.output_text.delta",
        {
            "type": "response.output_text.delta",
            "sequence_number": 4,
            "item_id": "msg_1",
            "output_index": 0,
            "content_index": 0,
            "delta": "Hi ",
        },
    ),
    (
        "response.output_text.delta",
        {
            "type": "response.output_text.delta",
            "sequence_number": 5,
            "item_id": "msg_1",
            "output_index": 0,
            "content_index": 0,
            "delta": "there",
        },
    ),
    (
        "response.output_text.done",
        {
            "type": "response.output_text.done",
            "sequence_number": 6,
            "item_id": "msg_1",
            "output_index": 0,
            "content_index": 0,
            "text": "Hi there",
        },
    ),
    (
        "response.output_item.added",
        {
            "type": "response.output_item.added",
            "sequence_number": 7,
            "output_index": 1,
            "item": {
                "id": "fc_1",
                "type": "function_call",
                "status": "in_progress",
                "call_id": "call_9",
                "name": "get_weather",
                "arguments": "",
            },
        },
    ),
    (
        "response.function_call_arguments.delta",
        {
            "type": "response.function_call_arguments.delta",
            "sequence_number": 8,
            "item_id": "fc_1",
            "output_index": 1,
            "delta": '{"city":',
        },
    ),
    (
        "response.function_call_arguments.delta",
        {
            "type": "response.function_call_arguments.delta",
            "sequence_number": 9,
            "item_id": "fc_1",
            "output_index": 1,
            "delta": '"Paris"}',
        },
    ),
    (
        "response.function_call_arguments.done",
        {
            "type": "response.function_call_arguments.done",
            "sequence_number": 10,
            "item_id": "fc_1",
            "output_index": 1,
            "arguments": '{"city":"Paris"}',
        },
    ),
    (
        "response.completed",
        {
            "type": "response.completed",
            "sequence_number": 11,
            "response": _resp(
                "completed",
                usage={
                    "input_tokens": 36,
                    "input_tokens_details": {"cached_tokens": 8},
                    "output_tokens": 87,
                    "output_tokens_details": {"reasoning_tokens": 0},
                    "total_tokens": 123,
                },
            ),
        },
    ),
)


@pytest.mark.parametrize("seed", SEEDS)
def test_responses_stream(seed: int) -> None:
    out = decode_stream(RESPONSES, RESPONSES_STREAM, seed)
    assert out.failure is None and out.done
    assert out.events[0] == StreamEvent(kind="start", id="resp_67c9", model="gpt-4.1")
    assert summary(out.events) == {
        "text": "Hi there",
        "reasoning": "",
        "calls": [{"id": "call_9", "name": "get_weather", "arguments": '{"city":"Paris"}'}],
        "finish": "tool_calls",
        "usage": Usage(input_tokens=36, output_tokens=87, cached_tokens=8),
    }


def test_responses_incomplete_is_length() -> None:
    raw = RESPONSES_STREAM.split(b"event: response.output_item.added")[0] + sse_lines(
        (
            "response.incomplete",
            {
                "type": "response.incomplete",
                "sequence_number": 2,
                "response": _resp("incomplete", incomplete_details={"reason": "max_output_tokens"}),
            },
        )
    )
    out = decode_stream(RESPONSES, raw)
    assert out.done and summary(out.events)["finish"] == "length"


@pytest.mark.parametrize("seed", SEEDS)
def test_responses_flat_error(seed: int) -> None:
    head = RESPONSES_STREAM.split(b"event: response.output_text.done")[0]
    raw = head + sse_lines(
        (
            "error",
            {
                "type": "error",
                "code": "ERR_SOMETHING",
                "message": "Something went wrong",
                "param": None,
                "sequence_number": 6,
            },
        )
    )
    out = decode_stream(RESPONSES, raw, seed)
    assert summary(out.events)["text"] == "Hi there"
    assert out.failure is not None and out.failure.code == "upstream.stream_error"
    assert out.failure.provider_message == "Something went wrong"


@pytest.mark.parametrize("seed", SEEDS)
def test_responses_nested_error_then_failed(seed: int) -> None:
    # Wei-Shaw/sub2api#6631: the nested error shape, followed by response.failed.
    raw = RESPONSES_STREAM.split(b"event: response.output_item.added")[0] + (
        b'event: error\ndata: {"error":{"code":"server_is_overloaded","message":"Our servers are currently '
        b'overloaded. Please try again later.","param":null,"type":"service_unavailable_error"},'
        b'"sequence_number":2,"type":"error"}\n\n'
        b'event: response.failed\ndata: {"type":"response.failed","sequence_number":3,"response":'
        b'{"id":"resp_67c9","status":"failed","error":{"code":"server_error","message":"x"}}}\n\n'
    )
    out = decode_stream(RESPONSES, raw, seed)
    assert out.failure is not None and out.failure.code == "upstream.overloaded"


def test_responses_failed_alone() -> None:
    raw = sse_lines(
        (
            "response.created",
            {"type": "response.created", "sequence_number": 0, "response": _resp("in_progress")},
        ),
        (
            "response.failed",
            {
                "type": "response.failed",
                "sequence_number": 1,
                "response": _resp("failed", error={"code": "rate_limit_exceeded", "message": "Slow down"}),
            },
        ),
    )
    out = decode_stream(RESPONSES, raw)
    assert out.failure is not None and out.failure.owner in ("rate_limit", "upstream")
    assert out.failure.provider_message == "Slow down"


def test_responses_relay_with_only_the_final_response() -> None:
    final = _resp(
        "completed",
        output=[
            {"id": "rs_1", "type": "reasoning", "summary": []},
            {
                "id": "msg_1",
                "type": "message",
                "role": "assistant",
                "status": "completed",
                "content": [{"type": "output_text", "text": "All at once", "annotations": []}],
            },
            {"id": "fc_1", "type": "function_call", "call_id": "call_1", "name": "f", "arguments": '{"a":1}'},
        ],
    )
    raw = sse_lines(
        (
            "response.created",
            {"type": "response.created", "sequence_number": 0, "response": _resp("in_progress")},
        ),
        ("response.completed", {"type": "response.completed", "sequence_number": 1, "response": final}),
    )
    s = summary(decode_stream(RESPONSES, raw).events)
    assert (s["text"], s["finish"]) == ("All at once", "tool_calls")
    assert s["calls"] == [{"id": "call_1", "name": "f", "arguments": '{"a":1}'}]


def test_responses_final_output_does_not_repeat_streamed_items() -> None:
    items = [
        {
            "id": "msg_1",
            "type": "message",
            "role": "assistant",
            "content": [{"type": "output_text", "text": "Hi there"}],
        },
        {
            "id": "fc_1",
            "type": "function_call",
            "call_id": "call_9",
            "name": "get_weather",
            "arguments": '{"city":"Paris"}',
        },
    ]
    raw = RESPONSES_STREAM.replace(b'"status":"completed","model":"gpt-4.1","output":[]', b"X")
    assert raw != RESPONSES_STREAM
    raw = raw.replace(b"X", b'"status":"completed","model":"gpt-4.1","output":' + orjson.dumps(items))
    s = summary(decode_stream(RESPONSES, raw, 2).events)
    assert (
        s["text"] == "Hi there" and len(s["calls"]) == 1 and s["calls"][0]["arguments"] == '{"city":"Paris"}'
    )


def test_responses_reasoning_summary_deltas() -> None:
    raw = sse_lines(
        (
            "response.created",
            {"type": "response.created", "sequence_number": 0, "response": _resp("in_progress")},
        ),
        (
            "response.reasoning_summary_text.delta",
            {
                "type": "response.reasoning_summary_text.delta",
                "sequence_number": 1,
                "item_id": "rs_1",
                "output_index": 0,
                "summary_index": 0,
                "delta": "Plan.",
            },
        ),
        (
            "response.completed",
            {"type": "response.completed", "sequence_number": 2, "response": _resp("completed")},
        ),
    )
    s = summary(decode_stream(RESPONSES, raw).events)
    assert (s["reasoning"], s["finish"]) == ("Plan.", "stop")
