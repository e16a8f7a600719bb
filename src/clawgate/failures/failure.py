"""Failure: the one shape every failed call takes — owner (the layer at fault), code, retry facts, next step."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

OWNERS = (
    "config",
    "environment",
    "provider_auth",
    "provider_access",
    "gateway_auth",
    "rate_limit",
    "upstream",
    "network",
    "request",
    "context",
    "runtime",
)

# Stable failure codes (shared with doctor's finding codes where the meaning is the same).
CODES: dict[str, str] = {
    "auth.missing_credential": "provider_auth",
    "auth.rejected": "provider_auth",
    "auth.region_mismatch": "provider_auth",
    "auth.key_malformed": "provider_auth",
    # An OAuth refresh (or Copilot's token exchange) was refused before the call: the provider's words say why.
    "auth.oauth_refresh_failed": "provider_auth",
    "access.billing": "provider_access",
    "access.forbidden": "provider_access",
    "rate_limit.exceeded": "rate_limit",
    "upstream.overloaded": "upstream",
    "upstream.server_error": "upstream",
    "upstream.stream_error": "upstream",
    "upstream.stream_cut": "upstream",
    "upstream.bad_response": "upstream",
    "network.timeout": "network",
    "network.connect": "network",
    "network.dns": "network",
    "network.tls": "network",
    "network.reset": "network",
    "request.invalid": "request",
    "request.too_large": "request",
    "model.unknown": "request",
    "provider.api_mismatch": "config",
    "context.exceeded": "context",
    "config.invalid_value": "config",
    "env.unresolved_ref": "environment",
    "health.cooling": "rate_limit",
    "runtime.cancelled": "runtime",
    "runtime.idle_timeout": "runtime",
    "runtime.total_timeout": "runtime",
    "runtime.internal": "runtime",
    "gateway.token_missing": "gateway_auth",
    "gateway.token_mismatch": "gateway_auth",
    "gateway.locked_out": "gateway_auth",
    "gateway.pairing_required": "gateway_auth",
}


@dataclass
class Failure:
    """A classified failure. Never holds a secret: credentials appear only as source + fingerprint."""

    owner: str
    code: str
    message: str
    retryable: bool = False
    retry_after: float | None = None  # seconds, from retry-after-ms / retry-after
    status: int | None = None  # upstream HTTP status (None for network/local failures)
    provider: str | None = None
    model: str | None = None
    host: str | None = None
    provider_message: str | None = None
    provider_type: str | None = None  # the provider's own error type/code string
    request_id: str | None = None
    next_steps: list[str] = field(default_factory=list)
    credential_source: str | None = None
    credential_fingerprint: str | None = None
    # How the executor reacts (derived from owner/code by default; classifiers may override):
    try_next_credential: bool = False  # another distinct key for the same attempt may work
    try_fallback: bool = False  # another model/provider in the plan may work
    should_retry_header: bool | None = None  # the provider's x-should-retry, when sent

    def __post_init__(self) -> None:
        if self.owner not in OWNERS:
            raise ValueError(f"unknown owner {self.owner!r}")

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "owner": self.owner,
            "code": self.code,
            "message": self.message,
            "retryable": self.retryable,
        }
        for key in (
            "retry_after",
            "status",
            "provider",
            "model",
            "host",
            "provider_message",
            "provider_type",
            "request_id",
            "credential_source",
            "credential_fingerprint",
        ):
            val = getattr(self, key)
            if val is not None:
                out[key] = val
        out["next"] = list(self.next_steps)
        return out


# Which failures move on to the next credential / the next fallback (the executor's policy table).
NEXT_CREDENTIAL_CODES = {"auth.rejected", "auth.region_mismatch", "auth.oauth_refresh_failed"}
FALLBACK_CODES = {
    "auth.rejected",
    "auth.oauth_refresh_failed",
    "auth.region_mismatch",
    "auth.missing_credential",
    "auth.key_malformed",
    "access.billing",
    "access.forbidden",
    "rate_limit.exceeded",
    "health.cooling",
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
    "provider.api_mismatch",
    "env.unresolved_ref",
    "config.invalid_value",
}
