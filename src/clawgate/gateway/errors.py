"""Failures → HTTP: status per owner/code, the endpoint's own envelope, and the headers SDKs act on.

A provider's rejection of clawgate's credential is never a 401 to the client: 401 means the client's own
gateway token is wrong. Non-retryable failures carry `x-should-retry: false` so SDKs don't loop.
"""

from __future__ import annotations

import math

import orjson

from clawgate.dialects.registry import get_dialect
from clawgate.failures import Failure

_BY_CODE = {
    "AUTH_TOKEN_MISSING": 401,
    "AUTH_TOKEN_MISMATCH": 401,
    "gateway.locked_out": 429,
    "model.unknown": 404,
    "model.not_configured": 503,
    "request.too_large": 413,
    "access.billing": 402,
    "health.cooling": 429,
    "rate_limit.exceeded": 429,
    "upstream.overloaded": 503,
    "network.timeout": 504,
    "runtime.shutdown": 503,
}
_BY_OWNER = {
    "gateway_auth": 401,
    "provider_auth": 502,
    "provider_access": 502,
    "rate_limit": 429,
    "upstream": 502,
    "network": 502,
    "request": 400,
    "context": 400,
    "config": 503,
    "environment": 503,
    "runtime": 500,
}


def http_status(f: Failure, client_api: str) -> int:
    status = _BY_CODE.get(f.code) or _BY_OWNER.get(f.owner, 500)
    if status == 503 and f.code == "upstream.overloaded" and client_api == "anthropic-messages":
        return 529
    return status


def retryable_for_client(f: Failure, status: int) -> bool:
    if f.owner in (
        "gateway_auth",
        "provider_auth",
        "provider_access",
        "request",
        "context",
        "config",
        "environment",
    ):
        return False
    return (
        f.retryable or f.code in ("health.cooling", "rate_limit.exceeded") or status in (502, 503, 504, 529)
    )


def error_response(
    f: Failure, client_api: str, status: int | None = None
) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    """(status, headers, body) for `f` on an endpoint speaking `client_api`; `status` overrides the mapping."""
    status = status or http_status(f, client_api)
    body = orjson.dumps(get_dialect(client_api).error_body(f, status))
    headers = [
        (b"content-type", b"application/json"),
        (b"x-clawgate-owner", f.owner.encode()),
        (b"x-clawgate-code", f.code.encode()),
    ]
    headers.append((b"x-should-retry", b"true" if retryable_for_client(f, status) else b"false"))
    if f.retry_after is not None:
        # also on non-retryable answers (a lockout, a blocked key): it says how long; x-should-retry: false
        # keeps the SDKs from looping on it
        secs = max(0, math.ceil(f.retry_after))
        headers.append((b"retry-after", str(secs).encode()))
        headers.append((b"retry-after-ms", str(int(f.retry_after * 1000)).encode()))
    return status, headers, body


def request_error(message: str, param: str | None = None, code: str = "request.invalid") -> Failure:
    return Failure(
        owner="request",
        code=code,
        message=message,
        next_steps=["fix the request body" + (f" field {param!r}" if param else "")],
    )
