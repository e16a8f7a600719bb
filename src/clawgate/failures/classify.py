"""The one failure classifier: upstream HTTP errors, in-band stream errors and network exceptions → Failure."""

from __future__ import annotations

import ast
import asyncio
import datetime
import email.utils
import errno
import math
import re
import socket
import ssl
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp
import orjson

from clawgate.failures import CODES, FALLBACK_CODES, NEXT_CREDENTIAL_CODES, Failure
from clawgate.failures import vocabulary as V
from clawgate.redaction import REDACTOR

__all__ = [
    "PROVIDER_MESSAGE_MAX",
    "classify_exception",
    "classify_http",
    "classify_stream_error",
    "extract_error_fields",
    "parse_retry_after",
    "region_hint",
]

PROVIDER_MESSAGE_MAX = 500  # Failure.provider_message is cut to this many characters
_SNIPPET_MAX = 200  # how much of the provider's message our own one-line message quotes

# Codes a plain retry of the same call may fix (x-should-retry overrides this for HTTP failures).
_RETRYABLE_CODES = frozenset(
    {
        "rate_limit.exceeded",
        "upstream.overloaded",
        "upstream.server_error",
        "upstream.stream_error",
        "upstream.stream_cut",
        "upstream.bad_response",
        "network.timeout",
        "network.connect",
        "network.reset",
    }
)

# --------------------------------------------------------------------------------------------------------
# Vocabulary: provider type/code/status/reason values (lower-cased) and last-resort message phrases.

_AUTH_KEYS = frozenset(
    {
        "invalid_api_key",
        "authentication_error",
        "invalid_authentication_error",
        "incorrect_api_key_error",
        "api_key_invalid",  # Gemini details[].reason
        "invalidapikey",  # DashScope native
        "unauthenticated",  # Google RPC status
        "authentication",  # OpenRouter metadata.error_type
    }
)
_BILLING_KEYS = frozenset(
    {
        "billing_disabled",
        "insufficient_quota",
        "billing_error",
        "arrearage",
        "exceeded_current_quota_error",
        "payment_required",
        "throttling.allocationquota",
        "billing_hard_limit_reached",
    }
)
_OVERLOAD_KEYS = frozenset(
    {
        "overloaded_error",
        "engine_overloaded_error",
        "server_is_overloaded",
        "service_unavailable_error",
        "unavailable_error",  # llama.cpp (model loading)
        "unavailable",  # Google RPC status
        "provider_overloaded",
        "provider_unavailable",
    }
)
_CONTEXT_KEYS = frozenset(
    {
        "context_length_exceeded",
        "exceed_context_size_error",
        "token_limit_exceeded",
        "context_window_exceeded",
    }
)
_RATE_KEYS = frozenset(
    {
        "rate_limit_exceeded",
        "rate_limit_error",
        "rate_limit_reached_error",
        "resource_exhausted",
        "throttling",
        "throttling.ratequota",
        "throttling.user",
        "capacity_exceeded",
        "too_many_requests",
    }
)
_MODEL_KEYS = frozenset({"model_not_found", "model_not_exist"})
_FORBIDDEN_KEYS = frozenset(
    {
        "organization_restricted",
        "permission_error",
        "permission_denied",
        "unsupported_country_region_territory",
        "request_forbidden",
        "content_policy_violation",
    }
)
_TOO_LARGE_KEYS = frozenset({"request_too_large", "payload_too_large"})
_INVALID_KEYS = frozenset(
    {
        "invalid_request_error",
        "invalid_request",
        "invalid_prompt",
        "invalid_parameter_error",
        "string_too_long",
        "unprocessable",
        "invalid_argument",
    }
)
# A `code` this generic says nothing (DeepSeek sends "invalid_request_error" for every error): key on `type`.
_GENERIC_CODES = frozenset({"invalid_request_error"})
# Further providers' documented vocabularies (failures/vocabulary.py).
_AUTH_KEYS |= V.AUTH_KEYS
_BILLING_KEYS |= V.BILLING_KEYS
_FORBIDDEN_KEYS |= V.FORBIDDEN_KEYS
_RATE_KEYS |= V.RATE_KEYS
_OVERLOAD_KEYS |= V.OVERLOAD_KEYS
_MODEL_KEYS |= V.MODEL_KEYS
_INVALID_KEYS |= V.INVALID_KEYS
_CONTEXT_KEYS |= V.CONTEXT_KEYS

_BILLING_PHRASES = (
    "credit balance is too low",
    "insufficient balance",
    "insufficient credits",
    "requires more credits",
    "allocated quota exceeded",
    "exceeded your current quota",
    "exceeded current quota",
    "account is in good standing",
    *V.BILLING_PHRASES,
)
_CONTEXT_PHRASES = (
    "exceeds the maximum number of tokens",
    "maximum context length",
    "prompt is too long",
    "range of input length",
    "exceeded model token limit",
    "exceeds the available context size",
    "context length exceeded",
    "context_length_exceeded",
    "context window",
    *V.CONTEXT_PHRASES,
)
_MODEL_RE = re.compile(
    r"is not a valid model|model not exist|model_not_found|not found the model|unknown model|no such model"
    r"|^model: |\bmodel\b.{0,120}?\b(?:does not exist|not found)",
    re.I,
)
_TPM_RE = re.compile(r"tokens per min(?:ute)?|\(TPM\)", re.I)

