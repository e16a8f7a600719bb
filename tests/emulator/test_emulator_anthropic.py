"""The Anthropic dialect through the official SDK, plus the stream framing and headers the SDK hides."""

from __future__ import annotations

import anthropic
import pytest
from tests.support.timing import limit

from clawgate.emulator import EmulatorThread

from .emuclient import auth_headers, key_for, post, request, sse


def client(emu: EmulatorThread, **kwargs: object) -> anthropic.Anthropic:
    kwargs.setdefault("api_key", key_for("anthropic"))
    return anthropic.Anthropic(base_url=emu.base_url("anthropic"), max_retries=0, timeout=limit(10), **kwargs)  # type: ignore[arg-type]


def test_messages_non_stream(emu: EmulatorThread) -> None:
    msg = client(emu).messages.create(
        model="claude-test-1", max_tokens=100, messages=[{"role": "user", "content": "hello"}]
    )
    assert msg.content[0].type == "text"
    assert msg.content[0].text == "emulated reply from anthropic model claude-test-1"
    assert msg.stop_reason == "end_turn" and msg.usage.output_tokens > 0
    rec = emu.last_request
    assert rec.key == key_for("anthropic") and rec.auth == "ok"
    assert rec.header("anthropic-version")


def test_messages_stream(emu: EmulatorThread) -> None:
    with client(emu).messages.stream(
        model="claude-test-2", max_tokens=100, messages=[{"role": "user", "content": "echo: one two three"}]
    ) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert text == "one two three"
    assert final.stop_reason == "end_turn"


def test_stream_framing(emu: EmulatorThread) -> None:
    body = {
        "model": "claude-x",
        "max_tokens": 10,
        "stream": True,
        "messages": [{"role": "user", "content": "hi"}],
    }
    status, headers, raw = post(emu.base_url("anthropic") + "/v1/messages", body, auth_headers("anthropic"))
    assert status == 200 and headers["content-type"].startswith("text/event-stream")
    names = [name for name, _ in sse(raw)]
    assert names[:3] == ["message_start", "content_block_start", "ping"]
    assert names[3:8] == ["content_block_delta"] * 5
    assert names[8:] == ["content_block_stop", "message_delta", "message_stop"]
    assert b"[DONE]" not in raw
    assert headers["request-id"].startswith("req_011C")


@pytest.mark.parametrize("stream", [False, True])
def test_tool_use(emu: EmulatorThread, stream: bool) -> None:
    tools = [
        {
            "name": "get_weather",
            "description": "w",
            "input_schema": {"type": "object", "properties": {"x": {}}},
        }
    ]
    kwargs = {
        "model": "claude-test-1",
        "max_tokens": 100,
        "tools": tools,
        "messages": [{"role": "user", "content": [{"type": "text", "text": "call_tool please"}]}],
    }
    c = client(emu)
    if stream:
        with c.messages.stream(**kwargs) as s:  # type: ignore[arg-type]
            msg = s.get_final_message()
    else:
        msg = c.messages.create(**kwargs)  # type: ignore[arg-type]
    block = msg.content[0]
    assert block.type == "tool_use" and block.name == "get_weather" and block.input == {"x": 1}
    assert msg.stop_reason == "tool_use"


CLAUDE_CODE = "You are Claude Code, Anthropic's official CLI for Claude."


def test_oauth_bearer_token(emu: EmulatorThread) -> None:
    oauth = client(emu, api_key=None, auth_token="sk-ant-oat01-test-0001")
    msg = oauth.messages.create(
        model="claude-test-1",
        max_tokens=10,
        system=CLAUDE_CODE,
        messages=[{"role": "user", "content": "hi"}],
        extra_headers={"anthropic-beta": "oauth-2025-04-20"},
    )
    assert msg.content[0].text.startswith("emulated reply")
    rec = emu.last_request
    assert rec.header("x-api-key") is None and rec.header("Authorization") == "Bearer sk-ant-oat01-test-0001"
    assert rec.key == "sk-ant-oat01-test-0001" and rec.auth == "ok"


def test_oauth_token_needs_the_beta_header_and_claude_code_identity(emu: EmulatorThread) -> None:
    """What Anthropic answers a subscription token sent like an API key (captured 401 and 400 bodies)."""
    oauth = client(emu, api_key=None, auth_token="sk-ant-oat01-test-0001")
    hi = [{"role": "user", "content": "hi"}]
    with pytest.raises(anthropic.AuthenticationError) as no_beta:
        oauth.messages.create(model="claude-test-1", max_tokens=10, system=CLAUDE_CODE, messages=hi)
    assert "OAuth authentication is currently not supported." in str(no_beta.value)
    with pytest.raises(anthropic.BadRequestError) as no_identity:
        oauth.messages.create(
            model="claude-test-1",
            max_tokens=10,
            system="You are a pirate.",
            messages=hi,
            extra_headers={"anthropic-beta": "oauth-2025-04-20"},
        )
    assert "only authorized for use with Claude Code" in str(no_identity.value)
    with pytest.raises(anthropic.AuthenticationError):  # an OAuth token is not an API key
        client(emu, api_key="sk-ant-oat01-test-0001").messages.create(
            model="claude-test-1", max_tokens=10, system=CLAUDE_CODE, messages=hi
        )


def test_sdk_sends_key_as_bearer_or_x_api_key(emu: EmulatorThread) -> None:
    # Current SDKs send the API key as a Bearer token; x-api-key works the same way.
    for headers in (
        {"Authorization": "Bearer sk-test-anthropic-0001"},
        {"x-api-key": "sk-test-anthropic-0001"},
    ):
        status, _, _ = post(
            emu.base_url("anthropic") + "/v1/messages",
            {"model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": "hi"}]},
            {**headers, "anthropic-version": "2023-06-01"},
        )
        assert status == 200
    status, _, raw = post(
        emu.base_url("anthropic") + "/v1/messages",
        {"model": "m", "messages": []},
        {"Authorization": "Basic abc", "anthropic-version": "2023-06-01"},
    )
    assert status == 401 and b"x-api-key header is required" in raw


def test_missing_version_header(emu: EmulatorThread) -> None:
    status, headers, raw = post(
        emu.base_url("anthropic") + "/v1/messages",
        {"model": "m", "max_tokens": 5, "messages": []},
        {"x-api-key": key_for("anthropic")},
    )
    rid = headers["request-id"]
    assert status == 400
    assert raw == (
        b'{"type":"error","error":{"type":"invalid_request_error","message":"anthropic-version: header is required"},'
        b'"request_id":"' + rid.encode() + b'"}'
    )
    assert headers["x-should-retry"] == "false"


def test_models(emu: EmulatorThread) -> None:
    page = client(emu).models.list()
    assert [m.id for m in page.data][:1] == ["claude-sonnet-4-6"]
    status, _, _ = request(
        "GET", emu.base_url("anthropic") + "/v1/models", headers={"x-api-key": "nope-test"}
    )
    assert status == 401
