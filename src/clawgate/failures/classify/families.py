"""Providers and hosts: which known provider family a (possibly custom) provider id belongs to, by its id or its
host; the region/plan-bound families and the sentence that explains a key sent to another region's host; billing
pages per family."""

from __future__ import annotations

_KNOWN = frozenset(
    {
        "openai",
        "anthropic",
        "openrouter",
        "qwen",
        "groq",
        "moonshot",
        "deepseek",
        "gemini",
        "ollama",
        "vllm",
        "llamacpp",
        "lmstudio",
    }
)
_HOST_FAMILY = (
    ("dashscope", "qwen"),
    ("maas.aliyuncs.com", "qwen"),
    ("moonshot.", "moonshot"),
    ("openrouter.ai", "openrouter"),
    ("api.openai.com", "openai"),
    ("anthropic.com", "anthropic"),
    ("groq.com", "groq"),
    ("deepseek.com", "deepseek"),
    ("generativelanguage.googleapis.com", "gemini"),
)
LOCAL = frozenset({"ollama", "vllm", "llamacpp", "lmstudio"})
# Families whose keys work only on the region or plan host they were issued for: a 401 there is, most often, a
# key sent to another region's or plan's host (provider-wire.md §0, §10.1).
REGION_BOUND = frozenset({"qwen", "moonshot"})

_BILLING_URL = {
    "openai": "https://platform.openai.com/settings/organization/billing",
    "anthropic": "https://console.anthropic.com/settings/billing",
    "openrouter": "https://openrouter.ai/settings/credits",
    "deepseek": "https://platform.deepseek.com/top_up",
    "groq": "https://console.groq.com/settings/billing",
    "gemini": "https://aistudio.google.com/",
}


def family(provider: str, host: str | None) -> str:
    """clawgate's provider id, or for a custom id the known provider its host belongs to."""
    if provider in _KNOWN:
        return provider
    h = (host or "").lower()
    for needle, fam in _HOST_FAMILY:
        if needle in h:
            return fam
    return provider


def dashscope_label(host: str) -> str | None:
    h = host.lower()
    if h.startswith("coding-intl."):
        return "Coding Plan (International)"
    if h.startswith("coding."):
        return "Coding Plan (China)"
    if h.startswith("token-plan."):
        return "Token Plan"
    if "dashscope-intl" in h:
        return "pay-as-you-go International (Singapore)"
    if "dashscope-us" in h:
        return "pay-as-you-go US (Virginia)"
    if "hongkong" in h:
        return "pay-as-you-go Hong Kong"
    if h.endswith("maas.aliyuncs.com"):
        return "workspace (pay-as-you-go)"
    if "dashscope" in h:
        return "pay-as-you-go China (Beijing)"
    return None


def region_hint(provider: str, host: str | None) -> str | None:
    """The sentence explaining that a 401 from a region/plan-bound provider may be a key for another host."""
    fam = family(provider, host)
    if fam == "qwen":
        label = dashscope_label(host) if host else None
        where = f"{host} is a {label} host" if label else f"{host or 'this host'} only accepts its own keys"
        return (
            f"The key may belong to another region or plan: {where}; Model Studio keys work only on their "
            "own region's hosts (China dashscope, International dashscope-intl, US dashscope-us, Hong Kong), "
            "and Coding/Token Plan keys (sk-sp-…) work only on the plan hosts while pay-as-you-go keys (sk-…) "
            "work only on the regular ones."
        )
    if fam == "moonshot":
        h = (host or "").lower()
        where = (
            f"{host} is the China platform"
            if h.endswith(".cn")
            else f"{host} is the global platform"
            if h.endswith(".ai")
            else f"{host or 'this host'} only accepts its own platform's keys"
        )
        return (
            f"The key may belong to another region or plan: {where}; keys from platform.moonshot.ai work "
            "only with api.moonshot.ai and keys from platform.moonshot.cn only with api.moonshot.cn "
            "(Kimi Code sk-kimi-… keys belong to the separate Kimi Code endpoint)."
        )
    return None


def billing_url(fam: str, host: str | None) -> str | None:
    if fam == "moonshot":
        return (
            "https://platform.moonshot.cn/console"
            if (host or "").endswith(".cn")
            else ("https://platform.moonshot.ai/console")
        )
    if fam == "qwen":
        h = (host or "").lower()
        return (
            "https://bailian.console.aliyun.com/"
            if h.startswith(("dashscope.", "coding.", "token-plan."))
            else ("https://modelstudio.console.alibabacloud.com/")
        )
    return _BILLING_URL.get(fam)
