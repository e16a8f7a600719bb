"""Detect the provider a pasted error came from: a log field, an API host, a body shape or message, an SDK's
module name, a key prefix, a model ref."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from clawgate.catalog.presets import PRESETS, PRESETS_BY_ID, canonical_provider_id, provider_for_key_shape
from clawgate.diagnose.explain.parse import Parsed, parse

_LOG_PROVIDER = re.compile(r"(?<![\"'\w])provider\s*[=:]\s*\"?([A-Za-z][\w.\-]*)")

# (needle in the lower-cased text, provider): hosts, documented message texts and envelope markers from
# shared/reference/provider-wire.md. First match wins, so the more specific markers come first.
_PROVIDER_MARKERS: tuple[tuple[tuple[str, ...], str], ...] = (
    (
        (
            "openrouter",
            '"user_id":"user_',
            '"provider_name"',
            '"model_slug"',
            "missing authentication header",
            "no auth credentials found",
        ),
        "openrouter",
    ),
    (
        (
            "aliyun",
            "dashscope",
            "alibabacloud",
            "modelstudio",
            "model-studio",
            "invalidapikey",
            "arrearage",
            "throttling.",
            "internalerror.algo",
            "api-key provided",
            "coding plan",
        ),
        "qwen",
    ),
    (
        ("sequence_number", "response.failed", "server_is_overloaded", "platform.openai.com", "sk-proj-"),
        "openai",
    ),
    (
        ("generativelanguage", "googleapis.com", "api_key_invalid", "resource_exhausted", "invalid_argument"),
        "gemini",
    ),
    (
        (
            "moonshot",
            "kimi",
            "invalid_authentication_error",
            "incorrect_api_key_error",
            "rate_limit_reached_error",
            "engine_overloaded_error",
            "exceeded_current_quota_error",
            "exceeded model token limit",
            '"content_filter"',
        ),
        "moonshot",
    ),
    (("anthropic", "claude.com", "x-api-key", "overloaded_error", "prompt is too long"), "anthropic"),
    (("groq", "gsk_", "x_groq", "service tier", "capacity_exceeded", "`org_"), "groq"),
    (
        (
            "deepseek",
            "authentication fails",
            "insufficient balance",
            "model not exist",
            '"code":"invalid_request_error"',
        ),
        "deepseek",
    ),
    (
        (
            "llama.cpp",
            "llamacpp",
            "exceed_context_size_error",
            "n_ctx",
            "not_supported_error",
            "unavailable_error",
        ),
        "llamacpp",
    ),
    (('"object":"error"', "vllm", "badrequesterror", "notfounderror"), "vllm"),
    (("ollama", ":11434"), "ollama"),
    (("api.openai.com", "insufficient_quota", "org-", "openai"), "openai"),
)
# API hosts of services that have no preset (yet): the preset table is read first, so a preset added for one
# of these wins. (registered domain or host suffix, service)
_SERVICE_HOSTS = (
    ("amazonaws.com", "bedrock"),
    ("openai.azure.com", "azure"),
    ("cognitiveservices.azure.com", "azure"),
    ("services.ai.azure.com", "azure"),
    ("aiplatform.googleapis.com", "vertex"),
    ("cohere.com", "cohere"),
    ("cohere.ai", "cohere"),
    ("x.ai", "xai"),
    ("mistral.ai", "mistral"),
    ("together.xyz", "together"),
    ("together.ai", "together"),
    ("fireworks.ai", "fireworks"),
    ("perplexity.ai", "perplexity"),
)
# An SDK's module or exception prefix names the service it was talking to (litellm's "<Provider>Exception").
_MODULE_HINTS = (
    (re.compile(r"\banthropic[._]|AnthropicException|@anthropic-ai/"), "anthropic"),
    (re.compile(r"\bcohere\.|CohereError"), "cohere"),
    (re.compile(r"\bmistralai\b|MistralChatLanguageModel"), "mistral"),
    (re.compile(r"\bgroq\.|GroqException"), "groq"),
    (re.compile(r"\bgoogle\.genai|google\.generativeai|GoogleGenerativeAI"), "gemini"),
    (re.compile(r"\bgoogle\.api_core|google\.cloud\.aiplatform|VertexAI"), "vertex"),
    (re.compile(r"\bbotocore\b|\bboto3\b|@aws-sdk/|AWSBedrock|bedrock", re.I), "bedrock"),
    (re.compile(r"\bollama\._types|OllamaException|\bollama\b", re.I), "ollama"),
    (re.compile(r"Together_aiException|\btogether\.|togetherai", re.I), "together"),
    (re.compile(r"OpenrouterException|OPENROUTER"), "openrouter"),
    (re.compile(r"AzureException|Azure\.RequestFailedException|AzureOpenAI"), "azure"),
    (re.compile(r"\bperplexity\b", re.I), "perplexity"),
    (re.compile(r"\bfireworks\b", re.I), "fireworks"),
    (re.compile(r"\bx[.]?ai\b|\bgrok\b", re.I), "xai"),
    (re.compile(r"\bdeepseek\b", re.I), "deepseek"),
    (re.compile(r"OpenAIException|\bopenai\.(?:error\.)?[A-Z]"), "openai"),
)
# Key prefixes shown (masked) in messages, beyond the presets' distinctive ones.
_KEY_TOKEN = re.compile(r"(?<![\w-])((?:sk-[a-z]{2,4}-v?\d?|sk-ant-|gsk_|xai-|pplx-|AIza|AKIA|ASIA)[\w-]*)")
_SERVICE_KEY_PREFIXES = (("xai-", "xai"), ("pplx-", "perplexity"), ("AKIA", "bedrock"), ("ASIA", "bedrock"))


_BARE_HOST = re.compile(r"(?<![\w@/.-])((?:[a-z0-9-]+\.)+(?:com|ai|xyz|cn|net|io))\b", re.I)


def service_for_host(host: str) -> str | None:
    """The preset (first) or the known service an API host belongs to."""
    found = preset_for_host(host)
    if found:
        return found
    name = host.split(":")[0].lower()
    for suffix, service in _SERVICE_HOSTS:
        if name == suffix or name.endswith("." + suffix):
            return PRESETS_BY_ID[service].id if service in PRESETS_BY_ID else service
    return None


def _hint_provider(text: str) -> str | None:
    for rx, service in _MODULE_HINTS:
        if rx.search(text):
            return service
    for m in _KEY_TOKEN.finditer(text):
        token = m.group(1)
        found = provider_for_key_shape(token)
        if found:
            return found
        for prefix, service in _SERVICE_KEY_PREFIXES:
            if token.startswith(prefix):
                return service
    return None


_KNOWN_IDS = sorted({p.id for p in PRESETS} | {a for p in PRESETS for a in p.aliases}, key=len, reverse=True)
_MODEL_REF = re.compile(r"(?<![\w./-])(" + "|".join(re.escape(i) for i in _KNOWN_IDS) + r")/[\w.:\-]", re.I)


def preset_for_host(host: str) -> str | None:
    """The preset whose known hosts include `host` (same host name, or the same registered domain)."""
    name = host.split(":")[0].lower()
    if not name or name in ("localhost", "127.0.0.1", "::1"):
        port = host.split(":")[1] if ":" in host else ""
        for p in PRESETS:
            if p.local and urlsplit(p.base_url).port == (int(port) if port.isdigit() else None):
                return p.id
        return None
    domain = ".".join(name.split(".")[-2:])
    for p in PRESETS:
        for url in (p.base_url, *(h.base_url for h in p.hosts)):
            known = (urlsplit(url).hostname or "").lower()
            if known == name or (not p.local and ".".join(known.split(".")[-2:]) == domain):
                return p.id
    return None


def _compact(text: str) -> str:
    return re.sub(r'"\s*:\s*"', '":"', text.lower())


def detect_provider(text: str, parsed: Parsed | None = None) -> str | None:
    """The provider a pasted error came from: a log field, an API host, a body shape or message, a model ref."""
    m = _LOG_PROVIDER.search(text)
    if m:
        return canonical_provider_id(m.group(1))
    p = parsed or parse(text)
    for host in p.hosts:
        found = preset_for_host(host)
        if found:
            return found
    for host in [*p.hosts, *(h.lower() for h in _BARE_HOST.findall(text))]:
        found = service_for_host(host)  # a console or docs link of a service names it too
        if found:
            return found
    obj = p.obj if p.obj is not None else (p.sse[0][1] if p.sse else None)
    first = obj[0] if isinstance(obj, list) and obj else None
    if isinstance(first, dict) and isinstance(first.get("error"), dict) and "status" in first["error"]:
        return "gemini"  # Google RPC errors wrapped in an array
    if isinstance(obj, dict) and "provider" in obj and "error" in obj:
        return "openrouter"  # OpenRouter names the upstream provider beside an in-band error
    err = obj.get("error") if isinstance(obj, dict) else None
    if isinstance(err, dict) and isinstance(err.get("code"), int) and not {"type", "status"} & err.keys():
        return (
            "openrouter"  # {"error":{"code":<HTTP status>,"message":…}} with no type: OpenRouter's envelope
        )
    elided = obj is None and p.body and re.search(r'"code"\s*:\s*[45]\d\d\b', p.body)
    if elided and not re.search(r'"(?:type|status)"\s*:', p.body or ""):
        return "openrouter"  # the same envelope, elided or cut off
    low = _compact(text)
    for needles, provider in _PROVIDER_MARKERS:
        if any(n in low for n in needles):
            return provider
    if isinstance(obj, dict) and obj.get("type") == "error" and isinstance(obj.get("error"), dict):
        return "anthropic"  # {"type":"error","error":{"type":…}}
    hinted = _hint_provider(text)
    if hinted:
        return hinted
    m = _MODEL_REF.search(text)
    if m:
        return canonical_provider_id(m.group(1))
    return None
