"""Request codecs: same-dialect round trips and exact cross-dialect shapes of one conversation."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from clawgate.dialects.crossing import Unsupported, account
from clawgate.dialects.internal import ChatRequest, Message, Part, Tool, ToolCall

from ._support import ALL, CHAT, MESSAGES, RESPONSES

PNG = "data:image/png;base64,iVBORw0KGgo="
PARAMS = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
DESC = "Current weather for a city"

# One conversation (system prompt, text + image, a tool, an assistant tool call, its result, a follow-up)
# written natively in each dialect, exactly as the encoders write it.
NATIVE: dict[str, dict[str, Any]] = {
    "openai-completions": {
        "model": "m",
        "messages": [
            {"role": "system", "content": "You are terse."},
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "What's the weather here?"},
                    {"type": "image_url", "image_url": {"url": PNG}},
                ],
            },
            {
                "role": "assistant",
                "content": "Checking.",
                "tool_calls": [
                    {
                        "id": "call_1",
                        "type": "function",
                        "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'},
                    }
                ],
            },
            {"role": "tool", "tool_call_id": "call_1", "content": "18C, sunny"},
            {"role": "user", "content": "And tomorrow?"},
        ],
        "tools": [
            {
                "type": "function",
                "function": {"name": "get_weather", "description": DESC, "parameters": PARAMS},
            }
        ],
        "tool_choice": "auto",
        "max_tokens": 256,
        "temperature": 0.2,
        "top_p": 0.9,
        "stop": ["END"],
        "stream": True,
        "stream_options": {"include_usage": True},
        "user": "user-42",
        "seed": 7,
    },
    "anthropic-messages": {
        "model": "m",
        "max_tokens": 256,
        "system": "You are terse.",
        "messages": [
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "What's the weather here?"},
                    {
                        "type": "image",
                        "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="},
                    },
                ],
            },
            {
                "role": "assistant",
                "content": [
                    {"type": "text", "text": "Checking."},
                    {"type": "tool_use", "id": "call_1", "name": "get_weather", "input": {"city": "Paris"}},
                ],
            },
            {
                "role": "user",
                "content": [
                    {"type": "tool_result", "tool_use_id": "call_1", "content": "18C, sunny"},
                    {"type": "text", "text": "And tomorrow?"},
                ],
            },
        ],
        "tools": [{"name": "get_weather", "description": DESC, "input_schema": PARAMS}],
        "tool_choice": {"type": "auto"},
        "temperature": 0.2,
        "top_p": 0.9,
        "stop_sequences": ["END"],
        "stream": True,
        "metadata": {"user_id": "user-42"},
        "top_k": 5,
    },
    "openai-responses": {
        "model": "m",
        "instructions": "You are terse.",
        "input": [
            {
                "type": "message",
                "role": "user",
                "content": [
                    {"type": "input_text", "text": "What's the weather here?"},
                    {"type": "input_image", "image_url": PNG, "detail": "auto"},
                ],
            },
            {"type": "message", "role": "assistant", "content": "Checking."},
            {
                "type": "function_call",
                "call_id": "call_1",
                "name": "get_weather",
                "arguments": '{"city":"Paris"}',
            },
            {"type": "function_call_output", "call_id": "call_1", "output": "18C, sunny"},
            {"type": "message", "role": "user", "content": "And tomorrow?"},
        ],
        "tools": [
            {
                "type": "function",
                "name": "get_weather",
                "description": DESC,
                "parameters": PARAMS,
                "strict": False,
            }
        ],
        "tool_choice": "auto",
        "max_output_tokens": 256,
        "temperature": 0.2,
        "top_p": 0.9,
        "stream": True,
        "user": "user-42",
        "store": False,
    },
}
SAME_DIALECT_ONLY = {"openai-completions": "seed", "anthropic-messages": "top_k", "openai-responses": "store"}


def _expected(src: str, dst: str) -> dict[str, Any]:
    """The destination's native body as a translation from `src` produces it."""
    body = copy.deepcopy(NATIVE[dst])
    if src != dst:
        del body[SAME_DIALECT_ONLY[dst]]
    if src == "openai-responses":  # Responses has no stop sequences; its images carry a detail
        body.pop("stop", None)
        body.pop("stop_sequences", None)
        if dst == "openai-completions":
            body["messages"][1]["content"][1]["image_url"]["detail"] = "auto"
    return body


