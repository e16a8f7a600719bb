"""What the emulated model does with structured-output requests and forced tool choices, as real providers
do: a JSON answer that matches the requested schema, and a call of the tool the request forces."""

from __future__ import annotations

from typing import Any

import orjson


def instance(schema: Any, depth: int = 0) -> Any:
    """A small deterministic value that matches `schema` (the JSON Schema subset providers accept)."""
    if not isinstance(schema, dict) or depth > 8:
        return None
    if "const" in schema:
        return schema["const"]
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return schema["enum"][0]
    for key in ("anyOf", "oneOf", "allOf"):
        if isinstance(schema.get(key), list) and schema[key]:
            return instance(schema[key][0], depth + 1)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object" or (kind is None and "properties" in schema):
        raw_props, raw_required = schema.get("properties"), schema.get("required")
        props: dict[str, Any] = raw_props if isinstance(raw_props, dict) else {}
        required: list[Any] = raw_required if isinstance(raw_required, list) else list(props)
        return {name: instance(props.get(name), depth + 1) for name in required if name in props}
    if kind == "array":
        return [instance(schema.get("items"), depth + 1)]
    if kind == "string":
        return "emulated"
    if kind == "integer":
        return 1
    if kind == "number":
        return 1.5
    if kind == "boolean":
        return True
    return None


def requested_schema(endpoint: str, data: dict[str, Any]) -> tuple[bool, Any]:
    """(structured output requested, its schema — None for "any JSON object") of a request body."""
    if endpoint == "chat":
        fmt = data.get("response_format")
        if isinstance(fmt, dict) and fmt.get("type") == "json_schema":
            js = fmt.get("json_schema")
            return True, js.get("schema") if isinstance(js, dict) else None
        if isinstance(fmt, dict) and fmt.get("type") == "json_object":
            return True, None
    elif endpoint == "responses":
        text = data.get("text")
        fmt = text.get("format") if isinstance(text, dict) else None
        if isinstance(fmt, dict) and fmt.get("type") == "json_schema":
            return True, fmt.get("schema")
        if isinstance(fmt, dict) and fmt.get("type") == "json_object":
            return True, None
    elif endpoint == "messages":
        config = data.get("output_config")
        fmt = config.get("format") if isinstance(config, dict) else None
        fmt = fmt or data.get("output_format")
        if isinstance(fmt, dict) and fmt.get("type") == "json_schema":
            return True, fmt.get("schema")
    return False, None


def answer(schema: Any) -> str:
    """The JSON text of a structured answer (an object with `answer` for plain JSON mode)."""
    value = instance(schema) if schema is not None else {"answer": "emulated"}
    return orjson.dumps(value).decode()


def forced_tool(endpoint: str, data: dict[str, Any]) -> str | None:
    """The name of the tool a request forces (a named tool choice), or "*" for any tool."""
    choice = data.get("tool_choice")
    if choice == "required":
        return "*"
    if not isinstance(choice, dict):
        return None
    kind = choice.get("type")
    if kind == "any":
        return "*"
    if kind == "tool" and isinstance(choice.get("name"), str):
        return str(choice["name"])
    if kind in ("function", "custom"):
        inner = choice.get(kind)
        name = inner.get("name") if isinstance(inner, dict) else choice.get("name")
        return name if isinstance(name, str) else None
    return None
