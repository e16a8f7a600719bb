"""How the control UI's API answers: JSON through the redactor, errors in the SDK envelope, the auth guard every
data endpoint passes (the gateway token, a UI session cookie, or loopback without a token), and SSE events."""

from __future__ import annotations

import dataclasses
from ipaddress import ip_address
from typing import TYPE_CHECKING, Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from clawgate.envsteps import GENERATE_GATEWAY_TOKEN
from clawgate.failures import Failure
from clawgate.gateway.errors import error_response
from clawgate.redaction import redact

if TYPE_CHECKING:
    from clawgate.gateway.app import GatewayApp

# The page only talks to its own origin; nothing inline, nothing framed.
PAGE_HEADERS = {
    "content-security-policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'",
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cache-control": "no-cache",
}
JSON_HEADERS = {"cache-control": "no-store", "x-content-type-options": "nosniff"}
STATIC_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}


def json_response(obj: Any, status: int = 200) -> Response:
    """JSON through the redactor: a secret that slipped into any message leaves as its fingerprint."""
    body = redact(orjson.dumps(obj, default=str).decode()).encode()
    return Response(body, status_code=status, media_type="application/json", headers=JSON_HEADERS)


def fail(f: Failure, status: int | None = None) -> Response:
    code, headers, body = error_response(f, "openai-completions", status, tail=False)
    out = {k.decode(): v.decode() for k, v in headers}
    out.update(JSON_HEADERS)
    return Response(redact(body.decode()).encode(), status_code=code, headers=out)


def loopback_host(host: str) -> bool:
    name = host.rsplit("]", 1)[0].lstrip("[") if host.startswith("[") else host.rsplit(":", 1)[0]
    if name.lower() == "localhost":
        return True
    try:
        return ip_address(name).is_loopback
    except ValueError:
        return False


def auth_denial(gw: GatewayApp, request: Request) -> Response | None:
    f = gw.check_auth(request.scope)
    if f is None:
        if gw.auth.token.mode != "token" and not loopback_host(request.headers.get("host", "")):
            # no token: only a page opened at a loopback address may read this (a DNS-rebinding page may not)
            return fail(
                Failure(
                    owner="gateway_auth",
                    code="ui.host_not_loopback",
                    message="without a gateway token the control UI only answers at a loopback address "
                    f"(this request was for host {request.headers.get('host', '?')!r})",
                    next_steps=[
                        f"open {gw.address}/",
                        f"or set a gateway token: {GENERATE_GATEWAY_TOKEN}",
                    ],
                ),
                403,
            )
        return None
    if (
        f.code in ("gateway.token_missing", "gateway.token_mismatch")
        and "clawgate dashboard" not in f.next_steps
    ):
        f = dataclasses.replace(f, next_steps=["clawgate dashboard", *f.next_steps])
    return fail(f)


def bad_request(message: str) -> Response:
    return fail(Failure(owner="request", code="request.invalid", message=message), 400)


async def read_body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return {}
    return data if isinstance(data, dict) else {}


def sse_event(event: str, data: Any) -> bytes:
    return (
        b"event: "
        + event.encode()
        + b"\ndata: "
        + redact(orjson.dumps(data, default=str).decode()).encode()
        + b"\n\n"
    )
