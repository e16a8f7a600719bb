"""The ChatGPT backend (OpenAI Codex subscriptions): its Responses endpoint's headers and body rules, and a
streamed answer folded back into one body for a client that did not ask for a stream.

What the backend requires (its 400s say so): `store: false`, `stream: true`, a non-empty `instructions`, and
`input` as a list of items; an access token from ChatGPT sign-in with the account it was issued for in
`chatgpt-account-id`."""

from __future__ import annotations

import uuid
from typing import Any

import orjson

from clawgate.call.sse import SSEParser

DEFAULT_INSTRUCTIONS = "You are a helpful assistant."
_TERMINAL = ("response.completed", "response.incomplete", "response.failed", "response.done")


def headers(access: str, account_id: str | None, base: dict[str, str]) -> dict[str, str]:
    out = {k: v for k, v in base.items() if k.lower() not in ("authorization", "accept")}
    out["Authorization"] = f"Bearer {access}"
    if account_id:
        out["chatgpt-account-id"] = account_id
    out["OpenAI-Beta"] = "responses=experimental"
    out["originator"] = "clawgate"
    out["session_id"] = str(uuid.uuid4())
    out["Accept"] = "text/event-stream"
    return out


def body(raw: bytes) -> bytes:
    obj: dict[str, Any] = orjson.loads(raw)
    obj["store"] = False
    obj["stream"] = True
    instructions = obj.get("instructions")
    if not isinstance(instructions, str) or not instructions.strip():
        obj["instructions"] = DEFAULT_INSTRUCTIONS
    inp = obj.get("input")
    if isinstance(inp, str):
        obj["input"] = [{"role": "user", "content": [{"type": "input_text", "text": inp}]}]
    obj.pop("previous_response_id", None)  # nothing is stored, so nothing can be continued
    return orjson.dumps(obj)


def fold(data: bytes) -> bytes:
    """A whole Responses SSE stream -> the non-stream response body (the terminal event's `response`,
    with the output items the events carried when it lists none). Not a stream: returned unchanged."""
    head = data.lstrip()[:16]
    if not (head.startswith(b"event:") or head.startswith(b"data:") or head.startswith(b":")):
        return data
    parser = SSEParser()
    events = parser.feed(data) + parser.close()
    items: list[Any] = []
    final: dict[str, Any] | None = None
    for ev in events:
        try:
            obj = orjson.loads(ev.data) if ev.data and ev.data != "[DONE]" else None
        except orjson.JSONDecodeError:
            continue
        if not isinstance(obj, dict):
            continue
        kind = obj.get("type") or ev.event
        if kind == "response.output_item.done" and isinstance(obj.get("item"), dict):
            items.append(obj["item"])
        elif kind in _TERMINAL and isinstance(obj.get("response"), dict):
            final = obj["response"]
        elif kind == "error":
            return orjson.dumps({"error": obj.get("error") or obj})
    if final is None:
        return data  # the executor reports a body that is not JSON
    if not final.get("output") and items:
        final["output"] = items
    return orjson.dumps(final)
