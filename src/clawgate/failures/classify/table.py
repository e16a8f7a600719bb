"""The decision table: an answer's status and error-body facts → one failure code, with the verb phrase for the
message and any extra sentence. Ordered rules, most specific first: the provider's own type/code/status/reason
values, then message phrases as a last resort (provider-wire.md §10)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from clawgate.failures import vocabulary as V
from clawgate.failures.classify.body import GENERIC_CODES, ErrorInfo
from clawgate.failures.classify.families import REGION_BOUND

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
# A limit that resets daily (or with the plan): OpenRouter `free-models-per-day`, Moonshot "TPD rate limit",
# Groq TPD/RPD, Google `…PerDay…` quota ids. Retrying in place or within minutes cannot help.
_QUOTA_RE = re.compile(r"per[-_ ]?day|perday|\bdaily\b|\bTPD\b|\bRPD\b|requests per day|tokens per day", re.I)

_ENDPOINT = {
    "openai-completions": "/chat/completions",
    "openai-responses": "/responses",
    "anthropic-messages": "/v1/messages",
}


@dataclass(slots=True)
class Verdict:
    code: str
    what: str  # verb phrase after "<provider (host)>"
    extra: str | None = None  # a further sentence (sizes, hints)
    retryable: bool | None = None  # override of the per-code default


def _sizes(info: ErrorInfo, text: str) -> tuple[int | None, int | None]:
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


def decide(
    status: int | None, info: ErrorInfo, fam: str, api: str, *, in_band: bool, key_mismatch: bool = False
) -> Verdict:
    """The verdict for an HTTP status (None for an in-band error without one) and the body's facts.
    `key_mismatch`: the plan found the key's shape wrong for the host (auth.key_provider_mismatch)."""
    keys = info.keys()
    text = " ".join(t for t in (info.message, info.upstream_raw, *info.quota_ids) if t)
    low = text.lower()

    if status == 401 or keys & _AUTH_KEYS or any(p in low for p in V.AUTH_PHRASES):
        if key_mismatch and fam in REGION_BOUND:
            # the plan saw the key's shape does not fit this region's or plan's host: that is the cause
            return Verdict("auth.region_mismatch", "rejected a key that belongs to another region or plan")
        return Verdict("auth.rejected", "rejected the API key")
    if status == 403 and fam == "gemini" and "unregistered callers" in low:
        # Google answers a request without any API key with 403 PERMISSION_DENIED "unregistered callers"
        return Verdict("auth.rejected", "received no usable API key (PERMISSION_DENIED: unregistered caller)")
    if status == 402 or keys & _BILLING_KEYS:
        return Verdict(
            "access.billing", "refused the request because the account's credit or quota is used up"
        )
    if keys & _OVERLOAD_KEYS:
        return Verdict("upstream.overloaded", "is overloaded")
    if keys & _CONTEXT_KEYS:
        return _context(info, text)
    # Groq/OpenAI "Request too large for model … on tokens per minute (TPM)": a tier's TPM limit, also when
    # the text quoted lacks its status (413 at Groq, console.groq.com/docs/errors)
    tpm_too_large = status is None and "request too large" in low and _TPM_RE.search(text)
    if status == 413 or keys & _TOO_LARGE_KEYS or tpm_too_large:
        if _TPM_RE.search(text) or keys & {"rate_limit_exceeded", "tokens"}:
            lim, req = _tpm_sizes(text)
            sizes = f" (requested {req} tokens, limit {lim} per minute)" if lim and req else ""
            return Verdict(
                "rate_limit.exceeded",
                "rejected the request because it alone is larger than the tokens-per-minute limit",
                f"Waiting will not help{sizes}: shorten the request or use a model or tier with a higher limit.",
                retryable=False,
            )
        return Verdict("request.too_large", "rejected the request as too large")
    if keys & _RATE_KEYS:
        return _rate_limit(text)
    # Google's 429 RESOURCE_EXHAUSTED is a rate/quota-tier limit ("You exceeded your current quota" there is
    # not OpenAI's billing insufficient_quota); used-up prepaid credit is its 402 (ai.google.dev api-errors)
    google_429 = fam == "gemini" and status == 429
    if any(p in low for p in _BILLING_PHRASES) and not google_429:
        return Verdict(
            "access.billing", "refused the request because the account's credit or quota is used up"
        )
    if any(p in low for p in _CONTEXT_PHRASES):
        return _context(info, text)
    if any(p in low for p in V.FORBIDDEN_PHRASES):
        return Verdict("access.forbidden", "denied access to this account, region or model")
    if status in (None, 429) and any(p in low for p in V.RATE_PHRASES):
        return _rate_limit(text)
    if status in (429, 498):
        if "overload" in low:
            return Verdict("upstream.overloaded", "is overloaded")
        return _rate_limit(text)
    if status in (None, 400, 404, 422) and (
        keys & _MODEL_KEYS
        or (info.message and _MODEL_RE.search(info.message))
        or any(p in low for p in V.MODEL_PHRASES)
        or (status == 404 and "not_found" in keys and (fam == "gemini" or info.status))
    ):
        return Verdict("model.unknown", "does not know the requested model")
    if status == 403 or keys & _FORBIDDEN_KEYS or "location is not supported" in low:
        return Verdict("access.forbidden", "denied access to this account, region or model")
    if any(p in low for p in V.UNSUPPORTED_PHRASES):
        return Verdict("request.invalid", "does not support a feature this request uses")
    if (status is None or 400 <= status < 500) and any(p in low for p in V.API_MISMATCH_PHRASES):
        return Verdict("provider.api_mismatch", "does not serve the endpoint that was called")
    if keys & V.SERVER_KEYS:
        return Verdict("upstream.server_error", "had a server error")
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
        return Verdict("provider.api_mismatch", "does not serve the endpoint that was called", extra)
    if status == 407:
        return Verdict(
            "network.connect",
            "could not be reached because a proxy in between requires authentication",
        )
    if status in (503, 529) or (status is not None and status >= 500 and "overload" in low):
        return Verdict("upstream.overloaded", "is overloaded or temporarily unavailable")
    if status is not None and status >= 500:
        if in_band:
            return Verdict("upstream.stream_error", "reported a server error in the middle of the stream")
        return Verdict("upstream.server_error", "had a server error")
    if status == 408:
        return Verdict("upstream.server_error", "timed out the request on its side", retryable=True)
    if in_band:
        if keys & _INVALID_KEYS or (status is not None and 400 <= status < 500):
            return Verdict("request.invalid", "rejected the request in the middle of the stream")
        return Verdict("upstream.stream_error", "reported an error in the middle of the stream")
    if status is not None and 400 <= status < 500:
        return Verdict("request.invalid", "rejected the request as invalid", retryable=status == 409 or None)
    typed = {v.lower() for v in (info.type, info.status, info.reason) if v}
    if status is None and (typed | (keys - GENERIC_CODES)) & _INVALID_KEYS:
        return Verdict("request.invalid", "rejected the request as invalid")
    return Verdict("upstream.bad_response", "answered with an unexpected error response")


def _rate_limit(text: str) -> Verdict:
    if _QUOTA_RE.search(text):
        return Verdict(
            "rate_limit.quota",
            "refused the request because a daily quota is used up",
            "Retrying soon will not help: wait for the quota to reset, raise it, or use a fallback model.",
        )
    return Verdict("rate_limit.exceeded", "rate-limited the request")


def _context(info: ErrorInfo, text: str) -> Verdict:
    lim, req = _sizes(info, text)
    if lim and req:
        extra = f"The request needs {req} tokens but the model's limit is {lim}."
    elif lim:
        extra = f"The model's limit is {lim} tokens."
    else:
        extra = None
    return Verdict(
        "context.exceeded", "rejected the request as longer than the model's context window", extra
    )
