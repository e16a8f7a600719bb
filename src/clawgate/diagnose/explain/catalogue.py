"""The cause catalogue: the likely causes of each kind of failure, most likely first, with the check for each."""

from __future__ import annotations

from typing import NamedTuple

from clawgate.diagnose.explain import client_checks as clients
from clawgate.diagnose.explain import credential_checks as cred
from clawgate.diagnose.explain import setup_checks as setup
from clawgate.diagnose.explain.context import Check
from clawgate.diagnose.explain.model import Explanation


class CauseEntry(NamedTuple):
    id: str
    text: str  # {p} is the provider, {a} the agent
    check: Check


_UNRESOLVED = CauseEntry(
    "env.unresolved_ref",
    "a ${{VAR}} reference for {p} names a variable clawgate's environment lacks",
    cred.unresolved_ref,
)
_NO_CREDENTIAL = CauseEntry(
    "auth.missing_credential", "no usable credential for {p} reaches agent {a}", cred.no_credential
)
_SHADOWED = CauseEntry(
    "auth.shadowed_credential",
    "a stale stored profile or config key for {p} wins over another key",
    cred.shadowed,
)
_OTHER_GATEWAY = CauseEntry(
    "gateway.config_mismatch",
    "the failing call went through another gateway, config or state dir",
    setup.other_gateway,
)
_MODEL_OVERRIDE = CauseEntry(
    "model.override_shadows_default",
    "the agent's own model overrides agents.defaults.model",
    setup.model_override,
)
_API_MISMATCH = CauseEntry(
    "provider.api_mismatch", "the adapter or base URL for {p} is wrong for this host", setup.api_endpoint
)
# Shared by a missing and a rejected key, after the causes particular to each.
_AUTH_EITHER = (
    CauseEntry(
        "network.proxy",
        "a proxy variable is set; a proxy can drop or replace the Authorization header",
        setup.proxy,
    ),
    CauseEntry(
        "config.header_override",
        "a header override for {p} replaces the credential header",
        cred.header_override,
    ),
    _OTHER_GATEWAY,
    _MODEL_OVERRIDE,
)

