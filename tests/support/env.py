"""The environment tests run clawgate in: no variable from a developer's shell that would leak into resolution."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import pytest

# Variables a developer's shell may carry that would leak into tests' resolution.
SCRUB: tuple[str, ...] = (
    "CLAWGATE_HOME",
    "CLAWGATE_CONFIG",
    "CLAWGATE_GATEWAY_TOKEN",
    "CLAWGATE_GATEWAY_URL",
    "OPENAI_API_KEY",
    "ANTHROPIC_API_KEY",
    "ANTHROPIC_OAUTH_TOKEN",
    "OPENROUTER_API_KEY",
    "GROQ_API_KEY",
    "DASHSCOPE_API_KEY",
    "MODELSTUDIO_API_KEY",
    "QWEN_API_KEY",
    "MOONSHOT_API_KEY",
    "KIMI_API_KEY",
    "DEEPSEEK_API_KEY",
    "GEMINI_API_KEY",
    "GOOGLE_API_KEY",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
)


def scrub_env(monkeypatch: pytest.MonkeyPatch, names: Iterable[str] = SCRUB) -> None:
    """Remove `names` from this process's environment for the test."""
    for name in names:
        monkeypatch.delenv(name, raising=False)


def home_env(
    home: Path, scrub: Iterable[str] = SCRUB, *, unbuffered: bool = False, **extra: str
) -> dict[str, str]:
    """This process's environment without `scrub`, with CLAWGATE_HOME=`home` (and PYTHONUNBUFFERED=1 when
    `unbuffered`), then `extra`: the environment of a clawgate subprocess for that home."""
    drop = frozenset(scrub)
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env["CLAWGATE_HOME"] = str(home)
    if unbuffered:
        env["PYTHONUNBUFFERED"] = "1"
    env.update(extra)
    return env
