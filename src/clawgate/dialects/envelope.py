"""Error envelopes for clients: OpenAI's and Anthropic's shapes plus clawgate's owner/code/next fields."""

from __future__ import annotations

import math
from typing import Any

from clawgate.failures import Failure

# Failure.owner -> the `type` of an OpenAI-style error object.
OPENAI_TYPES = {
    "provider_auth": "upstream_auth_error",
    "gateway_auth": "gateway_auth_error",
    "rate_limit": "rate_limit_error",
    "request": "invalid_request_error",
    "context": "invalid_request_error",
    "upstream": "upstream_error",
    "network": "network_error",
    "config": "config_error",
    "environment": "config_error",
    "provider_access": "billing_error",
    "runtime": "runtime_error",
}

_ANTHROPIC_BY_STATUS = {
    400: "invalid_request_error",
    401: "authentication_error",
    402: "billing_error",
    403: "permission_error",
    404: "not_found_error",
    424: "api_error",  # the provider refused clawgate's credential: not the client's key (never 401-like)
    429: "rate_limit_error",
    504: "timeout_error",
    529: "overloaded_error",
}

# For in-band errors (no HTTP status of their own): Failure.code / owner -> Anthropic error type.
_ANTHROPIC_BY_CODE = {
    "upstream.overloaded": "overloaded_error",
    "access.billing": "billing_error",
    "access.forbidden": "permission_error",
    "model.unknown": "not_found_error",
    "network.timeout": "timeout_error",
}
_ANTHROPIC_BY_OWNER = {
    "provider_auth": "authentication_error",
    "gateway_auth": "authentication_error",
    "rate_limit": "rate_limit_error",
    "request": "invalid_request_error",
    "context": "invalid_request_error",
    "config": "invalid_request_error",
    "provider_access": "permission_error",
}


def clawgate_fields(failure: Failure) -> dict[str, Any]:
    """What a person needs beside the message: which layer failed, where, with which credential, what next."""
    out: dict[str, Any] = {"owner": failure.owner}
    if failure.provider:
        out["provider"] = failure.provider
    if failure.model:
        out["model"] = failure.model
    if failure.credential_source or failure.credential_fingerprint:
        out["credential"] = {
            "source": failure.credential_source,
            "fingerprint": failure.credential_fingerprint,
        }
    if failure.provider_message:
        out["provider_message"] = failure.provider_message  # the provider's own words, apart from ours
    out["retryable"] = failure.retryable
    if (
        failure.retry_after is not None
    ):  # whole seconds, rounded up, as HTTP's retry-after (ms: its own header)
        out["retry_after"] = math.ceil(failure.retry_after)
    if failure.request_id:
        out["request_id"] = failure.request_id
    if failure.param:
        out["param"] = failure.param
    out["next"] = failure.next_steps[0] if failure.next_steps else None
    out["next_steps"] = list(failure.next_steps)
    return out


def client_message(failure: Failure) -> str:
    """The message a client shows: clawgate's message, then the failing layer and the next step — many
    clients (Codex CLI, Claude Code) show only the message, never the envelope's other fields."""
    tail = f"owner: {failure.owner}, code: {failure.code}"
    if failure.next_steps:
        tail += f"; next: {failure.next_steps[0]}"
    return f"{failure.message} [clawgate {tail}]"


def openai_error(failure: Failure) -> dict[str, Any]:
    """The inner `error` object of an OpenAI-style envelope."""
    return {
        "message": client_message(failure),
        "type": OPENAI_TYPES.get(failure.owner, "runtime_error"),
        "code": failure.code,
        **clawgate_fields(failure),
        "param": failure.param,
    }


def openai_error_body(failure: Failure) -> dict[str, Any]:
    return {"error": openai_error(failure)}


def anthropic_type(failure: Failure, status: int | None) -> str:
    """Anthropic's error type for an HTTP status, or (for in-band errors) for the failure itself."""
    if status is not None:
        if status in _ANTHROPIC_BY_STATUS:
            return _ANTHROPIC_BY_STATUS[status]
        return "api_error" if status >= 500 else "invalid_request_error"
    return _ANTHROPIC_BY_CODE.get(failure.code) or _ANTHROPIC_BY_OWNER.get(failure.owner, "api_error")


def anthropic_error_body(failure: Failure, status: int | None) -> dict[str, Any]:
    return {
        "type": "error",
        "error": {
            "type": anthropic_type(failure, status),
            "message": client_message(failure),
            "code": failure.code,
            **clawgate_fields(failure),
        },
    }