# --------------------------------------------------------------------------------------------------------
# Headers, retry hints


def _lower_headers(headers: Mapping[str, str] | Iterable[tuple[str, str]] | None) -> dict[str, str]:
    if not headers:
        return {}
    items = headers.items() if isinstance(headers, Mapping) else headers
    out: dict[str, str] = {}
    for k, v in items:
        out[str(k).lower()] = str(v)
    return out


def _finite(v: str) -> float | None:
    try:
        f = float(v)
    except ValueError:
        return None
    return f if math.isfinite(f) and f >= 0 else None


def parse_retry_after(headers: Mapping[str, str] | None, *, now: float | None = None) -> float | None:
    """Seconds to wait: `retry-after-ms` wins over `retry-after` (seconds or an HTTP date). None when absent."""
    h = _lower_headers(headers)
    ms = h.get("retry-after-ms")
    if ms:
        f = _finite(ms.strip())
        if f is not None:
            return f / 1000.0
    ra = h.get("retry-after")
    if not ra:
        return None
    ra = ra.strip()
    f = _finite(ra)
    if f is not None:
        return f
    try:
        when = email.utils.parsedate_to_datetime(ra)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    ts = when.timestamp() if when.tzinfo else when.replace(tzinfo=datetime.UTC).timestamp()
    return max(0.0, ts - (time.time() if now is None else now))


def _should_retry(h: dict[str, str]) -> bool | None:
    v = h.get("x-should-retry")
    if v is None:
        return None
    v = v.strip().lower()
    return True if v == "true" else False if v == "false" else None


_DUR_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|h|m|s)")
_RETRY_TEXT = re.compile(
    r"(?:try again|retry)\s+(?:in|after)\s+~?"
    r"(?:((?:\d+(?:\.\d+)?(?:ms|h|m|s))+)\b|(\d+(?:\.\d+)?)\s*(milliseconds?|ms|seconds?|secs?|s|minutes?|mins?)\b)",
    re.I,
)
_UNIT = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}


def _go_duration(text: str) -> float | None:
    """`1.574s`, `6m0s`, `12ms`, `2m59.56s` → seconds."""
    total = 0.0
    end = 0
    for m in _DUR_PART.finditer(text):
        if m.start() != end:
            return None
        total += float(m.group(1)) * _UNIT[m.group(2)]
        end = m.end()
    return total if end and end == len(text) else None


def _retry_from_text(text: str | None) -> float | None:
    if not text:
        return None
    m = _RETRY_TEXT.search(text)
    if not m:
        return None
    if m.group(1):
        return _go_duration(m.group(1).lower())
    n = float(m.group(2))
    unit = m.group(3).lower()
    if unit == "ms" or unit.startswith("milli"):
        return n / 1000.0
    if unit.startswith("min"):
        return n * 60.0
    return n


def _retry_from_ratelimit_headers(h: dict[str, str]) -> float | None:
    """OpenAI/Groq `x-ratelimit-reset-*` durations for whichever window is exhausted."""
    best: float | None = None
    for dim in ("requests", "tokens"):
        if h.get(f"x-ratelimit-remaining-{dim}", "").strip() == "0":
            reset = h.get(f"x-ratelimit-reset-{dim}")
            d = _go_duration(reset.strip().lower()) if reset else None
            if d is not None and (best is None or d > best):
                best = d
    return best


# --------------------------------------------------------------------------------------------------------
# Error bodies


@dataclass(slots=True)
class _Info:
    """Everything an error body can tell, whatever its envelope."""

    message: str | None = None
    type: str | None = None
    code: str | None = None  # string code (OpenAI, DashScope, Responses)
    num: int | None = None  # integer code (OpenRouter, vLLM, llama.cpp, Google RPC)
    status: str | None = None  # Google RPC status, e.g. RESOURCE_EXHAUSTED
    reason: str | None = None  # Google ErrorInfo reason, e.g. API_KEY_INVALID
    meta_type: str | None = None  # OpenRouter metadata.error_type / error.error_type
    upstream_raw: str | None = None  # OpenRouter metadata.raw: the upstream provider's own error
    request_id: str | None = None
    retry_delay: float | None = None  # Google RetryInfo.retryDelay
    n_prompt: int | None = None  # llama.cpp n_prompt_tokens
    n_ctx: int | None = None  # llama.cpp n_ctx
    structured: bool = False  # the body was a recognisable (JSON-ish) error object
    empty: bool = False
    html: bool = False

    def keys(self) -> frozenset[str]:
        return frozenset(
            v.lower() for v in (self.type, self.code, self.status, self.reason, self.meta_type) if v
        )

    def label(self) -> str | None:
        """The provider's most specific error type/code string."""
        if self.reason:
            return self.reason
        if self.meta_type:
            return self.meta_type
        if self.code and self.code not in _GENERIC_CODES:
            return self.code
        return self.type or self.status or self.code or (str(self.num) if self.num is not None else None)


