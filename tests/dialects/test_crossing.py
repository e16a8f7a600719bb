"""Crossing dialects field by field (dialects/crossing.py and the codecs): structured output, reasoning,
cache_control, tools (custom, namespaced, deferred) — translated in each direction, hints named, and fields
without an equivalent refused by name unless the operator drops them."""

from __future__ import annotations

import copy
from typing import Any

import orjson
import pytest

from clawgate.dialects.base import Target
from clawgate.dialects.crossing import Unsupported, account
from clawgate.dialects.internal import ChatResult, ToolCall

from ._support import CHAT, MESSAGES, RESPONSES

SCHEMA = {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]}
USER = [{"role": "user", "content": "hi"}]

# One structured-output request written natively in each dialect.
STRUCTURED: dict[str, dict[str, Any]] = {
    "openai-completions": {
        "model": "m",
        "messages": USER,
        "response_format": {"type": "json_schema", "json_schema": {"name": "answer", "schema": SCHEMA}},
    },
    "openai-responses": {
        "model": "m",
        "input": "hi",
        "text": {"format": {"type": "json_schema", "name": "answer", "schema": SCHEMA}},
    },
    "anthropic-messages": {
        "model": "m",
        "max_tokens": 10,
        "messages": USER,
        "output_config": {"format": {"type": "json_schema", "schema": SCHEMA}},
    },
}


def _schema_in(api: str, body: dict[str, Any]) -> Any:
    if api == "openai-completions":
        return body["response_format"]["json_schema"]["schema"]
    if api == "openai-responses":
        return body["text"]["format"]["schema"]
    return body["output_config"]["format"]["schema"]


@pytest.mark.parametrize(
    ("src", "dst"),
    [(s, d) for s in (CHAT, RESPONSES, MESSAGES) for d in (CHAT, RESPONSES, MESSAGES) if s is not d],
    ids=lambda d: d.api,
)
def test_structured_output_reaches_the_provider_in_every_direction(src: Any, dst: Any) -> None:
    req = src.decode_request(copy.deepcopy(STRUCTURED[src.api]))
    assert account(req, dst.api).omitted == []
    body = dst.encode_request(req, "claude-sonnet-4-5" if dst is MESSAGES else "gpt-5.5")
    assert _schema_in(dst.api, body) == SCHEMA


def test_a_claude_without_native_structured_outputs_gets_a_forced_tool() -> None:
    req = CHAT.decode_request(copy.deepcopy(STRUCTURED["openai-completions"]))
    body = MESSAGES.encode_request(req, "claude-3-7-sonnet-latest")
    assert body["tools"] == [
        {"name": "json_response", "description": body["tools"][0]["description"], "input_schema": SCHEMA}
    ]
    assert body["tool_choice"] == {"type": "tool", "name": "json_response"} and "output_config" not in body
    # a provider config can choose either way
    forced = MESSAGES.encode_request(req, "claude-sonnet-4-5", Target("claude-sonnet-4-5", structured="tool"))
    assert forced["tool_choice"]["name"] == "json_response"


@pytest.mark.parametrize(
    ("body", "omitted"),
    [
        (
            {"seed": 1, "service_tier": "auto", "n": 1, "presence_penalty": 0, "logprobs": False},
            ["seed", "service_tier"],
        ),
        (
            {"store": True, "metadata": {"k": "v"}, "prediction": {"type": "content", "content": "x"}},
            ["store", "metadata", "prediction"],
        ),
    ],
)
def test_hints_are_omitted_and_named_defaults_are_nothing(body: dict[str, Any], omitted: list[str]) -> None:
    req = CHAT.decode_request({"model": "m", "messages": USER, **body})
    assert account(req, MESSAGES.api).omitted == omitted


