"""Tools in each wire format, both ways: function tools, free-form `custom` tools, Responses `namespace`
groups and Anthropic's deferred tools. A tool no other format can express (a provider's built-in tool such
as `web_search`) is left over for `crossing.py` to refuse by name.

- A custom tool becomes, where a format has no free-form tools (chat providers, Anthropic), a function
  tool with one string parameter `input`; its calls carry `{"input": TEXT}` and turn back into
  `custom_tool_call` items for a Responses client.
- A namespace's tools are flattened to `<namespace>__<name>`; their calls turn back into `function_call`
  items with `namespace` set.
- An Anthropic tool with `defer_loading` is sent to another format only once a `tool_reference` in a tool
  result has loaded it (until then the model must not see it, which is what deferring means).
"""

from __future__ import annotations

from typing import Any

import orjson

from clawgate.dialects.common import as_dict
from clawgate.dialects.internal import Tool, ToolCall

NS_SEP = "__"
_EMPTY = {"type": "object", "properties": {}}


def _params(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) and value else dict(_EMPTY)


def _custom_params(tool: Tool) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {"input": {"type": "string", "description": "The tool's raw text input."}},
        "required": ["input"],
        "additionalProperties": False,
    }


def custom_description(tool: Tool) -> str:
    """A custom tool's description for a function-tool format: what the `input` string must hold."""
    text = tool.description
    grammar = as_dict(tool.grammar)
    if grammar.get("type") == "grammar":
        inner = as_dict(grammar.get("grammar")) or grammar
        syntax = inner.get("syntax") or "lark"
        definition = inner.get("definition")
        if isinstance(definition, str) and definition:
            text += f"\n\nPut the raw text in `input` (not JSON); it must follow this {syntax} grammar:\n"
            text += definition
            return text
    return text + "\n\nPut the raw text in the `input` argument (not JSON)."


def custom_input(arguments: str) -> str:
    """The raw text of a custom tool call from its function arguments (`{"input": TEXT}`)."""
    try:
        value = orjson.loads(arguments) if arguments.strip() else {}
    except orjson.JSONDecodeError:
        return arguments
    if isinstance(value, dict) and isinstance(value.get("input"), str):
        return str(value["input"])
    return arguments


def custom_arguments(text: Any) -> str:
    return orjson.dumps({"input": text if isinstance(text, str) else ""}).decode()


def qualified(namespace: Any, name: Any) -> str:
    return f"{namespace}{NS_SEP}{name}" if isinstance(namespace, str) and namespace else str(name or "")


# --- decoding --------------------------------------------------------------------------------------------


def _function(name: Any, desc: Any, params: Any, strict: Any = None, **kw: Any) -> Tool:
    return Tool(
        name=str(name),
        description=str(desc or ""),
        parameters=_params(params),
        strict=True if strict is True else None,  # False is every format's default
        **kw,
    )


def _custom(name: Any, desc: Any, fmt: Any, **kw: Any) -> Tool:
    return Tool(
        name=str(name),
        description=str(desc or ""),
        kind="custom",
        grammar=fmt if isinstance(fmt, dict) else None,
        **kw,
    )


def chat_in(raw: Any) -> tuple[list[Tool], list[Any]]:
    tools: list[Tool] = []
    left: list[Any] = []
    for t in raw if isinstance(raw, list) else []:
        kind = as_dict(t).get("type", "function")
        fn = as_dict(as_dict(t).get("function"))
        custom = as_dict(as_dict(t).get("custom"))
        if kind == "function" and fn.get("name"):
            tools.append(_function(fn["name"], fn.get("description"), fn.get("parameters"), fn.get("strict")))
        elif kind == "custom" and custom.get("name"):
            tools.append(_custom(custom["name"], custom.get("description"), custom.get("format")))
        else:
            left.append(t)
    return tools, left


def responses_in(raw: Any) -> tuple[list[Tool], list[Any]]:
    tools: list[Tool] = []
    left: list[Any] = []
    for t in raw if isinstance(raw, list) else []:
        d = as_dict(t)
        kind = d.get("type")
        if kind == "function" and d.get("name"):
            tools.append(_function(d["name"], d.get("description"), d.get("parameters"), d.get("strict")))
        elif kind == "custom" and d.get("name"):
            tools.append(_custom(d["name"], d.get("description"), d.get("format")))
        elif kind == "namespace" and d.get("name") and isinstance(d.get("tools"), list):
            ns = str(d["name"])
            inner, rest = responses_in(d["tools"])
            if rest:
                left.append(t)
                continue
            for tool in inner:
                tool.namespace, tool.original = ns, tool.name
                tool.name = qualified(ns, tool.name)
                tools.append(tool)
        else:
            left.append(t)
    return tools, left


