"""The model makers' own APIs: OpenAI, Anthropic, Google Gemini, xAI and Mistral — each the first-party
provider of its model family (`gpt-*`, `claude-*`, `gemini-*`, `grok-*`, `mistral-*` …).

Facts come from shared/reference/provider-wire.md and each provider's documentation (`docs`)."""

from __future__ import annotations

from clawgate.catalog.presets.types import ModelInfo, Preset

PRESETS: tuple[Preset, ...] = (
    Preset(
        id="openai",
        name="OpenAI",
        api="openai-completions",
        apis=("openai-completions", "openai-responses"),
        base_url="https://api.openai.com/v1",
        env_vars=("OPENAI_API_KEY",),
        key_prefixes=("sk-proj-", "sk-svcacct-", "sk-admin-", "sk-"),
        distinctive_prefixes=("sk-proj-", "sk-svcacct-", "sk-admin-"),
        models=(
            ModelInfo(
                "gpt-5.5",
                context_window=1_050_000,
                max_tokens=128000,
                input=("text", "image"),
                reasoning=True,
            ),
            ModelInfo(
                "gpt-5", context_window=400000, max_tokens=128000, input=("text", "image"), reasoning=True
            ),
            ModelInfo(
                "gpt-5-mini",
                context_window=400000,
                max_tokens=128000,
                input=("text", "image"),
                reasoning=True,
            ),
            ModelInfo("gpt-4.1", context_window=1_047_576, max_tokens=32768, input=("text", "image")),
            ModelInfo("gpt-4.1-mini", context_window=1_047_576, max_tokens=32768, input=("text", "image")),
            ModelInfo("gpt-4o", context_window=128000, max_tokens=16384, input=("text", "image")),
            ModelInfo("gpt-4o-mini", context_window=128000, max_tokens=16384, input=("text", "image")),
            ModelInfo(
                "o4-mini", context_window=200000, max_tokens=100000, input=("text", "image"), reasoning=True
            ),
            ModelInfo("text-embedding-3-small", context_window=8191, kind="embedding"),
            ModelInfo("text-embedding-3-large", context_window=8191, kind="embedding"),
        ),
        families=("gpt-*", "o1*", "o3*", "o4*", "chatgpt-*", "codex-*", "text-embedding-*"),
        embeddings=True,
        docs="https://platform.openai.com/docs/api-reference",
        key_help="https://platform.openai.com/api-keys",
    ),
    Preset(
        id="anthropic",
        name="Anthropic",
        api="anthropic-messages",
        apis=("anthropic-messages",),
        base_url="https://api.anthropic.com",
        env_vars=("ANTHROPIC_API_KEY", "ANTHROPIC_OAUTH_TOKEN"),
        key_prefixes=("sk-ant-api03-", "sk-ant-oat01-", "sk-ant-"),
        distinctive_prefixes=("sk-ant-",),
        models=tuple(
            ModelInfo(mid, context_window=ctx, max_tokens=out, input=("text", "image"), reasoning=True)
            for mid, ctx, out in (
                ("claude-fable-5-1", 1_000_000, 128000),
                ("claude-opus-5-5", 1_000_000, 128000),
                ("claude-sonnet-5-5", 1_000_000, 128000),
                ("claude-haiku-5-5", 1_000_000, 128000),
                ("claude-opus-5", 1_000_000, 128000),
                ("claude-sonnet-5", 1_000_000, 128000),
                ("claude-opus-4-5", 200000, 64000),
                ("claude-sonnet-4-5", 200000, 64000),
                ("claude-haiku-4-5", 200000, 64000),
            )
        ),
        families=("claude-*",),
        embeddings=False,
        aliases=("claude",),
        docs="https://docs.claude.com/en/api/messages",
        key_help="https://console.anthropic.com/settings/keys",
    ),
    Preset(
        id="gemini",
        name="Google Gemini (OpenAI-compatible)",
        api="openai-completions",
        base_url="https://generativelanguage.googleapis.com/v1beta/openai",
        env_vars=("GEMINI_API_KEY", "GOOGLE_API_KEY"),
        key_prefixes=("AIza",),
        distinctive_prefixes=("AIza",),
        has_models_endpoint=None,
        models=(
            ModelInfo("gemini-2.5-pro", context_window=1_048_576, max_tokens=65536, input=("text", "image")),
            ModelInfo(
                "gemini-2.5-flash", context_window=1_048_576, max_tokens=65536, input=("text", "image")
            ),
            ModelInfo(
                "gemini-3-pro-preview", context_window=1_048_576, max_tokens=65536, input=("text", "image")
            ),
            ModelInfo("gemini-embedding-001", context_window=2048, kind="embedding"),
        ),
        families=("gemini-*",),
        embeddings=True,
        aliases=("google", "google-gemini"),
        docs="https://ai.google.dev/gemini-api/docs/openai",
        key_help="https://aistudio.google.com/apikey",
    ),
    Preset(
        id="xai",
        name="xAI (Grok)",
        api="openai-responses",
        apis=("openai-responses", "openai-completions"),
        base_url="https://api.x.ai/v1",
        env_vars=("XAI_API_KEY",),
        key_prefixes=("xai-",),
        distinctive_prefixes=("xai-",),
        models=(
            ModelInfo("grok-4.3", context_window=1_000_000, max_tokens=131072, input=("text", "image")),
            ModelInfo("grok-4", context_window=256000, max_tokens=131072, input=("text", "image")),
            ModelInfo("grok-code-fast-1", context_window=256000, max_tokens=131072),
        ),
        aliases=("grok", "x-ai"),
        families=("grok-*",),
        docs="https://docs.x.ai/docs/api-reference",
        key_help="https://console.x.ai/",
    ),
    Preset(
        id="mistral",
        name="Mistral AI",
        api="openai-completions",
        base_url="https://api.mistral.ai/v1",
        env_vars=("MISTRAL_API_KEY",),
        models=(
            ModelInfo("mistral-large-latest", context_window=131072, max_tokens=32768),
            ModelInfo("mistral-medium-3-5", context_window=131072, max_tokens=32768),
            ModelInfo("mistral-small-latest", context_window=131072, max_tokens=32768),
            ModelInfo("codestral-latest", context_window=262144, max_tokens=32768),
            ModelInfo("devstral-medium-latest", context_window=262144, max_tokens=32768),
        ),
        families=("mistral-*", "codestral-*", "devstral-*", "magistral-*", "ministral-*", "pixtral-*"),
        embeddings=True,
        docs="https://docs.mistral.ai/api/",
        key_help="https://console.mistral.ai/api-keys",
    ),
)
