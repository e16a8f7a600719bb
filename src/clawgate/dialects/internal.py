"""The internal request/response/stream form that every dialect translates to and from."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Role = Literal["system", "user", "assistant", "tool"]


@dataclass
class ToolCall:
    id: str
    name: str
    arguments: str = ""  # JSON text, exactly as the model produced it


@dataclass
class Part:
    """One piece of message content."""

    type: Literal["text", "image", "tool_result", "other"]
    text: str = ""
    image_url: str | None = None  # http(s) URL or data: URL
    media_type: str | None = None
    tool_call_id: str | None = None  # for tool_result parts (Anthropic puts them in user messages)
    is_error: bool = False
    raw: Any = None  # the original dialect-specific object for "other"


@dataclass
class Message:
    role: Role
    content: list[Part] = field(default_factory=list)
    tool_calls: list[ToolCall] = field(default_factory=list)  # assistant messages
    tool_call_id: str | None = None  # role == "tool"
    name: str | None = None

    def text(self) -> str:
        return "".join(p.text for p in self.content if p.type == "text")


@dataclass
class Tool:
    name: str
    description: str = ""
    parameters: dict[str, Any] = field(default_factory=lambda: {"type": "object", "properties": {}})


@dataclass
class ChatRequest:
    """A chat request independent of any dialect. `extra` keeps parameters with no internal meaning."""

    model: str
    messages: list[Message]
    system: str | None = None
    tools: list[Tool] = field(default_factory=list)
    tool_choice: Any = None  # "auto" | "none" | "required" | {"name": ...}
    max_tokens: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    stop: list[str] | None = None
    stream: bool = False
    user: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Usage:
    input_tokens: int | None = None  # the whole prompt, cache reads and writes included
    output_tokens: int | None = None
    cached_tokens: int | None = None  # part of input_tokens read from the provider's prompt cache
    cache_write_tokens: int | None = None  # part of input_tokens written to it (Anthropic cache_creation)

    @property
    def total_tokens(self) -> int | None:
        if self.input_tokens is None and self.output_tokens is None:
            return None
        return (self.input_tokens or 0) + (self.output_tokens or 0)


FinishReason = Literal["stop", "length", "tool_calls", "content_filter", "error"]


@dataclass
class ChatResult:
    id: str
    model: str
    text: str = ""
    tool_calls: list[ToolCall] = field(default_factory=list)
    finish_reason: FinishReason = "stop"
    usage: Usage = field(default_factory=Usage)
    reasoning: str | None = None


@dataclass
class StreamEvent:
    """One internal stream event.

    kinds: "start" (id, model), "text" (text), "reasoning" (text), "tool_call" (index, id, name — a new call
    begins), "tool_args" (index, text — a fragment of its JSON arguments), "finish" (finish_reason),
    "usage" (usage). Errors are not events: a stream decoder returns them as a Failure (see base.py).
    """

    kind: Literal["start", "text", "reasoning", "tool_call", "tool_args", "finish", "usage"]
    text: str = ""
    index: int = 0
    id: str | None = None
    name: str | None = None
    model: str | None = None
    finish_reason: FinishReason | None = None
    usage: Usage | None = None