def _s(v: Any) -> str | None:
    return v if isinstance(v, str) and v else None


def _int(v: Any) -> int | None:
    return v if isinstance(v, int) and not isinstance(v, bool) else None


def _info_from_obj(obj: Any) -> _Info:
    info = _Info(structured=True)
    if isinstance(obj, list):  # Gemini wraps Google RPC errors in an array
        obj = next((x for x in obj if isinstance(x, dict)), None)
    if isinstance(obj, str):
        info.message = obj or None
        return info
    if not isinstance(obj, dict):
        info.structured = False
        return info
    err = obj.get("error")
    aws = obj.get("Error")  # AWS query/botocore shape {"Error": {"Code": …, "Message": …}}
    if err is None and isinstance(aws, dict):
        err = {"type": aws.get("Code"), "message": aws.get("Message")}
    elif err is None and isinstance(obj.get("__type"), str):  # AWS JSON protocol {"__type": "ns#Code"}
        err = {"type": obj["__type"].rsplit("#", 1)[-1], "message": obj.get("message") or obj.get("Message")}
    src: dict[str, Any] | None
    if isinstance(err, dict):
        src = err
    elif isinstance(err, str) and err:
        info.message = err  # vLLM {"error":"Unauthorized"}, Ollama native, Coding Plan 405
        src = None
        if _s(obj.get("message")):  # Spring-style {"error":"Not Found","message":"…"}
            info.message = f"{err}: {obj['message']}"
    else:
        src = obj  # flat: DashScope native, vLLM `object: error`, Responses `type: error`
    if src is not None:
        msg = src.get("message")
        if not isinstance(msg, str):
            detail = src.get("detail") if src.get("detail") is not None else src.get("msg")
            if isinstance(detail, list) and detail and isinstance(detail[0], dict):
                detail = detail[0].get("msg")
            msg = detail if isinstance(detail, str) else None
        info.message = msg or info.message
        t = _s(src.get("type"))
        info.type = t if t != "error" else None
        code = src.get("code")
        if _int(code) is not None:
            info.num = code
        elif isinstance(code, str) and code:
            info.code = code
            if code.isdigit() and len(code) == 3:
                info.num = int(code)
        info.status = _s(src.get("status"))
        details = src.get("details")
        if isinstance(details, list):
            for d in details:
                if isinstance(d, dict):
                    info.reason = info.reason or _s(d.get("reason"))
                    delay = _s(d.get("retryDelay"))
                    if delay:
                        info.retry_delay = _go_duration(delay.lower())
        md = src.get("metadata")
        if isinstance(md, dict):
            info.meta_type = _s(md.get("error_type"))
            raw = md.get("raw")
            if isinstance(raw, str | dict | list) and raw:
                info.upstream_raw = raw if isinstance(raw, str) else orjson.dumps(raw).decode()
        info.meta_type = info.meta_type or _s(src.get("error_type"))
        info.n_prompt = _int(src.get("n_prompt_tokens"))
        info.n_ctx = _int(src.get("n_ctx"))
        info.request_id = _s(src.get("request_id"))
    info.request_id = _s(obj.get("request_id")) or info.request_id
    return info


_FIELD_RE = {
    f: re.compile(rf'"{f}"\s*:\s*("(?:[^"\\]|\\.)*"|-?\d+)')
    for f in ("message", "type", "code", "status", "reason", "error_type", "request_id")
}
_TITLE_RE = re.compile(r"<title[^>]*>(.*?)</title>", re.I | re.S)
_TAG_RE = re.compile(r"<[^>]+>")
_WS_RE = re.compile(r"\s+")


def _lenient(text: str) -> _Info | None:
    """Pull the usual fields out of truncated or elided JSON (`…` placeholders, cut-off bodies)."""
    found: dict[str, Any] = {}
    for name, rx in _FIELD_RE.items():
        m = rx.search(text)
        if m:
            try:
                found[name] = orjson.loads(m.group(1))
            except orjson.JSONDecodeError:
                found[name] = m.group(1).strip('"')
    if not found:
        return None
    info = _info_from_obj(found)
    info.meta_type = _s(found.get("error_type"))
    info.reason = _s(found.get("reason"))
    return info


