"""Gateway client authentication: Bearer or x-api-key, constant-time comparison, per-address lockout — and the
control UI's login: one-time login codes (minted for a caller that has the token, `clawgate dashboard`) that a
browser trades for a session cookie holding a random id kept in this process's memory, never the token."""

from __future__ import annotations

import hmac
import secrets
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass
from ipaddress import ip_address
from urllib.parse import urlsplit

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


UI_COOKIE = "clawgate_ui"
LOGIN_CODE_TTL = 120.0  # seconds a `clawgate dashboard` link works (once)
UI_SESSION_TTL = 24 * 3600.0  # seconds a browser stays logged in
_MAX_CODES = 32
_MAX_SESSIONS = 64
LOGIN_HINT = "run `clawgate dashboard` on the gateway's machine: it prints (and opens) a link that logs this browser in"


def _cookie(headers: dict[bytes, bytes], name: str) -> str | None:
    raw = headers.get(b"cookie")
    if not raw:
        return None
    for part in raw.decode("latin-1").split(";"):
        k, sep, v = part.strip().partition("=")
        if sep and k == name:
            return v.strip().strip('"') or None
    return None


def _same_origin(headers: dict[bytes, bytes]) -> bool:
    """A cookie only counts on requests the UI's own page makes: not cross-site or same-site-other-port ones
    (SameSite ignores ports, so another local web page could otherwise ride on the cookie)."""
    site = headers.get(b"sec-fetch-site")
    if site is not None and site not in (b"same-origin", b"none"):
        return False
    origin = headers.get(b"origin")
    if origin is None:
        return True
    host = headers.get(b"host")
    if origin == b"null" or host is None:
        return False
    return (urlsplit(origin.decode("latin-1")).netloc or "").lower() == host.decode("latin-1").lower()


class UiSessions:
    """One-time login codes and the browser sessions they open, in memory only (a restart logs browsers out)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._codes: OrderedDict[str, float] = OrderedDict()  # code -> expires (monotonic)
        self._sessions: OrderedDict[str, float] = OrderedDict()  # session id -> expires (monotonic)

    def issue_code(self) -> tuple[str, float]:
        now = self._clock()
        self._prune(now)
        code = secrets.token_hex(24)  # hex: never shaped like a key, so no output path redacts it
        self._codes[code] = now + LOGIN_CODE_TTL
        while len(self._codes) > _MAX_CODES:
            self._codes.popitem(last=False)
        return code, LOGIN_CODE_TTL

    def redeem(self, code: str) -> str | None:
        """A new session id for a valid code (which is used up either way); None when unknown or expired."""
        now = self._clock()
        self._prune(now)
        match = next((c for c in self._codes if hmac.compare_digest(c.encode(), code.encode())), None)
        if match is None:
            return None
        del self._codes[match]
        sid = secrets.token_urlsafe(32)
        self._sessions[sid] = now + UI_SESSION_TTL
        while len(self._sessions) > _MAX_SESSIONS:
            self._sessions.popitem(last=False)
        return sid

    def valid(self, sid: str | None) -> bool:
        if not sid:
            return False
        now = self._clock()
        match = next((s for s in self._sessions if hmac.compare_digest(s.encode(), sid.encode())), None)
        if match is None:
            return False
        if self._sessions[match] <= now:
            del self._sessions[match]
            return False
        return True

    def revoke(self, sid: str | None) -> None:
        if sid:
            self._sessions.pop(sid, None)

    def clear(self) -> None:
        self._codes.clear()
        self._sessions.clear()

    @property
    def count(self) -> int:
        return len(self._sessions)

    def _prune(self, now: float) -> None:
        for table in (self._codes, self._sessions):
            for key in [k for k, exp in table.items() if exp <= now]:
                del table[key]


class GatewayAuth:
    def __init__(self, token: GatewayToken, settings: AuthSettings) -> None:
        self.token = token
        self.settings = settings
        self._token_bytes = token.value.encode() if token.value else None
        self._failures: dict[str, deque[float]] = {}
        self._locked: dict[str, float] = {}
        self.ui = UiSessions()

    def update(self, token: GatewayToken, settings: AuthSettings) -> None:
        if (token.mode, token.value) != (self.token.mode, self.token.value):
            self.ui.clear()  # a new (or no) token logs every browser out
        self.token = token
        self.settings = settings
        self._token_bytes = token.value.encode() if token.value else None

    def ui_session(self, headers: dict[bytes, bytes]) -> str | None:
        """The UI session id this request carries, when it is valid and the request comes from the UI's page."""
        sid = _cookie(headers, UI_COOKIE)
        if sid is None or not _same_origin(headers) or not self.ui.valid(sid):
            return None
        return sid

    def check(
        self, headers: dict[bytes, bytes], client: str | None, allow_cookie: bool = True
    ) -> Failure | None:
        """None when the request may proceed; otherwise the gateway_auth failure to answer with. A request
        without a token may present the control UI's session cookie instead (`clawgate dashboard`), except
        where `allow_cookie` is off (the model endpoints: those are for agents and SDKs, which use the token)."""
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
                code="gateway.token_missing",
                message="the gateway requires a token but none is configured on the gateway",
                next_steps=["clawgate gateway status"],
            )
        if presented is None:
            if allow_cookie and self.ui_session(headers) is not None:
                return None
            self._fail(client, now, exempt)
            if _cookie(headers, UI_COOKIE) is not None:
                return Failure(
                    owner="gateway_auth",
                    code="gateway.token_missing",
                    message="this browser's dashboard login is not valid (it expired, the gateway restarted "
                    "or its token changed, or the request did not come from the dashboard's own page)",
                    next_steps=["clawgate dashboard"],
                )
            return Failure(
                owner="gateway_auth",
                code="gateway.token_missing",
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
                code="gateway.token_mismatch",
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
