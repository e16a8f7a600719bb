"""Gateway client authentication: Bearer or x-api-key, constant-time comparison, per-address lockout."""

from __future__ import annotations

import hmac
import time
from collections import deque
from dataclasses import dataclass
from ipaddress import ip_address

from clawgate.failures import Failure
from clawgate.gateway.token import GatewayToken


@dataclass
class AuthSettings:
    max_failures_per_minute: int = 10
    lockout_seconds: float = 300.0
    exempt_loopback: bool = True


def _is_loopback(addr: str | None) -> bool:
    if not addr:
        return False
    try:
        return ip_address(addr).is_loopback
    except ValueError:
        return addr == "localhost"


def presented_token(headers: dict[bytes, bytes]) -> str | None:
    auth = headers.get(b"authorization")
    if auth:
        text = auth.decode("latin-1").strip()
        if text[:7].lower() == "bearer ":
            return text[7:].strip()
        return text
    key = headers.get(b"x-api-key")
    if key:
        return key.decode("latin-1").strip()
    return None


class GatewayAuth:
    def __init__(self, token: GatewayToken, settings: AuthSettings) -> None:
        self.token = token
        self.settings = settings
        self._token_bytes = token.value.encode() if token.value else None
        self._failures: dict[str, deque[float]] = {}
        self._locked: dict[str, float] = {}

    def update(self, token: GatewayToken, settings: AuthSettings) -> None:
        self.token = token
        self.settings = settings
        self._token_bytes = token.value.encode() if token.value else None

    def check(self, headers: dict[bytes, bytes], client: str | None) -> Failure | None:
        """None when the request may proceed; otherwise the gateway_auth failure to answer with."""
        if self.token.mode != "token":
            return None
        now = time.monotonic()
        exempt = self.settings.exempt_loopback and _is_loopback(client)
        if not exempt and client is not None:
            until = self._locked.get(client)
            if until is not None:
                if until > now:
                    return Failure(
                        owner="gateway_auth",
                        code="gateway.locked_out",
                        retry_after=round(until - now),
                        message=f"too many failed gateway token attempts from {client}; locked out for "
                        f"{round(until - now)} s",
                        next_steps=[
                            "use the gateway token from ~/.clawgate/.env (CLAWGATE_GATEWAY_TOKEN)",
                            "clawgate gateway status",
                        ],
                    )
                del self._locked[client]
        presented = presented_token(headers)
        if self._token_bytes is None:
            return Failure(
                owner="gateway_auth",
                code="AUTH_TOKEN_MISSING",
                message="the gateway requires a token but none is configured on the gateway",
                next_steps=["clawgate gateway status"],
            )
        if presented is None:
            self._fail(client, now, exempt)
            return Failure(
                owner="gateway_auth",
                code="AUTH_TOKEN_MISSING",
                message="this gateway requires a token: send 'Authorization: Bearer <token>' or 'x-api-key: <token>'",
                next_steps=[
                    "set your client's API key to the gateway token (CLAWGATE_GATEWAY_TOKEN)",
                    "clawgate gateway status",
                ],
            )
        if not hmac.compare_digest(presented.encode("utf-8", "surrogateescape"), self._token_bytes):
            self._fail(client, now, exempt)
            return Failure(
                owner="gateway_auth",
                code="AUTH_TOKEN_MISMATCH",
                message="the token sent to the gateway does not match the gateway's token (this is the client's "
                "key for clawgate, not a provider key)",
                next_steps=[
                    "compare fingerprints: clawgate gateway status --json (token.fingerprint)",
                    "update the client's API key / CLAWGATE_GATEWAY_TOKEN",
                ],
            )
        return None

    def _fail(self, client: str | None, now: float, exempt: bool) -> None:
        if exempt or client is None:
            return
        window = self._failures.setdefault(client, deque())
        window.append(now)
        while window and window[0] < now - 60:
            window.popleft()
        if len(window) >= self.settings.max_failures_per_minute:
            self._locked[client] = now + self.settings.lockout_seconds
            window.clear()
        if len(self._failures) > 10000:  # bound memory under a spray of addresses
            self._failures.clear()
