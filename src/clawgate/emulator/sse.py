"""Server-sent-event framing: `data:` lines, named events, comments and the `[DONE]` sentinel."""

from __future__ import annotations

from typing import Any

import orjson

DONE = b"data: [DONE]\n\n"

# One stream item: (bytes to write, is it a content chunk?). Comments are not items; they are plain bytes.
Item = tuple[bytes, bool]


def data(obj: Any) -> bytes:
    """`data: {json}` + blank line."""
    return b"data: " + orjson.dumps(obj) + b"\n\n"


def event(name: str, obj: Any) -> bytes:
    """`event: name` + `data: {json}` + blank line."""
    return b"event: " + name.encode() + b"\ndata: " + orjson.dumps(obj) + b"\n\n"


def comment(text: str) -> bytes:
    """`: text` + blank line (ignored by SSE parsers)."""
    return b": " + text.encode() + b"\n\n"