@pytest.mark.parametrize("dst", [d.api for d in ALL])
@pytest.mark.parametrize("src", [d.api for d in ALL])
def test_conversation_translates_exactly(src: str, dst: str) -> None:
    source = {d.api: d for d in ALL}[src]
    target = {d.api: d for d in ALL}[dst]
    req = source.decode_request(copy.deepcopy(NATIVE[src]))
    assert target.encode_request(req, "m") == _expected(src, dst)


@pytest.mark.parametrize("dialect", ALL, ids=lambda d: d.api)
def test_decoded_meaning_is_the_same_in_every_dialect(dialect: Any) -> None:
    req = dialect.decode_request(copy.deepcopy(NATIVE[dialect.api]))
    assert req.system == "You are terse."
    assert [m.role for m in req.messages] == ["user", "assistant", "tool", "user"]
    user, assistant, tool, follow = req.messages
    assert [p.type for p in user.content] == ["text", "image"]
    assert (user.content[1].image_url, user.content[1].media_type) == (PNG, "image/png")
    assert assistant.text() == "Checking."
    assert assistant.tool_calls == [ToolCall("call_1", "get_weather", '{"city":"Paris"}')]
    assert (tool.tool_call_id, tool.text()) == ("call_1", "18C, sunny")
    assert follow.text() == "And tomorrow?"
    assert req.tools == [Tool("get_weather", DESC, PARAMS)]
    assert (req.tool_choice, req.max_tokens, req.temperature, req.top_p) == ("auto", 256, 0.2, 0.9)
    assert (req.stream, req.user, req.model) == (True, "user-42", "m")
    assert req.extra[SAME_DIALECT_ONLY[dialect.api]] is not None


@pytest.mark.parametrize("dialect", ALL, ids=lambda d: d.api)
def test_round_trip_through_the_same_dialect(dialect: Any) -> None:
    req = dialect.decode_request(copy.deepcopy(NATIVE[dialect.api]))
    again = dialect.decode_request(dialect.encode_request(req, "m"))
    assert again == req


def _req(messages: list[Message], **kw: Any) -> ChatRequest:
    return ChatRequest(model="x", messages=messages, **kw)


def _text(role: str, text: str) -> Message:
    return Message(role=role, content=[Part(type="text", text=text)])  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("choice", "chat", "anthropic", "responses"),
    [
        ("auto", "auto", {"type": "auto"}, "auto"),
        ("none", "none", {"type": "none"}, "none"),
        ("required", "required", {"type": "any"}, "required"),
        (
            {"name": "get_weather"},
            {"type": "function", "function": {"name": "get_weather"}},
            {"type": "tool", "name": "get_weather"},
            {"type": "function", "name": "get_weather"},
        ),
    ],
)
def test_tool_choice_in_each_dialect(choice: Any, chat: Any, anthropic: Any, responses: Any) -> None:
    req = _req([_text("user", "hi")], tools=[Tool("get_weather")], tool_choice=choice)
    forms = {CHAT: chat, MESSAGES: anthropic, RESPONSES: responses}
    for dialect, form in forms.items():
        body = dialect.encode_request(req, "x")
        assert body["tool_choice"] == form
        assert dialect.decode_request(body).tool_choice == choice


