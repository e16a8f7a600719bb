"""What a built-in preset says: a provider (`Preset`: base URL, adapters, key variables and shapes, quirks, its
first-party model families), its known endpoints (`Host`: region or plan), and the models of its static catalog
(`ModelInfo`)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ModelInfo:
    """A model in the static catalog."""

    id: str
    name: str | None = None
    context_window: int | None = None
    max_tokens: int | None = None
    input: tuple[str, ...] = ("text",)
    api: str | None = None
    reasoning: bool | None = None  # takes reasoning controls (reasoning_effort / thinking); None: unknown
    kind: str = "chat"  # chat | embedding


@dataclass(frozen=True)
class Host:
    """A known endpoint of a provider (region or plan) and what is true there."""

    label: str
    base_url: str
    region: str | None = None
    plan: str | None = None  # "payg" | "coding" | "token"
    key_prefixes: tuple[str, ...] = ()  # the key shapes this host accepts (empty: any of the preset's)
    has_models_endpoint: bool | None = True
    apis: tuple[str, ...] = ("openai-completions",)


@dataclass(frozen=True)
class Preset:
    id: str
    name: str
    api: str
    base_url: str
    env_vars: tuple[str, ...]
    apis: tuple[str, ...] = ("openai-completions",)
    key_prefixes: tuple[str, ...] = ()
    distinctive_prefixes: tuple[str, ...] = ()  # shapes that identify this provider among all presets
    has_models_endpoint: bool | None = True
    accepts_any_model: bool = False
    auth_optional: bool = False  # local servers: a key is only needed when the server was started with one
    local: bool = False
    hosts: tuple[Host, ...] = ()
    models: tuple[ModelInfo, ...] = ()
    aliases: tuple[str, ...] = ()
    headers: tuple[tuple[str, str], ...] = ()
    timeout_seconds: float = 600.0
    region_bound_keys: bool = False  # keys work only on the host/region/plan they were issued for
    docs: str | None = None
    key_help: str | None = None
    model_normalizer: str | None = None  # "openrouter": bare ids get the "openrouter/" vendor prefix
    # First-party model families: a bare model id matching one of these globs (`claude-*`) belongs to this
    # provider even when the catalog does not list it; the provider decides whether it exists.
    families: tuple[str, ...] = ()
    embeddings: bool | None = None  # serves POST /embeddings (None: unknown, try)

    def host_for(self, base_url: str) -> Host | None:
        norm = base_url.rstrip("/")
        for h in self.hosts:
            if h.base_url.rstrip("/") == norm:
                return h
        return None

    def host_by_hostname(self, hostname: str) -> Host | None:
        from urllib.parse import urlsplit

        for h in self.hosts:
            if urlsplit(h.base_url).hostname == hostname:
                return h
        return None
