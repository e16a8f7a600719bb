"""Crossing dialects without dropping anything silently: every field of a client request that the internal
form does not carry is accounted for when the request goes to a provider of another wire format.

Each leftover field, tool, content part or input item is one of:
- **carried**: the same field with the same meaning exists in the target format (`service_tier` between the
  two OpenAI formats) — copied into the body;
- **a hint**: it only tunes how the answer is made, never what it is (`seed`, `metadata`, `service_tier`,
  prompt-cache keys, thinking blocks of earlier turns); omitted, and named in the response's
  `x-clawgate-omitted` header and the log;
- **a no-op at its default** (`n: 1`, `presence_penalty: 0`, `logprobs: false`): nothing to translate;
- **unsupported** otherwise: the request is refused with `request.unsupported_param` naming the field and
  the route, unless the operator lets clawgate drop it for that provider
  (`models.providers.<id>.dropUnsupported`: `true`, or a list of the names this module reports).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from clawgate.dialects.common import ORIGIN_KEY, as_dict
from clawgate.dialects.internal import ChatRequest, Part

CHAT, RESPONSES, ANTHROPIC = "openai-completions", "openai-responses", "anthropic-messages"
OPENAI = frozenset({CHAT, RESPONSES})

# Fields with the same name and meaning in both OpenAI formats: carried between them.
_SHARED_OPENAI = frozenset(
    {"service_tier", "metadata", "prompt_cache_key", "prompt_cache_retention", "safety_identifier"}
)
# Fields that only tune how an answer is produced (omitted where the target has no equivalent).
_HINTS: dict[str, frozenset[str]] = {
    CHAT: frozenset(
        {
            "seed",
            "service_tier",
            "store",
            "metadata",
            "prediction",
            "prompt_cache_key",
            "prompt_cache_retention",
            "safety_identifier",
            "stream_options",
        }
    ),
    RESPONSES: frozenset(
        {
            "metadata",
            "client_metadata",
            "service_tier",
            "prompt_cache_key",
            "prompt_cache_retention",
            "safety_identifier",
            "truncation",
            "stream_options",
            "store",  # honoured by clawgate itself (responses it stores)
        }
    ),
    ANTHROPIC: frozenset({"service_tier", "metadata", "context_management"}),
}
# Fields that mean nothing at these values.
_NOOP: dict[str, dict[str, tuple[Any, ...]]] = {
    CHAT: {
        "n": (1, None),
        "presence_penalty": (0, 0.0, None),
        "frequency_penalty": (0, 0.0, None),
        "logprobs": (False, None),
        "top_logprobs": (0, None),
        "logit_bias": (None,),
        "modalities": (None,),
        "audio": (None,),
        "functions": (None,),
        "function_call": (None,),
        "web_search_options": (None,),
    },
    RESPONSES: {
        "background": (False, None),
        "top_logprobs": (0, None),
        "max_tool_calls": (None,),
        "previous_response_id": (None,),
        "conversation": (None,),
        "prompt": (None,),
    },
    ANTHROPIC: {"top_k": (None,), "container": (None,), "mcp_servers": (None,)},
}
_EMPTY_OK = frozenset({"logit_bias", "functions", "mcp_servers"})  # an empty list/dict is the default too
_INCLUDE_HINTS = frozenset({"reasoning.encrypted_content"})  # Responses `include` values that are hints
_CLEAR_THINKING = "clear_thinking"  # Anthropic context-management edits that only concern thinking blocks


@dataclass
class Crossing:
    """What crossing did besides translating: fields copied as they are, and hints left out."""

    carry: dict[str, Any] = field(default_factory=dict)
    omitted: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)  # unsupported, dropped by the operator's opt-in


class Unsupported(Exception):
    """A request field with no equivalent on the target (and no opt-in to drop it)."""

    def __init__(self, name: str, why: str) -> None:
        super().__init__(f"{name}: {why}")
        self.name = name
        self.why = why


def _modality_noop(value: Any) -> bool:
    return isinstance(value, list) and value == ["text"]


def _is_noop(api: str, key: str, value: Any) -> bool:
    allowed = _NOOP.get(api, {}).get(key)
    if allowed is None:
        return False
    if value in allowed:
        return True
    if key in _EMPTY_OK and value in ({}, []):
        return True
    return key == "modalities" and _modality_noop(value)


class _Account:
    def __init__(self, source: str, target: str, drop: bool | list[str] | None) -> None:
        self.source, self.target, self.drop = source, target, drop
        self.out = Crossing()

    def unsupported(self, name: str, why: str) -> None:
        if self.drop is True or (isinstance(self.drop, list) and name in self.drop):
            self.out.dropped.append(name)
            return
        raise Unsupported(name, why)

    def omit(self, name: str) -> None:
        if name not in self.out.omitted:
            self.out.omitted.append(name)


def account(req: ChatRequest, target: str, drop: bool | list[str] | None = None) -> Crossing:
    """Account for everything `req` carries beyond the internal form, for a provider speaking `target`.
    Raises `Unsupported` for the first field that has no equivalent there."""
    source = req.extra.get(ORIGIN_KEY)
    acc = _Account(str(source or ""), target, drop)
    if source and source != target:
        _fields(acc, req)
        _tools(acc, req)
    _content(acc, req, target)
    return acc.out


def _fields(acc: _Account, req: ChatRequest) -> None:
    src, tgt = acc.source, acc.target
    for key, value in req.extra.items():
        if key.startswith("__"):
            continue
        if src in OPENAI and tgt in OPENAI and key in _SHARED_OPENAI:
            acc.out.carry[key] = value
        elif src == RESPONSES and key == "include":
            for inc in value if isinstance(value, list) else [value]:
                if inc in _INCLUDE_HINTS:
                    acc.omit(f"include.{inc}")
                else:
                    acc.unsupported(f"include.{inc}", f"{tgt} cannot return {inc!r}")
        elif src == ANTHROPIC and key == "context_management":
            edits = as_dict(value).get("edits")
            for edit in edits if isinstance(edits, list) else []:
                kind = str(as_dict(edit).get("type") or "")
                if not kind.startswith(_CLEAR_THINKING):
                    acc.unsupported(f"context_management.{kind}", f"{tgt} has no context editing")
            acc.omit("context_management")
        elif key in _HINTS.get(src, ()):
            acc.omit(key)
        elif _is_noop(src, key, value):
            continue
        else:
            acc.unsupported(key, f"{tgt} has no equivalent of {src}'s {key!r}")
    for key in ("output_config_rest", "text_rest"):
        for name in req.extra.get(f"__{key}__") or []:
            acc.unsupported(name, f"{tgt} has no equivalent of {src}'s {name!r}")
    if req.stop and tgt == RESPONSES:
        acc.unsupported("stop", "the Responses API has no stop sequences")


def _tool_name(tool: Any) -> str:
    d = as_dict(tool)
    return str(d.get("type") or d.get("name") or "tool")


def _tools(acc: _Account, req: ChatRequest) -> None:
    src, tgt = acc.source, acc.target
    for tool in req.extra.get("__tools__") or []:
        kind = _tool_name(tool)
        acc.unsupported(f"tools.{kind}", f"the built-in tool {kind!r} of {src} has no equivalent on {tgt}")
    choice = req.extra.get("__tool_choice__")
    if choice is not None:
        kind = as_dict(choice).get("type") or choice
        acc.unsupported(f"tool_choice.{kind}", f"{tgt} has no tool choice like {choice!r}")
    if src == ANTHROPIC and req.extra.get("__defer_without_search__"):
        acc.omit("tools.defer_loading")


def _part_name(part: Part, api: str) -> str:
    kind = str(as_dict(part.raw).get("type") or "part")
    return ("input." if api == RESPONSES else "content.") + kind


# Parts and items that are provider-bound state of earlier turns, never needed to answer: omitted.
_BOUND_STATE = frozenset({"thinking", "redacted_thinking", "reasoning"})


def _content(acc: _Account, req: ChatRequest, target: str) -> None:
    """Content parts and input items kept only for their own format."""
    src = acc.source
    if not src or src == target:
        return
    for m in req.messages:
        for p in m.content:
            if p.type != "other":
                continue
            name = _part_name(p, src)
            kind = name.split(".", 1)[1]
            if kind in _BOUND_STATE:
                acc.omit(name)
            else:
                acc.unsupported(name, f"{target} has no equivalent of {src}'s {kind!r} content")
