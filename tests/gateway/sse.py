"""A small SSE reader over an httpx streaming response, for tests that watch a stream event by event."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx


@dataclass
class Event:
    event: str | None
    data: str

    @property
    def json(self) -> Any:
        return json.loads(self.data)

    @property
    def is_error(self) -> bool:
        if self.event == "error":
            return True
        if self.data.startswith("{"):
            obj = self.json
            if not isinstance(obj, dict):
                return False
            return "error" in obj or obj.get("type") in ("error", "response.failed")
        return False

    @property
    def text(self) -> str:
        """The text delta carried by this event in any of the three dialects ("" if none)."""
        if not self.data.startswith("{"):
            return ""
        obj = self.json
        if not isinstance(obj, dict):
            return ""
        if obj.get("object") == "chat.completion.chunk":
            choices = obj.get("choices") or []
            return "".join((c.get("delta") or {}).get("content") or "" for c in choices)
        if obj.get("type") == "content_block_delta":
            return (obj.get("delta") or {}).get("text") or ""
        if obj.get("type") == "response.output_text.delta":
            return obj.get("delta") or ""
        return ""


def events(resp: httpx.Response) -> Iterator[Event]:
    name: str | None = None
    data: list[str] = []
    for line in resp.iter_lines():
        if line == "":
            if data:
                yield Event(name, "\n".join(data))
            name, data = None, []
        elif line.startswith(":"):
            continue
        elif line.startswith("event:"):
            name = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].lstrip())
    if data:
        yield Event(name, "\n".join(data))


def is_terminal(ev: Event, path: str) -> bool:
    """Whether `ev` is the successful end of a stream on endpoint `path`."""
    if path.endswith("/chat/completions"):
        return ev.data == "[DONE]"
    if path.endswith("/messages"):
        return ev.event == "message_stop"
    return ev.event == "response.completed" or (
        ev.data.startswith("{") and ev.json.get("type") == "response.completed"
    )


def request_body(path: str, model: str, text: str = "hi", **extra: Any) -> dict[str, Any]:
    if path.endswith("/responses"):
        return {"model": model, "input": text, "stream": True, **extra}
    body: dict[str, Any] = {"model": model, "messages": [{"role": "user", "content": text}], "stream": True}
    if path.endswith("/messages"):
        body["max_tokens"] = 64
    body.update(extra)
    return body
