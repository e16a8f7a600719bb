"""Anthropic Messages shapes: the `message` object and its named-event stream (ping, no `[DONE]`)."""

from __future__ import annotations

from typing import Any

from .. import sse
from ..reply import Reply

PING = b'event: ping\ndata: {"type": "ping"}\n\n'
INBAND_OVERLOADED = b'event: error\ndata: {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}\n\n'


def _usage(reply: Reply, output_tokens: int) -> dict[str, Any]:
    """Anthropic counts the cached parts apart: `input_tokens` is what was neither read nor written."""
    cached = reply.cache_read_tokens + reply.cache_write_tokens
    return {
        "input_tokens": max(0, reply.prompt_tokens - cached),
        "cache_creation_input_tokens": reply.cache_write_tokens,
        "cache_read_input_tokens": reply.cache_read_tokens,
        "output_tokens": output_tokens,
        "service_tier": "standard",
    }


def body(mid: str, tool_id: str, model: str, reply: Reply) -> dict[str, Any]:
    """The non-stream `message` object."""
    if reply.tool is not None:
        content = [{"type": "tool_use", "id": tool_id, "name": reply.tool.name, "input": reply.tool.input}]
        stop = "tool_use"
    else:
        content = [{"type": "text", "text": reply.text}]
        stop = "end_turn"
    return {
        "id": mid,
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": content,
        "stop_reason": stop,
        "stop_sequence": None,
        "usage": _usage(reply, reply.completion_tokens),
    }


def events(mid: str, tool_id: str, model: str, reply: Reply) -> list[sse.Item]:
    """message_start, content_block_start, ping, N deltas, content_block_stop, message_delta, message_stop."""
    start: dict[str, Any] = {
        "id": mid,
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
        "usage": _usage(reply, 1),
    }
    out: list[sse.Item] = [(sse.event("message_start", {"type": "message_start", "message": start}), False)]
    if reply.tool is not None:
        block: dict[str, Any] = {"type": "tool_use", "id": tool_id, "name": reply.tool.name, "input": {}}
        stop = "tool_use"
    else:
        block = {"type": "text", "text": ""}
        stop = "end_turn"
    out.append(
        (
            sse.event(
                "content_block_start", {"type": "content_block_start", "index": 0, "content_block": block}
            ),
            False,
        )
    )
    out.append((PING, False))
    for piece in reply.pieces:
        if reply.tool is not None:
            delta = {"type": "input_json_delta", "partial_json": piece}
        else:
            delta = {"type": "text_delta", "text": piece}
        out.append(
            (
                sse.event("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": delta}),
                True,
            )
        )
    out.append((sse.event("content_block_stop", {"type": "content_block_stop", "index": 0}), False))
    message_delta = {
        "type": "message_delta",
        "delta": {"stop_reason": stop, "stop_sequence": None},
        "usage": {"output_tokens": reply.completion_tokens},
    }
    out.append((sse.event("message_delta", message_delta), False))
    out.append((sse.event("message_stop", {"type": "message_stop"}), False))
    return out


def inband_error() -> list[sse.Item]:
    """The mid-stream `event: error` with `overloaded_error`, on an HTTP 200 stream."""
    return [(INBAND_OVERLOADED, False)]
