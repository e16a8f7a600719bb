"""Structured output in each wire format: chat `response_format`, Responses `text.format`, Anthropic
`output_config.format` (and the beta `output_format`), or an Anthropic tool the model is forced to call.

The internal form is `OutputSpec`; the decoders call `*_in`, the encoders `*_out`. Anthropic models before
native structured outputs get the schema as a forced tool (`forced_tool`), and the tool's input becomes the
answer's text again on the way back (`dialects/reshape.py`).
"""

from __future__ import annotations

import re
from typing import Any

from clawgate.dialects.internal import OutputSpec

DEFAULT_NAME = "response"  # OpenAI requires a schema name; Anthropic has none to give back
FORCED_TOOL = "json_response"  # the tool an Anthropic model is made to call when it lacks native support
# Anthropic models that predate native structured outputs (`output_config.format`): the schema is sent as
# a forced tool instead.
_TOOL_ONLY = re.compile(r"^claude-(?:3|instant|2|(?:opus|sonnet)-4-(?:0|2025)|(?:opus|sonnet)-4$)")
_OPEN_OBJECT: dict[str, Any] = {"type": "object"}


def _schema(value: Any) -> dict[str, Any] | None:
    return value if isinstance(value, dict) else None


def chat_in(value: Any) -> tuple[OutputSpec | None, bool]:
    """(spec, understood) for a chat `response_format`; `{"type": "text"}` is no structured output."""
    if value is None:
        return None, True
    if not isinstance(value, dict):
        return None, False
    kind = value.get("type")
    if kind == "text":
        return None, True
    if kind == "json_object":
        return OutputSpec("json_object"), True
    if kind == "json_schema":
        js = value.get("json_schema")
        js = js if isinstance(js, dict) else {}
        return (
            OutputSpec(
                "json_schema",
                name=js.get("name") if isinstance(js.get("name"), str) else None,
                schema=_schema(js.get("schema")),
                strict=js.get("strict") if isinstance(js.get("strict"), bool) else None,
                description=js.get("description") if isinstance(js.get("description"), str) else None,
            ),
            True,
        )
    return None, False


def chat_out(spec: OutputSpec) -> dict[str, Any]:
    if spec.type == "json_object":
        return {"type": "json_object"}
    js: dict[str, Any] = {"name": spec.name or DEFAULT_NAME, "schema": spec.schema or _OPEN_OBJECT}
    if spec.strict is not None:
        js["strict"] = spec.strict
    if spec.description:
        js["description"] = spec.description
    return {"type": "json_schema", "json_schema": js}


def responses_in(fmt: Any) -> tuple[OutputSpec | None, bool]:
    """(spec, understood) for a Responses `text.format`."""
    if fmt is None:
        return None, True
    if not isinstance(fmt, dict):
        return None, False
    kind = fmt.get("type")
    if kind == "text":
        return None, True
    if kind == "json_object":
        return OutputSpec("json_object"), True
    if kind == "json_schema":
        return (
            OutputSpec(
                "json_schema",
                name=fmt.get("name") if isinstance(fmt.get("name"), str) else None,
                schema=_schema(fmt.get("schema")),
                strict=fmt.get("strict") if isinstance(fmt.get("strict"), bool) else None,
                description=fmt.get("description") if isinstance(fmt.get("description"), str) else None,
            ),
            True,
        )
    return None, False


def responses_out(spec: OutputSpec) -> dict[str, Any]:
    if spec.type == "json_object":
        return {"type": "json_object"}
    out: dict[str, Any] = {
        "type": "json_schema",
        "name": spec.name or DEFAULT_NAME,
        "schema": spec.schema or _OPEN_OBJECT,
    }
    if spec.strict is not None:
        out["strict"] = spec.strict
    if spec.description:
        out["description"] = spec.description
    return out


def anthropic_in(fmt: Any) -> tuple[OutputSpec | None, bool]:
    """(spec, understood) for Anthropic's `output_config.format` / `output_format`."""
    if fmt is None:
        return None, True
    if isinstance(fmt, dict) and fmt.get("type") == "json_schema":
        return OutputSpec("json_schema", schema=_schema(fmt.get("schema"))), True
    return None, False


def anthropic_out(spec: OutputSpec) -> dict[str, Any]:
    return {"type": "json_schema", "schema": spec.schema or _OPEN_OBJECT}


def anthropic_mode(model: str, configured: str | None) -> str:
    """ "native" (`output_config.format`) or "tool" (a forced tool), per provider config or model age."""
    if configured in ("native", "tool"):
        return configured
    bare = model.rsplit("/", 1)[-1]
    return "tool" if _TOOL_ONLY.match(bare) else "native"


def forced_tool(spec: OutputSpec) -> dict[str, Any]:
    """The Anthropic tool whose input is the structured answer."""
    desc = spec.description or "Give the final answer by calling this tool; its input is the answer."
    return {"name": FORCED_TOOL, "description": desc, "input_schema": spec.schema or _OPEN_OBJECT}
