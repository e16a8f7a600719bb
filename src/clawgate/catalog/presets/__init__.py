"""Built-in provider presets: one data table of base URLs, adapters, key variables and shapes, and quirks, in
modules by provider group — `labs` (OpenAI, Anthropic, Gemini, xAI, Mistral), `china` (DashScope, Moonshot,
Kimi Coding, DeepSeek, Z.ai, MiniMax), `hosted` (routers and inference hosts), `subscriptions` (OAuth sign-ins),
`local` (local servers) — the types in `types`, and the lookups here.

Facts come from shared/reference/provider-wire.md. A `models.providers.<id>` entry whose id is a preset's
overrides only the fields it sets.
"""

from __future__ import annotations

from clawgate.catalog.presets import china, hosted, labs, local, subscriptions
from clawgate.catalog.presets.types import Host, ModelInfo, Preset

__all__ = [
    "PRESETS",
    "PRESETS_BY_ID",
    "PROVIDER_ALIASES",
    "Host",
    "ModelInfo",
    "Preset",
    "canonical_provider_id",
    "key_variables",
    "provider_for_key_shape",
]

# The order lookups go through the presets: where several take a key shape or a bare model id, the earlier wins.
_ORDER = (
    "openai",
    "anthropic",
    "openrouter",
    "groq",
    "qwen",
    "moonshot",
    "deepseek",
    "gemini",
    "openai-codex",
    "kimi",
    "zai",
    "minimax",
    "xai",
    "mistral",
    "cerebras",
    "together",
    "opencode",
    "github-copilot",
    "ollama",
    "vllm",
    "llamacpp",
    "lmstudio",
)
_BY_GROUP = {p.id: p for group in (labs, china, hosted, subscriptions, local) for p in group.PRESETS}
if sorted(_BY_GROUP) != sorted(_ORDER):  # every preset is in exactly one group, and in _ORDER
    raise RuntimeError(f"presets and their order differ: {sorted(set(_BY_GROUP) ^ set(_ORDER))}")

PRESETS: tuple[Preset, ...] = tuple(_BY_GROUP[pid] for pid in _ORDER)

PRESETS_BY_ID: dict[str, Preset] = {p.id: p for p in PRESETS}
PROVIDER_ALIASES: dict[str, str] = {alias: p.id for p in PRESETS for alias in p.aliases}


def canonical_provider_id(raw: str) -> str:
    """Lowercase, and map well-known alternative names (`modelstudio` → `qwen`)."""
    pid = raw.strip().lower()
    return PROVIDER_ALIASES.get(pid, pid)


def key_variables(pid: str, preset: Preset | None = None) -> tuple[str, ...]:
    """The variables a provider's key is read from: its preset's (`preset`, else the preset of that id), else the
    id upper-cased with `_API_KEY` (`alibaba-token-plan` → `ALIBABA_TOKEN_PLAN_API_KEY`)."""
    preset = preset or PRESETS_BY_ID.get(pid)
    if preset is not None:
        return preset.env_vars
    return (pid.upper().replace("-", "_").replace(".", "_") + "_API_KEY",)


def provider_for_key_shape(key: str) -> str | None:
    """The preset that a key's distinctive prefix belongs to, if any (longest prefix wins)."""
    best: tuple[int, str] | None = None
    for p in PRESETS:
        for prefix in p.distinctive_prefixes:
            if key.startswith(prefix) and (best is None or len(prefix) > best[0]):
                best = (len(prefix), p.id)
    return best[1] if best else None