@pytest.mark.parametrize(
    ("src", "field", "value", "name"),
    [
        (CHAT, "n", 2, "n"),
        (CHAT, "logit_bias", {"50256": -100}, "logit_bias"),
        (CHAT, "audio", {"voice": "alloy"}, "audio"),
        (CHAT, "modalities", ["text", "audio"], "modalities"),
        (CHAT, "frequency_penalty", 0.5, "frequency_penalty"),
        (MESSAGES, "top_k", 5, "top_k"),
        (MESSAGES, "mcp_servers", [{"type": "url", "url": "https://x"}], "mcp_servers"),
        (RESPONSES, "previous_response_id", "resp_1", "previous_response_id"),
        (RESPONSES, "conversation", "conv_1", "conversation"),
        (RESPONSES, "background", True, "background"),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_fields_without_equivalent_are_refused_by_name(src: Any, field: str, value: Any, name: str) -> None:
    base = copy.deepcopy(STRUCTURED[src.api])
    base[field] = value
    req = src.decode_request(base)
    target = CHAT.api if src is not CHAT else MESSAGES.api
    with pytest.raises(Unsupported) as e:
        account(req, target)
    assert e.value.name == name
    assert account(req, target, drop=[name]).dropped == [name]
    assert account(req, target, drop=True).dropped == [name]
    assert account(req, src.api).omitted == []  # the same dialect: nothing to account for


def test_content_and_items_of_one_dialect_only_are_refused_or_named() -> None:
    chat = CHAT.decode_request(
        {
            "model": "m",
            "messages": [
                {
                    "role": "user",
                    "content": [{"type": "file", "file": {"file_data": "data:application/pdf;base64,AA"}}],
                }
            ],
        }
    )
    with pytest.raises(Unsupported, match=r"content\.file"):
        account(chat, MESSAGES.api)
    resp = RESPONSES.decode_request(
        {
            "model": "m",
            "input": [
                {"role": "user", "content": "hi"},
                {"type": "reasoning", "id": "rs_1", "summary": [], "encrypted_content": "gAAA"},
                {"type": "function_call", "call_id": "c1", "name": "f", "arguments": "{}"},
                {"type": "function_call_output", "call_id": "c1", "output": "ok"},
            ],
            "include": ["reasoning.encrypted_content"],
        }
    )
    # earlier reasoning is the provider's own state: not sent elsewhere, and said so
    assert account(resp, CHAT.api).omitted == ["include.reasoning.encrypted_content", "input.reasoning"]
    web = RESPONSES.decode_request(
        {"model": "m", "input": [{"type": "web_search_call", "id": "ws", "status": "completed"}]}
    )
    with pytest.raises(Unsupported, match=r"input\.web_search_call"):
        account(web, MESSAGES.api)


def test_codex_custom_and_namespaced_tools_cross_and_come_back() -> None:
    body = {
        "model": "m",
        "input": [
            {"role": "user", "content": "patch it"},
            {"type": "custom_tool_call", "call_id": "c1", "name": "apply_patch", "input": "*** Begin Patch"},
            {"type": "custom_tool_call_output", "call_id": "c1", "output": "Done"},
            {
                "type": "function_call",
                "call_id": "c2",
                "namespace": "agents",
                "name": "spawn",
                "arguments": "{}",
            },
            {"type": "function_call_output", "call_id": "c2", "output": "ok"},
        ],
        "tools": [
            {
                "type": "custom",
                "name": "apply_patch",
                "format": {"type": "grammar", "syntax": "lark", "definition": "start: /.+/"},
            },
            {
                "type": "namespace",
                "name": "agents",
                "description": "",
                "tools": [{"type": "function", "name": "spawn", "parameters": {}}],
            },
        ],
    }
    req = RESPONSES.decode_request(body)
    account(req, CHAT.api)
    chat = CHAT.encode_request(req, "m")
    assert [t["function"]["name"] for t in chat["tools"]] == ["apply_patch", "agents__spawn"]
    assert "lark grammar" in chat["tools"][0]["function"]["description"]
    calls = [m["tool_calls"][0]["function"] for m in chat["messages"] if m.get("tool_calls")]
    assert calls == [
        {"name": "apply_patch", "arguments": '{"input":"*** Begin Patch"}'},
        {"name": "agents__spawn", "arguments": "{}"},
    ]
    # the provider's answer calls them; the Responses client gets its own item kinds back
    result = ChatResult(
        "r",
        "m",
        tool_calls=[ToolCall("c3", "apply_patch", '{"input":"diff"}'), ToolCall("c4", "agents__spawn", "{}")],
    )
    out = RESPONSES.encode_response(result, "m", req)["output"]
    assert [(o["type"], o["name"], o.get("namespace"), o.get("input")) for o in out] == [
        ("custom_tool_call", "apply_patch", None, "diff"),
        ("function_call", "spawn", "agents", None),
    ]
    # and again to Responses itself (a Responses provider of a chat client): native forms
    again = RESPONSES.encode_request(CHAT.decode_request(chat), "m")
    assert again["tools"][0]["type"] == "function"  # a chat client only knows functions


def test_codex_custom_tool_stream_to_a_responses_client() -> None:
    from clawgate.dialects.internal import StreamEvent

    req = RESPONSES.decode_request(
        {"model": "m", "input": "x", "tools": [{"type": "custom", "name": "apply_patch"}]}
    )
    enc = RESPONSES.stream_encoder("m", True, req)
    raw = (
        b"".join(
            enc.encode(ev)
            for ev in (
                StreamEvent("start", id="x"),
                StreamEvent("tool_call", index=0, id="c1", name="apply_patch"),
                StreamEvent("tool_args", index=0, text='{"input":"*** Be'),
                StreamEvent("tool_args", index=0, text='gin Patch"}'),
                StreamEvent("finish", finish_reason="tool_calls"),
            )
        )
        + enc.finish()
    )
    assert b"response.custom_tool_call_input.done" in raw
    done = [
        orjson.loads(line[6:])
        for line in raw.splitlines()
        if line.startswith(b"data: ") and b"output_item.done" in line
    ]
    assert done[0]["item"]["type"] == "custom_tool_call" and done[0]["item"]["input"] == "*** Begin Patch"
    assert enc.output[0]["input"] == "*** Begin Patch"


def test_claude_code_requests_cross_to_chat() -> None:
    """What Claude Code sends: a system turn inside the conversation, cache_control, adaptive thinking with
    an effort, a deferred tool, context management that only clears thinking."""
    body = {
        "model": "claude-opus-5-5",
        "max_tokens": 128000,
        "system": [{"type": "text", "text": "You are Claude Code.", "cache_control": {"type": "ephemeral"}}],
        "messages": [
            {
                "role": "user",
                "content": [{"type": "text", "text": "hi", "cache_control": {"type": "ephemeral"}}],
            },
            {"role": "system", "content": [{"type": "text", "text": "# Environment"}]},
        ],
        "tools": [
            {"name": "Bash", "input_schema": {"type": "object"}},
            {"name": "Later", "input_schema": {"type": "object"}, "defer_loading": True},
        ],
        "thinking": {"type": "adaptive", "display": "omitted"},
        "output_config": {"effort": "medium"},
        "context_management": {"edits": [{"type": "clear_thinking_20251015", "keep": "all"}]},
        "metadata": {"user_id": "u1"},
    }
    req = MESSAGES.decode_request(body)
    assert [m.role for m in req.messages] == ["user", "system"]
    assert account(req, CHAT.api).omitted == ["context_management", "tools.defer_loading"]
    target = Target("gpt-5.5", max_output=16384, reasoning=True)
    chat = CHAT.encode_request(req, "gpt-5.5", target)
    assert [t["function"]["name"] for t in chat["tools"]] == ["Bash"]  # deferred: not shown yet
    assert chat["reasoning_effort"] == "medium" and chat["max_completion_tokens"] == 16384
    assert [m["role"] for m in chat["messages"]] == ["system", "user", "system"] and chat["user"] == "u1"
    # a model without reasoning controls gets none (bodies.py names it in x-clawgate-omitted)
    assert "reasoning_effort" not in CHAT.encode_request(req, "gpt-4o")
    # through a router to a Claude model, the cache markers travel on the parts
    routed = CHAT.encode_request(req, "anthropic/claude-opus-4.5")
    assert routed["messages"][0]["content"][0]["cache_control"] == {"type": "ephemeral"}
    assert routed["messages"][1]["content"][0]["cache_control"] == {"type": "ephemeral"}


def test_a_tool_search_result_loads_a_deferred_tool() -> None:
    body = {
        "model": "m",
        "max_tokens": 10,
        "messages": [
            {"role": "user", "content": "find it"},
            {
                "role": "assistant",
                "content": [{"type": "tool_use", "id": "t1", "name": "ToolSearch", "input": {}}],
            },
            {
                "role": "user",
                "content": [
                    {
                        "type": "tool_result",
                        "tool_use_id": "t1",
                        "content": [{"type": "tool_reference", "tool_name": "Later"}],
                    }
                ],
            },
        ],
        "tools": [
            {"name": "ToolSearch", "input_schema": {"type": "object"}},
            {"name": "Later", "input_schema": {"type": "object"}, "defer_loading": True},
        ],
    }
    req = MESSAGES.decode_request(body)
    assert [t["function"]["name"] for t in CHAT.encode_request(req, "m")["tools"]] == ["ToolSearch", "Later"]
    assert account(req, CHAT.api).omitted == []


@pytest.mark.parametrize(
    ("model", "thinking", "effort"),
    [
        ("claude-sonnet-4-5", {"type": "enabled", "budget_tokens": 16384}, None),
        ("claude-opus-4-5", {"type": "enabled", "budget_tokens": 16384}, "high"),
        ("claude-opus-5-5", {"type": "adaptive"}, "high"),
        ("claude-3-5-haiku", None, None),  # no thinking: nothing to ask for
    ],
)
def test_reasoning_effort_to_anthropic_thinking(model: str, thinking: Any, effort: Any) -> None:
    req = CHAT.decode_request(
        {"model": "m", "messages": USER, "reasoning_effort": "high", "max_tokens": 1000}
    )
    body = MESSAGES.encode_request(req, model)
    assert body.get("thinking") == thinking
    assert (body.get("output_config") or {}).get("effort") == effort
    if thinking and thinking["type"] == "enabled":
        assert body["max_tokens"] > thinking["budget_tokens"]  # the budget must fit under the limit


def test_no_thinking_when_the_turn_has_tool_calls_without_thinking_blocks() -> None:
    req = CHAT.decode_request(
        {
            "model": "m",
            "reasoning_effort": "high",
            "messages": [
                {"role": "user", "content": "go"},
                {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {"id": "c", "type": "function", "function": {"name": "f", "arguments": "{}"}}
                    ],
                },
                {"role": "tool", "tool_call_id": "c", "content": "ok"},
            ],
            "tools": [{"type": "function", "function": {"name": "f"}}],
        }
    )
    assert "thinking" not in MESSAGES.encode_request(req, "claude-sonnet-4-5")


def test_parallel_tool_calls_cross_both_ways() -> None:
    req = CHAT.decode_request(
        {
            "model": "m",
            "messages": USER,
            "tools": [{"type": "function", "function": {"name": "f"}}],
            "parallel_tool_calls": False,
        }
    )
    body = MESSAGES.encode_request(req, "c")
    assert body["tool_choice"] == {"type": "auto", "disable_parallel_tool_use": True}
    assert RESPONSES.encode_request(MESSAGES.decode_request(body), "m")["parallel_tool_calls"] is False
