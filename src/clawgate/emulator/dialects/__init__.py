"""The dialect registry: which providers exist, their regions, and where each one is mounted."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from .anthropic import Anthropic
from .base import Ctx, Dialect, ErrorReply, StreamSpec
from .chatgpt import ChatGPT
from .copilot import Copilot
from .dashscope import DashScope
from .deepseek import DeepSeek
from .gemini import Gemini
from .groq import Groq
from .hosted import HOSTED
from .moonshot import Moonshot
from .ollama import Ollama
from .openai import OpenAI
from .openrouter import OpenRouter

DIALECT_CLASSES: dict[str, type[Dialect]] = {
    cls.name: cls
    for cls in (
        OpenAI,
        Anthropic,
        OpenRouter,
        DashScope,
        Groq,
        Moonshot,
        DeepSeek,
        Gemini,
        *HOSTED,
        Ollama,
        ChatGPT,
        Copilot,
    )
}
DIALECTS = tuple(DIALECT_CLASSES)


@dataclass(frozen=True, slots=True)
class Mount:
    """One dialect served under one path prefix (one per region for regional dialects)."""

    dialect: Dialect
    region: str | None
    prefix: str

    @property
    def label(self) -> str:
        return self.dialect.name if self.region is None else f"{self.dialect.name}:{self.region}"


def regions_of(dialect: str) -> tuple[str, ...]:
    return DIALECT_CLASSES[dialect].regions


def resolve(dialect: str, region: str | None = None) -> tuple[str, str | None]:
    """Normalise `("dashscope", "intl")`, `("dashscope:intl", None)` or `("moonshot", None)` (default region)."""
    if region is None and ":" in dialect:
        dialect, region = dialect.split(":", 1)
    cls = DIALECT_CLASSES.get(dialect)
    if cls is None:
        raise ValueError(f"unknown dialect {dialect!r}; known: {', '.join(DIALECTS)}")
    if cls.regions:
        region = region or cls.default_region
        if region not in cls.regions:
            raise ValueError(f"unknown region {region!r} for {dialect}; known: {', '.join(cls.regions)}")
    elif region is not None:
        raise ValueError(f"dialect {dialect} has no regions")
    return dialect, region


def build_mounts(models: Mapping[str, list[str]] | None = None) -> list[Mount]:
    """Every (dialect, region) mount, with optional per-dialect model lists."""
    models = models or {}
    unknown = sorted(set(models) - set(DIALECTS))
    if unknown:
        raise ValueError(f"unknown dialect(s) in models: {', '.join(unknown)}")
    mounts = []
    for name, cls in DIALECT_CLASSES.items():
        dialect = cls(models.get(name))
        for region in cls.regions or (None,):
            mounts.append(Mount(dialect, region, dialect.prefix(region)))
    return mounts


__all__ = [
    "DIALECTS",
    "DIALECT_CLASSES",
    "Ctx",
    "Dialect",
    "ErrorReply",
    "Mount",
    "StreamSpec",
    "build_mounts",
    "regions_of",
    "resolve",
]
