"""The official openai/anthropic SDKs talk to a local server that answers with the dialects' own output."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import anthropic
import openai
import orjson
import pytest
from tests.support.timing import limit

from clawgate.dialects.internal import StreamEvent

from . import test_stream_decoders as recorded
from ._support import CHAT, MESSAGES, RESPONSES, Canned, ReplayServer, decode_stream, sse_events
from .test_bodies import FAILURE, RESULT
from .test_stream_encoders import FAILURE as STREAM_FAILURE

SSE = "text/event-stream"
WEATHER_TOOL = {
    "type": "function",
    "function": {"name": "get_weather", "parameters": {"type": "object", "properties": {}}},
}
BY_PATH = {"/v1/chat/completions": CHAT, "/v1/responses": RESPONSES, "/v1/messages": MESSAGES}


@pytest.fixture(scope="module")
def server() -> Iterator[ReplayServer]:
    srv = ReplayServer().start()
    try:
        yield srv
    finally:
        srv.stop()


def gateway(
    upstream_stream: bytes = recorded.OPENAI_TOOL_STREAM, upstream: Any = CHAT, fail: bool = False
) -> Any:
    """A respond function that acts like clawgate: decode the client's request, translate an upstream reply."""

    def respond(path: str, body: dict[str, Any]) -> Canned:
        client = BY_PATH[path]
        req = client.decode_request(body)
        upstream.encode_request(req, "upstream-model")  # the adapter side must accept what came in
        if not req.stream:
            return Canned(200, _json(client.encode_response(RESULT, req.model)))
        enc = client.stream_encoder(req.model, include_usage=True)
        decoded = decode_stream(upstream, upstream_stream, 2)
        raw = b"".join(enc.encode(ev) for ev in decoded.events)
        raw += enc.error(STREAM_FAILURE) if fail else enc.finish()
        return Canned(200, raw, SSE)

    return respond


def _json(body: dict[str, Any]) -> bytes:
    return orjson.dumps(body)


def _openai(server: ReplayServer) -> openai.OpenAI:
    return openai.OpenAI(base_url=server.url + "/v1", api_key="test", max_retries=0, timeout=limit(5))


def _anthropic(server: ReplayServer) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=server.url, api_key="test", max_retries=0, timeout=limit(5))


# --- OpenAI chat completions -----------------------------------------------------------------------------


def test_chat_non_streaming(server: ReplayServer) -> None:
    server.respond = gateway()
    out = _openai(server).chat.completions.create(
        model="client-model",
        messages=[{"role": "system", "content": "S"}, {"role": "user", "content": "Weather?"}],
        tools=[WEATHER_TOOL],  # type: ignore[list-item]
        max_tokens=50,
    )
    assert out.choices[0].message.content == "It is sunny."
    assert [tc.function.name for tc in out.choices[0].message.tool_calls or []] == ["get_weather", "get_time"]
    assert (
        out.choices[0].finish_reason == "tool_calls"
        and out.usage is not None
        and out.usage.total_tokens == 150
    )
    path, body = server.requests[-1]
    req = CHAT.decode_request(body)
    assert (path, req.system, req.max_tokens, req.tools[0].name) == (
        "/v1/chat/completions",
        "S",
        50,
        "get_weather",
    )


def test_chat_streaming_with_the_sdk_helper(server: ReplayServer) -> None:
    server.respond = gateway(recorded.ANTHROPIC_STREAM, MESSAGES)
    client = _openai(server)
    with client.chat.completions.stream(
        model="client-model",
        messages=[{"role": "user", "content": "Weather?"}],
        tools=[WEATHER_TOOL],  # type: ignore[list-item]
        stream_options={"include_usage": True},
    ) as stream:
        final = stream.get_final_completion()
    msg = final.choices[0].message
    assert msg.content == "Checking" and final.choices[0].finish_reason == "tool_calls"
    assert msg.tool_calls is not None and msg.tool_calls[0].function.arguments == '{"city": "Paris"}'
    assert msg.tool_calls[0].id == "toolu_01T1x"
    assert final.usage is not None and (final.usage.prompt_tokens, final.usage.completion_tokens) == (125, 89)
    chunks = list(
        client.chat.completions.create(
            model="client-model", messages=[{"role": "user", "content": "x"}], stream=True
        )
    )
    assert chunks[0].choices[0].delta.role == "assistant" and chunks[-1].choices == []


