"""Prompt caching as the providers bill it, so cache tokens (and their prices) can be tested end to end.

- Anthropic (explicit): the blocks up to the last `cache_control` breakpoint (tools, then system, then the
  messages' content blocks, in that order) form the cached prefix. The first request with a prefix writes it
  (`cache_creation_input_tokens`), later ones read it (`cache_read_input_tokens`); `input_tokens` is the rest.
  A prefix under 1024 tokens is not cached (the documented minimum of most models).
- OpenAI (automatic): a prompt of at least 1024 tokens whose leading messages were seen before reads that prefix
  from the cache (`prompt_tokens_details.cached_tokens`, counted inside `prompt_tokens`), in 128-token steps.

Token counts are the emulator's own (characters / 4, rounded up), per cached segment. `reset()` forgets
everything; the table is bounded."""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from typing import Any

import orjson

from .reply import Reply

MIN_TOKENS = 1024
OPENAI_STEP = 128
MAX_ENTRIES = 4096


def _tokens(chars: int) -> int:
    return (chars + 3) // 4


def _text(block: Any) -> str:
    if isinstance(block, str):
        return block
    if isinstance(block, dict):
        text = block.get("text")
        if isinstance(text, str):
            return text
        content = block.get("content")
        if content is not None:
            return "".join(_text(c) for c in content) if isinstance(content, list) else _text(content)
        return orjson.dumps(block.get("input") or block.get("function") or "").decode()
    return ""


def _anthropic_blocks(data: dict[str, Any]) -> list[Any]:
    """Tools, system, then every message's blocks: the order Anthropic's cache prefix follows."""
    out: list[Any] = list(data.get("tools") or [])
    system = data.get("system")
    if isinstance(system, str):
        out.append({"type": "text", "text": system})
    elif isinstance(system, list):
        out.extend(system)
    for msg in data.get("messages") or []:
        if not isinstance(msg, dict):
            continue
        content = msg.get("content")
        if isinstance(content, str):
            out.append({"type": "text", "text": content, "_role": msg.get("role")})
        elif isinstance(content, list):
            out.extend(content)
    return out


class PromptCache:
    def __init__(self) -> None:
        self._seen: OrderedDict[str, None] = OrderedDict()

    def reset(self) -> None:
        self._seen.clear()

    def _hit(self, key: str) -> bool:
        if key in self._seen:
            self._seen.move_to_end(key)
            return True
        return False

    def _remember(self, key: str) -> None:
        self._seen[key] = None
        while len(self._seen) > MAX_ENTRIES:
            self._seen.popitem(last=False)

    def apply(self, dialect: str, endpoint: str, model: str, data: dict[str, Any], reply: Reply) -> None:
        if dialect == "anthropic" and endpoint == "messages":
            self._anthropic(model, data, reply)
        elif dialect == "openai" and endpoint == "chat":
            self._openai(model, data, reply)

    def _anthropic(self, model: str, data: dict[str, Any], reply: Reply) -> None:
        blocks = _anthropic_blocks(data)
        last = max(
            (i for i, b in enumerate(blocks) if isinstance(b, dict) and b.get("cache_control")), default=-1
        )
        if last < 0:
            return
        prefix = blocks[: last + 1]
        cached = _tokens(sum(len(_text(b)) for b in prefix))
        if cached < MIN_TOKENS:
            return
        total = max(reply.prompt_tokens, cached + 1)
        key = hashlib.sha256(orjson.dumps([model, prefix], option=orjson.OPT_SORT_KEYS)).hexdigest()
        reply.prompt_tokens = total
        if self._hit(key):
            reply.cache_read_tokens = cached
        else:
            self._remember(key)
            reply.cache_write_tokens = cached

    def _openai(self, model: str, data: dict[str, Any], reply: Reply) -> None:
        messages = [m for m in data.get("messages") or [] if isinstance(m, dict)]
        if reply.prompt_tokens < MIN_TOKENS or not messages:
            return
        best = 0
        chars = 0
        for k, msg in enumerate(messages, 1):
            chars += len(_text({"content": msg.get("content")}))
            key = hashlib.sha256(orjson.dumps([model, messages[:k]], option=orjson.OPT_SORT_KEYS)).hexdigest()
            if self._hit(key):
                best = _tokens(chars)
            self._remember(key)
        if best >= MIN_TOKENS:
            reply.cache_read_tokens = min(reply.prompt_tokens, best - best % OPENAI_STEP)
