"""The plain-text phrase table: log and network phrases mapped onto the owners and codes of the classifier."""

from __future__ import annotations

import re
from dataclasses import dataclass

from clawgate.catalog.presets import canonical_provider_id
from clawgate.diagnose.explain.model import UNKNOWN, Explanation


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


COOLDOWN_NEXT = (
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
        COOLDOWN_NEXT,
    ),
)
_COOLDOWN = _PHRASES[-1]
_REASON = re.compile(r"\breason\s*[=:]\s*\"?([\w.\-]+)", re.I)


def mentions_cooldown(text: str) -> bool:
    return _COOLDOWN.pattern.search(text) is not None


def cooldown_reason(text: str) -> str | None:
    """The reason=… a cooldown log line gives, if any."""
    m = _REASON.search(text)
    return m.group(1) if m else None


def explain_phrase(text: str, strong: bool, prov: str | None) -> Explanation | None:
    """The Explanation of the first phrase of this strength found in `text`; None when none matches."""
    for ph in _PHRASES:
        if ph.strong != strong:
            continue
        m = ph.pattern.search(text)
        if m:
            return _from_phrase(ph, m, prov)
    return None


def _from_phrase(ph: _Phrase, m: re.Match[str], prov: str | None) -> Explanation:
    group = m.group(1) if m.groups() else None
    provider = canonical_provider_id(group) if group and ph.code == "auth.missing_credential" else prov
    fmt = {"provider": provider or UNKNOWN, "agent": "{agent}"}
    what = ph.what.format(provider or UNKNOWN, **fmt)
    return Explanation(
        owner=ph.owner,
        code=ph.code,
        message=what[0].upper() + what[1:] + ".",
        provider=provider,
        via=f"phrase {m.group(0).strip()!r}",
        next_steps=[s.format(provider or UNKNOWN, **fmt) for s in ph.next_steps],
    )