AUTH_MISSING: tuple[CauseEntry, ...] = (
    _UNRESOLVED,
    _NO_CREDENTIAL,
    CauseEntry(
        "env.cwd_only",
        "the key is only where the gateway will not see it (a .env in the current directory, or this shell)",
        cred.not_in_gateway_env,
    ),
    CauseEntry(
        "auth.profile_invalid",
        "a stored profile for {p} is malformed (e.g. apiKey instead of key)",
        cred.profile_invalid,
    ),
    CauseEntry(
        "auth.key_malformed",
        "the key is unusable (quotes, whitespace, BOM, a Bearer prefix, a placeholder)",
        cred.key_malformed,
    ),
    _SHADOWED,
    *_AUTH_EITHER,
)
AUTH_REJECTED: tuple[CauseEntry, ...] = (
    _SHADOWED,
    CauseEntry(
        "auth.key_malformed",
        "the key is sent damaged (whitespace, quotes, BOM, a Bearer prefix)",
        cred.key_malformed,
    ),
    CauseEntry(
        "auth.region_mismatch",
        "the key belongs to another provider, region or plan than the host it is sent to",
        cred.region,
    ),
    CauseEntry(
        "auth.rejected", "{p} no longer accepts the key (revoked, expired, wrong project)", cred.probe
    ),
    _UNRESOLVED,
    _NO_CREDENTIAL,
    *_AUTH_EITHER,
)
BY_OWNER: dict[str, tuple[CauseEntry, ...]] = {
    "gateway_auth": (
        CauseEntry(
            "gateway.token_missing", "the gateway has no usable token of its own", setup.gateway_token(True)
        ),
        CauseEntry(
            "gateway.token_mismatch",
            "the client's token differs from the gateway's",
            setup.gateway_token(False),
        ),
        CauseEntry(
            "env.process_override",
            "a container/service variable overrides CLAWGATE_GATEWAY_TOKEN in a file",
            setup.token_override,
        ),
        CauseEntry(
            "gateway.config_mismatch",
            "the client talks to another gateway, config or state dir",
            setup.other_gateway,
        ),
        CauseEntry(
            "gateway.pairing_required",
            "the device has not been approved yet (or never asked to pair with this gateway)",
            clients.pending_devices,
        ),
        CauseEntry(
            "gateway.device_token_mismatch",
            "a paired device sends a token that is not its own (its identity was copied or replaced)",
            clients.mismatched_devices,
        ),
        CauseEntry(
            "gateway.device_revoked", "the device was revoked or rejected here", clients.revoked_devices
        ),
        CauseEntry("gateway.key_revoked", "the client's key was revoked or has expired", clients.dead_keys),
    ),
    "rate_limit": (
        CauseEntry(
            "health.cooling",
            "a credential is cooling down after an earlier failure; that first failure is the cause",
            setup.cooling,
        ),
        CauseEntry(
            "rate_limit.window",
            "{p}'s request or token window is used up (agents and subagents share one key)",
            setup.unknowable(),
        ),
        CauseEntry(
            "fallback.none",
            "agent {a} has no fallback, so a rate limit stops calls instead of moving on",
            setup.no_fallback,
        ),
    ),
    "context": (
        CauseEntry(
            "context.too_long",
            "the conversation, tool output or attachments exceed the model's window",
            setup.context_window,
        ),
        CauseEntry(
            "context.after_failover",
            "after a 429/cooldown a fallback with a smaller window took over",
            setup.smaller_fallback,
        ),
    ),
    "request": (
        CauseEntry(
            "request.unsupported",
            "the route does not support a parameter, feature or beta flag in the request",
            setup.unknowable(),
        ),
        CauseEntry(
            "model.unknown",
            "the model id is not one {p} serves",
            setup.unknowable("clawgate models list --provider {p}"),
        ),
        _API_MISMATCH,
    ),
    "upstream": (
        CauseEntry(
            "upstream.outage",
            "{p} is overloaded or having an outage",
            setup.unknowable("clawgate health list"),
        ),
        CauseEntry("network.proxy", "a proxy in front of {p} answered instead of the provider", setup.proxy),
    ),
    "network": (
        CauseEntry(
            "provider.base_url_suspect",
            "the base URL for {p} is wrong (host, scheme or path)",
            setup.finding_check("provider.base_url_suspect"),
        ),
        CauseEntry(
            "network.proxy", "a proxy variable is set; the proxy may be down or block the host", setup.proxy
        ),
        CauseEntry(
            "network.tls_env",
            "a CA bundle override is set (TLS interception or a wrong bundle)",
            setup.tls_env,
        ),
        CauseEntry(
            "network.local_down",
            "the local server is not running or listens on another port",
            setup.local_server,
        ),
    ),
    "provider_access": (
        CauseEntry(
            "access.account",
            "{p}'s account behind the key is out of credit, quota or region/model access",
            cred.probe,
        ),
        _MODEL_OVERRIDE,
    ),
    "config": (
        _API_MISMATCH,
        CauseEntry(
            "model.no_catalog",
            "{p} has no static model list and no GET /models",
            setup.finding_check("model.no_catalog"),
        ),
    ),
    "environment": (
        CauseEntry(
            "env.unresolved_ref",
            "a ${{VAR}} reference names a variable clawgate's environment lacks",
            cred.unresolved_ref,
        ),
        CauseEntry(
            "network.proxy", "a proxy variable is set and affects every provider the same way", setup.proxy
        ),
    ),
    "runtime": (
        CauseEntry(
            "runtime.stuck",
            "a run is stuck or the gateway was restarted mid-call",
            setup.unknowable("clawgate logs"),
        ),
    ),
}


def cause_table(ex: Explanation) -> tuple[CauseEntry, ...]:
    """The likely causes of `ex`'s kind of failure; a provider auth failure splits on a missing vs a rejected key."""
    if ex.owner == "provider_auth":
        return AUTH_MISSING if (ex.detail or "").startswith("missing") else AUTH_REJECTED
    table = BY_OWNER.get(ex.owner, ())
    if ex.owner == "gateway_auth":
        # a device's refusal has a device's causes; a token's (the gateway token, a client key) a token's —
        # each with the one its code names first
        device = ex.code in _DEVICE_CODES
        table = tuple(
            e for e in table if (e.id in _DEVICE_CODES) == device or e.id == "gateway.config_mismatch"
        )
        named = (
            "gateway.key_revoked" if ex.code in ("gateway.key_revoked", "gateway.key_expired") else ex.code
        )
        return tuple(sorted(table, key=lambda e: e.id != named))
    return table


_DEVICE_CODES = frozenset(
    {"gateway.pairing_required", "gateway.device_token_mismatch", "gateway.device_revoked"}
)
