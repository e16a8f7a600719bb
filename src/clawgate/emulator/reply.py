"""The emulated "model": a deterministic reply (text or tool call) built from the request body."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from . import structured

ECHO_PREFIX = "echo:"
TOOL_TRIGGER = "call_tool"


@dataclass(slots=True)
class ToolCall:
    name: str
    arguments: str  # JSON text, "{}" or '{"x": 1}'

    @property
    def input(self) -> dict[str, Any]:
        return orjson.loads(self.arguments)


@dataclass(slots=True)
class Reply:
    """The reply to render: either `text` or `tool`, pre-split into content chunks."""

    text: str
    tool: ToolCall | None
    pieces: list[str]  # text pieces, or argument pieces for a tool call
    prompt_tokens: int  # the whole prompt, cached parts included
    completion_tokens: int
    cache_read_tokens: int = 0  # of prompt_tokens: read from the prompt cache (prompt_cache.py)
    cache_write_tokens: int = 0  # of prompt_tokens: written to it

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


def split(text: str, n: int) -> list[str]:
    """`text` in at most `n` non-empty pieces of near-equal length (one empty piece for empty text)."""
    size = len(text)
    if size == 0:
        return [""]
    n = max(1, min(n, size))
    return [text[size * i // n : size * (i + 1) // n] for i in range(n)]


def _text_of(content: Any) -> str:
    """The text of a message `content`: a string or a list of text parts (any dialect)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for part in content:
            if isinstance(part, dict):
                text = part.get("text")
                if isinstance(text, str):
                    parts.append(text)
            elif isinstance(part, str):
                parts.append(part)
        return "".join(parts)
    return ""


def _conversation(endpoint: str, data: dict[str, Any]) -> tuple[str, int]:
    """(last user text, total characters of the prompt) for any of the three request shapes."""
    if endpoint == "responses":
        items = data.get("input")
        chars = len(data.get("instructions") or "") if isinstance(data.get("instructions"), str) else 0
        if isinstance(items, str):
            return items, chars + len(items)
        messages: list[Any] = items if isinstance(items, list) else []
    else:
        raw = data.get("messages")
        messages = raw if isinstance(raw, list) else []
        system = data.get("system")  # Anthropic
        chars = len(_text_of(system)) if system else 0
    last_user = ""
    for msg in messages:
        if not isinstance(msg, dict):
            continue
        text = _text_of(msg.get("content"))
        chars += len(text)
        if msg.get("role") in ("system", "developer"):
            continue  # a system turn after the user's does not end the user's turn
        # Only a conversation that *ends* with a user turn counts: after a tool result, reply with text.
        last_user = text if msg.get("role") == "user" else ""
    return last_user, chars


def _echo_at(text: str) -> int:
    """Where the echo request starts: `echo:` at the start of the message or of one of its lines (agents
    such as Claude Code put reminders before the user's own text), the last one; -1 without one."""
    if text.startswith(ECHO_PREFIX):
        return 0 if "\n" + ECHO_PREFIX not in text else text.rfind("\n" + ECHO_PREFIX) + 1
    at = text.rfind("\n" + ECHO_PREFIX)
    return at + 1 if at >= 0 else -1


def _tool_spec(tool: Any) -> tuple[str | None, Any]:
    if not isinstance(tool, dict):
        return None, None
    fn: dict[str, Any] = tool["function"] if isinstance(tool.get("function"), dict) else tool
    name = fn.get("name")
    return (name if isinstance(name, str) else None), fn.get("parameters") or fn.get("input_schema") or {}


def _first_tool(tools: list[Any]) -> ToolCall | None:
    name, schema = _tool_spec(tools[0])
    if name is None:
        return None
    props = schema.get("properties") if isinstance(schema, dict) else None
    args = '{"x": 1}' if isinstance(props, dict) and "x" in props else "{}"
    return ToolCall(name, args)


def _forced_tool(tools: list[Any], wanted: str) -> ToolCall | None:
    """The forced tool's call, its arguments a value matching its schema."""
    for tool in tools:
        name, schema = _tool_spec(tool)
        if name is not None and wanted in ("*", name):
            return ToolCall(name, orjson.dumps(structured.instance(schema) or {}).decode())
    return None


def build_reply(dialect: str, endpoint: str, data: dict[str, Any], model: str, chunks: int) -> Reply:
    """The deterministic reply for a generation request.

    "Last user message" is the last message when it has role `user` (not a tool result).

    * last user message starts with `echo:` (or has a line that does) → the rest of it, stripped
      (`"echo: hi"` → `"hi"`);
    * `tools` present and the last user message contains `call_tool` → a call to the first tool, with
      arguments `{"x": 1}` when its schema has a property `x`, else `{}`;
    * a tool choice forcing a tool (by name, or any: `required`/`any`) → a call to it, with arguments that
      match its schema;
    * structured output (`response_format` / `text.format` / `output_config.format`) → JSON matching the
      schema (`{"answer": "emulated"}` for plain JSON mode);
    * otherwise `"emulated reply from <dialect> model <model>"`.
    """
    last_user, prompt_chars = _conversation(endpoint, data)
    tools = data.get("tools")
    tool = None
    forced = structured.forced_tool(endpoint, data)
    if tools and isinstance(tools, list) and forced:
        tool = _forced_tool(tools, forced)
    elif tools and isinstance(tools, list) and TOOL_TRIGGER in last_user:
        tool = _first_tool(tools)
    wants_json, schema = structured.requested_schema(endpoint, data)
    if tool is not None:
        text = ""
        pieces = split(tool.arguments, chunks)
        out_chars = len(tool.name) + len(tool.arguments)
    else:
        if wants_json:
            text = structured.answer(schema)
        elif _echo_at(last_user) >= 0:
            text = last_user[_echo_at(last_user) + len(ECHO_PREFIX) :].strip()
        else:
            text = f"emulated reply from {dialect} model {model}"
        pieces = split(text, chunks)
        out_chars = len(text)
    return Reply(
        text=text,
        tool=tool,
        pieces=pieces,
        prompt_tokens=max(1, (prompt_chars + 3) // 4),
        completion_tokens=max(1, (out_chars + 3) // 4),
    )
