"""What each failure code means for the next step: retry the same call, try another credential, fall back to the
next model, and which health state it leaves behind. The executor and the health registry read these facts from
the `Failure` (its `retryable`, `try_next_credential`, `try_fallback` fields) and from `health_effect()`; they keep
no code lists of their own."""

from __future__ import annotations

from dataclasses import dataclass

# A plain retry of the same call may fix these (x-should-retry from the provider overrides it for HTTP answers).
RETRYABLE_CODES = frozenset(
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
        "runtime.shutdown",
        "state.database_unreachable",
        # refused locally for a window that ends: the client may retry after it (retry-after says when)
        "gateway.rate_limited",
        "rate_limit.credential_limit",
    }
)

# Another distinct credential of the same provider may work: the key itself, or its account, is the problem.
NEXT_CREDENTIAL_CODES = frozenset(
    {
        "auth.rejected",
        "auth.region_mismatch",
        "auth.oauth_refresh_failed",
        "access.billing",
        "rate_limit.exceeded",
        "rate_limit.quota",
        "rate_limit.credential_limit",
    }
)

# Another model or provider of the plan may work. Not: the request's own faults (it would fail there too), a
# context overflow (a fallback with a larger window is a choice for the caller), an explicit credential pin.
FALLBACK_CODES = frozenset(
    {
        "auth.rejected",
        "auth.region_mismatch",
        "auth.oauth_refresh_failed",
        "auth.missing_credential",
        "auth.key_malformed",
        "access.billing",
        "access.forbidden",
        "rate_limit.exceeded",
        "rate_limit.quota",
        "rate_limit.credential_limit",
        "upstream.overloaded",
        "upstream.server_error",
        "upstream.bad_response",
        "upstream.stream_error",
        "upstream.stream_cut",
        "network.timeout",
        "network.connect",
        "network.dns",
        "network.tls",
        "network.reset",
        "model.unknown",
        "request.unsupported_param",  # a provider of the plan that speaks the client's format may serve it
        "request.unsupported_endpoint",
        "provider.api_mismatch",
        "env.unresolved_ref",
        "config.invalid_value",
    }
)


@dataclass(frozen=True, slots=True)
class HealthEffect:
    """The health state a failure leaves for its (provider, key, model): `state` and how wide it reaches."""

    state: str  # rejected | blocked | cooling
    credential_wide: bool  # True: every model of that key; False: this model only
    schedule: str  # which back-off schedule of call/health.py applies


_HEALTH = {
    "auth.rejected": HealthEffect("rejected", True, "recheck"),
    "auth.region_mismatch": HealthEffect("rejected", True, "recheck"),
    "access.billing": HealthEffect("blocked", True, "blocked"),
    "access.forbidden": HealthEffect("blocked", False, "blocked"),
    "rate_limit.quota": HealthEffect("blocked", False, "blocked"),
    "rate_limit.exceeded": HealthEffect("cooling", False, "rate_limit"),
    "upstream.overloaded": HealthEffect("cooling", False, "transient"),
    "upstream.server_error": HealthEffect("cooling", False, "transient"),
    # not: one broken stream or unreadable answer (stream_cut, stream_error, bad_response) — it says little
    # about the next call, and a cooldown would refuse calls that would work
    "network.timeout": HealthEffect("cooling", False, "transient"),
    "network.connect": HealthEffect("cooling", False, "transient"),
    "network.dns": HealthEffect("cooling", False, "transient"),
    "network.tls": HealthEffect("cooling", False, "transient"),
    "network.reset": HealthEffect("cooling", False, "transient"),
}


def health_effect(code: str) -> HealthEffect | None:
    """The health state this failure code leaves behind, or None when health is unaffected. The same before
    and after the first streamed byte."""
    return _HEALTH.get(code)


def retryable(code: str) -> bool:
    return code in RETRYABLE_CODES


def next_credential(code: str) -> bool:
    return code in NEXT_CREDENTIAL_CODES


def fallback(code: str) -> bool:
    return code in FALLBACK_CODES