def _parse_nonjson(b: bytes) -> _Info:
    text = b.decode("utf-8", "replace")
    if text.startswith(("data:", "event:")):  # an SSE-framed error body
        for line in text.splitlines():
            if line.startswith("data:"):
                try:
                    return _info_from_obj(orjson.loads(line[5:].strip()))
                except orjson.JSONDecodeError:
                    break
    if text[:1] in "{[":
        if len(text) <= 20_000:
            try:  # a Python-literal dict, as printed by SDKs (single quotes, None)
                obj = ast.literal_eval(text)
            except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
                obj = None
            if isinstance(obj, dict | list):
                return _info_from_obj(obj)
        info = _lenient(text[:100_000])
        if info is not None:
            return info
    info = _Info()
    lowered = text[:512].lower()
    if "<html" in lowered or "<!doctype" in lowered or "<head" in lowered or "<body" in lowered:
        info.html = True
        m = _TITLE_RE.search(text)
        text = m.group(1) if m and m.group(1).strip() else _TAG_RE.sub(" ", text)
    info.message = _WS_RE.sub(" ", text).strip()[:PROVIDER_MESSAGE_MAX] or None
    return info


def _parse_body(body: bytes | bytearray | memoryview | str | None) -> _Info:
    if body is None:
        return _Info(empty=True)
    b = body.encode("utf-8", "replace") if isinstance(body, str) else bytes(body)
    b = b.strip()  # DeepSeek under load sends blank lines before the JSON
    if b.startswith(b"\xef\xbb\xbf"):
        b = b[3:].lstrip()
    if not b:
        return _Info(empty=True)
    try:
        obj = orjson.loads(b)
    except orjson.JSONDecodeError:
        return _parse_nonjson(b)
    if isinstance(obj, dict | list | str):
        return _info_from_obj(obj)
    return _Info(message=b.decode("utf-8", "replace")[:PROVIDER_MESSAGE_MAX])


def extract_error_fields(body: bytes | str | None) -> tuple[str | None, str | None, str | None]:
    """(message, type_or_code, request_id) from any provider's error body; never raises."""
    try:
        info = _parse_body(body)
    except Exception:  # malformed input must never break error handling
        return None, None, None
    return info.message, info.label(), info.request_id


# --------------------------------------------------------------------------------------------------------
# Providers and hosts

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
_LOCAL = frozenset({"ollama", "vllm", "llamacpp", "lmstudio"})

_BILLING_URL = {
    "openai": "https://platform.openai.com/settings/organization/billing",
    "anthropic": "https://console.anthropic.com/settings/billing",
    "openrouter": "https://openrouter.ai/settings/credits",
    "deepseek": "https://platform.deepseek.com/top_up",
    "groq": "https://console.groq.com/settings/billing",
    "gemini": "https://aistudio.google.com/",
}


def _family(provider: str, host: str | None) -> str:
    """clawgate's provider id, or for a custom id the known provider its host belongs to."""
    if provider in _KNOWN:
        return provider
    h = (host or "").lower()
    for needle, fam in _HOST_FAMILY:
        if needle in h:
            return fam
    return provider


def _dashscope_label(host: str) -> str | None:
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
    fam = _family(provider, host)
    if fam == "qwen":
        label = _dashscope_label(host) if host else None
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


def _billing_url(fam: str, host: str | None) -> str | None:
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


_ENDPOINT = {
    "openai-completions": "/chat/completions",
    "openai-responses": "/responses",
    "anthropic-messages": "/v1/messages",
}

# --------------------------------------------------------------------------------------------------------
# Decision


@dataclass(slots=True)
class _Verdict:
    code: str
    what: str  # verb phrase after "<provider (host)>"
    extra: str | None = None  # a further sentence (sizes, hints)
    retryable: bool | None = None  # override of the per-code default


def _sizes(info: _Info, text: str) -> tuple[int | None, int | None]:
    """(limit, requested) token counts from a context-overflow message."""
    if info.n_ctx or info.n_prompt:
        return info.n_ctx, info.n_prompt
    pats = (
        (r"maximum context length is (\d+) tokens.*?(?:resulted in|requested) (\d+) tokens", 1, 2),
        (r"prompt is too long: (\d+) tokens > (\d+) maximum", 2, 1),
        (r"exceeded model token limit: (\d+) \(requested: (\d+)\)", 1, 2),
        (r"request \((\d+) tokens\) exceeds the available context size \((\d+) tokens\)", 2, 1),
        (r"range of input length should be \[\d+, (\d+)\]", 1, 0),
    )
    for pat, li, ri in pats:
        m = re.search(pat, text, re.I | re.S)
        if m:
            return int(m.group(li)), (int(m.group(ri)) if ri else None)
    return None, None


def _tpm_sizes(text: str) -> tuple[int | None, int | None]:
    m = re.search(r"Limit (\d+)(?:, Used \d+)?, Requested ~?(\d+)", text)
    return (int(m.group(1)), int(m.group(2))) if m else (None, None)


