"""Built-in provider presets: one data table of base URLs, adapters, key variables and shapes, and quirks.

Facts come from shared/reference/provider-wire.md. A `models.providers.<id>` entry whose id is a preset's
overrides only the fields it sets.
"""

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


_DASHSCOPE_MODELS = (
    ModelInfo("qwen-plus", context_window=131072, max_tokens=8192),
    ModelInfo("qwen-turbo", context_window=1_000_000, max_tokens=8192),
    ModelInfo("qwen-max", context_window=32768, max_tokens=8192),
    ModelInfo("qwen3-coder-plus", context_window=1_000_000, max_tokens=65536),
    ModelInfo("qwen3-max", context_window=262144, max_tokens=65536),
)
_CODING_MODELS = (
    ModelInfo("qwen3-coder-plus", context_window=1_000_000, max_tokens=65536),
    ModelInfo("qwen3.5-plus", context_window=1_000_000, max_tokens=65536),
    ModelInfo("qwen3-max", context_window=262144, max_tokens=65536),
    ModelInfo("kimi-k2.5", context_window=262144, max_tokens=32768),
    ModelInfo("glm-5", context_window=202752, max_tokens=16384),
)

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
            ModelInfo("gpt-4o", context_window=128000, max_tokens=16384, input=("text", "image")),
            ModelInfo("gpt-4o-mini", context_window=128000, max_tokens=16384, input=("text", "image")),
            ModelInfo("gpt-4.1", context_window=1_047_576, max_tokens=32768, input=("text", "image")),
            ModelInfo("gpt-4.1-mini", context_window=1_047_576, max_tokens=32768, input=("text", "image")),
            ModelInfo("o4-mini", context_window=200000, max_tokens=100000, input=("text", "image")),
            ModelInfo("gpt-5", context_window=400000, max_tokens=128000, input=("text", "image")),
            ModelInfo("gpt-5-mini", context_window=400000, max_tokens=128000, input=("text", "image")),
        ),
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
        models=(
            ModelInfo("claude-opus-4-5", context_window=200000, max_tokens=64000, input=("text", "image")),
            ModelInfo("claude-sonnet-4-5", context_window=200000, max_tokens=64000, input=("text", "image")),
            ModelInfo("claude-haiku-4-5", context_window=200000, max_tokens=64000, input=("text", "image")),
            ModelInfo("claude-sonnet-4-0", context_window=200000, max_tokens=64000, input=("text", "image")),
        ),
        aliases=("claude",),
        docs="https://docs.claude.com/en/api/messages",
        key_help="https://console.anthropic.com/settings/keys",
    ),
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
        id="qwen",
        name="Alibaba Model Studio (DashScope)",
        api="openai-completions",
        apis=("openai-completions", "openai-responses"),
        base_url="https://dashscope-intl.aliyuncs.com/compatible-mode/v1",
        env_vars=("DASHSCOPE_API_KEY", "MODELSTUDIO_API_KEY", "QWEN_API_KEY"),
        key_prefixes=("sk-sp-", "sk-"),
        distinctive_prefixes=(),
        region_bound_keys=True,
        hosts=(
            Host(
                "cn",
                "https://dashscope.aliyuncs.com/compatible-mode/v1",
                region="cn-beijing",
                plan="payg",
                apis=("openai-completions", "openai-responses"),
            ),
            Host(
                "intl",
                "https://dashscope-intl.aliyuncs.com/compatible-mode/v1",
                region="ap-southeast-1",
                plan="payg",
                apis=("openai-completions", "openai-responses"),
            ),
            Host(
                "us",
                "https://dashscope-us.aliyuncs.com/compatible-mode/v1",
                region="us-east-1",
                plan="payg",
                apis=("openai-completions", "openai-responses"),
            ),
            Host(
                "hk",
                "https://cn-hongkong.dashscope.aliyuncs.com/compatible-mode/v1",
                region="cn-hongkong",
                plan="payg",
            ),
            Host(
                "coding-cn",
                "https://coding.dashscope.aliyuncs.com/v1",
                region="cn-beijing",
                plan="coding",
                key_prefixes=("sk-sp-",),
                has_models_endpoint=False,
            ),
            Host(
                "coding-intl",
                "https://coding-intl.dashscope.aliyuncs.com/v1",
                region="ap-southeast-1",
                plan="coding",
                key_prefixes=("sk-sp-",),
                has_models_endpoint=False,
            ),
            Host(
                "token-plan-cn",
                "https://token-plan.cn-beijing.maas.aliyuncs.com/compatible-mode/v1",
                region="cn-beijing",
                plan="token",
                key_prefixes=("sk-sp-",),
                has_models_endpoint=None,
            ),
            Host(
                "token-plan-intl",
                "https://token-plan.ap-southeast-1.maas.aliyuncs.com/compatible-mode/v1",
                region="ap-southeast-1",
                plan="token",
                key_prefixes=("sk-sp-",),
                has_models_endpoint=None,
            ),
        ),
        models=_DASHSCOPE_MODELS
        + tuple(m for m in _CODING_MODELS if m.id not in {x.id for x in _DASHSCOPE_MODELS}),
        aliases=("modelstudio", "dashscope", "alibaba", "aliyun", "bailian"),
        docs="https://www.alibabacloud.com/help/en/model-studio/base-url",
        key_help="https://www.alibabacloud.com/help/en/model-studio/get-api-key",
    ),
    Preset(
        id="moonshot",
        name="Moonshot AI (Kimi)",
        api="openai-completions",
        base_url="https://api.moonshot.ai/v1",
        env_vars=("MOONSHOT_API_KEY",),
        key_prefixes=("sk-",),
        region_bound_keys=True,
        hosts=(
            Host("global", "https://api.moonshot.ai/v1", region="global"),
            Host("cn", "https://api.moonshot.cn/v1", region="cn"),
        ),
        models=(
            ModelInfo("kimi-k2.5", context_window=262144, max_tokens=32768),
            ModelInfo("kimi-k2-0905-preview", context_window=262144, max_tokens=32768),
            ModelInfo("kimi-k2-turbo-preview", context_window=262144, max_tokens=32768),
            ModelInfo("moonshot-v1-128k", context_window=131072),
        ),
        docs="https://platform.kimi.ai/docs/api/errors",
        key_help="https://platform.moonshot.ai/console/api-keys",
    ),
    Preset(
        id="deepseek",
        name="DeepSeek",
        api="openai-completions",
        base_url="https://api.deepseek.com/v1",
        env_vars=("DEEPSEEK_API_KEY",),
        key_prefixes=("sk-",),
        models=(
            ModelInfo("deepseek-chat", context_window=131072, max_tokens=8192),
            ModelInfo("deepseek-reasoner", context_window=131072, max_tokens=65536),
        ),
        hosts=(
            Host("default", "https://api.deepseek.com"),
            Host("v1", "https://api.deepseek.com/v1"),
        ),
        docs="https://api-docs.deepseek.com/quick_start/error_codes",
        key_help="https://platform.deepseek.com/api_keys",
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
        ),
        aliases=("google", "google-gemini"),
        docs="https://ai.google.dev/gemini-api/docs/openai",
        key_help="https://aistudio.google.com/apikey",
    ),
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
        id="kimi",
        name="Kimi Coding (Anthropic Messages)",
        api="anthropic-messages",
        apis=("anthropic-messages",),
        base_url="https://api.kimi.com/coding",
        env_vars=("KIMI_API_KEY", "KIMICODE_API_KEY"),
        key_prefixes=("sk-kimi-",),
        distinctive_prefixes=("sk-kimi-",),
        has_models_endpoint=None,
        models=(
            ModelInfo("kimi-for-coding", context_window=262144, max_tokens=32768),
            ModelInfo("kimi-for-coding-highspeed", context_window=262144, max_tokens=32768),
            ModelInfo("k3", context_window=1_048_576, max_tokens=131072, input=("text", "image")),
            ModelInfo("k3-256k", context_window=262144, max_tokens=131072, input=("text", "image")),
        ),
        aliases=("kimi-coding", "kimi-code"),
        docs="https://www.kimi.com/code/docs/en/kimi-code/models.html",
        key_help="https://www.kimi.com/code/console",
    ),
    Preset(
        id="zai",
        name="Z.AI (GLM)",
        api="openai-completions",
        apis=("openai-completions",),
        base_url="https://api.z.ai/api/paas/v4",
        env_vars=("ZAI_API_KEY", "Z_AI_API_KEY"),
        region_bound_keys=True,
        hosts=(
            Host("global", "https://api.z.ai/api/paas/v4", region="global", plan="payg"),
            Host("cn", "https://open.bigmodel.cn/api/paas/v4", region="cn", plan="payg"),
            Host("coding-global", "https://api.z.ai/api/coding/paas/v4", region="global", plan="coding"),
            Host("coding-cn", "https://open.bigmodel.cn/api/coding/paas/v4", region="cn", plan="coding"),
            Host(
                "anthropic",
                "https://api.z.ai/api/anthropic",
                region="global",
                has_models_endpoint=None,
                apis=("anthropic-messages",),
            ),
        ),
        models=(
            ModelInfo("glm-5.3", context_window=1_048_576, max_tokens=131072),
            ModelInfo("glm-5.2", context_window=202752, max_tokens=131072),
            ModelInfo("glm-5.1", context_window=202752, max_tokens=131072),
            ModelInfo("glm-4.7", context_window=202752, max_tokens=131072),
        ),
        aliases=("z.ai", "z-ai", "glm", "zhipu"),
        docs="https://docs.z.ai/api-reference/api-code",
        key_help="https://z.ai/manage-apikey/apikey-list",
    ),
    Preset(
        id="minimax",
        name="MiniMax",
        api="anthropic-messages",
        apis=("anthropic-messages", "openai-completions"),
        base_url="https://api.minimax.io/anthropic",
        env_vars=("MINIMAX_API_KEY",),
        key_prefixes=("sk-",),
        region_bound_keys=True,
        has_models_endpoint=None,
        hosts=(
            Host("global", "https://api.minimax.io/anthropic", region="global", apis=("anthropic-messages",)),
            Host("global-openai", "https://api.minimax.io/v1", region="global"),
            Host("cn", "https://api.minimaxi.com/anthropic", region="cn", apis=("anthropic-messages",)),
            Host("cn-openai", "https://api.minimaxi.com/v1", region="cn"),
        ),
        models=(
            ModelInfo("MiniMax-M3", context_window=1_000_000, max_tokens=131072),
            ModelInfo("MiniMax-M2.7", context_window=204800, max_tokens=131072),
            ModelInfo("MiniMax-M2.7-highspeed", context_window=204800, max_tokens=131072),
        ),
        docs="https://platform.minimax.io/docs/api-reference/text-anthropic-api",
        key_help="https://platform.minimax.io/user-center/basic-information/interface-key",
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
        docs="https://docs.mistral.ai/api/",
        key_help="https://console.mistral.ai/api-keys",
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
    Preset(
        id="ollama",
        name="Ollama (local)",
        api="ollama",
        apis=("ollama", "openai-completions"),
        base_url="http://127.0.0.1:11434",
        env_vars=("OLLAMA_API_KEY",),
        accepts_any_model=True,
        auth_optional=True,
        local=True,
        timeout_seconds=900.0,
        docs="https://github.com/ollama/ollama/blob/main/docs/openai.md",
    ),
    Preset(
        id="vllm",
        name="vLLM (local)",
        api="openai-completions",
        apis=("openai-completions", "openai-responses"),
        base_url="http://127.0.0.1:8000/v1",
        env_vars=("VLLM_API_KEY",),
        accepts_any_model=True,
        auth_optional=True,
        local=True,
        timeout_seconds=900.0,
    ),
    Preset(
        id="llamacpp",
        name="llama.cpp server (local)",
        api="openai-completions",
        base_url="http://127.0.0.1:8080/v1",
        env_vars=("LLAMACPP_API_KEY", "LLAMA_API_KEY"),
        accepts_any_model=True,
        auth_optional=True,
        local=True,
        timeout_seconds=900.0,
        aliases=("llama.cpp", "llama-cpp"),
    ),
    Preset(
        id="lmstudio",
        name="LM Studio (local)",
        api="openai-completions",
        apis=("openai-completions", "openai-responses"),
        base_url="http://127.0.0.1:1234/v1",
        env_vars=("LMSTUDIO_API_KEY", "LM_API_TOKEN"),
        accepts_any_model=True,
        auth_optional=True,
        local=True,
        timeout_seconds=900.0,
        aliases=("lm-studio",),
    ),
)

PRESETS_BY_ID: dict[str, Preset] = {p.id: p for p in PRESETS}
PROVIDER_ALIASES: dict[str, str] = {alias: p.id for p in PRESETS for alias in p.aliases}


def canonical_provider_id(raw: str) -> str:
    """Lowercase, and map well-known alternative names (`modelstudio` → `qwen`)."""
    pid = raw.strip().lower()
    return PROVIDER_ALIASES.get(pid, pid)


def provider_for_key_shape(key: str) -> str | None:
    """The preset that a key's distinctive prefix belongs to, if any (longest prefix wins)."""
    best: tuple[int, str] | None = None
    for p in PRESETS:
        for prefix in p.distinctive_prefixes:
            if key.startswith(prefix) and (best is None or len(prefix) > best[0]):
                best = (len(prefix), p.id)
    return best[1] if best else None
