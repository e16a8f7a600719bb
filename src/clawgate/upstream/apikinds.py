"""API kinds (`models.providers.<id>.api`) and the wire each is sent on.

Most kinds are a dialect at the provider's base URL. Two are a dialect somewhere else:

- `ollama`: the base URL is Ollama's host (`http://host:11434`, as OpenClaw writes it); calls go to Ollama's
  OpenAI-compatible endpoint under `/v1` (a base URL that already ends in `/v1` is used as is).
- `openai-codex-responses` (OpenClaw's newer name: `openai-chatgpt-responses`): the ChatGPT backend
  (`https://chatgpt.com/backend-api`); Responses calls go to `/codex/responses`.
"""

from __future__ import annotations

CODEX_KINDS = frozenset({"openai-codex-responses", "openai-chatgpt-responses"})

_WIRE = {
    "openai-completions": "openai-completions",
    "openai-responses": "openai-responses",
    "anthropic-messages": "anthropic-messages",
    "ollama": "openai-completions",
    "openai-codex-responses": "openai-responses",
    "openai-chatgpt-responses": "openai-responses",
}
_PREFIX = {
    "ollama": "/v1",
    "openai-codex-responses": "/codex",
    "openai-chatgpt-responses": "/codex",
}


def wire_api(kind: str) -> str:
    """The dialect a kind speaks (unknown kinds are returned unchanged, for the dialect registry to reject)."""
    return _WIRE.get(kind, kind)


def path_prefix(kind: str, base_url: str) -> str:
    """What goes between the base URL and the dialect's path for this kind ("" for most kinds)."""
    prefix = _PREFIX.get(kind, "")
    if prefix and base_url.rstrip("/").endswith(prefix):
        return ""
    return prefix


def url_for(kind: str, base_url: str, dialect_path: str) -> str:
    base = base_url.rstrip("/")
    return f"{base}{path_prefix(kind, base)}{dialect_path}"