def test_chat_error_body_and_in_stream_error(server: ReplayServer) -> None:
    limited = FAILURE.__class__(**{**FAILURE.__dict__, "owner": "rate_limit", "code": "rate_limit.exceeded"})
    server.respond = lambda path, body: Canned(429, _json(CHAT.error_body(limited, 429)))
    client = _openai(server)
    with pytest.raises(openai.RateLimitError) as info:
        client.chat.completions.create(model="m", messages=[{"role": "user", "content": "x"}])
    assert info.value.code == "rate_limit.exceeded" and info.value.type == "rate_limit_error"
    assert isinstance(info.value.body, dict) and info.value.body["owner"] == "rate_limit"
    assert info.value.body["next"] == FAILURE.next_steps[0]

    server.respond = gateway(fail=True)
    with pytest.raises(openai.APIError) as info2:
        list(
            client.chat.completions.create(
                model="m", messages=[{"role": "user", "content": "x"}], stream=True
            )
        )
    assert isinstance(info2.value.body, dict)
    assert (info2.value.body["owner"], info2.value.body["code"]) == ("upstream", "upstream.overloaded")


# --- OpenAI Responses --------------------------------------------------------------------------------------


def test_responses_non_streaming(server: ReplayServer) -> None:
    server.respond = gateway()
    out = _openai(server).responses.create(
        model="client-model",
        instructions="S",
        input=[{"role": "user", "content": [{"type": "input_text", "text": "Weather?"}]}],
        tools=[{"type": "function", "name": "get_weather", "parameters": {}, "strict": False}],
    )
    assert out.output_text == "It is sunny." and out.status == "completed"
    assert [o.type for o in out.output] == ["reasoning", "message", "function_call", "function_call"]
    req = RESPONSES.decode_request(server.requests[-1][1])
    assert (req.system, req.messages[0].text(), req.tools[0].name) == ("S", "Weather?", "get_weather")


@pytest.mark.parametrize(
    ("stream", "upstream"),
    [
        (recorded.OPENAI_TOOL_STREAM, CHAT),
        (recorded.ANTHROPIC_STREAM, MESSAGES),
        (recorded.RESPONSES_STREAM, RESPONSES),
    ],
    ids=["from-chat", "from-messages", "from-responses"],
)
def test_responses_streaming_with_the_sdk_helper(server: ReplayServer, stream: bytes, upstream: Any) -> None:
    server.respond = gateway(stream, upstream)
    want = decode_stream(upstream, stream)
    with _openai(server).responses.stream(model="client-model", input="Weather?") as events:
        final = events.get_final_response()
    calls = [o for o in final.output if o.type == "function_call"]
    assert final.status == "completed" and len(calls) == 1
    texts = [e.text for e in want.events if e.kind == "text"]
    assert final.output_text == "".join(texts)
    args = "".join(e.text for e in want.events if e.kind == "tool_args")
    assert (calls[0].name, calls[0].arguments) == ("get_weather", args)


def test_responses_error_body_and_in_stream_error(server: ReplayServer) -> None:
    gate = FAILURE.__class__(owner="gateway_auth", code="gateway.token_mismatch", message="bad gateway token")
    server.respond = lambda path, body: Canned(401, _json(RESPONSES.error_body(gate, 401)))
    client = _openai(server)
    with pytest.raises(openai.AuthenticationError) as info:
        client.responses.create(model="m", input="x")
    assert isinstance(info.value.body, dict)
    assert (info.value.body["owner"], info.value.body["code"]) == ("gateway_auth", "gateway.token_mismatch")

    server.respond = gateway(fail=True)
    events = list(client.responses.create(model="m", input="x", stream=True))
    error, failed = events[-2:]
    assert error.type == "error" and error.code == "upstream.overloaded"  # type: ignore[union-attr]
    assert failed.type == "response.failed" and failed.response.error is not None  # type: ignore[union-attr]


# --- Anthropic Messages ------------------------------------------------------------------------------------


