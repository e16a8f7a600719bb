"""Routers and inference hosts that serve other makers' models: OpenRouter, Groq, Cerebras, Together and
OpenCode Zen.

Facts come from shared/reference/provider-wire.md and each provider's documentation (`docs`)."""

from __future__ import annotations

from clawgate.catalog.presets.types import ModelInfo, Preset

PRESETS: tuple[Preset, ...] = (
    Preset(
        id="openrouter",
        name="OpenRouter",
        api="openai-completions",
        apis=("openai-completions", "openai-responses"),
        base_url="https://openrouter.ai/api/v1",
        env_vars=("OPENROUTER_API_KEY",),
        key_prefixes=("sk-or-v1-", "sk-or-"),
        distinctive_prefixes=("sk-or-",),
        accepts_any_model=True,
        models=(
            ModelInfo("openrouter/auto", context_window=2_000_000),
            ModelInfo("moonshotai/kimi-k2.5", context_window=262144),
            ModelInfo("anthropic/claude-sonnet-4.5", context_window=1_000_000),
            ModelInfo("openai/gpt-4o", context_window=128000),
        ),
        headers=(
            ("HTTP-Referer", "https://github.com/clawgate/clawgate"),
            ("X-OpenRouter-Title", "clawgate"),
        ),
        docs="https://openrouter.ai/docs/api-reference/overview",
        key_help="https://openrouter.ai/settings/keys",
        model_normalizer="openrouter",
    ),
    Preset(
        id="groq",
        name="Groq",
        api="openai-completions",
        base_url="https://api.groq.com/openai/v1",
        env_vars=("GROQ_API_KEY",),
        key_prefixes=("gsk_",),
        distinctive_prefixes=("gsk_",),
        models=(
            ModelInfo("llama-3.3-70b-versatile", context_window=131072, max_tokens=32768),
            ModelInfo("llama-3.1-8b-instant", context_window=131072, max_tokens=131072),
            ModelInfo("moonshotai/kimi-k2-instruct", context_window=131072, max_tokens=16384),
            ModelInfo("openai/gpt-oss-120b", context_window=131072, max_tokens=65536),
        ),
        docs="https://console.groq.com/docs/errors",
        key_help="https://console.groq.com/keys",
    ),
    Preset(
        id="cerebras",
        name="Cerebras",
        api="openai-completions",
        base_url="https://api.cerebras.ai/v1",
        env_vars=("CEREBRAS_API_KEY",),
        key_prefixes=("csk-",),
        distinctive_prefixes=("csk-",),
        models=(
            ModelInfo("zai-glm-4.7", context_window=131072, max_tokens=40960),
            ModelInfo("gpt-oss-120b", context_window=131072, max_tokens=40960),
            ModelInfo("gemma-4-31b", context_window=131072, max_tokens=40960, input=("text", "image")),
        ),
        docs="https://inference-docs.cerebras.ai/api-reference/chat-completions",
        key_help="https://cloud.cerebras.ai",
    ),
    Preset(
        id="together",
        name="Together AI",
        api="openai-completions",
        base_url="https://api.together.xyz/v1",
        env_vars=("TOGETHER_API_KEY",),
        accepts_any_model=True,
        models=(
            ModelInfo("meta-llama/Llama-3.3-70B-Instruct-Turbo", context_window=131072),
            ModelInfo("moonshotai/Kimi-K2.5", context_window=262144),
            ModelInfo("deepseek-ai/DeepSeek-V3.1", context_window=131072),
            ModelInfo("Qwen/Qwen3-Coder-480B-A35B-Instruct-FP8", context_window=262144),
        ),
        aliases=("togetherai", "together-ai"),
        docs="https://docs.together.ai/reference/chat-completions-1",
        key_help="https://api.together.ai/settings/api-keys",
    ),
    Preset(
        id="opencode",
        name="OpenCode Zen",
        api="openai-completions",
        base_url="https://opencode.ai/zen/v1",
        env_vars=("OPENCODE_API_KEY", "OPENCODE_ZEN_API_KEY"),
        accepts_any_model=True,
        models=(
            ModelInfo("glm-5.1", context_window=202752),
            ModelInfo("kimi-k2.6", context_window=262144),
            ModelInfo("qwen3-coder", context_window=262144),
            ModelInfo("minimax-m2.7", context_window=204800),
        ),
        aliases=("opencode-zen",),
        docs="https://opencode.ai/docs/zen/",
        key_help="https://opencode.ai/auth",
    ),
)
