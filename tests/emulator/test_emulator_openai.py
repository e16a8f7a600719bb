"""The OpenAI dialect through the official SDK: chat, Responses, models, tool calls, stream framing."""

from __future__ import annotations

import json

import openai
import pytest
from tests.support.timing import limit

from clawgate.emulator import EmulatorThread

from .emuclient import auth_headers, chat_body, key_for, post, sse, sse_json

TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "lookup",
            "description": "look something up",
            "parameters": {"type": "object", "properties": {"x": {"type": "integer"}}},
        },
    }
]


def client(emu: EmulatorThread, key: str | None = None) -> openai.OpenAI:
    return openai.OpenAI(
        base_url=emu.base_url("openai"), api_key=key or key_for("openai"), max_retries=0, timeout=limit(10)
    )


def test_chat_non_stream(emu: EmulatorThread) -> None:
    resp = client(emu).chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}]
    )
    assert resp.choices[0].message.content == "emulated reply from openai model gpt-4o-mini"
    assert resp.choices[0].finish_reason == "stop"
    assert resp.object == "chat.completion"
    assert (
        resp.usage is not None
        and resp.usage.total_tokens == resp.usage.prompt_tokens + resp.usage.completion_tokens
    )
    rec = emu.last_request
    assert rec is not None and rec.status == 200 and rec.endpoint == "chat" and not rec.stream


def test_chat_echo(emu: EmulatorThread) -> None:
    resp = client(emu).chat.completions.create(
        model="gpt-4o-mini",
        messages=[
            {"role": "system", "content": "be terse"},
            {"role": "user", "content": "echo:  ping pong "},
        ],
    )
    assert resp.choices[0].message.content == "ping pong"


def test_chat_stream_with_usage(emu: EmulatorThread) -> None:
    stream = client(emu).chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": "echo: abcdefghij"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    assert chunks[0].choices[0].delta.role == "assistant"
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "abcdefghij"
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    assert chunks[-1].choices == [] and chunks[-1].usage is not None
    assert all(c.usage is None for c in chunks[:-1])
    assert emu.last_request.chunks_sent == 5


def test_chat_stream_raw_framing(emu: EmulatorThread) -> None:
    status, headers, raw = post(
        emu.base_url("openai") + "/chat/completions", chat_body(stream=True), auth_headers("openai")
    )
    assert status == 200 and headers["content-type"].startswith("text/event-stream")
    assert raw.endswith(b"data: [DONE]\n\n") and raw.count(b"[DONE]") == 1
    events = sse_json(raw)
    assert events[0]["choices"][0]["delta"] == {"role": "assistant", "content": "", "refusal": None}
    assert events[-1]["choices"][0]["delta"] == {} and events[-1]["choices"][0]["finish_reason"] == "stop"
    assert "usage" not in events[0]  # no include_usage: no usage keys at all
    assert all(e["object"] == "chat.completion.chunk" and "obfuscation" in e for e in events)
    assert headers["x-request-id"].startswith("req_")


def test_chunk_count_per_emulator_and_request() -> None:
    with EmulatorThread(chunks=3) as emu:
        _, _, raw = post(
            emu.base_url("openai") + "/chat/completions", chat_body(stream=True), auth_headers("openai")
        )
        assert len([e for e in sse_json(raw) if e["choices"][0]["delta"].get("content")]) == 3
        _, _, raw = post(
            emu.base_url("openai") + "/chat/completions",
            chat_body(model="fault-none-chunks7", stream=True),
            auth_headers("openai"),
        )
        assert len([e for e in sse_json(raw) if e["choices"][0]["delta"].get("content")]) == 7
        assert emu.last_request.chunks_sent == 7


@pytest.mark.parametrize("stream", [False, True])
def test_chat_tool_call(emu: EmulatorThread, stream: bool) -> None:
    c = client(emu)
    kwargs = {
        "model": "gpt-4o",
        "messages": [{"role": "user", "content": "please call_tool"}],
        "tools": TOOLS,
    }
    if stream:
        chunks = list(c.chat.completions.create(stream=True, **kwargs))
        calls = [tc for ch in chunks if ch.choices for tc in (ch.choices[0].delta.tool_calls or [])]
        assert calls[0].function.name == "lookup" and calls[0].id
        args = "".join(tc.function.arguments or "" for tc in calls)
        finish = [ch.choices[0].finish_reason for ch in chunks if ch.choices][-1]
    else:
        resp = c.chat.completions.create(**kwargs)
        call = resp.choices[0].message.tool_calls[0]
        assert call.function.name == "lookup" and call.type == "function"
        args, finish = call.function.arguments, resp.choices[0].finish_reason
    assert json.loads(args) == {"x": 1}
    assert finish == "tool_calls"


def test_tool_result_turn_gets_text(emu: EmulatorThread) -> None:
    resp = client(emu).chat.completions.create(
        model="gpt-4o",
        tools=TOOLS,
        messages=[
            {"role": "user", "content": "call_tool"},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {"id": "c1", "type": "function", "function": {"name": "lookup", "arguments": "{}"}}
                ],
            },
            {"role": "tool", "tool_call_id": "c1", "content": "42"},
        ],
    )
    assert resp.choices[0].message.tool_calls is None
    assert resp.choices[0].message.content.startswith("emulated reply")


def test_responses_non_stream(emu: EmulatorThread) -> None:
    resp = client(emu).responses.create(model="gpt-5", input="echo: hello responses")
    assert resp.output_text == "hello responses"
    assert resp.status == "completed" and resp.usage.total_tokens > 0
    assert emu.last_request.endpoint == "responses"


def test_responses_stream(emu: EmulatorThread) -> None:
    events = list(client(emu).responses.create(model="gpt-5", input="echo: streamed text", stream=True))
    types = [e.type for e in events]
    assert types[:2] == ["response.created", "response.in_progress"]
    assert types[-1] == "response.completed"
    assert [e.sequence_number for e in events] == list(range(len(events)))
    deltas = "".join(e.delta for e in events if e.type == "response.output_text.delta")
    assert deltas == "streamed text"
    status, _, raw = post(
        emu.base_url("openai") + "/responses",
        {"model": "gpt-5", "input": "x", "stream": True},
        auth_headers("openai"),
    )
    assert status == 200 and b"[DONE]" not in raw
    assert all(name == json.loads(data)["type"] for name, data in sse(raw))


@pytest.mark.parametrize("stream", [False, True])
def test_responses_tool_call(emu: EmulatorThread, stream: bool) -> None:
    tools = [{"type": "function", "name": "lookup", "parameters": {"type": "object", "properties": {}}}]
    c = client(emu)
    if stream:
        events = list(c.responses.create(model="gpt-5", input="call_tool now", tools=tools, stream=True))
        done = next(e for e in events if e.type == "response.completed").response
        args = "".join(e.delta for e in events if e.type == "response.function_call_arguments.delta")
        assert args == "{}"
    else:
        done = c.responses.create(
            model="gpt-5", input=[{"role": "user", "content": "call_tool"}], tools=tools
        )
    item = done.output[0]
    assert item.type == "function_call" and item.name == "lookup" and item.arguments == "{}"


def test_models(emu: EmulatorThread) -> None:
    ids = [m.id for m in client(emu).models.list()]
    assert "gpt-4o-mini" in ids
    assert emu.last_request.endpoint == "models" and emu.last_request.method == "GET"


def test_custom_model_list() -> None:
    with EmulatorThread(models={"openai": ["only-model"]}) as emu:
        assert [m.id for m in client(emu).models.list()] == ["only-model"]
