"""Non-streaming bodies: upstream responses -> ChatResult, ChatResult -> client bodies the SDKs accept, errors."""

from __future__ import annotations

from typing import Any

import anthropic.types
import openai.types
import pytest
from openai.types.chat import ChatCompletion
from openai.types.responses import Response

from clawgate.dialects.envelope import client_message
from clawgate.dialects.internal import ChatResult, ToolCall, Usage
from clawgate.failures import Failure

from ._support import ALL, CHAT, MESSAGES, RESPONSES

RESULT = ChatResult(
    id="res_1",
    model="upstream-model",
    text="It is sunny.",
    tool_calls=[ToolCall("call_1", "get_weather", '{"city":"Paris"}'), ToolCall("call_2", "get_time", "{}")],
    finish_reason="tool_calls",
    usage=Usage(input_tokens=120, output_tokens=30, cached_tokens=100),
    reasoning="User wants weather.",
)


def _validate(dialect: Any, body: dict[str, Any]) -> Any:
    if dialect is CHAT:
        return ChatCompletion.model_validate(body)
    if dialect is MESSAGES:
        return anthropic.types.Message.model_validate(body)
    return Response.model_validate(body)


@pytest.mark.parametrize("dialect", ALL, ids=lambda d: d.api)
@pytest.mark.parametrize("finish", ["stop", "length", "tool_calls", "content_filter"])
def test_encoded_response_is_valid_and_decodes_back(dialect: Any, finish: str) -> None:
    result = ChatResult(**{**RESULT.__dict__, "finish_reason": finish})
    if finish != "tool_calls":
        result.tool_calls = []
    body = dialect.encode_response(result, "client-model")
    parsed = _validate(dialect, body)
    assert parsed.model == "client-model"
    back = dialect.decode_response(body)
    assert (back.text, back.tool_calls, back.reasoning) == (result.text, result.tool_calls, result.reasoning)
    assert back.finish_reason == finish
    assert back.usage == result.usage
    assert dialect.usage_of(body) == result.usage


def test_encoded_shapes() -> None:
    chat = CHAT.encode_response(RESULT, "m")
    assert chat["choices"] == [
        {
            "index": 0,
            "message": {
                "role": "assistant",
                "content": "It is sunny.",
                "refusal": None,
                "tool_calls": [
                    {
                        "id": "call_1",
                        "type": "function",
                        "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'},
                    },
                    {"id": "call_2", "type": "function", "function": {"name": "get_time", "arguments": "{}"}},
                ],
                "reasoning_content": "User wants weather.",
            },
            "logprobs": None,
            "finish_reason": "tool_calls",
        }
    ]
    assert chat["usage"] == {
        "prompt_tokens": 120,
        "completion_tokens": 30,
        "total_tokens": 150,
        "prompt_tokens_details": {"cached_tokens": 100},
    }
    msg = MESSAGES.encode_response(RESULT, "m")
    assert msg["content"] == [
        {"type": "thinking", "thinking": "User wants weather.", "signature": ""},
        {"type": "text", "text": "It is sunny."},
        {"type": "tool_use", "id": "call_1", "name": "get_weather", "input": {"city": "Paris"}},
        {"type": "tool_use", "id": "call_2", "name": "get_time", "input": {}},
    ]
    assert (msg["stop_reason"], msg["usage"]) == (
        "tool_use",
        {"input_tokens": 20, "output_tokens": 30, "cache_read_input_tokens": 100},
    )
    resp = RESPONSES.encode_response(RESULT, "m")
    assert [i["type"] for i in resp["output"]] == ["reasoning", "message", "function_call", "function_call"]
    assert resp["output"][2]["call_id"] == "call_1" and resp["status"] == "completed"
    assert Response.model_validate(resp).output_text == "It is sunny."
    assert resp["usage"]["input_tokens_details"]["cached_tokens"] == 100


def test_decode_upstream_openai_chat() -> None:
    body = {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1,
        "model": "deepseek-reasoner",
        "choices": [
            {
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": None,
                    "reasoning_content": "think",
                    "tool_calls": [
                        {"id": "c1", "type": "function", "function": {"name": "f", "arguments": '{"a":1}'}}
                    ],
                },
                "finish_reason": "tool_calls",
            }
        ],
        "usage": {
            "prompt_tokens": 10,
            "completion_tokens": 5,
            "total_tokens": 15,
            "prompt_cache_hit_tokens": 8,
        },
    }
    r = CHAT.decode_response(body)
    assert (r.id, r.model, r.text, r.reasoning, r.finish_reason) == (
        "chatcmpl-1",
        "deepseek-reasoner",
        "",
        "think",
        "tool_calls",
    )
    assert r.tool_calls == [ToolCall("c1", "f", '{"a":1}')] and r.usage == Usage(10, 5, 8)
    groq = {
        "choices": [{"message": {"content": "hi"}, "finish_reason": "length"}],
        "x_groq": {"usage": {"prompt_tokens": 3, "completion_tokens": 1}},
    }
    assert CHAT.usage_of(groq) == Usage(3, 1) and CHAT.decode_response(groq).finish_reason == "length"
    openrouter_error = {
        "choices": [{"message": {"content": "par"}, "finish_reason": "error", "error": {"code": 502}}]
    }
    assert CHAT.decode_response(openrouter_error).finish_reason == "error"


