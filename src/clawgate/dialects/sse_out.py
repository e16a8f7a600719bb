"""Writing Server-Sent Events frames for clients."""

from __future__ import annotations

from typing import Any

import orjson

DONE = b"data: [DONE]\n\n"


def frame(data: Any, event: str | None = None) -> bytes:
    """One SSE event: an optional `event:` line and one `data:` line of compact JSON."""
    body = orjson.dumps(data)
    if event is None:
        return b"data: " + body + b"\n\n"
    return b"event: " + event.encode() + b"\ndata: " + body + b"\n\n"
