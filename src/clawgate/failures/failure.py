"""Failure: the one shape every failed call takes — owner (the layer at fault), code, retry facts, next step —
validated against the code registry, and `failure()`, the constructor that takes the owner and the reactions
(retry, next credential, fallback) from the registry and the policy instead of from its caller."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from clawgate.failures import policy
from clawgate.failures.codes import CODES, OWNERS

if TYPE_CHECKING:
    from clawgate.errors import ClawgateError


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
    # How the executor reacts; None takes the code's policy (failures.policy)
    try_next_credential: bool | None = None  # another distinct key for the same attempt may work
    try_fallback: bool | None = None  # another model/provider in the plan may work
    should_retry_header: bool | None = None  # the provider's x-should-retry, when sent
    sent: bool = True  # False: refused before anything was sent (health state, no credential, a bad pin)
    phase: str | None = None  # network.timeout: which timer fired (connect | first_byte | idle | total)
    param: str | None = None  # the request field at fault (OpenAI envelopes' `param`)

    def __post_init__(self) -> None:
        known = CODES.get(self.code)
        if known is None:
            raise ValueError(f"unregistered failure code {self.code!r} (add it to clawgate.failures.codes)")
        if self.owner != known.owner:
            if self.owner not in OWNERS:
                raise ValueError(f"unknown owner {self.owner!r}")
            raise ValueError(f"code {self.code!r} belongs to owner {known.owner!r}, not {self.owner!r}")
        if self.try_next_credential is None:
            self.try_next_credential = policy.next_credential(self.code)
        if self.try_fallback is None:
            self.try_fallback = policy.fallback(self.code)

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
            "phase",
            "param",
        ):
            val = getattr(self, key)
            if val is not None:
                out[key] = val
        if not self.sent:
            out["sent"] = False
        out["next"] = list(self.next_steps)
        return out


def headline(owner: str | None, status: int | None, code: str | None) -> str:
    """A failure's who and what in one line — `upstream 500 upstream.server_error`, `network network.connect`:
    a failure with no HTTP status (network, local) shows none."""
    return " ".join(str(part) for part in (owner, status, code) if part not in (None, ""))


def seconds(value: float) -> str:
    """A wait as a message says it: at most one decimal, rounded up (never shorter than the real wait)."""
    return f"{math.ceil(round(value * 10, 6)) / 10:g}"


def failure(code: str, message: str, *, retryable: bool | None = None, **fields: Any) -> Failure:
    """A Failure for a registered `code`: the owner comes from the registry, `retryable` (unless given),
    `try_next_credential` and `try_fallback` from the policy."""
    return Failure(
        owner=CODES[code].owner,
        code=code,
        message=message,
        retryable=policy.retryable(code) if retryable is None else retryable,
        **fields,
    )


# ClawgateError codes that are not failures of a request, and what they are when one answers a request.
_AS_REQUEST = {
    "cli.usage": "request.invalid",
    "config.error": "request.invalid",
    "config.not_found": "request.not_found",
}


def from_error(exc: ClawgateError, **fields: Any) -> Failure:
    """A raised ClawgateError as a Failure (the one conversion): its code when registered — the owner is the
    code's — else `runtime.internal`. Errors of the command line's vocabulary map to the request's."""
    code = _AS_REQUEST.get(exc.code, exc.code)
    if code not in CODES:
        code = "runtime.internal"
    return failure(code, exc.message, next_steps=list(exc.next_steps), **fields)