def test_anthropic_merges_roles_and_needs_a_first_user_turn() -> None:
    req = _req(
        [
            _text("assistant", "Earlier answer."),
            _text("user", "one"),
            _text("user", "two"),
            Message(
                role="assistant",
                tool_calls=[ToolCall("functions.lookup:0", "lookup", "{}"), ToolCall("b", "lookup", "")],
            ),
            Message(role="tool", tool_call_id="functions.lookup:0", content=[Part(type="text", text="r1")]),
            Message(role="tool", tool_call_id="b", content=[Part(type="text", text="r2", is_error=True)]),
            _text("system", "Answer in French."),
            _text("user", "  "),
            _text("assistant", "Bien sûr "),
        ],
        system="Base.",
        temperature=1.7,
    )
    body = MESSAGES.encode_request(req, "claude")
    assert body["max_tokens"] == 4096 and body["temperature"] == 1.0
    assert body["system"] == "Base.\n\nAnswer in French."
    assert body["messages"] == [
        {"role": "user", "content": "."},
        {"role": "assistant", "content": "Earlier answer."},
        {"role": "user", "content": [{"type": "text", "text": "one"}, {"type": "text", "text": "two"}]},
        {
            "role": "assistant",
            "content": [
                {"type": "tool_use", "id": "functions_lookup_0", "name": "lookup", "input": {}},
                {"type": "tool_use", "id": "b", "name": "lookup", "input": {}},
            ],
        },
        {
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": "functions_lookup_0", "content": "r1"},
                {"type": "tool_result", "tool_use_id": "b", "content": "r2", "is_error": True},
            ],
        },
        {"role": "assistant", "content": "Bien sûr"},
    ]


def test_anthropic_tool_result_with_image_goes_everywhere() -> None:
    body = {
        "model": "c",
        "max_tokens": 10,
        "messages": [
            {"role": "user", "content": "Screenshot please"},
            {
                "role": "assistant",
                "content": [{"type": "tool_use", "id": "toolu_1", "name": "shot", "input": {}}],
            },
            {
                "role": "user",
                "content": [
                    {
                        "type": "tool_result",
                        "tool_use_id": "toolu_1",
                        "is_error": False,
                        "content": [
                            {"type": "text", "text": "here"},
                            {"type": "image", "source": {"type": "url", "url": "https://x.test/a.png"}},
                        ],
                    }
                ],
            },
        ],
    }
    req = MESSAGES.decode_request(body)
    result = copy.deepcopy(body["messages"][2])
    del result["content"][0]["is_error"]  # False is the default
    assert MESSAGES.encode_request(req, "c")["messages"] == [*body["messages"][:2], result]
    chat = CHAT.encode_request(req, "g")["messages"]
    assert chat[2:] == [
        {"role": "tool", "tool_call_id": "toolu_1", "content": "here"},
        {"role": "user", "content": [{"type": "image_url", "image_url": {"url": "https://x.test/a.png"}}]},
    ]
    assert RESPONSES.encode_request(req, "g")["input"][-1] == {
        "type": "function_call_output",
        "call_id": "toolu_1",
        "output": [
            {"type": "input_text", "text": "here"},
            {"type": "input_image", "image_url": "https://x.test/a.png", "detail": "auto"},
        ],
    }


