"""OpenAI chat-completions shapes: the non-stream body and the `chat.completion.chunk` stream."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .. import sse
from ..reply import Reply


def plain_usage(reply: Reply) -> dict[str, Any]:
    return {
        "prompt_tokens": reply.prompt_tokens,
        "completion_tokens": reply.completion_tokens,
        "total_tokens": reply.total_tokens,
    }


@dataclass(frozen=True, slots=True)
class ChatFlavor:
    """The per-provider knobs of the chat-completions shape."""

    id_prefix: str = "chatcmpl-"
    top: dict[str, Any] = field(default_factory=dict)  # extra top-level fields (body and every chunk)
    message_extra: dict[str, Any] = field(default_factory=dict)  # extra fields of the non-stream message
    choice_extra: dict[str, Any] = field(default_factory=dict)  # extra fields of every choice
    first_delta_extra: dict[str, Any] = field(default_factory=dict)  # extra fields of the role delta
    usage_fn: Callable[[Reply], dict[str, Any]] = plain_usage
    # When streams carry usage: "include_usage" (a `choices: []` chunk if stream_options.include_usage),
    # "always" (that chunk always), "none" (never; the dialect adds its own, e.g. Groq's x_groq).
    stream_usage: str = "include_usage"
    obfuscation: bool = False


def body(
    flavor: ChatFlavor, rid: str, call_id: str, created: int, model: str, reply: Reply
) -> dict[str, Any]:
    """The non-stream `chat.completion` object."""
    if reply.tool is not None:
        message: dict[str, Any] = {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": call_id,
                    "type": "function",
                    "function": {"name": reply.tool.name, "arguments": reply.tool.arguments},
                }
            ],
        }
        finish = "tool_calls"
    else:
        message = {"role": "assistant", "content": reply.text}
        finish = "stop"
    message.update(flavor.message_extra)
    choice = {"index": 0, "message": message, **flavor.choice_extra, "finish_reason": finish}
    return {
        "id": rid,
        "object": "chat.completion",
        "created": created,
        "model": model,
        "choices": [choice],
        "usage": flavor.usage_fn(reply),
        **flavor.top,
    }


def chunks(
    flavor: ChatFlavor,
    rid: str,
    call_id: str,
    created: int,
    model: str,
    reply: Reply,
    include_usage: bool,
    *,
    first_extra: dict[str, Any] | None = None,
    finish_extra: dict[str, Any] | None = None,
    finish_choice_extra: dict[str, Any] | None = None,
) -> list[sse.Item]:
    """The stream's `data:` chunks, without the `[DONE]` terminator."""
    usage_chunk = flavor.stream_usage == "always" or (
        flavor.stream_usage == "include_usage" and include_usage
    )
    null_usage = flavor.stream_usage == "include_usage" and include_usage
    base = {"id": rid, "object": "chat.completion.chunk", "created": created, "model": model, **flavor.top}
    choice_extra = flavor.choice_extra

    def chunk(
        delta: dict[str, Any],
        finish: str | None = None,
        extra: dict[str, Any] | None = None,
        cextra: dict[str, Any] | None = None,
    ) -> bytes:
        choice = {"index": 0, "delta": delta, **choice_extra, "finish_reason": finish}
        if cextra:
            choice.update(cextra)
        obj = {**base, "choices": [choice]}
        if null_usage:
            obj["usage"] = None
        if flavor.obfuscation:
            obj["obfuscation"] = "emu"
        if extra:
            obj.update(extra)
        return sse.data(obj)

    items: list[sse.Item] = []
    if reply.tool is not None:
        first = {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "index": 0,
                    "id": call_id,
                    "type": "function",
                    "function": {"name": reply.tool.name, "arguments": ""},
                }
            ],
        }
        items.append((chunk(first, extra=first_extra), False))
        for piece in reply.pieces:
            delta = {"tool_calls": [{"index": 0, "function": {"arguments": piece}}]}
            items.append((chunk(delta), True))
        finish = "tool_calls"
    else:
        items.append(
            (
                chunk({"role": "assistant", "content": "", **flavor.first_delta_extra}, extra=first_extra),
                False,
            )
        )
        for piece in reply.pieces:
            items.append((chunk({"content": piece}), True))
        finish = "stop"
    items.append((chunk({}, finish, finish_extra, finish_choice_extra), False))
    if usage_chunk:
        obj = {**base, "choices": [], "usage": flavor.usage_fn(reply)}
        if flavor.obfuscation:
            obj["obfuscation"] = "emu"
        items.append((sse.data(obj), False))
    return items


OPENAI_INBAND_ERROR = (
    b'data: {"error": {"message": "The server had an error while processing your request. Sorry about that!", '
    b'"type": "server_error"}}\n\n'
)


def inband_error() -> list[sse.Item]:
    """The bare mid-stream error line of OpenAI-style streams (recorded gpt-4.1 stream), no `[DONE]` after."""
    return [(OPENAI_INBAND_ERROR, False)]