def test_messages_non_streaming(server: ReplayServer) -> None:
    server.respond = gateway()
    out = _anthropic(server).messages.create(
        model="client-model",
        max_tokens=100,
        system="S",
        messages=[{"role": "user", "content": "Weather?"}],
        tools=[{"name": "get_weather", "input_schema": {"type": "object", "properties": {}}}],
    )
    assert [b.type for b in out.content] == ["thinking", "text", "tool_use", "tool_use"]
    assert out.stop_reason == "tool_use" and out.usage.cache_read_input_tokens == 100
    req = MESSAGES.decode_request(server.requests[-1][1])
    assert (req.system, req.max_tokens, req.tools[0].name) == ("S", 100, "get_weather")


@pytest.mark.parametrize(
    ("stream", "upstream"),
    [(recorded.OPENAI_TOOL_STREAM, CHAT), (recorded.RESPONSES_STREAM, RESPONSES)],
    ids=["from-chat", "from-responses"],
)
def test_messages_streaming_with_the_sdk_helper(server: ReplayServer, stream: bytes, upstream: Any) -> None:
    server.respond = gateway(stream, upstream)
    with _anthropic(server).messages.stream(
        model="client-model", max_tokens=100, messages=[{"role": "user", "content": "Weather?"}]
    ) as events:
        final = events.get_final_message()
    assert [b.type for b in final.content] == ["text", "tool_use"]
    tool = final.content[1]
    assert tool.type == "tool_use" and tool.name == "get_weather" and tool.input == {"city": "Paris"}
    assert final.stop_reason == "tool_use"
    want = decode_stream(upstream, stream)
    usage = [e.usage for e in want.events if e.kind == "usage"][-1]
    assert usage is not None and final.usage.output_tokens == usage.output_tokens
    assert final.usage.input_tokens + (final.usage.cache_read_input_tokens or 0) == usage.input_tokens


def test_messages_error_body_and_in_stream_error(server: ReplayServer) -> None:
    client = _anthropic(server)
    for status, exc in ((529, anthropic.OverloadedError), (502, anthropic.InternalServerError)):
        server.respond = lambda path, body, s=status: Canned(s, _json(MESSAGES.error_body(FAILURE, s)))
        with pytest.raises(exc) as info:
            client.messages.create(model="m", max_tokens=5, messages=[{"role": "user", "content": "x"}])
        body = info.value.body
        assert isinstance(body, dict) and body["error"]["owner"] == "provider_auth"
        assert body["error"]["code"] == "auth.rejected"

    server.respond = gateway(fail=True)
    with pytest.raises(anthropic.APIStatusError) as info2:
        list(
            client.messages.create(
                model="m", max_tokens=5, messages=[{"role": "user", "content": "x"}], stream=True
            )
        )
    body = info2.value.body
    assert isinstance(body, dict) and body["error"]["type"] == "overloaded_error"
    assert (body["error"]["owner"], body["error"]["code"]) == ("upstream", "upstream.overloaded")


def test_empty_upstream_still_gives_each_sdk_a_complete_answer(server: ReplayServer) -> None:
    def respond(path: str, body: dict[str, Any]) -> Canned:
        enc = BY_PATH[path].stream_encoder("m")
        return Canned(200, enc.encode(StreamEvent(kind="start")) + enc.finish(), SSE)

    server.respond = respond
    with _anthropic(server).messages.stream(
        model="m", max_tokens=5, messages=[{"role": "user", "content": "x"}]
    ) as s:
        assert s.get_final_message().content == []
    with _openai(server).responses.stream(model="m", input="x") as r:
        assert r.get_final_response().output == []
    with _openai(server).chat.completions.stream(model="m", messages=[{"role": "user", "content": "x"}]) as c:
        assert c.get_final_completion().choices[0].finish_reason == "stop"


def test_responses_error_after_passthrough_continues_the_upstream_response(server: ReplayServer) -> None:
    """Same dialect both sides: upstream events pass through unchanged, then clawgate's error ends the stream."""
    head = recorded.RESPONSES_STREAM.split(b"event: response.output_text.done")[0]
    enc = RESPONSES.stream_encoder("m")
    for ev in sse_events([head]):
        enc.adopt(ev)
    server.respond = lambda path, body: Canned(200, head + enc.error(STREAM_FAILURE), SSE)
    with _openai(server).responses.stream(model="m", input="x") as stream:
        events = list(stream)
    assert [e.type for e in events[-2:]] == ["error", "response.failed"]
    assert events[-1].response.id == "resp_67c9"  # type: ignore[union-attr]
    numbers = [e.sequence_number for e in events]
    assert numbers == sorted(set(numbers))