def test_openai_developer_role_string_stop_and_completion_tokens() -> None:
    body = {
        "model": "o4-mini",
        "messages": [
            {"role": "developer", "content": [{"type": "text", "text": "Dev rules."}]},
            {"role": "user", "content": "hi"},
        ],
        "max_completion_tokens": 50,
        "stop": "END",
        "tool_choice": {"type": "allowed_tools", "allowed_tools": {"mode": "auto", "tools": []}},
        "tools": [{"type": "custom", "custom": {"name": "grammar"}}],
    }
    req = CHAT.decode_request(body)
    assert (req.system, req.stop, req.max_tokens, req.tool_choice) == ("Dev rules.", ["END"], 50, None)
    again = CHAT.encode_request(req, "o4-mini")
    assert again["max_completion_tokens"] == 50 and "max_tokens" not in again
    assert again["tools"] == body["tools"] and again["tool_choice"] == body["tool_choice"]
    # To another dialect the custom tool goes as what that dialect has (a function tool taking the raw text
    # as `input` for Anthropic, a custom tool for Responses); the allowed_tools choice has no equivalent and
    # is refused by name (crossing.account), never silently left out.
    assert MESSAGES.encode_request(req, "c")["tools"][0]["input_schema"]["required"] == ["input"]
    assert RESPONSES.encode_request(req, "c")["tools"] == [{"type": "custom", "name": "grammar"}]
    with pytest.raises(Unsupported, match=r"tool_choice\.allowed_tools"):
        account(req, MESSAGES.api)
    # Without the original's key name: max_completion_tokens only for OpenAI reasoning models.
    plain = _req([_text("user", "hi")], max_tokens=9)
    assert CHAT.encode_request(plain, "gpt-5-mini")["max_completion_tokens"] == 9
    assert CHAT.encode_request(plain, "deepseek-chat")["max_tokens"] == 9


def test_responses_string_input_reasoning_items_and_hosted_tools() -> None:
    body = {
        "model": "gpt-5",
        "input": [
            {"role": "developer", "content": "Rules."},
            {"role": "user", "content": "Search it"},
            {"type": "reasoning", "id": "rs_1", "summary": [], "encrypted_content": "gAAA"},
            {"type": "function_call", "id": "fc_1", "call_id": "call_1", "name": "f", "arguments": "{}"},
            {"type": "function_call_output", "call_id": "call_1", "output": "ok"},
        ],
        "tools": [
            {"type": "web_search"},
            {"type": "function", "name": "f", "parameters": None, "strict": True},
        ],
        "reasoning": {"effort": "low"},
    }
    req = RESPONSES.decode_request(body)
    assert req.system == "Rules." and [m.role for m in req.messages] == ["user", "assistant", "tool"]
    out = RESPONSES.encode_request(req, "gpt-5")
    assert out["input"][1:3] == [
        {"type": "reasoning", "id": "rs_1", "summary": [], "encrypted_content": "gAAA"},
        {"type": "function_call", "call_id": "call_1", "name": "f", "arguments": "{}"},
    ]
    assert out["tools"][-1] == {"type": "web_search"} and out["reasoning"] == {"effort": "low"}
    chat = CHAT.encode_request(req, "x")
    assert chat["messages"][2] == {
        "role": "assistant",
        "content": None,
        "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "f", "arguments": "{}"}}],
    }
    assert "reasoning" not in chat and len(chat["tools"]) == 1
    simple = RESPONSES.decode_request({"model": "m", "input": "Hello", "instructions": "Sys"})
    assert (simple.system, simple.messages[0].text()) == ("Sys", "Hello")


def test_encoders_accept_tool_result_parts_in_user_messages() -> None:
    req = _req(
        [
            Message(role="assistant", tool_calls=[ToolCall("t1", "f", '{"a":1}')]),
            Message(
                role="user",
                content=[
                    Part(type="tool_result", text="done", tool_call_id="t1"),
                    Part(type="text", text="next"),
                ],
            ),
        ]
    )
    assert CHAT.encode_request(req, "x")["messages"][1:] == [
        {"role": "tool", "tool_call_id": "t1", "content": "done"},
        {"role": "user", "content": "next"},
    ]
    assert MESSAGES.encode_request(req, "x")["messages"][2] == {
        "role": "user",
        "content": [
            {"type": "tool_result", "tool_use_id": "t1", "content": "done"},
            {"type": "text", "text": "next"},
        ],
    }


def test_arguments_that_are_not_a_json_object_survive() -> None:
    req = _req([Message(role="assistant", tool_calls=[ToolCall("t1", "f", "not json")])])
    body = MESSAGES.encode_request(req, "x")
    assert body["messages"][1]["content"][0]["input"] == {"_raw": "not json"}
    assert MESSAGES.decode_request(body).messages[1].tool_calls[0].arguments == "not json"
