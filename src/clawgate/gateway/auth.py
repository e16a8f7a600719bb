"""Gateway client authentication: Bearer or x-api-key, constant-time comparison, per-client lockout shared by
every gateway process — and the control UI's login: one-time login codes (minted for a caller that has the
token, `clawgate dashboard`) that a browser trades for a session cookie holding a random id, never the token.
Lockouts, codes and sessions live in the shared state (docs/state.md); each process reads a replica."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import secrets
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from ipaddress import ip_address, ip_network
from typing import Any
from urllib.parse import urlsplit

from clawgate.background import Background
from clawgate.clients.identity import OWNER, Client
from clawgate.clients.registry import ClientRegistry
from clawgate.failures import Failure, failure
from clawgate.gateway.token import COMPARE_STEP, GatewayToken
from clawgate.redaction import fingerprint
from clawgate.state.base import SharedState, StateUnavailable
from clawgate.state.memory import MemoryState


@dataclass
class AuthSettings:
    max_failures_per_minute: int = 10
    lockout_seconds: float = 300.0
    exempt_loopback: bool = True
    trusted_proxies: list[str] = field(default_factory=list)

    def networks(self) -> list[Any]:
        return [ip_network(p, strict=False) for p in self.trusted_proxies]


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


def _presented_in(headers: dict[bytes, bytes]) -> str:
    """Which header carried the token `presented_token` read."""
    return "header:authorization" if headers.get(b"authorization") else "header:x-api-key"


UI_COOKIE = "clawgate_ui"
LOGIN_CODE_TTL = 120.0  # seconds a `clawgate dashboard` link works (once)
UI_SESSION_TTL = 24 * 3600.0  # seconds a browser stays logged in
_MAX_SESSIONS = 64  # sessions each process keeps in its replica (more are read from the shared state)
_MISS_SECONDS = 1.0  # an unknown session id is not looked up again for this long
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


def _h(secret: str) -> str:
    """The shared state keys codes and session ids by their hash: whoever reads the engine cannot log in."""
    return hashlib.sha256(secret.encode("utf-8", "surrogateescape")).hexdigest()[:32]


class UiSessions:
    """One-time login codes and the browser sessions they open, in the shared state (docs/state.md): a code
    minted on one gateway process works on any, once; a session is valid on every process. Each process keeps
    a replica of the sessions it has seen (checks never wait on the engine); a miss reads the engine once."""

    def __init__(
        self, clock: Callable[[], float] = time.time, shared: SharedState | None = None, token_id: str = ""
    ) -> None:
        self._clock = clock
        self.shared: SharedState = shared if shared is not None else MemoryState(clock)
        self.token_id = token_id  # sessions belong to one gateway token: a new token logs everyone out
        self._sessions: OrderedDict[str, float] = OrderedDict()  # hash(session id) -> expires (replica)
        self._misses: OrderedDict[str, float] = OrderedDict()  # hash -> until when a miss is believed
        self._background = Background()  # shared-state writes, off the request's path
        self.shared.subscribe(self._notified)

    async def issue_code(self) -> tuple[str, float]:
        code = secrets.token_hex(24)  # hex: never shaped like a key, so no output path redacts it
        await self.shared.set("ui.code:" + _h(code), self.token_id, LOGIN_CODE_TTL)
        return code, LOGIN_CODE_TTL

    async def redeem(self, code: str) -> str | None:
        """A new session id for a valid code (which is used up either way, on every process); None when
        unknown or expired."""
        if not code:
            return None
        minted_for = await self.shared.take("ui.code:" + _h(code))
        if minted_for is None or minted_for != self.token_id:
            return None
        sid = secrets.token_urlsafe(32)
        expires = self._clock() + UI_SESSION_TTL
        h = _h(sid)
        await self.shared.set("ui.session:" + h, f"{expires}|{self.token_id}", UI_SESSION_TTL)
        self._remember(h, expires)
        self.shared.notify("ui.session", {"h": h, "exp": expires, "t": self.token_id})
        return sid

    def _remember(self, h: str, expires: float) -> None:
        self._sessions[h] = expires
        self._sessions.move_to_end(h)
        self._misses.pop(h, None)
        while len(self._sessions) > _MAX_SESSIONS:
            self._sessions.popitem(last=False)

    def valid(self, sid: str | None) -> bool:
        if not sid:
            return False
        now = self._clock()
        h = _h(sid)
        expires = self._sessions.get(h)
        if expires is None:
            expires = self._read_through(h, now)
            if expires is None:
                return False
        if expires <= now:
            self._sessions.pop(h, None)
            return False
        return True

    def _read_through(self, h: str, now: float) -> float | None:
        """A session another process opened whose notification has not arrived (or was evicted here)."""
        if self._misses.get(h, 0.0) > now:
            return None
        get_now = getattr(self.shared, "get_now", None)
        value = None
        if get_now is not None:
            with contextlib.suppress(StateUnavailable):
                value = get_now("ui.session:" + h)
        exp, _, token_id = (value or "").partition("|")
        if not value or token_id != self.token_id:
            self._misses[h] = now + _MISS_SECONDS
            while len(self._misses) > 1024:
                self._misses.popitem(last=False)
            return None
        self._remember(h, float(exp))
        return float(exp)

    def revoke(self, sid: str | None) -> None:
        if not sid:
            return
        h = _h(sid)
        self._sessions.pop(h, None)
        self._misses[h] = self._clock() + UI_SESSION_TTL
        self.shared.notify("ui.revoke", {"h": h})
        self._background.spawn(self.shared.delete("ui.session:" + h))

    def clear(self, token_id: str = "") -> None:
        self.token_id = token_id
        self._sessions.clear()
        self._misses.clear()

    @property
    def count(self) -> int:
        return len(self._sessions)

    def _notified(self, channel: str, data: dict[str, Any]) -> None:
        if channel == "ui.session" and data.get("t") == self.token_id:
            self._remember(str(data["h"]), float(data["exp"]))
        elif channel == "ui.revoke":
            self._sessions.pop(str(data.get("h")), None)
            self._misses[str(data.get("h"))] = self._clock() + UI_SESSION_TTL


def client_key(peer: str | None, headers: dict[bytes, bytes], trusted: list[Any]) -> str | None:
    """Whom a lockout is for: the peer address — or, only when the peer is a trusted proxy, the nearest
    address in X-Forwarded-For that is not one (so clients behind one proxy do not lock each other out, and a
    client cannot pick its own key by sending the header to the gateway directly)."""
    if not trusted or peer is None or not _in(peer, trusted):
        return peer
    raw = headers.get(b"x-forwarded-for")
    if not raw:
        return peer
    hops = [h.strip() for h in raw.decode("latin-1").split(",") if h.strip()]
    for hop in reversed(hops):
        if not _in(hop, trusted):
            return hop
    return hops[0] if hops else peer


def _in(addr: str, nets: list[Any]) -> bool:
    try:
        ip = ip_address(addr)
    except ValueError:
        return False
    return any(ip in n for n in nets)


class GatewayAuth:
    def __init__(
        self,
        token: GatewayToken,
        settings: AuthSettings,
        shared: SharedState | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.token = token
        self.settings = settings
        self._trusted = settings.networks()
        self._clock = clock
        self.shared: SharedState = shared if shared is not None else MemoryState(clock)
        self._token_bytes = token.value.encode() if token.value else None
        self._failures: dict[str, deque[float]] = {}
        self._locked: dict[str, float] = {}  # client -> until (wall clock), this process's replica
        self._background = Background()  # shared-state writes, off the request's path
        self.ui = UiSessions(clock, self.shared, _token_id(token))
        self.clients: ClientRegistry | None = None  # client keys and devices (set by the gateway app)
        self.shared.subscribe(self._notified)

    async def start(self) -> None:
        """Load the lockouts other processes set (the replica then follows their notifications)."""
        with contextlib.suppress(StateUnavailable):
            for key, until in (await self.shared.scan("auth.lock:")).items():
                self._locked[key[len("auth.lock:") :]] = float(until)

    def update(self, token: GatewayToken, settings: AuthSettings) -> None:
        if (token.mode, token.value) != (self.token.mode, self.token.value):
            self.ui.clear(_token_id(token))  # a new (or no) token logs every browser out
        self.token = token
        self.settings = settings
        self._trusted = settings.networks()
        self._token_bytes = token.value.encode() if token.value else None

    def client_key(self, headers: dict[bytes, bytes], peer: str | None) -> str | None:
        return client_key(peer, headers, self._trusted)

    def ui_session(self, headers: dict[bytes, bytes]) -> str | None:
        """The UI session id this request carries, when it is valid and the request comes from the UI's page."""
        sid = _cookie(headers, UI_COOKIE)
        if sid is None or not _same_origin(headers) or not self.ui.valid(sid):
            return None
        return sid

    def check(
        self,
        headers: dict[bytes, bytes],
        client: str | None,
        allow_cookie: bool = True,
        allow_keys: bool = False,
    ) -> Failure | None:
        """None when the request may proceed; otherwise the gateway_auth failure to answer with. A request
        without a token may present the control UI's session cookie instead (`clawgate dashboard`), except
        where `allow_cookie` is off (the model endpoints: those are for agents and SDKs, which use the token).
        A paired device may do what the token may (but manage keys and devices); a client key only where
        `allow_keys` (the model endpoints and the model list)."""
        who = self.identify(headers, client, allow_cookie)
        if isinstance(who, Failure):
            return who
        if who.kind == "key" and not allow_keys:
            return failure(
                "gateway.scope_denied",
                f"{who.describe()} may call the model endpoints only (/v1/chat/completions, /v1/responses, "
                "/v1/messages, /v1/models); the sessions API, WebSocket and control UI take the gateway token "
                "or a paired device",
                next_steps=["clawgate devices pair --url GATEWAY_URL", "clawgate keys list"],
            )
        return None

    def identify(
        self, headers: dict[bytes, bytes], client: str | None, allow_cookie: bool = True
    ) -> Client | Failure:
        """Who the request is — the owner (the gateway token, a UI session, or no token on a gateway without
        one), a client key or a paired device (clawgate.clients: an in-memory lookup) — or why it is refused."""
        presented = presented_token(headers)
        clients = self.clients
        found = clients.identify(presented) if clients is not None and presented else None
        if found is None and self.token.mode != "token":
            return OWNER
        now = self._clock()
        exempt = self.settings.exempt_loopback and _is_loopback(client)
        key = client if exempt or not self._trusted else self.client_key(headers, client)
        if not exempt and key is not None:
            until = self._locked.get(key)
            if until is not None:
                if until > now:
                    return Failure(
                        owner="gateway_auth",
                        code="gateway.locked_out",
                        retry_after=round(until - now),
                        message=f"too many failed gateway token attempts from {key}; locked out for "
                        f"{round(until - now)} s (on every gateway process)",
                        next_steps=[
                            "use the gateway token (CLAWGATE_GATEWAY_TOKEN in $CLAWGATE_HOME/.env)",
                            "clawgate gateway status",
                        ],
                    )
                del self._locked[key]
        if found is not None:
            if isinstance(found, Failure) and found.code in _GUESSES:
                self._fail(key, now, exempt)  # a wrong secret counts toward the lockout like a wrong token
            return found
        if self._token_bytes is None:
            return Failure(
                owner="gateway_auth",
                code="gateway.token_missing",
                message="the gateway requires a token but none is configured on the gateway",
                next_steps=["clawgate gateway status"],
            )
        if presented is None:
            if allow_cookie and self.ui_session(headers) is not None:
                return OWNER
            self._fail(key, now, exempt)
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
            self._fail(key, now, exempt)
            sent = fingerprint(presented)  # the one the client sent, to compare: never the token
            return Failure(
                owner="gateway_auth",
                code="gateway.token_mismatch",
                message=f"the token sent to the gateway ({sent}) does not match the gateway's token (this is the "
                "client's key for clawgate, not a provider key)",
                credential_source=_presented_in(headers),
                credential_fingerprint=sent,
                next_steps=[COMPARE_STEP, "update the client's API key / CLAWGATE_GATEWAY_TOKEN"],
            )
        return OWNER

    def _fail(self, client: str | None, now: float, exempt: bool) -> None:
        """Count a failure here (locks at once) and in the shared counter (locks on every process)."""
        if exempt or client is None:
            return
        window = self._failures.setdefault(client, deque())
        window.append(now)
        while window and window[0] < now - 60:
            window.popleft()
        if len(window) >= self.settings.max_failures_per_minute:
            self._lock(client, now)
            window.clear()
        if len(self._failures) > 10000:  # bound memory under a spray of addresses
            self._failures.clear()
        self._background.spawn(self._count(client))

    def _lock(self, client: str, now: float) -> None:
        until = now + self.settings.lockout_seconds
        if self._locked.get(client, 0.0) >= until - 1:
            return
        self._locked[client] = until
        if len(self._locked) > 10000:
            self._locked = {k: v for k, v in self._locked.items() if v > now}
        self.shared.notify("auth.lock", {"client": client, "until": until})
        self._background.spawn(self._store_lock(client, until))  # no loop: this process's window counts

    async def _store_lock(self, client: str, until: float) -> None:
        with contextlib.suppress(StateUnavailable):
            await self.shared.set("auth.lock:" + client, str(until), max(1.0, until - self._clock()))

    async def _count(self, client: str) -> None:
        try:
            n = await self.shared.incr("auth.fail:" + client, 1, 60.0)
        except StateUnavailable:
            return  # this process's own window still counts
        if n >= self.settings.max_failures_per_minute:
            self._lock(client, self._clock())
            with contextlib.suppress(StateUnavailable):
                await self.shared.delete("auth.fail:" + client)

    def _notified(self, channel: str, data: dict[str, Any]) -> None:
        if channel == "auth.lock":
            client, until = str(data.get("client")), float(data.get("until") or 0)
            if until > self._locked.get(client, 0.0):
                self._locked[client] = until


# refusals that a guess of a secret produces: they count toward the address's lockout
_GUESSES = frozenset({"gateway.token_mismatch", "gateway.device_token_mismatch"})


def _token_id(token: GatewayToken) -> str:
    return _h(token.value) if token.value else "none"