def _decide(status: int | None, info: _Info, fam: str, api: str, *, in_band: bool) -> _Verdict:
    keys = info.keys()
    text = " ".join(t for t in (info.message, info.upstream_raw) if t)
    low = text.lower()

    if status == 401 or keys & _AUTH_KEYS or any(p in low for p in V.AUTH_PHRASES):
        return _Verdict("auth.rejected", "rejected the API key")
    if status == 403 and fam == "gemini" and "unregistered callers" in low:
        # Google answers a request without any API key with 403 PERMISSION_DENIED "unregistered callers"
        return _Verdict(
            "auth.rejected", "received no usable API key (PERMISSION_DENIED: unregistered caller)"
        )
    if status == 402 or keys & _BILLING_KEYS:
        return _Verdict(
            "access.billing", "refused the request because the account's credit or quota is used up"
        )
    if keys & _OVERLOAD_KEYS:
        return _Verdict("upstream.overloaded", "is overloaded")
    if keys & _CONTEXT_KEYS:
        return _context(info, text)
    # Groq/OpenAI "Request too large for model … on tokens per minute (TPM)": a tier's TPM limit, also when
    # the text quoted lacks its status (413 at Groq, console.groq.com/docs/errors)
    tpm_too_large = status is None and "request too large" in low and _TPM_RE.search(text)
    if status == 413 or keys & _TOO_LARGE_KEYS or tpm_too_large:
        if _TPM_RE.search(text) or keys & {"rate_limit_exceeded", "tokens"}:
            lim, req = _tpm_sizes(text)
            sizes = f" (requested {req} tokens, limit {lim} per minute)" if lim and req else ""
            return _Verdict(
                "rate_limit.exceeded",
                "rejected the request because it alone is larger than the tokens-per-minute limit",
                f"Waiting will not help{sizes}: shorten the request or use a model or tier with a higher limit.",
                retryable=False,
            )
        return _Verdict("request.too_large", "rejected the request as too large")
    if keys & _RATE_KEYS:
        return _Verdict("rate_limit.exceeded", "rate-limited the request")
    # Google's 429 RESOURCE_EXHAUSTED is a rate/quota-tier limit ("You exceeded your current quota" there is
    # not OpenAI's billing insufficient_quota); used-up prepaid credit is its 402 (ai.google.dev api-errors)
    google_429 = fam == "gemini" and status == 429
    if any(p in low for p in _BILLING_PHRASES) and not google_429:
        return _Verdict(
            "access.billing", "refused the request because the account's credit or quota is used up"
        )
    if any(p in low for p in _CONTEXT_PHRASES):
        return _context(info, text)
    if any(p in low for p in V.FORBIDDEN_PHRASES):
        return _Verdict("access.forbidden", "denied access to this account, region or model")
    if status in (None, 429) and any(p in low for p in V.RATE_PHRASES):
        return _Verdict("rate_limit.exceeded", "rate-limited the request")
    if status in (429, 498):
        if "overload" in low:
            return _Verdict("upstream.overloaded", "is overloaded")
        return _Verdict("rate_limit.exceeded", "rate-limited the request")
    if status in (None, 400, 404, 422) and (
        keys & _MODEL_KEYS
        or (info.message and _MODEL_RE.search(info.message))
        or any(p in low for p in V.MODEL_PHRASES)
        or (status == 404 and "not_found" in keys and (fam == "gemini" or info.status))
    ):
        return _Verdict("model.unknown", "does not know the requested model")
    if status == 403 or keys & _FORBIDDEN_KEYS or "location is not supported" in low:
        return _Verdict("access.forbidden", "denied access to this account, region or model")
    if any(p in low for p in V.UNSUPPORTED_PHRASES):
        return _Verdict("request.invalid", "does not support a feature this request uses")
    if (status is None or 400 <= status < 500) and any(p in low for p in V.API_MISMATCH_PHRASES):
        return _Verdict("provider.api_mismatch", "does not serve the endpoint that was called")
    if keys & V.SERVER_KEYS:
        return _Verdict("upstream.server_error", "had a server error")
    if status in (404, 405, 501):
        endpoint = _ENDPOINT.get(api)
        calls = f" (which calls {endpoint})" if endpoint else ""
        extra = f"The adapter `{api}`{calls} is probably wrong for this provider/host."
        if api == "openai-completions":  # already the most widely served adapter: the path is the suspect
            extra = (
                f"The adapter is already `{api}`{calls}: the base URL's path is probably wrong for this host "
                "(a missing /v1?)."
            )
        if "coding agent" in low:
            extra += (
                " The Coding Plan serves only coding-agent clients: use a pay-as-you-go host and key here."
            )
        return _Verdict("provider.api_mismatch", "does not serve the endpoint that was called", extra)
    if status == 407:
        return _Verdict(
            "network.connect",
            "could not be reached because a proxy in between requires authentication",
        )
    if status in (503, 529) or (status is not None and status >= 500 and "overload" in low):
        return _Verdict("upstream.overloaded", "is overloaded or temporarily unavailable")
    if status is not None and status >= 500:
        if in_band:
            return _Verdict("upstream.stream_error", "reported a server error in the middle of the stream")
        return _Verdict("upstream.server_error", "had a server error")
    if status == 408:
        return _Verdict("upstream.server_error", "timed out the request on its side", retryable=True)
    if in_band:
        if keys & _INVALID_KEYS or (status is not None and 400 <= status < 500):
            return _Verdict("request.invalid", "rejected the request in the middle of the stream")
        return _Verdict("upstream.stream_error", "reported an error in the middle of the stream")
    if status is not None and 400 <= status < 500:
        return _Verdict("request.invalid", "rejected the request as invalid", retryable=status == 409 or None)
    typed = {v.lower() for v in (info.type, info.status, info.reason) if v}
    if status is None and (typed | (keys - _GENERIC_CODES)) & _INVALID_KEYS:
        return _Verdict("request.invalid", "rejected the request as invalid")
    return _Verdict("upstream.bad_response", "answered with an unexpected error response")