def test_decode_upstream_anthropic() -> None:
    body = {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "model": "claude-sonnet-4",
        "content": [
            {"type": "thinking", "thinking": "Let me see.", "signature": "sig"},
            {"type": "text", "text": "Sure."},
            {"type": "tool_use", "id": "toolu_1", "name": "f", "input": {"q": "x"}},
        ],
        "stop_reason": "max_tokens",
        "usage": {
            "input_tokens": 5,
            "cache_creation_input_tokens": 10,
            "cache_read_input_tokens": 100,
            "output_tokens": 7,
        },
    }
    r = MESSAGES.decode_response(body)
    assert (r.text, r.reasoning, r.finish_reason) == ("Sure.", "Let me see.", "length")
    assert r.tool_calls == [ToolCall("toolu_1", "f", '{"q":"x"}')]
    assert r.usage == Usage(input_tokens=115, output_tokens=7, cached_tokens=100, cache_write_tokens=10)


def test_decode_upstream_responses() -> None:
    body = {
        "id": "resp_1",
        "object": "response",
        "model": "gpt-5",
        "status": "incomplete",
        "incomplete_details": {"reason": "content_filter"},
        "output": [
            {"id": "rs_1", "type": "reasoning", "summary": [{"type": "summary_text", "text": "Summary."}]},
            {
                "id": "msg_1",
                "type": "message",
                "role": "assistant",
                "status": "completed",
                "content": [{"type": "output_text", "text": "Partial", "annotations": []}],
            },
        ],
        "usage": {
            "input_tokens": 4,
            "input_tokens_details": {"cached_tokens": 0},
            "output_tokens": 2,
            "total_tokens": 6,
        },
    }
    r = RESPONSES.decode_response(body)
    assert (r.text, r.reasoning, r.finish_reason, r.usage) == (
        "Partial",
        "Summary.",
        "content_filter",
        Usage(4, 2, 0),
    )
    body["status"], body["incomplete_details"] = "incomplete", {"reason": "max_output_tokens"}
    assert RESPONSES.decode_response(body).finish_reason == "length"


FAILURE = Failure(
    owner="provider_auth",
    code="auth.rejected",
    message="openrouter rejected credential env:OPENROUTER_API_KEY (sk-or-v1…04f4#7c1d2e): Missing Authentication header",
    provider="openrouter",
    model="moonshotai/kimi-k2.5",
    credential_source="env:OPENROUTER_API_KEY",
    credential_fingerprint="sk-or-v1…04f4#7c1d2e",
    next_steps=["clawgate models status --probe --agent main", "clawgate auth add openrouter"],
)


@pytest.mark.parametrize("dialect", [CHAT, RESPONSES], ids=lambda d: d.api)
def test_openai_error_body(dialect: Any) -> None:
    body = dialect.error_body(FAILURE, 424)
    assert body == {
        "error": {
            # clients that show only the message (Codex CLI, Claude Code) still see the layer and what next
            "message": FAILURE.message
            + " [clawgate owner: provider_auth, code: auth.rejected; next: clawgate models status --probe"
            " --agent main]",
            "type": "upstream_auth_error",
            "code": "auth.rejected",
            "param": None,
            "owner": "provider_auth",
            "provider": "openrouter",
            "model": "moonshotai/kimi-k2.5",
            "credential": {"source": "env:OPENROUTER_API_KEY", "fingerprint": "sk-or-v1…04f4#7c1d2e"},
            "retryable": False,
            "next": "clawgate models status --probe --agent main",
            "next_steps": FAILURE.next_steps,
        }
    }
    assert openai.types.ErrorObject.model_validate(body["error"]).code == "auth.rejected"


@pytest.mark.parametrize(
    ("owner", "code", "type_"),
    [
        ("gateway_auth", "gateway.token_mismatch", "gateway_auth_error"),
        ("rate_limit", "rate_limit.exceeded", "rate_limit_error"),
        ("context", "context.exceeded", "invalid_request_error"),
        ("request", "request.invalid", "invalid_request_error"),
        ("upstream", "upstream.overloaded", "upstream_error"),
        ("network", "network.timeout", "network_error"),
        ("config", "config.invalid_value", "config_error"),
        ("provider_access", "access.billing", "billing_error"),
        ("runtime", "runtime.internal", "runtime_error"),
    ],
)
def test_openai_error_types(owner: str, code: str, type_: str) -> None:
    err = CHAT.error_body(Failure(owner=owner, code=code, message="m"), 500)["error"]
    assert (err["type"], err["code"], err["next"], err["next_steps"]) == (type_, code, None, [])
    assert "credential" not in err


@pytest.mark.parametrize(
    ("status", "type_"),
    [
        (400, "invalid_request_error"),
        (401, "authentication_error"),
        (403, "permission_error"),
        (404, "not_found_error"),
        (429, "rate_limit_error"),
        (500, "api_error"),
        (424, "api_error"),
        (502, "api_error"),
        (529, "overloaded_error"),
    ],
)
def test_anthropic_error_body(status: int, type_: str) -> None:
    body = MESSAGES.error_body(FAILURE, status)
    assert body["type"] == "error"
    err = body["error"]
    assert (err["type"], err["message"], err["code"], err["owner"]) == (
        type_,
        client_message(FAILURE),
        "auth.rejected",
        "provider_auth",
    )
    assert err["next"] == "clawgate models status --probe --agent main"
    assert err["credential"]["fingerprint"] == "sk-or-v1…04f4#7c1d2e"
    assert anthropic.types.ErrorResponse.model_validate(body).error.type == type_
