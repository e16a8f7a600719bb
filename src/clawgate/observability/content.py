"""Message content as the GenAI conventions put it on spans (`gen_ai.input.messages`, `gen_ai.output.messages`,
`gen_ai.system_instructions`: JSON text of role + parts). Only with `observability.tracing.captureContent`; every
text passes through the redactor first, so a key pasted into a prompt leaves as its fingerprint."""

from __future__ import annotations

from typing import Any

import orjson

from clawgate.dialects.internal import ChatRequest, ChatResult, Message, ToolCall
from clawgate.redaction import REDACTOR

_MAX_CHARS = 64_000  # per attribute: backends drop (or truncate badly) larger values


def _text(s: str) -> str:
    return REDACTOR.redact(s)


def _tool_call(tc: ToolCall) -> dict[str, Any]:
    try:
        args: Any = orjson.loads(tc.arguments) if tc.arguments else {}
    except orjson.JSONDecodeError:
        args = tc.arguments
    return {"type": "tool_call", "id": tc.id, "name": tc.name, "arguments": _redact_json(args)}


def _redact_json(value: Any) -> Any:
    if isinstance(value, str):
        return _text(value)
    if isinstance(value, dict):
        return {k: _redact_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_redact_json(v) for v in value]
    return value


def _message(m: Message) -> dict[str, Any]:
    parts: list[dict[str, Any]] = []
    for p in m.content:
        if p.type == "text":
            parts.append({"type": "text", "content": _text(p.text)})
        elif p.type == "tool_result":
            parts.append({"type": "tool_call_response", "id": p.tool_call_id, "response": _text(p.text)})
        elif p.type == "image":
            url = p.image_url or ""
            parts.append(
                {"type": "uri", "modality": "image", "uri": "data:…" if url.startswith("data:") else url}
            )
    if m.role == "tool":
        parts = [{"type": "tool_call_response", "id": m.tool_call_id, "response": _text(m.text())}]
        role = "tool"
    else:
        role = m.role
    parts.extend(_tool_call(tc) for tc in m.tool_calls)
    return {"role": role, "parts": parts}


def _dump(obj: Any) -> str:
    text = orjson.dumps(obj).decode()
    return text if len(text) <= _MAX_CHARS else text[: _MAX_CHARS - 1] + "…"


def input_attributes(req: ChatRequest) -> dict[str, str]:
    out = {"gen_ai.input.messages": _dump([_message(m) for m in req.messages])}
    if req.system:
        out["gen_ai.system_instructions"] = _dump([{"type": "text", "content": _text(req.system)}])
    return out


def output_attributes(result: ChatResult) -> dict[str, str]:
    parts: list[dict[str, Any]] = []
    if result.text:
        parts.append({"type": "text", "content": _text(result.text)})
    parts.extend(_tool_call(tc) for tc in result.tool_calls)
    msg = {"role": "assistant", "parts": parts, "finish_reason": result.finish_reason}
    return {"gen_ai.output.messages": _dump([msg])}
