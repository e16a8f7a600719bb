"""The JSON types of the request fields a client dialect's decoder reads into the internal form, from the
providers' published references (OpenAI's OpenAPI document for the chat and Responses formats, Anthropic's
Messages reference), and what makes a tool a function tool there.

A client's body is checked once, where it enters (`gateway/requests.validate_body`), before it is routed: a
wrong-typed field is the same `400 request.invalid` naming it (`param`) whether the provider speaks the client's
format (the body passes through) or the body is decoded and encoded for another one — no encoder ever sees a
`temperature` that is not a number. `null` is accepted everywhere (the decoders read it as absent). Fields the
decoders do not read are the provider's to check, or `dialects/crossing.py`'s to account for."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Check = tuple[Callable[[Any], bool], str]  # (accepts the value, what it must be)


def _number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _integer(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _strings(v: Any) -> bool:
    return isinstance(v, list) and all(isinstance(s, str) for s in v)


NUMBER: Check = (_number, "a number")
INTEGER: Check = (_integer, "an integer")
STRING: Check = (lambda v: isinstance(v, str), "a string")
BOOLEAN: Check = (lambda v: isinstance(v, bool), "true or false")
OBJECT: Check = (lambda v: isinstance(v, dict), "an object")
OBJECTS: Check = (lambda v: isinstance(v, list) and all(isinstance(t, dict) for t in v), "a list of objects")
STRINGS: Check = (_strings, "a list of strings")
STRING_OR_STRINGS: Check = (lambda v: isinstance(v, str) or _strings(v), "a string or a list of strings")
STRING_OR_OBJECT: Check = (lambda v: isinstance(v, str | dict), "a string or an object")
STRING_OR_LIST: Check = (lambda v: isinstance(v, str | list), "a string or a list of content blocks")

CHAT, RESPONSES, ANTHROPIC = "openai-completions", "openai-responses", "anthropic-messages"

FIELDS: dict[str, dict[str, Check]] = {
    CHAT: {  # CreateChatCompletionRequest
        "temperature": NUMBER,
        "top_p": NUMBER,
        "max_tokens": INTEGER,
        "max_completion_tokens": INTEGER,
        "stop": STRING_OR_STRINGS,
        "user": STRING,
        "tools": OBJECTS,
        "tool_choice": STRING_OR_OBJECT,
        "parallel_tool_calls": BOOLEAN,
        "response_format": OBJECT,
        "reasoning_effort": STRING,
        "verbosity": STRING,
        "stream_options": OBJECT,
        "n": INTEGER,
        "presence_penalty": NUMBER,
        "frequency_penalty": NUMBER,
        "seed": INTEGER,
        "logprobs": BOOLEAN,
        "top_logprobs": INTEGER,
    },
    RESPONSES: {  # CreateResponse
        "temperature": NUMBER,
        "top_p": NUMBER,
        "max_output_tokens": INTEGER,
        "instructions": STRING_OR_LIST,
        "user": STRING,
        "tools": OBJECTS,
        "tool_choice": STRING_OR_OBJECT,
        "parallel_tool_calls": BOOLEAN,
        "reasoning": OBJECT,
        "text": OBJECT,
        "top_logprobs": INTEGER,
        "max_tool_calls": INTEGER,
        "background": BOOLEAN,
        "store": BOOLEAN,
    },
    ANTHROPIC: {  # Messages: POST /v1/messages
        "temperature": NUMBER,
        "top_p": NUMBER,
        "top_k": INTEGER,
        "stop_sequences": STRINGS,
        "system": STRING_OR_LIST,
        "tools": OBJECTS,
        "tool_choice": OBJECT,
        "metadata": OBJECT,
        "thinking": OBJECT,
        "output_config": OBJECT,
        "output_format": OBJECT,
    },
}


def invalid(api: str, body: dict[str, Any]) -> tuple[str, str] | None:
    """(param, message) for the first field of `body` that is not what dialect `api` says it is, else None."""
    checks = FIELDS.get(api)
    if checks:
        for (
            name,
            value,
        ) in body.items():  # the body's few fields, not the table's many (every request runs this)
            check = checks.get(name)
            if check is not None and value is not None and not check[0](value):
                return name, f"'{name}' must be {check[1]}, not {_json_type(value)}"
    tools = body.get("tools")
    if isinstance(tools, list):
        for i, tool in enumerate(tools):
            bad = _tool(api, tool, f"tools[{i}]")
            if bad is not None:
                return bad
    return None


def _tool(api: str, tool: dict[str, Any], at: str) -> tuple[str, str] | None:
    """A function (or custom) tool without what names it; built-in tools (`web_search`, …) are crossing's."""
    kind = tool.get("type")
    if api == CHAT and kind in (None, "function", "custom"):
        key = kind or "function"  # chat tools keep their definition under `function` (or `custom`)
        spec = tool.get(key)
        if not isinstance(spec, dict):
            return f"{at}.{key}", f"'{at}.{key}' is required: an object with the {key} tool's 'name'"
        return _name(spec, f"{at}.{key}")
    if (api == RESPONSES and kind in ("function", "custom")) or (
        api == ANTHROPIC and kind in (None, "custom")
    ):
        return _name(tool, at)
    return None


def _name(spec: dict[str, Any], at: str) -> tuple[str, str] | None:
    name = spec.get("name")
    if not isinstance(name, str) or not name:
        return f"{at}.name", f"'{at}.name' is required: the tool's name, a non-empty string"
    return None


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__
