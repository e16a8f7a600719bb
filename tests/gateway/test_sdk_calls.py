"""Done-when 2 (success half): the official SDKs, unchanged but for base_url, complete streaming and
non-streaming calls through the gateway to the emulator, in every client/provider dialect pairing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import anthropic
import openai
import pytest
from tests.support.timing import limit

from clawgate.emulator import EmulatorThread

from .conftest import TOKEN, Gateway, base_config, gateway_for

OPENAI_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "weather",
        "parameters": {"type": "object", "properties": {"x": {"type": "integer"}}},
    },
}
ANTHROPIC_TOOL = {
    "name": "get_weather",
    "description": "weather",
    "input_schema": {"type": "object", "properties": {"x": {"type": "integer"}}},
}
RESPONSES_TOOL = {
    "type": "function",
    "name": "get_weather",
    "description": "weather",
    "parameters": {"type": "object", "properties": {"x": {"type": "integer"}}},
}


@pytest.fixture(scope="module")
def gw(emulator: EmulatorThread, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    with gateway_for(tmp_path_factory.mktemp("sdk"), base_config(emulator)) as g:
        yield g


def oai(gw: Gateway) -> openai.OpenAI:
    return openai.OpenAI(base_url=gw.url + "/v1", api_key=TOKEN, max_retries=0, timeout=limit(20))


def ant(gw: Gateway) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=gw.url, api_key=TOKEN, max_retries=0, timeout=limit(20))


def reply(dialect: str, model: str) -> str:
    return f"emulated reply from {dialect} model {model}"


# --- OpenAI chat completions ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "dialect", "upstream_model", "path"),
    [
        ("openai/gpt-4o", "openai", "gpt-4o", "/chat/completions"),
        ("anthropic/claude-sonnet-4-5", "anthropic", "claude-sonnet-4-5", "/v1/messages"),
        ("agent/claude", "anthropic", "claude-sonnet-4-5", "/v1/messages"),
        ("openrouter/moonshotai/kimi-k2.5", "openrouter", "moonshotai/kimi-k2.5", "/chat/completions"),
    ],
)
def test_openai_chat(
    gw: Gateway, emu: EmulatorThread, model: str, dialect: str, upstream_model: str, path: str
) -> None:
    client = oai(gw)
    raw = client.chat.completions.with_raw_response.create(
        model=model, messages=[{"role": "user", "content": "hi"}]
    )
    out = raw.parse()
    assert out.choices[0].message.content == reply(dialect, upstream_model)
    assert out.choices[0].finish_reason == "stop"
    assert raw.headers["x-clawgate-model"].startswith(dialect + "/")
    assert float(raw.headers["x-clawgate-overhead-ms"]) >= 0
    stream = client.chat.completions.create(
        model=model,
        messages=[{"role": "user", "content": "hi"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == reply(dialect, upstream_model)
    assert [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason] == [
        "stop"
    ]
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens > 0
    sent = emu.requests_for(dialect=dialect, path_suffix=path)
    assert [r.stream for r in sent] == [False, True]
    assert all(r.auth == "ok" and r.model == upstream_model for r in sent)


def test_openai_chat_tool_call_on_openai_and_anthropic(gw: Gateway, emu: EmulatorThread) -> None:
    client = oai(gw)
    for model in ("openai/gpt-4o", "anthropic/claude-sonnet-4-5"):
        out = client.chat.completions.create(
            model=model,
            messages=[{"role": "user", "content": "please call_tool"}],
            tools=[OPENAI_TOOL],  # type: ignore[list-item]
        )
        calls = out.choices[0].message.tool_calls or []
        assert out.choices[0].finish_reason == "tool_calls", model
        assert [(c.function.name, json.loads(c.function.arguments)) for c in calls] == [
            ("get_weather", {"x": 1})
        ]
        with client.chat.completions.stream(
            model=model,
            messages=[{"role": "user", "content": "please call_tool"}],
            tools=[OPENAI_TOOL],  # type: ignore[list-item]
        ) as s:
            final = s.get_final_completion()
        calls = final.choices[0].message.tool_calls or []
        assert final.choices[0].finish_reason == "tool_calls", model
        assert [(c.function.name, json.loads(c.function.arguments)) for c in calls] == [
            ("get_weather", {"x": 1})
        ]
    # the tool definition reached the Anthropic provider in its own shape
    sent = emu.requests_for(dialect="anthropic", path_suffix="/v1/messages")
    assert sent and sent[-1].body["tools"][0]["name"] == "get_weather"
    assert "input_schema" in sent[-1].body["tools"][0]


# --- Anthropic messages -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "dialect", "upstream_model"),
    [
        ("anthropic/claude-sonnet-4-5", "anthropic", "claude-sonnet-4-5"),
        ("openai/gpt-4o", "openai", "gpt-4o"),
        ("agent/main", "openai", "gpt-4o"),
    ],
)
def test_anthropic_messages(
    gw: Gateway, emu: EmulatorThread, model: str, dialect: str, upstream_model: str
) -> None:
    client = ant(gw)
    msg = client.messages.create(model=model, max_tokens=64, messages=[{"role": "user", "content": "hi"}])
    assert msg.content[0].type == "text" and msg.content[0].text == reply(dialect, upstream_model)
    assert msg.stop_reason == "end_turn"
    assert msg.usage.output_tokens > 0
    with client.messages.stream(
        model=model, max_tokens=64, messages=[{"role": "user", "content": "hi"}]
    ) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert text == reply(dialect, upstream_model)
    assert final.stop_reason == "end_turn" and final.usage.output_tokens > 0
    sent = emu.requests_for(dialect=dialect)
    assert [r.stream for r in sent] == [False, True]


def test_anthropic_tool_use_on_anthropic_and_openai(gw: Gateway, emu: EmulatorThread) -> None:
    client = ant(gw)
    for model in ("anthropic/claude-sonnet-4-5", "openai/gpt-4o"):
        msg = client.messages.create(
            model=model,
            max_tokens=64,
            tools=[ANTHROPIC_TOOL],  # type: ignore[list-item]
            messages=[{"role": "user", "content": "please call_tool"}],
        )
        uses = [b for b in msg.content if b.type == "tool_use"]
        assert msg.stop_reason == "tool_use", model
        assert [(u.name, u.input) for u in uses] == [("get_weather", {"x": 1})]
        with client.messages.stream(
            model=model,
            max_tokens=64,
            tools=[ANTHROPIC_TOOL],  # type: ignore[list-item]
            messages=[{"role": "user", "content": "please call_tool"}],
        ) as stream:
            final = stream.get_final_message()
        uses = [b for b in final.content if b.type == "tool_use"]
        assert final.stop_reason == "tool_use", model
        assert [(u.name, u.input) for u in uses] == [("get_weather", {"x": 1})]
        # the tool result goes back and the model answers with text
        follow = client.messages.create(
            model=model,
            max_tokens=64,
            tools=[ANTHROPIC_TOOL],  # type: ignore[list-item]
            messages=[
                {"role": "user", "content": "please call_tool"},
                {"role": "assistant", "content": [u.model_dump() for u in uses]},
                {
                    "role": "user",
                    "content": [{"type": "tool_result", "tool_use_id": uses[0].id, "content": "sunny"}],
                },
            ],
        )
        assert follow.stop_reason == "end_turn" and follow.content[0].type == "text"
    sent = emu.requests_for(dialect="openai", path_suffix="/chat/completions")
    assert sent[0].body["tools"][0]["function"]["name"] == "get_weather"
    assert sent[-1].body["messages"][-1]["role"] == "tool"


# --- Responses --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "dialect", "upstream_model"),
    [
        ("openai/gpt-4o", "openai", "gpt-4o"),
        ("anthropic/claude-sonnet-4-5", "anthropic", "claude-sonnet-4-5"),
        ("openrouter/moonshotai/kimi-k2.5", "openrouter", "moonshotai/kimi-k2.5"),
    ],
)
def test_responses(gw: Gateway, emu: EmulatorThread, model: str, dialect: str, upstream_model: str) -> None:
    client = oai(gw)
    r = client.responses.create(model=model, input="hi")
    assert r.output_text == reply(dialect, upstream_model)
    assert r.status == "completed"
    events = list(client.responses.create(model=model, input="hi", stream=True))
    deltas = "".join(e.delta for e in events if e.type == "response.output_text.delta")
    assert deltas == reply(dialect, upstream_model)
    assert events[-1].type == "response.completed"
    assert events[-1].response.output_text == reply(dialect, upstream_model)
    assert [r.stream for r in emu.requests_for(dialect=dialect)] == [False, True]


def test_responses_tool_call(gw: Gateway) -> None:
    client = oai(gw)
    for model in ("openai/gpt-4o", "anthropic/claude-sonnet-4-5"):
        r = client.responses.create(model=model, input="please call_tool", tools=[RESPONSES_TOOL])  # type: ignore[list-item]
        calls = [o for o in r.output if o.type == "function_call"]
        assert [(c.name, json.loads(c.arguments)) for c in calls] == [("get_weather", {"x": 1})], model
        with client.responses.stream(model=model, input="please call_tool", tools=[RESPONSES_TOOL]) as s:  # type: ignore[list-item]
            final = s.get_final_response()
        calls = [o for o in final.output if o.type == "function_call"]
        assert [(c.name, json.loads(c.arguments)) for c in calls] == [("get_weather", {"x": 1})], model


def test_async_clients(gw: Gateway) -> None:
    import asyncio

    async def main() -> tuple[str, str]:
        oc = openai.AsyncOpenAI(base_url=gw.url + "/v1", api_key=TOKEN, max_retries=0, timeout=limit(20))
        ac = anthropic.AsyncAnthropic(base_url=gw.url, api_key=TOKEN, max_retries=0, timeout=limit(20))
        try:
            a, b = await asyncio.gather(
                oc.chat.completions.create(
                    model="anthropic/claude-sonnet-4-5", messages=[{"role": "user", "content": "echo: one"}]
                ),
                ac.messages.create(
                    model="openai/gpt-4o", max_tokens=32, messages=[{"role": "user", "content": "echo: two"}]
                ),
            )
        finally:
            await oc.close()
            await ac.close()
        return a.choices[0].message.content or "", b.content[0].text  # type: ignore[union-attr]

    assert asyncio.run(main()) == ("one", "two")


def test_gateway_writes_state_db_and_records_calls(gw: Gateway) -> None:
    oai(gw).chat.completions.create(model="openai/gpt-4o", messages=[{"role": "user", "content": "hi"}])
    st = gw.status()
    assert st["calls_last_hour"]["total"] >= 1
    assert Path(st["state_db"]).exists()