def anthropic_in(raw: Any) -> tuple[list[Tool], list[Any]]:
    tools: list[Tool] = []
    left: list[Any] = []
    for t in raw if isinstance(raw, list) else []:
        d = as_dict(t)
        if d.get("type") in (None, "custom") and d.get("name"):
            tool = _function(d["name"], d.get("description"), d.get("input_schema"), d.get("strict"))
            tool.deferred = bool(d.get("defer_loading"))
            cc = d.get("cache_control")
            tool.cache_control = cc if isinstance(cc, dict) else None
            tools.append(tool)
        else:
            left.append(t)
    return tools, left


# --- encoding --------------------------------------------------------------------------------------------


def visible(tools: list[Tool]) -> list[Tool]:
    """The tools a model of another format sees: deferred ones only once loaded."""
    return [t for t in tools if not t.deferred]


def chat_out(tools: list[Tool], native_custom: bool = False) -> list[dict[str, Any]]:
    """Chat tools; custom tools as chat `custom` tools when `native_custom` (the client's own format), else
    as function tools (what every chat provider understands)."""
    out = []
    for t in visible(tools):
        custom = t.kind == "custom"
        if custom and native_custom:
            spec: dict[str, Any] = {"name": t.name}
            if t.description:
                spec["description"] = t.description
            if t.grammar:
                spec["format"] = t.grammar
            out.append({"type": "custom", "custom": spec})
            continue
        fn: dict[str, Any] = {"name": t.name}
        desc = custom_description(t) if custom else t.description
        if desc:
            fn["description"] = desc
        fn["parameters"] = _custom_params(t) if custom else (t.parameters or dict(_EMPTY))
        if t.strict and not custom:  # False is the default here
            fn["strict"] = True
        out.append({"type": "function", "function": fn})
    return out


def responses_out(tools: list[Tool]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    groups: dict[str, dict[str, Any]] = {}
    for t in visible(tools):
        name = t.original if t.namespace and t.original else t.name
        item: dict[str, Any]
        if t.kind == "custom":
            item = {"type": "custom", "name": name}
            if t.description:
                item["description"] = t.description
            if t.grammar:
                item["format"] = t.grammar
        else:
            item = {"type": "function", "name": name}
            if t.description:
                item["description"] = t.description
            item["parameters"] = t.parameters or dict(_EMPTY)
            # Responses would default to strict schemas; the other formats do not
            item["strict"] = bool(t.strict)
        if t.namespace:
            group = groups.get(t.namespace)
            if group is None:
                group = groups[t.namespace] = {
                    "type": "namespace",
                    "name": t.namespace,
                    "description": "",
                    "tools": [],
                }
                out.append(group)
            group["tools"].append(item)
        else:
            out.append(item)
    return out


def anthropic_out(tools: list[Tool]) -> list[dict[str, Any]]:
    out = []
    for t in tools:
        custom = t.kind == "custom"
        item: dict[str, Any] = {"name": t.name}
        desc = custom_description(t) if custom else t.description
        if desc:
            item["description"] = desc
        item["input_schema"] = _custom_params(t) if custom else (t.parameters or dict(_EMPTY))
        if t.strict and not custom:
            item["strict"] = True
        if t.cache_control:
            item["cache_control"] = t.cache_control
        out.append(item)
    return out


def responses_call_item(tc: ToolCall, tool: Tool | None, item_id: str, status: str) -> dict[str, Any]:
    """A tool call as a Responses output/input item: `custom_tool_call` for a custom tool, a
    `function_call` (with `namespace` for a namespaced tool) otherwise."""
    name = tool.original if tool is not None and tool.namespace and tool.original else tc.name
    if tool is not None and tool.kind == "custom":
        item = {
            "id": item_id,
            "type": "custom_tool_call",
            "status": status,
            "call_id": tc.id,
            "name": name,
            "input": custom_input(tc.arguments),
        }
    else:
        item = {
            "id": item_id,
            "type": "function_call",
            "status": status,
            "call_id": tc.id,
            "name": name,
            "arguments": tc.arguments,
        }
    if tool is not None and tool.namespace:
        item["namespace"] = tool.namespace
    return item
