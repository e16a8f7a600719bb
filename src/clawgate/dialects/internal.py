"""The internal request/response/stream form that every dialect translates to and from."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Role = Literal["system", "user", "assistant", "tool"]


@dataclass
class ToolCall:
    id: str
    name: str  # the internal tool name (`Tool.name`: a namespaced tool's is `<namespace>__<name>`)
    arguments: str = ""  # JSON text, exactly as the model produced it (a custom tool's: {"input": TEXT})


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
    cache_control: dict[str, Any] | None = None  # Anthropic's prompt-cache marker on this piece


@dataclass
class Message:
    role: Role
    content: list[Part] = field(default_factory=list)
    tool_calls: list[ToolCall] = field(default_factory=list)  # assistant messages
    tool_call_id: str | None = None  # role == "tool"
    name: str | None = None

    def text(self) -> str:
        return "".join(p.text for p in self.content if p.type == "text")


ToolKind = Literal["function", "custom"]


@dataclass
class Tool:
    """A tool the model may call. `kind="custom"` is a free-form tool (Responses `custom`): its one argument
    is raw text, carried as a function tool with a single string parameter `input` where that is all a wire
    format has. A tool of a namespace (Responses `namespace` groups) is named `<namespace>__<name>`."""

    name: str
    description: str = ""
    parameters: dict[str, Any] = field(default_factory=lambda: {"type": "object", "properties": {}})
    kind: ToolKind = "function"
    namespace: str | None = None  # the group it came from; `original` is its name inside the group
    original: str | None = None
    grammar: dict[str, Any] | None = None  # a custom tool's input format (Responses `format`)
    strict: bool | None = None
    deferred: bool = False  # Anthropic `defer_loading`: shown to the model only once a search found it
    cache_control: dict[str, Any] | None = None


@dataclass
class OutputSpec:
    """Structured output: `json_schema` (a schema the answer must match) or `json_object` (any JSON object)."""

    type: Literal["json_schema", "json_object"]
    name: str | None = None
    schema: dict[str, Any] | None = None
    strict: bool | None = None
    description: str | None = None


@dataclass
class ReasoningSpec:
    """What the client asked of the model's reasoning. `effort`: none | minimal | low | medium | high | xhigh |
    max; `budget_tokens`: Anthropic's manual thinking budget; `adaptive`: Anthropic's adaptive thinking."""

    enabled: bool = True
    effort: str | None = None
    budget_tokens: int | None = None
    adaptive: bool = False
    summary: str | None = None  # Responses `reasoning.summary`
    display: str | None = None  # Anthropic `thinking.display`


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
    output: OutputSpec | None = None  # structured output (response_format / text.format / output_config)
    reasoning: ReasoningSpec | None = None  # reasoning_effort / reasoning / thinking + effort
    parallel_tool_calls: bool | None = None
    system_cache: dict[str, Any] | None = None  # a cache_control marker on the system prompt
    verbosity: str | None = None  # OpenAI `verbosity` / `text.verbosity`
    extra: dict[str, Any] = field(default_factory=dict)

    def tool(self, name: str) -> Tool | None:
        """The request's tool with this internal name."""
        for t in self.tools:
            if t.name == name:
                return t
        return None


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
