"""Subscriptions signed in with OAuth instead of an API key: ChatGPT (Codex) and GitHub Copilot.

Facts come from shared/reference/provider-wire.md and each provider's documentation (`docs`)."""

from __future__ import annotations

from clawgate.catalog.presets.types import Host, ModelInfo, Preset

PRESETS: tuple[Preset, ...] = (
    Preset(
        id="openai-codex",
        name="OpenAI Codex (ChatGPT subscription, OAuth)",
        api="openai-codex-responses",
        apis=("openai-codex-responses", "openai-chatgpt-responses"),
        base_url="https://chatgpt.com/backend-api",
        env_vars=(),
        accepts_any_model=True,  # the catalog depends on the ChatGPT plan
        has_models_endpoint=None,
        hosts=(
            Host(
                "backend-api",
                "https://chatgpt.com/backend-api",
                has_models_endpoint=None,
                apis=("openai-codex-responses", "openai-chatgpt-responses"),
            ),
            Host(  # how OpenClaw 2026-08 writes it (`api: "openai-chatgpt-responses"`)
                "codex",
                "https://chatgpt.com/backend-api/codex",
                has_models_endpoint=None,
                apis=("openai-codex-responses", "openai-chatgpt-responses"),
            ),
        ),
        models=(
            ModelInfo("gpt-5.4", context_window=400000, max_tokens=128000, input=("text", "image")),
            ModelInfo("gpt-5.5", context_window=400000, max_tokens=128000, input=("text", "image")),
            ModelInfo("gpt-5.3-codex", context_window=400000, max_tokens=128000, input=("text", "image")),
            ModelInfo("gpt-5.1-codex-mini", context_window=400000, max_tokens=128000),
        ),
        aliases=("codex", "chatgpt"),
        docs="https://developers.openai.com/codex/auth",
        key_help="clawgate auth login openai-codex",
    ),
    Preset(
        id="github-copilot",
        name="GitHub Copilot (subscription; token exchange)",
        api="openai-completions",
        apis=("openai-completions",),
        base_url="https://api.individual.githubcopilot.com",
        env_vars=("COPILOT_GITHUB_TOKEN", "GH_TOKEN", "GITHUB_TOKEN"),
        key_prefixes=("ghu_", "gho_", "ghp_", "github_pat_"),
        distinctive_prefixes=("ghu_", "gho_", "ghp_", "github_pat_"),
        has_models_endpoint=True,
        accepts_any_model=True,  # the catalog depends on the Copilot plan
        models=(
            ModelInfo("gpt-4.1", context_window=128000, max_tokens=16384),
            ModelInfo("gpt-5-mini", context_window=264000, max_tokens=64000),
            ModelInfo("claude-sonnet-4.5", context_window=144000, max_tokens=16000),
            ModelInfo("gemini-2.5-pro", context_window=128000, max_tokens=64000),
        ),
        aliases=("copilot",),
        docs="https://docs.github.com/en/copilot/reference/ai-models/supported-models",
        key_help="clawgate auth login github-copilot",
    ),
)
