"""`explain`: classify a pasted error (provider body, clawgate error, another gateway's log line) and check its causes.

Provider bodies go through the one classifier (`clawgate.providers.classify`); this module only finds the
status, the body, the provider and the host in the pasted text. Text without a provider body is matched
against a small phrase table that maps onto the same owners and codes. With a snapshot of the local setup,
each likely cause is checked against what the resolver would really do (`holds` true / false / null).
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from clawgate.failures import OWNERS, Failure
from clawgate.presets import PRESETS, PRESETS_BY_ID, canonical_provider_id
from clawgate.providers.classify import (
    classify_http,
    classify_stream_error,
    extract_error_fields,
    region_hint,
)

__all__ = [
    "Cause",
    "Explanation",
    "check_causes",
    "classify_text",
    "detect_provider",
    "explain",
    "local_provider",
]


@dataclass
class Cause:
    """One likely cause; `holds` is True/False when the local setup answers it, None when it cannot."""

    id: str
    cause: str
    holds: bool | None = None
    evidence: str | None = None
    next_steps: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "cause": self.cause, "holds": self.holds, "evidence": self.evidence}


@dataclass
class Explanation:
    """What the pasted text says: the failing layer, its code, the causes to check and the next commands."""

    owner: str
    code: str
    message: str
    provider: str | None = None
    provider_from: str | None = None  # "--provider" | "text" | a guess from the agent's plan
    status: int | None = None
    via: str = ""  # how it was recognised: provider body, stream error, clawgate error, phrase, status
    host: str | None = None
    model: str | None = None
    detail: str | None = None  # e.g. the missing-vs-rejected kind of an auth failure, a cooldown's reason
    causes: list[Cause] = field(default_factory=list)
    next_steps: list[str] = field(default_factory=list)
    checked: dict[str, Any] | None = None  # {"config", "agent"} when causes were checked

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "owner": self.owner,
            "code": self.code,
            "provider": self.provider,
            "message": self.message,
            "causes": [c.to_json() for c in self.causes],
            "next": list(self.next_steps),
            "status": self.status,
            "via": self.via,
            "provider_from": self.provider_from,
        }
        if self.checked:
            out["checked"] = self.checked
        return out


# ------------------------------------------------------------------------------------------------ text


MAX_TEXT = 200_000  # a pasted log is read up to here: the first failure is the one that matters
_MAX_BODY_STARTS = 400  # "{" / "[" positions tried as the start of a JSON error body

_HTTP_STATUS = (
    re.compile(r"\bHTTP(?:/\d(?:\.\d)?)?[\s:]+([1-5]\d\d)\b", re.I),
    re.compile(r"\bstatus(?:[ _-]?code)?\s*[=:]\s*([1-5]\d\d)\b", re.I),
    re.compile(r"(?:^|[\s:=(\[])([45]\d\d)(?=[ \t]*[:\-]?[ \t]+[A-Za-z\"'{\[]|\s*$)", re.M),
)
_SSE_DATA = re.compile(r"(?:^|\s)data:\s*([\[{].*)$")
_SSE_EVENT = re.compile(r"(?:^|\s)event:\s*([\w.]+)")
_URL_HOST = re.compile(r"https?://([A-Za-z0-9.\-]+(?::\d+)?)", re.I)
_LOG_PROVIDER = re.compile(r"(?<![\"'\w])provider\s*[=:]\s*\"?([A-Za-z][\w.\-]*)")
_LOG_MODEL = re.compile(r"(?<![\"'\w])model\s*[=:]\s*\"?([\w.:/\-]+)")


@dataclass
class _Parsed:
    text: str
    status: int | None = None
    status_end: int = 0  # where the status match ended (the body of a plain-text line follows)
    body: str | None = None  # the JSON-ish error body, as pasted
    obj: Any = None  # the body parsed (JSON or a Python literal), when it parses
    sse: list[tuple[str | None, Any]] = field(default_factory=list)  # (event, parsed data)
    hosts: list[str] = field(default_factory=list)


def _find_status(text: str) -> tuple[int | None, int]:
    best: tuple[int, int, int] | None = None  # (position, status, end)
    for rx in _HTTP_STATUS:
        m = rx.search(text)
        if m and (best is None or m.start() < best[0]):
            best = (m.start(), int(m.group(1)), m.end())
    return (best[1], best[2]) if best else (None, 0)


def _looks_like_error(obj: Any) -> bool:
    if isinstance(obj, list):
        return any(_looks_like_error(x) for x in obj[:3])
    if not isinstance(obj, dict):
        return False
    return bool({"error", "message", "code", "type", "detail"} & obj.keys())


def _find_body(text: str) -> tuple[str | None, Any]:
    """The first JSON (or Python-literal) error object in the text, as (raw text, parsed or None)."""
    decoder = json.JSONDecoder()
    for n, m in enumerate(re.finditer(r"[{\[]", text)):
        if n >= _MAX_BODY_STARTS:
            break
        start = m.start()
        if text[start] == "[" and not re.match(r"\[\s*[{\[]", text[start : start + 64]):
            continue  # "[agent/embedded]" and other log tags
        try:
            obj, end = decoder.raw_decode(text, start)
        except (ValueError, RecursionError):
            continue
        if _looks_like_error(obj):
            return text[start:end], obj
    # Not strict JSON: a Python dict as printed by an SDK, or a body with elisions ("…") — hand the span to
    # the classifier, whose parser is lenient.
    begin = next((m.start() for m in re.finditer(r"\{|\[\s*\{", text)), None)
    if begin is None:
        return None, None
    end = max(text.rfind("}"), text.rfind("]"))
    if end <= begin:
        return None, None
    raw = text[begin : end + 1]
    if not re.search(r"""["'](?:error|message|code|type)["']\s*:""", raw):
        return None, None
    try:
        obj = ast.literal_eval(raw) if len(raw) <= 20_000 else None
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        obj = None
    return raw, obj


def _find_sse(text: str) -> list[tuple[str | None, Any]]:
    out: list[tuple[str | None, Any]] = []
    event: str | None = None
    for line in text.splitlines():
        em = _SSE_EVENT.search(line)
        if em and "data:" not in line:
            event = em.group(1)
            continue
        dm = _SSE_DATA.search(line)
        if not dm:
            continue
        try:
            obj = json.loads(dm.group(1))
        except (ValueError, RecursionError):
            continue
        out.append((event, obj))
        event = None
    return out


def _parse(text: str) -> _Parsed:
    p = _Parsed(text=text)
    p.sse = _find_sse(text)
    if not p.sse:
        p.body, p.obj = _find_body(text)
    prefix = text if p.body is None else text[: text.find(p.body)]
    p.status, p.status_end = _find_status(prefix)
    p.hosts = [h.lower() for h in _URL_HOST.findall(text)]
    return p


# --------------------------------------------------------------------------------- provider detection

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
_KNOWN_IDS = sorted({p.id for p in PRESETS} | {a for p in PRESETS for a in p.aliases}, key=len, reverse=True)
_MODEL_REF = re.compile(r"(?<![\w./-])(" + "|".join(re.escape(i) for i in _KNOWN_IDS) + r")/[\w.:\-]", re.I)


def _preset_for_host(host: str) -> str | None:
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


def detect_provider(text: str, parsed: _Parsed | None = None) -> str | None:
    """The provider a pasted error came from: a log field, an API host, a body shape or message, a model ref."""
    m = _LOG_PROVIDER.search(text)
    if m:
        return canonical_provider_id(m.group(1))
    p = parsed or _parse(text)
    for host in p.hosts:
        found = _preset_for_host(host)
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
    m = _MODEL_REF.search(text)
    if m:
        return canonical_provider_id(m.group(1))
    return None


# ------------------------------------------------------------------------------- status of a bare body

# The HTTP status each documented error type is sent with (provider-wire.md §2, §6, §9). Used only when the
# pasted body came without its status line, so the classifier sees what the provider sent.
_STATUS_BY_TYPE = {
    "authentication_error": 401,
    "invalid_authentication_error": 401,
    "incorrect_api_key_error": 401,
    "invalid_api_key": 401,
    "billing_error": 402,
    "permission_error": 403,
    "not_found_error": 404,
    "request_too_large": 413,
    "rate_limit_error": 429,
    "rate_limit_reached_error": 429,
    "api_error": 500,
    "timeout_error": 504,
    "overloaded_error": 529,
    "content_filter": 400,
    "exceed_context_size_error": 400,
    "not_supported_error": 501,
    "unavailable_error": 503,
}
_GENERIC_TYPE_STATUS = {"invalid_request_error": 400, "server_error": 500, "badrequesterror": 400}
# Documented messages that name their status unambiguously (for bodies with no type or code).
_STATUS_BY_MESSAGE = (
    (
        re.compile(
            r"didn'?t provide an api key|no api[- ]key provided|unauthori[sz]ed|invalid access token|"
            r"token expired|missing authentication|no auth credentials|(?:x-api-key|authorization) header is required|"
            r"invalid api[- ]?key",
            re.I,
        ),
        401,
    ),
    (re.compile(r"only available for coding agents", re.I), 405),
)


def _body_int_code(obj: Any) -> int | None:
    if isinstance(obj, list):
        obj = next((x for x in obj if isinstance(x, dict)), None)
    if not isinstance(obj, dict):
        return None
    for src in (obj.get("error"), obj):
        if isinstance(src, dict):
            code = src.get("code")
            if isinstance(code, str) and code.isdigit():
                code = int(code)
            if isinstance(code, int) and not isinstance(code, bool) and 400 <= code < 600:
                return code
    return None


def _infer_status(p: _Parsed) -> int | None:
    """The status a status-less pasted body was most likely sent with; None when it does not say."""
    num = _body_int_code(p.obj)
    if num is None and p.body:
        m = re.search(r'"code"\s*:\s*([45]\d\d)\b', p.body)
        num = int(m.group(1)) if m else None
    if num is not None:
        return num
    message, label, _ = extract_error_fields(p.body)
    low = (label or "").lower()
    if low in _STATUS_BY_TYPE:
        return _STATUS_BY_TYPE[low]
    types = set()
    for src in (p.obj, *(p.obj if isinstance(p.obj, list) else [])):
        if isinstance(src, dict):
            inner: Any = src.get("error") if isinstance(src.get("error"), dict) else src
            t = inner.get("type")
            if isinstance(t, str):
                types.add(t.lower())
    for t in types:
        if t in _STATUS_BY_TYPE:
            return _STATUS_BY_TYPE[t]
    for rx, status in _STATUS_BY_MESSAGE:
        if message and rx.search(message):
            return status
    for t in (low, *types):
        if t in _GENERIC_TYPE_STATUS:
            return _GENERIC_TYPE_STATUS[t]
    return None


# --------------------------------------------------------------------------------------- phrase table


@dataclass(frozen=True)
class _Phrase:
    pattern: re.Pattern[str]
    owner: str
    code: str
    what: str  # the message; {0} is the first group, {provider} the detected provider
    next_steps: tuple[str, ...]
    strong: bool = False  # checked before any provider body (never part of a provider's own error)


def _rx(p: str) -> re.Pattern[str]:
    return re.compile(p, re.I)


_COOLDOWN_NEXT = (
    "clawgate health list   # the FIRST failure that started the cooldown names the real owner",
    "clawgate logs -n 200   # the first error before the cooldown",
)
_PHRASES: tuple[_Phrase, ...] = (
    _Phrase(
        _rx(r"No API key found for provider\s+[\"'`]?([\w.\-]+)"),
        "provider_auth",
        "auth.missing_credential",
        "no credential was found for provider {0}: the call was never sent",
        (
            "clawgate models status --agent {agent}",
            "clawgate auth add {0} --agent {agent}",
            "clawgate doctor",
        ),
        strong=True,
    ),
    _Phrase(
        _rx(r"AUTH_(?:DEVICE_)?TOKEN_MISMATCH|(?:gateway|device) token mismatch"),
        "gateway_auth",
        "gateway.token_mismatch",
        "the gateway refused the client's token (it differs from the gateway's): a client-to-gateway "
        "problem, not a provider key",
        (
            "clawgate gateway status --json   # token.fingerprint",
            "set the client's API key to CLAWGATE_GATEWAY_TOKEN from ~/.clawgate/.env",
        ),
        strong=True,
    ),
    _Phrase(
        _rx(r"AUTH_TOKEN_MISSING|gateway token (?:is )?missing|requires a token"),
        "gateway_auth",
        "gateway.token_missing",
        "the client sent no token to the gateway (or the gateway has none configured): not a provider key",
        (
            "clawgate gateway status --json",
            "set the client's API key to CLAWGATE_GATEWAY_TOKEN from ~/.clawgate/.env",
        ),
        strong=True,
    ),
    _Phrase(
        _rx(r"PAIRING_REQUIRED|pairing required|device nonce|device (?:token|identity)|not paired"),
        "gateway_auth",
        "gateway.pairing_required",
        "the gateway refused the client's device identity (pairing or device token): not a provider key",
        (
            "clawgate gateway status --json",
            "clawgate's gateway uses one shared token: set the client's API key to CLAWGATE_GATEWAY_TOKEN",
        ),
        strong=True,
    ),
    _Phrase(
        _rx(
            r"(?:\b(?:websocket|ws|gateway|closed?|close code|code)\b[^\n]{0,30}\b1008\b"
            r"|\b1008\b[^\n]{0,30}\b(?:policy|violation|closed?|gateway|websocket)\b|^\s*1008\s*$)"
        ),
        "gateway_auth",
        "gateway.token_mismatch",
        "the gateway closed the connection with 1008 (policy violation): its token or device check failed",
        ("clawgate gateway status --json", "compare the client's token with CLAWGATE_GATEWAY_TOKEN"),
        strong=True,
    ),
    _Phrase(
        _rx(r"ECONNREFUSED|connection refused"),
        "network",
        "network.connect",
        "nothing accepted the connection (connection refused): the server is down or the port is wrong",
        ("clawgate doctor", "clawgate config get models.providers.{provider}.baseUrl"),
    ),
    _Phrase(
        _rx(r"ENOTFOUND|EAI_AGAIN|getaddrinfo|name or service not known|could not resolve host"),
        "network",
        "network.dns",
        "the provider's host name did not resolve (DNS)",
        ("clawgate config get models.providers.{provider}.baseUrl", "clawgate doctor"),
    ),
    _Phrase(
        _rx(r"certificate|CERT_|\bSSL\b|TLS handshake|self[- ]signed"),
        "network",
        "network.tls",
        "the TLS connection failed (certificate chain, expiry or a TLS-intercepting proxy)",
        ("check SSL_CERT_FILE and any TLS-intercepting proxy", "clawgate doctor"),
    ),
    _Phrase(
        _rx(r"ETIMEDOUT|ESOCKETTIMEDOUT|timed out|\btimeout\b"),
        "network",
        "network.timeout",
        "the provider did not answer in time",
        ("clawgate health list", "clawgate doctor"),
    ),
    _Phrase(
        _rx(r"ECONNRESET|socket hang up|connection reset"),
        "network",
        "network.reset",
        "the connection was reset",
        ("retry the request", "clawgate health list"),
    ),
    _Phrase(
        _rx(
            r"context_length_exceeded|prompt is too long|maximum context length|context window|context length"
        ),
        "context",
        "context.exceeded",
        "the request is longer than the model's context window",
        (
            "shorten the conversation or start a new session",
            "if it followed a 429/cooldown/failover, read the first failure first: clawgate health list",
        ),
    ),
    _Phrase(
        _rx(r"invalid beta flag"),
        "request",
        "request.invalid",
        "the route does not support a beta/feature flag the request carries (proxies, Bedrock, Vertex and "
        "compatible gateways implement only part of the upstream API)",
        ("remove the flag or use a route that supports it", "clawgate models status --probe"),
    ),
    _Phrase(
        _rx(r"too many requests|rate[- ]limit(?:ed)?|\b429\b"),
        "rate_limit",
        "rate_limit.exceeded",
        "the provider's request or token window is used up (rate limit)",
        ("wait for retry-after, lower concurrency or context", "clawgate health list"),
    ),
    _Phrase(
        _rx(r"bad gateway|\b502\b"),
        "upstream",
        "upstream.server_error",
        "the provider (or a proxy in front of it) returned an invalid upstream response (502)",
        ("retry later or let a fallback model take over", "clawgate health list"),
    ),
    _Phrase(
        _rx(r"all in cooldown|in cooldown|cooldown|cooling down"),
        "rate_limit",
        "health.cooling",
        "every credential/model for this route is cooling down after earlier failures: the cooldown is a "
        "symptom, the first failure is the cause",
        _COOLDOWN_NEXT,
    ),
)
_COOLDOWN = _PHRASES[-1]
_REASON = re.compile(r"\breason\s*[=:]\s*\"?([\w.\-]+)", re.I)


def _phrase(text: str, strong: bool) -> tuple[_Phrase, re.Match[str]] | None:
    for ph in _PHRASES:
        if ph.strong != strong:
            continue
        m = ph.pattern.search(text)
        if m:
            return ph, m
    return None


# --------------------------------------------------------------------------------------- classification


def _clawgate_error(obj: Any) -> dict[str, Any] | None:
    """A clawgate error object (gateway envelope, CLI error, Failure or doctor finding) — it names its owner."""
    if not isinstance(obj, dict):
        return None
    for cand in (obj.get("error"), obj):
        if isinstance(cand, dict) and cand.get("owner") in OWNERS and isinstance(cand.get("code"), str):
            return cand
    findings = obj.get("findings")
    if isinstance(findings, list):
        for f in findings:
            if isinstance(f, dict) and f.get("owner") in OWNERS and f.get("severity") in ("error", "warn"):
                return f
    return None


def _provider_api(provider: str | None) -> str:
    preset = PRESETS_BY_ID.get(provider or "")
    return preset.api if preset else "openai-completions"


def _from_failure(f: Failure, via: str, status: int | None) -> Explanation:
    # a body pasted without its status line: say so instead of "HTTP None"
    msg = re.sub(
        r"\(HTTP None(?: ([^,):]+))?",
        lambda m: f"({m.group(1) + ', ' if m.group(1) else ''}no HTTP status given",
        f.message,
    )
    if msg.startswith(_UNKNOWN):
        msg = "The provider" + msg[len(_UNKNOWN) :]
    return Explanation(
        owner=f.owner,
        code=f.code,
        message=msg,
        provider=None if f.provider == _UNKNOWN else f.provider,
        status=status,
        via=via,
        host=f.host,
        model=f.model,
        next_steps=list(f.next_steps),
    )


_UNKNOWN = "<provider>"
_NOT_API_HOSTS = ("help.", "docs.", "platform.", "www.", "console.")  # links in messages, not where calls go
_MISSING_KEY = re.compile(
    r"missing authentication|no auth credentials|(?:x-api-key|authorization) header is required|"
    r"didn'?t provide an api key|"
    r"no api[- ]key (?:provided|found)|unregistered caller|missing (?:api )?key|api key (?:is )?missing|"
    r"no credential",
    re.I,
)


def classify_text(text: str, provider: str | None = None, host: str | None = None) -> Explanation | None:
    """Classify pasted error text without looking at any local setup; None when nothing matched.

    `provider` and `host` override what the text says (`--provider`, or the local setup's base URL).
    """
    text = (text or "").strip()[:MAX_TEXT]
    if not text:
        return None
    p = _parse(text)
    prov = canonical_provider_id(provider) if provider else detect_provider(text, p)
    prov_from = "--provider" if provider else ("text" if prov else None)
    pname = prov or _UNKNOWN
    if host is None:
        found = (h for h in p.hosts if _preset_for_host(h) and not h.startswith(_NOT_API_HOSTS))
        host = next(found, None)
    model_m = _LOG_MODEL.search(text)
    model = model_m.group(1) if model_m else None
    api = _provider_api(prov)
    kw: dict[str, Any] = {"provider": pname, "api": api, "host": host, "model": model}
    out: Explanation | None = None

    cg = _clawgate_error(p.obj)
    if cg is not None:
        nxt = cg.get("next_steps") or cg.get("next") or []
        out = Explanation(
            owner=cg["owner"],
            code=cg["code"],
            message=str(cg.get("message") or cg["code"]),
            provider=cg.get("provider") or (cg.get("subject") or {}).get("provider") or prov,
            via="clawgate error",
            next_steps=[nxt] if isinstance(nxt, str) else [str(n) for n in nxt],
        )
        if cg.get("provider"):
            prov_from = "text"
    if out is None:
        hit = _phrase(text, strong=True)
        if hit:
            out = _from_phrase(hit, prov, text)
    if out is None and p.sse:
        for event, obj in p.sse:
            f = classify_stream_error(obj, event=event, **kw)
            if f is not None:
                out = _from_failure(f, "stream error", None)
                break
    if out is None and p.body is not None:
        if p.status is not None and 200 <= p.status < 300 and p.obj is not None:
            f2 = classify_stream_error(p.obj, event=None, **kw)
            if f2 is not None:
                out = _from_failure(f2, "in-band error", p.status)
        if out is None:
            status = p.status if p.status is not None else _infer_status(p)
            f = classify_http(status, {}, p.body, **kw)  # type: ignore[arg-type]
            via = "provider error body" + ("" if p.status is not None else " (status inferred)")
            out = _from_failure(f, via, status)
    if out is None and p.status is not None and p.status >= 400:
        line_end = text.find("\n", p.status_end)
        rest = text[p.status_end : line_end if line_end >= 0 else len(text)].strip(" \t:-")
        f = classify_http(p.status, {}, rest, **kw)
        out = _from_failure(f, "status line", p.status)
    if out is None:
        hit = _phrase(text, strong=False)
        if hit:
            out = _from_phrase(hit, prov, text)
    if out is None:
        return None
    if out.provider is None and prov:
        out.provider = prov
    out.provider_from = prov_from if out.provider else None
    if out.host is None:
        out.host = host
    if out.owner == "provider_auth":
        out.detail = (
            "missing" if (_MISSING_KEY.search(text) or out.code == "auth.missing_credential") else "rejected"
        )
    if out.code != "health.cooling" and _COOLDOWN.pattern.search(text):
        out.detail = (out.detail or "") + "+cooldown"
    if out.code == "health.cooling":
        m = _REASON.search(text)
        out.detail = f"reason={m.group(1)}" if m else None
    return out


def _from_phrase(hit: tuple[_Phrase, re.Match[str]], prov: str | None, text: str) -> Explanation:
    ph, m = hit
    group = m.group(1) if m.groups() else None
    provider = canonical_provider_id(group) if group and ph.code == "auth.missing_credential" else prov
    fmt = {"provider": provider or _UNKNOWN, "agent": "{agent}"}
    what = ph.what.format(provider or _UNKNOWN, **fmt)
    return Explanation(
        owner=ph.owner,
        code=ph.code,
        message=what[0].upper() + what[1:] + ".",
        provider=provider,
        via=f"phrase {m.group(0).strip()!r}",
        next_steps=[s.format(provider or _UNKNOWN, **fmt) for s in ph.next_steps],
    )


# ------------------------------------------------------------------------------------ causes (offline)


@dataclass
class _Ctx:
    """What the cause checks read: the explanation and, when a clawgate home exists, its snapshot."""

    ex: Explanation
    snap: Any = None  # clawgate.resolver.Snapshot
    agent: str = "main"
    view: Any = None  # ProviderView of the provider in question
    cred: Any = None  # CredentialResolution for (provider, agent)
    plan: Any = None  # the agent's Plan
    _findings: list[Any] | None = None

    def findings(self) -> list[Any]:
        if self._findings is None:
            from clawgate.diagnose.offline import offline_findings

            try:
                self._findings = offline_findings(self.snap, self.agent)
            except Exception:  # a broken setup must not break explain
                self._findings = []
        return self._findings

    def provider_findings(self, *codes: str) -> list[Any]:
        pid = self.view.id if self.view is not None else self.ex.provider
        return [f for f in self.findings() if f.code in codes and f.subject.get("provider") == pid]


_Check = Callable[[_Ctx], tuple[bool | None, str | None, list[str]]]


def _pid(ctx: _Ctx) -> str:
    return (ctx.view.id if ctx.view is not None else ctx.ex.provider) or _UNKNOWN


def _no_cred(ctx: _Ctx) -> tuple[bool | None, str | None, list[str]]:
    if ctx.cred is None:
        return None, _no_view(ctx), []
    w = ctx.cred.winner
    if w is not None:
        return False, f"{w.source} ({w.fingerprint}) from {w.origin} would be sent", []
    if ctx.cred.optional:
        return False, f"{_pid(ctx)} does not require a key", []
    env = ctx.view.env_vars[0]
    unresolved = any(i.code == "env.unresolved_ref" for c in ctx.cred.candidates for i in c.issues)
    steps = [] if unresolved else [f"echo '{env}=...' >> ~/.clawgate/.env"]
    steps += [
        f"clawgate auth add {_pid(ctx)} --agent {ctx.agent}",
        f"clawgate models status --agent {ctx.agent}",
    ]
    return True, "checked: " + "; ".join(ctx.cred.checked), steps


def _no_view(ctx: _Ctx) -> str:
    if ctx.ex.provider in (None, _UNKNOWN):
        return "the text does not name the provider (use --provider P)"
    return f"{ctx.ex.provider!r} is not a provider clawgate knows (no preset, not in models.providers)"


def _unresolved(ctx: _Ctx) -> tuple[bool | None, str | None, list[str]]:
    if ctx.cred is None:
        return None, _no_view(ctx), []
    from clawgate.config.substitution import references

    for c in ctx.cred.candidates:
        for issue in c.issues:
            if issue.code == "env.unresolved_ref":
                names = references(c.ref or "") if c.ref and "${" in c.ref else []
                fix = (
                    f"add {names[0]}=... to ~/.clawgate/.env (the gateway reads it; your shell's exports it does not)"
                    if names
                    else "clawgate secrets audit"
                )
                return True, f"{c.source} is {c.ref}: {issue.reason}", [fix, "clawgate env"]
    refs = [c for c in ctx.cred.candidates if c.ref]
    if refs:
        return False, "; ".join(f"{c.ref} resolves from {c.origin}" for c in refs), []
    return False, f"no ${{VAR}} reference or SecretRef is used for {_pid(ctx)}", []


def _not_in_gateway_env(ctx: _Ctx) -> tuple[bool | None, str | None, list[str]]:
    if ctx.cred is None:
        return None, _no_view(ctx), []
    from clawgate.config.substitution import references

    w = ctx.cred.winner
    names = [c.source[4:] for c in ctx.cred.candidates if c.source.startswith("env:")]
    names += [n for c in ctx.cred.candidates if c.ref and "${" in c.ref for n in references(c.ref)]
    env = ctx.snap.env
    for name in dict.fromkeys(names):
        var = env.var(name)
        if var is not None and var.winner.source == "cwd_dotenv":
            return (
                True,
                f"{name} is only in {var.winner.origin}, a .env in the current directory the gateway service "
                "does not read (env.cwd_only)",
                [f"move the {name} line to ~/.clawgate/.env", "clawgate env"],
            )
    if w is not None and w.source.startswith("env:"):
        var = env.var(w.source[4:])
        if var is not None and var.winner.source == "process":
            return (
                None,
                f"{w.source[4:]} comes from this shell's process environment; a gateway started as a service "
                "may not have it",
                [
                    "put it in ~/.clawgate/.env",
                    "clawgate doctor   # with the gateway running: env.shell_only",
                ],
            )
    if w is not None:
        return False, f"the key comes from {w.origin}, which the gateway reads too", []
    return (
        False,
        "no variable for it is set anywhere clawgate looks (process, ./.env, ~/.clawgate/.env, config)",
        [],
    )


def _shadowed(ctx: _Ctx) -> tuple[bool | None, str | None, list[str]]:
    if ctx.cred is None:
        return None, _no_view(ctx), []
    w = ctx.cred.winner
    if w is None:
        return False, "no credential wins, so none shadows another", []
    idx = ctx.cred.candidates.index(w)
    others = [
        c
        for c in ctx.cred.candidates[idx + 1 :]
        if c.usable and c.fingerprint != w.fingerprint and c.duplicate_of is None
    ]
    if not others:
        return False, f"{w.source} ({w.fingerprint}) is the only distinct key", []
    o = others[0]
    steps = [f"clawgate models status --probe --agent {ctx.agent}"]
    if w.source.startswith("profile:"):
        steps.append(
            f"clawgate auth remove {w.profile_id} --agent {w.inherited_from or w.agent or ctx.agent}"
        )
    elif w.source.startswith("config:"):
        steps.append(f"clawgate config unset models.providers.{_pid(ctx)}.apiKey")
    return True, f"{w.source} ({w.fingerprint}) wins over {o.source} ({o.fingerprint})", steps


def _issue_check(code: str, only_winner: bool = False) -> _Check:
    def check(ctx: _Ctx) -> tuple[bool | None, str | None, list[str]]:
        if ctx.cred is None:
            return None, _no_view(ctx), []
        w = ctx.cred.winner
        for c in ctx.cred.candidates:
            if only_winner and c is not w:
                continue
            for issue in c.issues:
                if issue.code == code:
                    fp = f" ({c.fingerprint})" if c.fingerprint else ""
                    if c.source.startswith("profile:"):
                        fix = f"clawgate auth add {_pid(ctx)} --agent {c.agent or ctx.agent} --profile {c.profile_id}"
                    elif c.source.startswith("env:"):
                        fix = f"edit {c.origin} (the value of {c.source[4:]})"
                    else:
                        fix = f"clawgate config get models.providers.{_pid(ctx)}.apiKey"
                    return True, f"{c.source}{fp} from {c.origin}: {issue.reason}", [fix]
        return False, "none of its credentials has this problem", []

    return check


def _region(ctx: _Ctx) -> tuple[bool | None, str | None, list[str]]:
    holds, ev, nxt = _issue_check("auth.key_provider_mismatch", only_winner=True)(ctx)
    if holds:
        return holds, ev, nxt
    host = ctx.ex.host or (_config_host(ctx.view, ctx.snap) if ctx.view is not None else None)
    w = ctx.cred.winner if ctx.cred is not None else None
    if w is not None and region_hint(_pid(ctx), host):
        return (
            None,
            f"{w.source} ({w.fingerprint}) is sent to {host}, a region/plan-bound host (see the message)",
            [f"clawgate config get models.providers.{_pid(ctx)}.baseUrl"],
        )
    return holds, ev, nxt


def _proxy(ctx: _Ctx) -> tuple[bool | None, str | None, list[str]]:
    from clawgate.diagnose.offline import proxy_vars

    found = proxy_vars(ctx.snap)
    if found:
        shown = ", ".join(f"{k}={v}" for k, v in found.items())
        return (
            True,
            shown,
            ["unset the proxy variable(s) for the gateway, or set NO_PROXY for the provider host"],
        )
    return False, "no HTTPS_PROXY / HTTP_PROXY / ALL_PROXY is set", []


def _header_override(ctx: _Ctx) -> tuple[bool | None, str | None, list[str]]:
    if ctx.view is None:
        return None, _no_view(ctx), []
    names = [h for h in ctx.view.headers if h.lower() in ("authorization", "x-api-key", "api-key")]
    if names:
        src = ctx.view.headers[names[0]].source
        return (
            True,
            f"{names[0]} is set by {src} and replaces the credential header",
            [f"clawgate config unset models.providers.{_pid(ctx)}.headers.{names[0]}"],
        )
    return False, f"no header override for {_pid(ctx)} sets an auth header", []


def _profile_invalid(ctx: _Ctx) -> tuple[bool | None, str | None, list[str]]:
    if ctx.cred is None:
        return None, _no_view(ctx), []
    for c in ctx.cred.candidates:
        for issue in c.issues:
            if issue.code == "auth.profile_invalid":
                return (
                    True,
                    f"{c.source} in {c.origin}: {issue.reason}",
                    [
                        f"clawgate auth add {_pid(ctx)} --agent {c.agent or ctx.agent} --profile {c.profile_id}"
                    ],
                )
    return False, "every stored profile for it is well-formed", []


def _model_override(ctx: _Ctx) -> tuple[bool | None, str | None, list[str]]:
    plan = ctx.plan
    if plan is None:
        return None, None, []
    used = [a.provider for a in plan.attempts]
    over = [(p, r) for p, r in plan.model.shadows if p.startswith("agents.defaults.model")]
    where = f"agent {plan.agent} uses {plan.model.ref} from {plan.model.source}"
    if over:
        path, ref = over[0]
        return (
            True,
            f"{where}, which beats {path} = {ref}",
            [
                f"clawgate config unset {plan.model.source}   # inherit {ref}",
                f"clawgate config set {plan.model.source} {ref}",
            ],
        )
    if ctx.view is not None and ctx.view.id not in used:
        return (
            None,
            f"{where}; its plan does not use {ctx.view.id} (another agent, a subagent or cron?)",
            ["clawgate models status --all-agents"],
        )
    return False, where, []


def _other_gateway(ctx: _Ctx) -> tuple[bool | None, str | None, list[str]]:
    return (
        None,
        f"checked {ctx.snap.loaded.display} (home {ctx.snap.paths.home})",
        ["clawgate gateway status"],
    )


def _unknowable(evidence: str | None = None, *steps: str) -> _Check:
    def check(ctx: _Ctx) -> tuple[bool | None, str | None, list[str]]:
        return None, evidence, list(steps)

    return check


def _probe(ctx: _Ctx) -> tuple[bool | None, str | None, list[str]]:
    w = ctx.cred.winner if ctx.cred is not None else None
    ev = f"only a live call can tell for {w.source} ({w.fingerprint})" if w else "only a live call can tell"
    return None, ev, [f"clawgate models status --probe --probe-provider {_pid(ctx)} --agent {ctx.agent}"]


def _cooling(ctx: _Ctx) -> tuple[bool | None, str | None, list[str]]:
    import time

    paths = ctx.snap.paths
    if not paths.state_db.exists():
        return None, "no state.db yet: this gateway has recorded no health state", list(_COOLDOWN_NEXT)
    from clawgate.health import HealthRegistry
    from clawgate.store import open_store

    store = open_store(str(paths.state_db))
    try:
        records = HealthRegistry(store).records()
    finally:
        store.close()
    now = time.time()
    active = [
        r for r in records if r.until and r.until > now and (ctx.view is None or r.provider == ctx.view.id)
    ]
    if not active:
        return False, "no credential is cooling down now (clawgate health list)", []
    r = active[0]
    first = f"first failure: {r.first_owner} {r.first_status or ''} {r.first_code}: {r.first_message}"
    return True, f"{r.provider} {r.fingerprint} is {r.state} — {first}", ["clawgate health list"]


def _no_fallback(ctx: _Ctx) -> tuple[bool | None, str | None, list[str]]:
    if ctx.plan is None:
        return None, None, []
    fb = [a.ref for a in ctx.plan.attempts if a.role == "fallback"]
    if fb:
        return False, f"agent {ctx.plan.agent} falls back to {', '.join(fb)}", []
    return (
        True,
        f"agent {ctx.plan.agent} has no fallback model",
        ["clawgate config set agents.defaults.model.fallbacks '[\"groq/llama-3.3-70b-versatile\"]'"],
    )


def _smaller_fallback(ctx: _Ctx) -> tuple[bool | None, str | None, list[str]]:
    plan = ctx.plan
    if plan is None or not plan.attempts:
        return None, None, []

    def window(a: Any) -> int | None:
        return a.model_info.info.context_window if a.model_info else None

    primary = plan.attempts[0]
    fbs = [a for a in plan.attempts[1:]]
    if not fbs:
        return False, f"agent {plan.agent} has no fallback that could take over", []
    pw = window(primary)
    smaller = [a for a in fbs if pw and window(a) and window(a) < pw]  # type: ignore[operator]
    if smaller:
        a = smaller[0]
        return (
            True,
            f"{a.ref} ({window(a)} tokens) is smaller than {primary.ref} ({pw} tokens)",
            ["clawgate health list   # was the primary cooling down when this happened?"],
        )
    if pw is None or any(window(a) is None for a in fbs):
        return None, "a context window in the plan is unknown (add contextWindow to the models)", []
    return False, "every fallback's window is at least the primary's", []


def _window(ctx: _Ctx) -> tuple[bool | None, str | None, list[str]]:
    plan = ctx.plan
    if plan is None or not plan.attempts or plan.attempts[0].model_info is None:
        return None, None, []
    a = plan.attempts[0]
    cw = a.model_info.info.context_window
    return None, f"{a.ref} has a {cw}-token window" if cw else f"{a.ref}'s window is unknown", []


def _finding_check(*codes: str) -> _Check:
    def check(ctx: _Ctx) -> tuple[bool | None, str | None, list[str]]:
        if ctx.view is None:
            return None, _no_view(ctx), []
        found = ctx.provider_findings(*codes)
        if found:
            f = found[0]
            return True, f.message, list(f.next_steps)
        return False, f"doctor finds no {' / '.join(codes)} for {ctx.view.id}", []

    return check


def _gateway_token(missing: bool) -> _Check:
    def check(ctx: _Ctx) -> tuple[bool | None, str | None, list[str]]:
        from clawgate.gateway.token import resolve_gateway_token

        tok = resolve_gateway_token(ctx.snap)
        if tok.error:
            return True, tok.error, ["echo 'CLAWGATE_GATEWAY_TOKEN=...' >> ~/.clawgate/.env"]
        if tok.mode != "token":
            return (
                missing,
                "the gateway runs without a token (gateway.auth.mode none)",
                [],
            )
        return (
            None,
            f"the gateway's token is {tok.source} ({tok.fingerprint}) from {tok.origin}; compare the client's",
            ["clawgate gateway status --json"],
        )

    return check


def _token_override(ctx: _Ctx) -> tuple[bool | None, str | None, list[str]]:
    var = ctx.snap.env.var("CLAWGATE_GATEWAY_TOKEN")
    if var is None:
        return False, "CLAWGATE_GATEWAY_TOKEN is not set", []
    differing = [d for d in var.shadowed if d.value != var.value]
    if var.winner.source == "process" and differing:
        return (
            True,
            f"the process value overrides a different one in {differing[0].origin}",
            [
                "unset CLAWGATE_GATEWAY_TOKEN in the container/service environment, or update the file",
                "docker exec <container> env | grep CLAWGATE",
            ],
        )
    return False, f"CLAWGATE_GATEWAY_TOKEN comes from {var.winner.origin} only", []


def _tls_env(ctx: _Ctx) -> tuple[bool | None, str | None, list[str]]:
    names = [n for n in ("SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE") if ctx.snap.env.get(n)]
    if names:
        return True, "set: " + ", ".join(names), ["check that the CA bundle exists and holds the proxy's CA"]
    return False, "no SSL_CERT_FILE / SSL_CERT_DIR / REQUESTS_CA_BUNDLE override", []


def _local_server(ctx: _Ctx) -> tuple[bool | None, str | None, list[str]]:
    if ctx.view is None or ctx.view.preset is None or not ctx.view.preset.local:
        return False, f"{_pid(ctx)} is not a local server", []
    return (
        None,
        f"{ctx.view.id} is a local server at {ctx.view.base_url.value}",
        ["ollama serve" if ctx.view.id == "ollama" else f"start the local {ctx.view.id} server"],
    )


def _api_endpoint(ctx: _Ctx) -> tuple[bool | None, str | None, list[str]]:
    return _finding_check("provider.api_mismatch", "provider.base_url_suspect")(ctx)


# Likely causes per kind of failure, most likely first (with no local evidence).
_AUTH_MISSING: tuple[tuple[str, str, _Check], ...] = (
    (
        "env.unresolved_ref",
        "a ${{VAR}} reference for {p} names a variable clawgate's environment lacks",
        _unresolved,
    ),
    ("auth.missing_credential", "no usable credential for {p} reaches agent {a}", _no_cred),
    (
        "env.cwd_only",
        "the key is only where the gateway will not see it (a .env in the current directory, or this shell)",
        _not_in_gateway_env,
    ),
    (
        "auth.profile_invalid",
        "a stored profile for {p} is malformed (e.g. apiKey instead of key)",
        _profile_invalid,
    ),
    (
        "auth.key_malformed",
        "the key is unusable (quotes, whitespace, BOM, a Bearer prefix, a placeholder)",
        _issue_check("auth.key_malformed"),
    ),
    (
        "auth.shadowed_credential",
        "a stale stored profile or config key for {p} wins over another key",
        _shadowed,
    ),
    (
        "network.proxy",
        "a proxy variable is set; a proxy can drop or replace the Authorization header",
        _proxy,
    ),
    ("config.header_override", "a header override for {p} replaces the credential header", _header_override),
    (
        "gateway.config_mismatch",
        "the failing call went through another gateway, config or state dir",
        _other_gateway,
    ),
    (
        "model.override_shadows_default",
        "the agent's own model overrides agents.defaults.model",
        _model_override,
    ),
)
_AUTH_REJECTED: tuple[tuple[str, str, _Check], ...] = (
    (
        "auth.shadowed_credential",
        "a stale stored profile or config key for {p} wins over another key",
        _shadowed,
    ),
    (
        "auth.key_malformed",
        "the key is sent damaged (whitespace, quotes, BOM, a Bearer prefix)",
        _issue_check("auth.key_malformed"),
    ),
    (
        "auth.region_mismatch",
        "the key belongs to another provider, region or plan than the host it is sent to",
        _region,
    ),
    ("auth.rejected", "{p} no longer accepts the key (revoked, expired, wrong project)", _probe),
    (
        "env.unresolved_ref",
        "a ${{VAR}} reference for {p} names a variable clawgate's environment lacks",
        _unresolved,
    ),
    ("auth.missing_credential", "no usable credential for {p} reaches agent {a}", _no_cred),
    (
        "network.proxy",
        "a proxy variable is set; a proxy can drop or replace the Authorization header",
        _proxy,
    ),
    ("config.header_override", "a header override for {p} replaces the credential header", _header_override),
    (
        "gateway.config_mismatch",
        "the failing call went through another gateway, config or state dir",
        _other_gateway,
    ),
    (
        "model.override_shadows_default",
        "the agent's own model overrides agents.defaults.model",
        _model_override,
    ),
)
_BY_OWNER: dict[str, tuple[tuple[str, str, _Check], ...]] = {
    "gateway_auth": (
        ("gateway.token_missing", "the gateway has no usable token of its own", _gateway_token(True)),
        ("gateway.token_mismatch", "the client's token differs from the gateway's", _gateway_token(False)),
        (
            "env.process_override",
            "a container/service variable overrides CLAWGATE_GATEWAY_TOKEN in a file",
            _token_override,
        ),
        (
            "gateway.config_mismatch",
            "the client talks to another gateway, config or state dir",
            _other_gateway,
        ),
    ),
    "rate_limit": (
        (
            "health.cooling",
            "a credential is cooling down after an earlier failure; that first failure is the cause",
            _cooling,
        ),
        (
            "rate_limit.window",
            "{p}'s request or token window is used up (agents and subagents share one key)",
            _unknowable(),
        ),
        (
            "fallback.none",
            "agent {a} has no fallback, so a rate limit stops calls instead of moving on",
            _no_fallback,
        ),
    ),
    "context": (
        (
            "context.too_long",
            "the conversation, tool output or attachments exceed the model's window",
            _window,
        ),
        (
            "context.after_failover",
            "after a 429/cooldown a fallback with a smaller window took over",
            _smaller_fallback,
        ),
    ),
    "request": (
        (
            "request.unsupported",
            "the route does not support a parameter, feature or beta flag in the request",
            _unknowable(),
        ),
        (
            "model.unknown",
            "the model id is not one {p} serves",
            _unknowable(None, "clawgate models list --provider {p}"),
        ),
        ("provider.api_mismatch", "the adapter or base URL for {p} is wrong for this host", _api_endpoint),
    ),
    "upstream": (
        (
            "upstream.outage",
            "{p} is overloaded or having an outage",
            _unknowable(None, "clawgate health list"),
        ),
        ("network.proxy", "a proxy in front of {p} answered instead of the provider", _proxy),
    ),
    "network": (
        (
            "provider.base_url_suspect",
            "the base URL for {p} is wrong (host, scheme or path)",
            _finding_check("provider.base_url_suspect"),
        ),
        ("network.proxy", "a proxy variable is set; the proxy may be down or block the host", _proxy),
        ("network.tls_env", "a CA bundle override is set (TLS interception or a wrong bundle)", _tls_env),
        ("network.local_down", "the local server is not running or listens on another port", _local_server),
    ),
    "provider_access": (
        (
            "access.account",
            "{p}'s account behind the key is out of credit, quota or region/model access",
            _probe,
        ),
        (
            "model.override_shadows_default",
            "the agent's own model overrides agents.defaults.model",
            _model_override,
        ),
    ),
    "config": (
        ("provider.api_mismatch", "the adapter or base URL for {p} is wrong for this host", _api_endpoint),
        (
            "model.no_catalog",
            "{p} has no static model list and no GET /models",
            _finding_check("model.no_catalog"),
        ),
    ),
    "environment": (
        (
            "env.unresolved_ref",
            "a ${{VAR}} reference names a variable clawgate's environment lacks",
            _unresolved,
        ),
        ("network.proxy", "a proxy variable is set and affects every provider the same way", _proxy),
    ),
    "runtime": (
        (
            "runtime.stuck",
            "a run is stuck or the gateway was restarted mid-call",
            _unknowable(None, "clawgate logs"),
        ),
    ),
}


def _cause_table(ex: Explanation) -> tuple[tuple[str, str, _Check], ...]:
    if ex.owner == "provider_auth":
        return _AUTH_MISSING if (ex.detail or "").startswith("missing") else _AUTH_REJECTED
    return _BY_OWNER.get(ex.owner, ())


def _prior_causes(ex: Explanation, agent: str) -> list[Cause]:
    p = ex.provider or "the provider"
    out = [Cause(cid, text.format(p=p, a=agent)) for cid, text, _ in _cause_table(ex)]
    if ex.code == "health.cooling" and ex.detail and ex.detail.startswith("reason="):
        reason = ex.detail.split("=", 1)[1]
        out.insert(
            0,
            Cause(
                "health.first_failure",
                f"the cooldown was started by a {reason!r} failure: explain that failure, not the cooldown",
                True,
                f"the log line says {ex.detail}",
                list(_COOLDOWN_NEXT),
            ),
        )
    if ex.detail and ex.detail.endswith("+cooldown"):
        out.append(
            Cause(
                "health.cooling",
                "this failure started a cooldown; it ends by itself but comes back until the cause is fixed",
                True,
                "the text mentions a cooldown after this failure",
            )
        )
    if ex.owner == "provider_auth" and ex.status == 401:
        out.append(
            Cause(
                "gateway_auth.client_token",
                "the 401 came from a gateway in between (a client token), not from the provider",
                None,
                "clawgate's own gateway never answers a provider rejection with 401 (it uses 502)",
            )
        )
    return out


def local_provider(
    ex: Explanation, snap: Any, agent: str | None = None
) -> tuple[str, str | None, str] | None:
    """(provider id, host, how it was chosen) in the local setup for what the text names, when that differs.

    The text may name a provider family (qwen, from a DashScope message) that the agent reaches through a
    custom provider id on one of its hosts; or name none, when the agent's primary provider is the best guess.
    """
    info = snap.agent(agent)
    used = [a for a in snap.plan(info.id).attempts if a.view is not None]
    pid = ex.provider
    view = snap.catalog.get(pid) if pid else None
    if pid and used and all(a.provider != (view.id if view else pid) for a in used):
        for a in used:
            host = urlsplit(a.base_url or "").hostname
            if host and a.view.preset is None and _preset_for_host(host) == canonical_provider_id(pid):
                return (
                    a.provider,
                    host,
                    f"text ({pid} host family; agent {info.id} reaches it as {a.provider})",
                )
    if not pid and used:
        a = used[0]
        host = urlsplit(a.base_url or "").hostname
        return a.provider, host, f"agent {info.id}'s primary model (the text names no provider)"
    if view is not None and ex.host is None and ex.provider_from != "--provider":
        host = _config_host(view, snap)
        if host:
            return view.id, host, ex.provider_from or "text"
    return None


def _config_host(view: Any, snap: Any) -> str | None:
    from clawgate.config.substitution import expand

    exp = expand(view.base_url.value or "", snap.env)
    return urlsplit(exp.value or "").hostname if exp.ok else None


def _setup(ctx: _Ctx, agent: str | None) -> None:
    snap = ctx.snap
    info = snap.agent(agent)
    ctx.agent = info.id
    ctx.plan = snap.plan(info.id)
    view = snap.catalog.get(ctx.ex.provider) if ctx.ex.provider else None
    ctx.view = view
    if view is not None:
        att = next((a for a in ctx.plan.attempts if a.provider == view.id), None)
        ctx.cred = (
            att.credential
            if att is not None and att.credential is not None
            else snap.credentials(view, info.id)
        )


def check_causes(ex: Explanation, snap: Any = None, agent: str | None = None) -> Explanation:
    """Fill in `ex.causes` (checked against `snap` when given) and the next commands; returns `ex`."""
    ctx = _Ctx(ex=ex, snap=snap)
    if snap is not None:
        _setup(ctx, agent)
    ex.causes = _prior_causes(ex, ctx.agent)
    if snap is not None:
        checks = {cid: chk for cid, _, chk in _cause_table(ex)}
        for c in ex.causes:
            chk = checks.get(c.id)
            if chk is None or c.holds is not None:
                continue
            try:
                c.holds, c.evidence, c.next_steps = chk(ctx)
            except Exception as exc:  # one failing check must not hide the others
                c.holds, c.evidence = None, f"could not check: {type(exc).__name__}"
        ex.causes.sort(key=lambda c: {True: 0, None: 1, False: 2}[c.holds])
        ex.checked = {"config": snap.loaded.display, "agent": ctx.agent}
    pid = ex.provider or _UNKNOWN
    steps: list[str] = []
    for c in ex.causes:
        if c.holds:
            steps.extend(c.next_steps)
    steps.extend(s.replace("{agent}", ctx.agent) for s in ex.next_steps)
    if snap is None:
        steps.append("clawgate doctor")
    ex.next_steps = [s.replace(_UNKNOWN, pid) if ex.provider else s for s in dict.fromkeys(steps)]
    return ex


def explain(
    text: str, provider: str | None = None, snap: Any = None, agent: str | None = None
) -> Explanation | None:
    """Classify `text` and check its likely causes against `snap` (a Snapshot) when given."""
    ex = classify_text(text, provider)
    if ex is None:
        return None
    if snap is not None:
        local = local_provider(ex, snap, agent)
        if local is not None:
            pid, host, why = local
            again = classify_text(text, pid, host=ex.host or host)  # the same classifier, with local facts
            if again is not None:
                again.provider_from = why
                ex = again
    return check_causes(ex, snap, agent)