def _context(info: _Info, text: str) -> _Verdict:
    lim, req = _sizes(info, text)
    if lim and req:
        extra = f"The request needs {req} tokens but the model's limit is {lim}."
    elif lim:
        extra = f"The model's limit is {lim} tokens."
    else:
        extra = None
    return _Verdict(
        "context.exceeded", "rejected the request as longer than the model's context window", extra
    )


# --------------------------------------------------------------------------------------------------------
# Building the Failure


def _who(provider: str, host: str | None) -> str:
    return f"{provider} ({host})" if host and host != provider else provider


def _clean(text: str | None, limit: int) -> str | None:
    if not text:
        return None
    text = REDACTOR.redact(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _snippet(text: str | None) -> str | None:
    if not text:
        return None
    one = _WS_RE.sub(" ", text).strip()
    return _clean(one, _SNIPPET_MAX)


def _next_steps(
    code: str, provider: str, fam: str, host: str | None, model: str | None, retry_after: float | None
) -> list[str]:
    p = provider
    probe = f"clawgate models status --probe --probe-provider {p}"
    if code in ("auth.rejected", "auth.region_mismatch"):
        steps = [probe, f"clawgate auth add {p}"]
        if fam in ("qwen", "moonshot"):
            steps.insert(0, f"clawgate config get models.providers.{p}.baseUrl")
        return steps
    if code == "access.billing":
        url = _billing_url(fam, host)
        return [f"add credit or raise the quota: {url}" if url else f"check {p}'s billing page", probe]
    if code == "access.forbidden":
        return [f"check that the {p} account may use this model from this region", probe]
    if code == "rate_limit.exceeded":
        wait = f"wait {retry_after:g}s and retry" if retry_after is not None else "wait and retry"
        return [wait, "clawgate health list"]
    if code in (
        "upstream.overloaded",
        "upstream.server_error",
        "upstream.stream_error",
        "upstream.bad_response",
    ):
        return ["retry later or let a fallback model take over", "clawgate health list"]
    if code == "context.exceeded":
        return [
            "shorten the conversation or start a new session",
            f"pick a larger-context model: clawgate models list --provider {p}",
        ]
    if code == "model.unknown":
        return [f"clawgate models list --provider {p}"]
    if code == "provider.api_mismatch":
        return [
            f"clawgate config set models.providers.{p}.api openai-completions",
            f"clawgate config get models.providers.{p}.baseUrl",
        ]

    if code == "request.too_large":
        return ["send less (fewer or smaller attachments and images)"]
    if code == "request.invalid":
        return ["check the request's parameters against the provider's API", probe]
    if code.startswith("network."):
        steps = ["clawgate doctor", "check HTTPS_PROXY / HTTP_PROXY / NO_PROXY in the gateway's environment"]
        if code == "network.dns":
            steps.insert(1, f"clawgate config get models.providers.{p}.baseUrl")
        elif code == "network.tls":
            steps.append("check SSL_CERT_FILE and any TLS-intercepting proxy")
        elif code == "network.connect" and fam in _LOCAL:
            steps.insert(
                0, "ollama serve" if fam == "ollama" else f"start the local {p} server and check its port"
            )
        return steps
    if code == "upstream.stream_cut":
        return ["retry the request", "clawgate health list"]
    return [probe]


def _failure(
    code: str,
    message: str,
    *,
    provider: str,
    host: str | None,
    model: str | None,
    fam: str,
    retryable: bool | None = None,
    **kw: Any,
) -> Failure:
    f = Failure(
        owner=CODES[code],
        code=code,
        message=message,
        retryable=(code in _RETRYABLE_CODES) if retryable is None else retryable,
        provider=provider,
        host=host,
        model=model,
        try_next_credential=code in NEXT_CREDENTIAL_CODES,
        try_fallback=code in FALLBACK_CODES,
        **kw,
    )
    f.next_steps = _next_steps(code, provider, fam, host, model, f.retry_after)
    return f


def _from_info(
    info: _Info,
    status: int | None,
    h: dict[str, str],
    *,
    provider: str,
    api: str,
    host: str | None,
    model: str | None,
    in_band: bool,
) -> Failure:
    fam = _family(provider, host)
    pseudo = info.num if in_band and info.num is not None and 400 <= info.num < 600 else None
    v = _decide(status if not in_band else pseudo, info, fam, api, in_band=in_band)
    code = v.code
    ptype = info.label()

    # Why: the provider's type and a quote of its message (redacted, one line).
    if in_band:
        where = f"in-stream error {ptype}" if ptype else "in-stream error"
    else:
        where = f"HTTP {status} {ptype}" if ptype and ptype != str(status) else f"HTTP {status}"
        if info.empty:
            where += ", empty body"
        elif info.html:
            where += ", HTML body, likely from a proxy in front of the provider"
    quote = _snippet(info.message)
    parts = [f"{_who(provider, host)} {v.what} ({where})" + (f": {quote}" if quote else "")]
    if code == "model.unknown" and model:
        parts[0] = parts[0].replace("the requested model", f"the model {model!r}", 1)
    if v.extra:
        parts.append(v.extra)
    if code == "auth.rejected":
        hint = region_hint(provider, host)
        if hint:
            parts.append(hint)

    retry_after: float | None = None
    if code in ("rate_limit.exceeded", "upstream.overloaded", "upstream.server_error", "access.billing"):
        retry_after = parse_retry_after(h)
        if retry_after is None and code != "access.billing":
            retry_after = (
                info.retry_delay
                if info.retry_delay is not None
                else _retry_from_text(info.message) or _retry_from_ratelimit_headers(h)
            )
    if code == "rate_limit.exceeded" and retry_after is not None and v.retryable is not False:
        parts.append(f"Retry after {retry_after:g}s.")

    retryable = v.retryable
    should = _should_retry(h)
    if should is not None and not in_band:
        retryable = should

    message = " ".join(p if p.endswith((".", "…", "?", "!")) else p + "." for p in parts)
    f = _failure(
        code,
        message,
        provider=provider,
        host=host,
        model=model,
        fam=fam,
        retryable=retryable,
        retry_after=retry_after,
        status=None if in_band else status,
        provider_message=_clean(info.message, PROVIDER_MESSAGE_MAX),
        provider_type=ptype,
        request_id=info.request_id or h.get("x-request-id") or h.get("request-id"),
        should_retry_header=should,
    )
    if code == "provider.api_mismatch" and api == "openai-completions":
        f.next_steps = [  # the adapter is already the common one: point at the base URL, not the adapter
            f"clawgate doctor   # checks {provider}'s baseUrl against every known host",
            f"clawgate config get models.providers.{provider}.baseUrl",
        ]
    return f


def classify_http(
    status: int,
    headers: Mapping[str, str] | None,
    body: bytes | str | None,
    *,
    provider: str,
    api: str,
    host: str | None = None,
    model: str | None = None,
) -> Failure:
    """Classify a non-2xx upstream response (status, headers in any case, raw body) into a Failure."""
    h = _lower_headers(headers)
    try:
        info = _parse_body(body)
    except Exception:  # never let a malformed body break error handling
        info = _Info()
    return _from_info(info, status, h, provider=provider, api=api, host=host, model=model, in_band=False)


def classify_stream_error(
    obj: dict[str, Any] | list[Any],
    *,
    event: str | None,
    provider: str,
    api: str,
    host: str | None = None,
    model: str | None = None,
) -> Failure | None:
    """A Failure when a parsed SSE `data` object (with its `event:` name) is an in-band error, else None.

    Cheap on the normal path: a few dict lookups per chunk.
    """
    if type(obj) is list:
        obj = next((x for x in obj if isinstance(x, dict)), None)  # type: ignore[assignment]
        if obj is None or "error" not in obj:
            return None
    if not isinstance(obj, dict):
        if event != "error":
            return None
        info = _Info(message=str(obj) if obj else None)
    else:
        err = obj.get("error")
        kind = obj.get("type")
        if (err is not None and err != "" and err is not False) or kind == "error" or event == "error":
            info = _info_from_obj(obj)
        elif kind == "response.failed" or event == "response.failed":
            resp = obj.get("response")
            e = resp.get("error") if isinstance(resp, dict) else None
            info = _info_from_obj({"error": e}) if isinstance(e, dict) else _Info()
            if not info.message:
                info.message = "the response failed"
        else:
            choices = obj.get("choices")
            if not choices or type(choices) is not list:
                return None
            for choice in choices:
                if isinstance(choice, dict) and choice.get("finish_reason") == "error":
                    e = choice.get("error")
                    info = _info_from_obj({"error": e}) if isinstance(e, dict) else _Info()
                    if not info.message:
                        info.message = "the generation ended with finish_reason error"
                    break
            else:
                return None
    return _from_info(info, None, {}, provider=provider, api=api, host=host, model=model, in_band=True)


# --------------------------------------------------------------------------------------------------------
# Network exceptions

_TIMEOUT_WHAT = {
    "connect": "did not accept a connection before the connect timeout fired",
    "first_byte": "sent no response before the first-byte timeout fired",
    "idle": "sent nothing for longer than the stream idle timeout",
    "total": "did not finish before the total request timeout fired",
}
_BEFORE_RESPONSE = frozenset({"connect", "first_byte", "request", "send"})
_RESET_ERRNOS = frozenset({errno.ECONNRESET, errno.EPIPE, errno.ECONNABORTED})
_UNREACHABLE_ERRNOS = frozenset({errno.ENETUNREACH, errno.EHOSTUNREACH, errno.EADDRNOTAVAIL})


def _exc_text(exc: BaseException) -> str:
    inner = getattr(exc, "os_error", None)
    text = str(inner) if inner is not None else str(exc)
    text = _snippet(text) or ""
    return text or type(exc).__name__


def classify_exception(
    exc: BaseException, *, provider: str, host: str | None, phase: str, model: str | None = None
) -> Failure:
    """Classify an aiohttp/asyncio failure while calling a provider.

    `phase` is where it happened: "connect", "first_byte" (waiting for the response), "idle" (between
    stream chunks), "total", or "stream"/"body" (reading the response body).
    """
    fam = _family(provider, host)
    who = _who(provider, host)
    detail = _exc_text(exc)
    kw: dict[str, Any] = {"provider": provider, "host": host, "model": model, "fam": fam}
    os_err: BaseException | None = (
        getattr(exc, "os_error", None) if isinstance(exc, aiohttp.ClientOSError) else None
    )
    cause = os_err or exc
    in_stream = phase not in _BEFORE_RESPONSE and phase != "total"

    if isinstance(exc, asyncio.CancelledError):
        return _failure("runtime.cancelled", f"The call to {who} was cancelled.", **kw)
    if isinstance(exc, aiohttp.ClientConnectorDNSError) or isinstance(cause, socket.gaierror):
        return _failure(
            "network.dns",
            f"Could not resolve the host name {host or '(unknown)'} for {provider} (DNS): {detail}.",
            **kw,
        )
    if isinstance(exc, aiohttp.ClientSSLError | aiohttp.ServerFingerprintMismatch) or isinstance(
        cause, ssl.SSLError
    ):
        cert = isinstance(cause, ssl.SSLCertVerificationError) or isinstance(
            exc, aiohttp.ClientConnectorCertificateError
        )
        what = "its TLS certificate could not be verified" if cert else "the TLS handshake failed"
        return _failure("network.tls", f"Could not reach {who} securely: {what} ({detail}).", **kw)
    if isinstance(exc, aiohttp.ClientProxyConnectionError | aiohttp.ClientHttpProxyError):
        return _failure(
            "network.connect", f"Could not reach {who} through the configured proxy: {detail}.", **kw
        )
    if isinstance(exc, TimeoutError):  # asyncio.TimeoutError and aiohttp's ServerTimeoutError family
        which = phase if phase in _TIMEOUT_WHAT else "total"
        if isinstance(exc, aiohttp.ConnectionTimeoutError):
            which = "connect"
        elif isinstance(exc, aiohttp.SocketTimeoutError) and which not in ("first_byte", "idle"):
            which = "idle" if in_stream else "first_byte"
        return _failure(
            "network.timeout",
            f"{who} {_TIMEOUT_WHAT[which]} ({which} timeout).",
            **kw,
        )
    if isinstance(exc, aiohttp.ClientPayloadError) or (
        isinstance(exc, aiohttp.ServerDisconnectedError) and phase not in _BEFORE_RESPONSE
    ):
        return _failure(
            "upstream.stream_cut",
            f"{who} cut the response off before it was complete ({detail}).",
            **kw,
        )
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return _failure("network.reset", f"{who} closed the connection before answering ({detail}).", **kw)
    err_no = getattr(cause, "errno", None)
    if isinstance(cause, ConnectionRefusedError) or err_no == errno.ECONNREFUSED:
        extra = " — is the local server running?" if fam in _LOCAL else ""
        return _failure("network.connect", f"{who} refused the connection{extra} ({detail}).", **kw)
    if (
        isinstance(cause, ConnectionResetError | BrokenPipeError | ConnectionAbortedError)
        or err_no in _RESET_ERRNOS
    ):
        if in_stream:
            return _failure(
                "upstream.stream_cut",
                f"{who} reset the connection in the middle of the response ({detail}).",
                **kw,
            )
        return _failure("network.reset", f"{who} reset the connection ({detail}).", **kw)
    if err_no in _UNREACHABLE_ERRNOS:
        return _failure("network.connect", f"{who} is unreachable from this machine ({detail}).", **kw)
    if isinstance(exc, aiohttp.InvalidURL):
        return _failure(
            "config.invalid_value", f"The base URL for {provider} is not a valid URL ({detail}).", **kw
        )
    if isinstance(exc, aiohttp.ClientConnectionError | OSError):
        return _failure("network.connect", f"Could not connect to {who} ({detail}).", **kw)
    if isinstance(exc, aiohttp.ClientError):
        return _failure(
            "upstream.bad_response", f"{who} sent a response clawgate could not read ({detail}).", **kw
        )
    return _failure(
        "runtime.internal",
        f"The call to {who} failed inside clawgate ({type(exc).__name__}: {detail}).",
        **kw,
    )
