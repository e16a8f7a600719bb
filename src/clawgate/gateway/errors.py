"""Failures → HTTP: status per code/owner, the endpoint's own envelope, and the headers SDKs act on.

- A failure of clawgate's own provider credential or account (owners `provider_auth`, `provider_access`) is a
  424 Failed Dependency: never a 401 (401 means the client's own gateway token is wrong), and not a 5xx either,
  because clients retry every 5xx whatever `x-should-retry` says (Codex CLI: 4 request retries inside 5 stream
  retries, 25 s to give up on a 502) and no retry fixes a refused key. A billing refusal keeps its 402, a bad
  credential pin in the client's model string its 400.
- Its top-level message never reads like the client's key is wrong (Claude Code printed "Invalid API key · Fix
  external API key" for a 502 whose message quoted the provider's `invalid x-api-key`): it names clawgate's
  credential, and the provider's words go in `provider_message`.
- `x-should-retry` is the failure's own `retryable` (the failure policy's decision), and `retry-after` is sent
  only with `x-should-retry: true`: a client that obeys Retry-After must not wait on an answer that will not
  change (Codex CLI hung for minutes on a rejected key's `retry-after: 300`).
- The message itself ends with the owner, the code and the next step (`dialects/envelope.client_message`):
  Codex CLI and Claude Code show only the message, never the envelope's other fields.
"""

from __future__ import annotations

import dataclasses
import math

import orjson

from clawgate.dialects.registry import get_dialect
from clawgate.failures import Failure, failure

_BY_CODE = {
    "gateway.token_missing": 401,
    "gateway.token_mismatch": 401,
    "gateway.locked_out": 429,
    "gateway.pairing_required": 403,  # known to the gateway, waiting for approval: not a wrong credential
    "gateway.scope_denied": 403,
    "gateway.rate_limited": 429,
    "access.budget_exceeded": 402,
    "rate_limit.credential_limit": 429,
    "model.unknown": 404,
    "request.not_found": 404,
    "model.not_configured": 503,
    "request.too_large": 413,
    "access.billing": 402,
    "auth.pin_invalid": 400,  # the client's model string pins a profile that cannot serve it; nothing was sent
    "rate_limit.exceeded": 429,
    "rate_limit.quota": 429,
    "upstream.overloaded": 503,
    "network.timeout": 504,
    "runtime.shutdown": 503,
    "state.database_unreachable": 503,  # the sessions database is away: not taken, try again
    "state.redis_unreachable": 503,
}
_BY_OWNER = {
    "gateway_auth": 401,
    "provider_auth": 424,  # clawgate's credential for the provider: a retry cannot fix it (see above)
    "provider_access": 424,
    "rate_limit": 429,
    "upstream": 502,
    "network": 502,
    "request": 400,
    "context": 400,
    "config": 503,
    "environment": 503,
    "runtime": 500,
}
_REJECTED = frozenset({"auth.rejected", "auth.region_mismatch"})


def http_status(f: Failure, client_api: str) -> int:
    status = _BY_CODE.get(f.code) or _BY_OWNER.get(f.owner, 500)
    if status == 503 and f.code == "upstream.overloaded" and client_api == "anthropic-messages":
        return 529
    return status


def for_client(f: Failure) -> Failure:
    """The failure as a client sees it: a provider's rejection of clawgate's credential is said in clawgate's
    words (it must not read like the client's own key is wrong); the provider's own words stay in
    `provider_message`; and a wait is said only where a retry is advised."""
    if not f.retryable and f.retry_after is not None:
        f = dataclasses.replace(f, retry_after=None)
    if f.code not in _REJECTED:
        return f
    cred = f" {f.credential_source} ({f.credential_fingerprint})" if f.credential_source else ""
    provider = f.provider or "the provider"
    model = f" for {f.model}" if f.model else ""
    when = "earlier, and it was not sent again" if not f.sent else "just now"
    message = (
        f"upstream credential refused: {provider} did not accept clawgate's credential{cred}{model} ({when}). "
        "The key you sent to clawgate (the gateway token) was accepted; clawgate's own credential for "
        f"{provider} needs fixing on the gateway (see provider_message for {provider}'s words)."
    )
    return dataclasses.replace(f, message=message)


def error_response(
    f: Failure, client_api: str, status: int | None = None, *, tail: bool = True
) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    """(status, headers, body) for `f` on an endpoint speaking `client_api`; `status` overrides the mapping.
    `tail=False` for clawgate's own APIs (sessions, the control UI): their clients show the owner and the next
    step from the envelope's own fields, so the message stays clawgate's sentence alone."""
    status = status or http_status(f, client_api)
    f = for_client(f)
    payload = get_dialect(client_api).error_body(f, status)
    if not tail:
        payload["error"]["message"] = f.message
    body = orjson.dumps(payload)
    headers = [
        (b"content-type", b"application/json"),
        (b"x-clawgate-owner", f.owner.encode()),
        (b"x-clawgate-code", f.code.encode()),
        (b"x-should-retry", b"true" if f.retryable else b"false"),
    ]
    if f.retryable and f.retry_after is not None:
        secs = max(0, math.ceil(f.retry_after))
        headers.append((b"retry-after", str(secs).encode()))
        headers.append((b"retry-after-ms", str(int(f.retry_after * 1000)).encode()))
    return status, headers, body


def request_error(message: str, param: str | None = None, code: str = "request.invalid") -> Failure:
    return failure(
        code,
        message,
        param=param,
        next_steps=["fix the request body" + (f" field {param!r}" if param else "")],
    )
