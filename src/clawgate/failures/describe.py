"""The classifier's decision for a failure known only from its description: a log line, an SDK's exception text.

`classify_http`, `classify_stream_error` and `classify_exception` decide from a response or a live exception.
When all there is, is text (a pasted log line, a gateway's own message, an SDK's one-line exception), this
module decides the owner and code from what the text states: the gateway's own failures (token, missing
credential, unresolved SecretRef, unknown model, cooldown) and network failures named by their errno, library
exception or OS message. Provider answers never come here: they go through `classify_http`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from clawgate.envsteps import set_var
from clawgate.failures import Failure
from clawgate.failures.classify.answers import make

__all__ = ["COOLDOWN_NEXT", "classify_description", "cooldown_reason"]

COOLDOWN_NEXT = (
    "clawgate health list   # the FIRST failure that started the cooldown names the real owner",
    "clawgate logs -n 200   # the first error before the cooldown",
)


@dataclass(frozen=True)
class _Rule:
    pattern: re.Pattern[str]
    code: str
    what: str  # the message; {0} is the first group, {p} the provider
    next_steps: tuple[str, ...] = ()


def _rx(p: str) -> re.Pattern[str]:
    return re.compile(p, re.I)


_GW_TOKEN_NEXT = (
    "clawgate gateway status --json   # gateway.auth.fingerprint is the gateway's token",
    "set the client's API key to the gateway token (CLAWGATE_GATEWAY_TOKEN in $CLAWGATE_HOME/.env)",
)

# The gateway's own statements: decisive wherever they appear, checked before any provider evidence.
_LOCAL: tuple[_Rule, ...] = (
    _Rule(
        _rx(
            r"(?:SecretRefResolutionError|secret ?ref)[^\n]*?(?:variable|env)\s*[\"'`]?([A-Z][A-Z0-9_]+)"
            r"|Environment variable\s+[\"'`]?([A-Z][A-Z0-9_]+)[\"'`]?\s+is missing or empty"
        ),
        "env.unresolved_ref",
        "a credential reference names the variable {0}, which the gateway's environment does not have",
        (
            set_var("{0}") + "   # the gateway reads its home's .env, not your shell's exports",
            "clawgate env",
        ),
    ),
    _Rule(
        _rx(r"No API key found for provider\s+[\"'`]?([\w.\-]+)"),
        "auth.missing_credential",
        "no credential was found for provider {0}: the call was never sent",
        (
            "clawgate models status --agent {agent}",
            "clawgate auth add {0} --agent {agent}",
            "clawgate doctor",
        ),
    ),
    _Rule(
        _rx(r"AUTH_DEVICE_TOKEN_MISMATCH|device[ _]token[ _]mismatch|device token (?:is )?(?:not|invalid)"),
        "gateway.device_token_mismatch",
        "the gateway refused a paired device's token: it is not the token that device paired with (the "
        "device's identity was copied, reset or rotated) — a client-to-gateway problem, not a provider key",
        (
            "clawgate devices list --all   # the device, its refusals",
            "clawgate devices revoke <DEVICE_ID>",
            "on the device: clawgate devices pair --url <GATEWAY_URL> --new",
        ),
    ),
    _Rule(
        _rx(r"AUTH_TOKEN_MISMATCH|gateway[ _]token[ _]mismatch|\btoken_mismatch\b"),
        "gateway.token_mismatch",
        "the gateway refused the client's token (it differs from the gateway's, or from the client key's): a "
        "client-to-gateway problem, not a provider key",
        (*_GW_TOKEN_NEXT, "clawgate keys list   # when the client uses a client key"),
    ),
    _Rule(
        _rx(r"AUTH_TOKEN_MISSING|gateway token (?:is )?missing|requires a token"),
        "gateway.token_missing",
        "the client sent no token to the gateway (or the gateway has none configured): not a provider key",
        _GW_TOKEN_NEXT,
    ),
    _Rule(
        _rx(r"PAIRING_REQUIRED|pairing[ _]required|device nonce|not paired|waits for approval"),
        "gateway.pairing_required",
        "the gateway does not accept this device yet: it must pair, and be approved on the gateway's machine "
        "— not a provider key",
        (
            "clawgate devices list   # on the gateway's machine: the requests waiting",
            "clawgate devices approve <DEVICE_ID>",
            "on the device, if it never asked: clawgate devices pair --url <GATEWAY_URL>",
        ),
    ),
    _Rule(
        _rx(
            r"\b(?:websocket|ws|gateway|closed?|close code|code|disconnected)\b[^\n]{0,30}\b(?:1008|4008)\b"
            r"|\b(?:1008|4008)\b[^\n]{0,30}\b(?:policy|violation|closed?|gateway|websocket|connect failed)\b"
        ),
        "gateway.token_mismatch",
        "the gateway closed the connection (1008/4008): its token or device check failed",
        _GW_TOKEN_NEXT,
    ),
    _Rule(
        _rx(r"Unknown model:\s*([\w.:/\-]+)"),
        "model.unknown",
        "the gateway does not know the model {0}: no configured provider or catalog entry serves it",
        ("clawgate models list", "clawgate models status --agent {agent}"),
    ),
)

# A cooldown is a symptom: it is the answer only when nothing in the text names the failure that started it.
_SYMPTOMS: tuple[_Rule, ...] = (
    _Rule(
        _rx(r"all in cooldown|\bin cooldown\b|cooling down|\bcooldown\b"),
        "health.cooling",
        "every credential/model for this route is cooling down after earlier failures: the cooldown is a "
        "symptom, the first failure is the cause",
        COOLDOWN_NEXT,
    ),
)

# a network failure shows only when the provider is tried again: `doctor --probe`, not offline `doctor`
_NET_NEXT = (
    "clawgate doctor --probe",
    "check HTTPS_PROXY / HTTP_PROXY / NO_PROXY in the gateway's environment",
)

# Network failures as the OS, the HTTP library or the SDK names them (most specific first).
_NETWORK: tuple[_Rule, ...] = (
    _Rule(
        _rx(
            r"CERTIFICATE_VERIFY_FAILED|certificate verify failed|self[- ]signed certificate|x509:|\bSSL\b(?!:)|certificate"
            r"|does not match certificate|unable to get local issuer|SSLError|SSLCertVerificationError"
            r"|TLS handshake|UNABLE_TO_VERIFY_LEAF_SIGNATURE|CERT_HAS_EXPIRED|ERR_TLS"
        ),
        "network.tls",
        "the TLS connection to {p} failed (certificate chain, expiry or a TLS-intercepting proxy)",
        ("check SSL_CERT_FILE and any TLS-intercepting proxy", *_NET_NEXT),
    ),
    _Rule(
        _rx(
            r"ENOTFOUND|EAI_AGAIN|getaddrinfo|name or service not known|could not resolve host|no such host"
            r"|nodename nor servname|temporary failure in name resolution|NameResolutionError"
        ),
        "network.dns",
        "the host name of {p} did not resolve (DNS)",
        ("clawgate config get models.providers.{p}.baseUrl", *_NET_NEXT),
    ),
    _Rule(
        _rx(
            r"ProxyError|unable to connect to proxy|cannot connect to proxy|proxyconnect|tunnel connection failed"
        ),
        "network.connect",
        "the connection to {p} failed at the configured proxy",
        ("check HTTPS_PROXY / HTTP_PROXY / NO_PROXY in the gateway's environment", "clawgate doctor"),
    ),
    _Rule(
        _rx(
            r"ETIMEDOUT|ESOCKETTIMEDOUT|timed out|\btimeout\b|WinError 10060|APITimeoutError|deadline exceeded"
            r"|Client\.Timeout"
        ),
        "network.timeout",
        "{p} did not answer in time",
        ("clawgate health list", "clawgate doctor --probe"),
    ),
    _Rule(
        _rx(r"ECONNREFUSED|connection refused|Errno 111|WinError 10061|actively refused"),
        "network.connect",
        "nothing accepted the connection to {p} (connection refused): the server is down or the port is wrong",
        ("clawgate doctor --probe", "clawgate config get models.providers.{p}.baseUrl"),
    ),
    _Rule(
        _rx(r"ECONNRESET|socket hang up|connection reset|RemoteDisconnected|Server disconnected"),
        "network.reset",
        "the connection to {p} was reset",
        ("retry the request", "clawgate health list"),
    ),
    _Rule(
        _rx(
            r"APIConnectionError|Connection error|Cannot connect to host|Connect call failed|ConnectError"
            r"|Failed to establish a new connection|Connect error|Connection Failed|ENETUNREACH|EHOSTUNREACH"
            r"|network is unreachable"
        ),
        "network.connect",
        "could not connect to {p}",
        _NET_NEXT,
    ),
)
_REASON = re.compile(r"\breason\s*[=:]\s*\"?([\w.\-]+)", re.I)


def cooldown_reason(text: str) -> str | None:
    """The reason=… a cooldown log line gives, if any."""
    m = _REASON.search(text)
    return m.group(1) if m else None


def classify_description(
    text: str,
    *,
    provider: str,
    host: str | None = None,
    model: str | None = None,
    stage: str,
    agent: str = "{agent}",
) -> tuple[Failure, str] | None:
    """(Failure, the phrase it was decided on) for a failure described in `text`, or None when nothing matched.

    `stage` "gateway": the gateway's own statements (token, missing credential, SecretRef, unknown model);
    "network": network failures; "symptom": a cooldown. Provider bodies belong to `classify_http`.
    """
    for rule in {"gateway": _LOCAL, "network": _NETWORK, "symptom": _SYMPTOMS}[stage]:
        m = rule.pattern.search(text)
        if m is None:
            continue
        group = next((g for g in m.groups() if g), None) if m.groups() else None
        subject = provider
        if rule.code == "auth.missing_credential" and group:
            subject = group.lower()
        fmt = {"p": subject, "agent": agent}
        what = rule.what.format(group or subject, **fmt)
        f = make(rule.code, what[0].upper() + what[1:] + ".", provider=subject, host=host, model=model)
        f.next_steps = [s.format(group or subject, **fmt) for s in rule.next_steps] or f.next_steps
        return f, m.group(0).strip()
    return None
