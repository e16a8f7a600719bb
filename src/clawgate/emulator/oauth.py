"""The emulator's OAuth servers, so subscription logins, refreshes and token exchanges are tested on loopback:

    /oauth/openai/oauth/authorize | /oauth/token       ChatGPT sign-in (PKCE; form-encoded token requests)
    /oauth/anthropic/oauth/authorize | /v1/oauth/token Claude sign-in (PKCE; JSON token requests)
    /oauth/github/login/device/code | /login/oauth/access_token   GitHub device flow
    /oauth/github/copilot_internal/v2/token            GitHub token -> Copilot API token

`/authorize` approves at once: it redirects to `redirect_uri` with `code` and `state` (a test plays the
browser). ChatGPT access tokens are JWT-shaped and carry the account id and plan in the
`https://api.openai.com/auth` claim. Refresh tokens are single-use: a second refresh with the same token is
refused as OpenAI refuses it (`refresh_token_reused`), which makes a duplicate refresh visible. Issued access
tokens are granted on the matching dialect's keyring (ChatGPT backend, Anthropic, Copilot) and the dialects
check their expiry through `OAuthState.access_info`.

Python controls (`emu.oauth`): `issue()`, `expire()`, `refresh_count()`, `exchange_count()`,
`refresh_delay`, `fail_next_refresh()`, `approve_device()`."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import orjson
from aiohttp import web

if TYPE_CHECKING:
    from .keys import Keyring

PREFIX = "/oauth"
CHATGPT_AUTH_CLAIM = "https://api.openai.com/auth"
_DIALECT_OF = {"openai": "chatgpt", "anthropic": "anthropic", "copilot": "copilot"}


@dataclass
class AccessInfo:
    provider: str  # openai | anthropic | github | copilot
    account: str
    expires_at: float  # epoch seconds
    client_id: str | None = None

    @property
    def expired(self) -> bool:
        return time.time() >= self.expires_at


@dataclass
class _Refresh:
    provider: str
    account: str
    client_id: str | None
    used: bool = False


@dataclass
class _Device:
    user_code: str
    client_id: str
    polls: int = 0
    approved: bool = False
    token: str | None = None


@dataclass
class OAuthState:
    """Every token the emulator issued, and the knobs tests turn."""

    keyring: Keyring | None = None
    token_lifetime: float = 3600.0  # seconds an access token lives
    copilot_lifetime: float = 1500.0
    refresh_delay: float = 0.0  # seconds each refresh takes (widens races in concurrency tests)
    device_interval: int = 0  # the polling interval the device flow asks for
    device_auto_approve_after: int = 1  # polls answered authorization_pending before approval
    _access: dict[str, AccessInfo] = field(default_factory=dict)
    _refresh: dict[str, _Refresh] = field(default_factory=dict)
    _codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    _devices: dict[str, _Device] = field(default_factory=dict)
    _counts: dict[str, int] = field(default_factory=dict)
    _fail: dict[str, tuple[int, dict[str, Any]]] = field(default_factory=dict)
    _seq: Any = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # -- issuing -------------------------------------------------------------------------------------

    def issue(
        self,
        provider: str,
        *,
        account: str = "acct_emu_0001",
        plan: str = "plus",
        email: str = "user@example.test",
        expires_in: float | None = None,
        client_id: str | None = None,
    ) -> dict[str, Any]:
        """A new token pair for `provider` (openai | anthropic | github), as a sign-in would issue it."""
        with self._lock:
            return self._issue(provider, account, plan, email, expires_in, client_id)

    def _issue(
        self,
        provider: str,
        account: str,
        plan: str,
        email: str,
        expires_in: float | None,
        client_id: str | None,
    ) -> dict[str, Any]:
        n = next(self._seq)
        life = self.token_lifetime if expires_in is None else expires_in
        exp = time.time() + life
        if provider == "openai":
            access = _jwt(
                {
                    "iss": "https://emulator.invalid/openai",
                    "exp": int(exp),
                    "iat": int(time.time()),
                    "jti": f"emu-{n}",
                    "email": email,
                    CHATGPT_AUTH_CLAIM: {"chatgpt_account_id": account, "chatgpt_plan_type": plan},
                }
            )
            refresh = f"rt_emu_{n:06d}"
            id_token = _jwt({"email": email, CHATGPT_AUTH_CLAIM: {"chatgpt_account_id": account}})
        elif provider == "anthropic":
            access, refresh, id_token = f"sk-ant-oat01-emu-{n:06d}", f"sk-ant-ort01-emu-{n:06d}", None
        elif provider == "github":
            access, refresh, id_token = f"ghu_emu{n:06d}", None, None
        else:
            raise ValueError(f"unknown OAuth provider {provider!r} (openai, anthropic, github)")
        self._access[access] = AccessInfo(provider, account, exp, client_id)
        if refresh:
            self._refresh[refresh] = _Refresh(provider, account, client_id)
        self._grant(provider, access)
        out: dict[str, Any] = {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": int(life),
            "account": account,
            "expires_ms": int(exp * 1000),
        }
        if refresh:
            out["refresh_token"] = refresh
        if id_token:
            out["id_token"] = id_token
        return out

    def _grant(self, provider: str, token: str) -> None:
        dialect = _DIALECT_OF.get(provider)
        if dialect and self.keyring is not None:
            self.keyring.grant(dialect, token)

    # -- controls ------------------------------------------------------------------------------------

    def access_info(self, token: str | None) -> AccessInfo | None:
        with self._lock:
            return self._access.get(token or "")

    def expire(self, access: str) -> None:
        with self._lock:
            info = self._access[access]
            info.expires_at = time.time() - 1

    def refresh_count(self, provider: str) -> int:
        return self._counts.get(f"refresh:{provider}", 0)

    def exchange_count(self) -> int:
        return self._counts.get("exchange:copilot", 0)

    def fail_next_refresh(self, provider: str, status: int, body: dict[str, Any]) -> None:
        with self._lock:
            self._fail[provider] = (status, body)

    def approve_device(self, user_code: str) -> None:
        with self._lock:
            for dev in self._devices.values():
                if dev.user_code == user_code:
                    dev.approved = True

    def reset(self) -> None:
        """Forget counters, scripted failures and delays (issued tokens stay valid)."""
        with self._lock:
            self._counts.clear()
            self._fail.clear()
        self.refresh_delay = 0.0

    def _count(self, what: str) -> None:
        with self._lock:
            self._counts[what] = self._counts.get(what, 0) + 1

    # -- token endpoint logic ------------------------------------------------------------------------

    def token(self, provider: str, form: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        grant = form.get("grant_type")
        if grant == "refresh_token":
            self._count(f"refresh:{provider}")
            with self._lock:
                failure = self._fail.pop(provider, None)
                if failure is not None:
                    return failure
                rt = self._refresh.get(str(form.get("refresh_token") or ""))
                if rt is None or rt.provider != provider:
                    return 400, _oauth_error(provider, "invalid_grant", "Invalid refresh token")
                if rt.used:
                    return 401, _reused(provider)
                rt.used = True
                return 200, self._issue(provider, rt.account, "plus", "user@example.test", None, rt.client_id)
        if grant == "authorization_code":
            with self._lock:
                code = self._codes.pop(str(form.get("code") or ""), None)
                if code is None or code["provider"] != provider:
                    return 400, _oauth_error(provider, "invalid_grant", "Invalid authorization code")
                verifier = str(form.get("code_verifier") or "")
                challenge = _b64(hashlib.sha256(verifier.encode()).digest())
                if challenge != code["challenge"]:
                    return 400, _oauth_error(provider, "invalid_grant", "PKCE verification failed")
                if form.get("redirect_uri") != code["redirect_uri"]:
                    return 400, _oauth_error(provider, "invalid_grant", "redirect_uri mismatch")
                return 200, self._issue(provider, "acct_emu_login", "plus", "user@example.test", None, None)
        return 400, _oauth_error(provider, "unsupported_grant_type", f"grant_type {grant!r} is not supported")

    def authorize(self, provider: str, query: dict[str, str]) -> str:
        """The redirect Location for an (at once approved) authorization request."""
        code = f"code_emu_{next(self._seq):06d}"
        with self._lock:
            self._codes[code] = {
                "provider": provider,
                "challenge": query.get("code_challenge", ""),
                "redirect_uri": query.get("redirect_uri", ""),
            }
        sep = "&" if "?" in query.get("redirect_uri", "") else "?"
        return (
            query.get("redirect_uri", "") + sep + urlencode({"code": code, "state": query.get("state", "")})
        )


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _jwt(claims: dict[str, Any]) -> str:
    head = _b64(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    return f"{head}.{_b64(json.dumps(claims).encode())}.ZW11bGF0b3I"


def _oauth_error(provider: str, code: str, description: str) -> dict[str, Any]:
    if provider == "openai":
        return {"error": {"message": description, "type": "invalid_request_error", "code": code}}
    return {"error": code, "error_description": description}


def _reused(provider: str) -> dict[str, Any]:
    message = "Your refresh token has already been used to generate a new access token. Please try signing in again."
    if provider == "openai":
        return {
            "error": {"message": message, "type": "invalid_request_error", "code": "refresh_token_reused"}
        }
    return {"error": "invalid_grant", "error_description": "Refresh token has already been used"}


def _json(obj: Any, status: int = 200) -> web.Response:
    return web.Response(status=status, body=orjson.dumps(obj), content_type="application/json")


async def _form(request: web.Request) -> dict[str, Any]:
    raw = await request.read()
    if request.content_type == "application/json":
        try:
            data = orjson.loads(raw)
        except orjson.JSONDecodeError:
            return {}
        return data if isinstance(data, dict) else {}
    from urllib.parse import parse_qsl

    return dict(parse_qsl(raw.decode("utf-8", "replace")))


def register(app: web.Application, state: OAuthState) -> None:
    """Add the OAuth routes (never written to the request log)."""

    def token_handler(provider: str) -> Any:
        async def handler(request: web.Request) -> web.Response:
            form = await _form(request)
            if form.get("grant_type") == "refresh_token" and state.refresh_delay:
                await asyncio.sleep(state.refresh_delay)
            status, body = state.token(provider, form)
            return _json(body, status)

        return handler

    def authorize_handler(provider: str) -> Any:
        async def handler(request: web.Request) -> web.Response:
            q = dict(request.query)
            if q.get("response_type") != "code" or not q.get("redirect_uri") or not q.get("code_challenge"):
                return _json(
                    _oauth_error(
                        provider,
                        "invalid_request",
                        "response_type, redirect_uri and code_challenge are required",
                    ),
                    400,
                )
            raise web.HTTPFound(state.authorize(provider, q))

        return handler

    async def device_code(request: web.Request) -> web.Response:
        form = await _form(request)
        n = next(state._seq)
        dev = _Device(user_code=f"EMU-{n:04d}", client_id=str(form.get("client_id") or ""))
        code = f"dc_emu_{n:06d}"
        with state._lock:
            state._devices[code] = dev
        host = f"http://{request.host}"
        return _json(
            {
                "device_code": code,
                "user_code": dev.user_code,
                "verification_uri": f"{host}{PREFIX}/github/login/device",
                "expires_in": 900,
                "interval": state.device_interval,
            }
        )

    async def device_token(request: web.Request) -> web.Response:
        form = await _form(request)
        with state._lock:
            dev = state._devices.get(str(form.get("device_code") or ""))
        if dev is None:
            return _json({"error": "expired_token", "error_description": "The device code has expired."})
        if dev.token:
            return _json({"error": "access_denied", "error_description": "The device code was used already."})
        dev.polls += 1
        if not dev.approved and dev.polls <= state.device_auto_approve_after:
            return _json(
                {
                    "error": "authorization_pending",
                    "error_description": "The authorization request is pending.",
                }
            )
        issued = state.issue("github")
        dev.token = issued["access_token"]
        return _json({"access_token": dev.token, "token_type": "bearer", "scope": "read:user"})

    async def copilot_token(request: web.Request) -> web.Response:
        scheme, _, gh = (request.headers.get("Authorization") or "").partition(" ")
        info = state.access_info(gh.strip())
        if scheme.lower() not in ("token", "bearer") or info is None or info.provider != "github":
            return _json(
                {"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest"}, 401
            )
        state._count("exchange:copilot")
        exp = time.time() + state.copilot_lifetime
        token = f"tid=emu{next(state._seq):06d};exp={int(exp)};sku=copilot_emu;proxy-ep={request.host}"
        with state._lock:
            state._access[token] = AccessInfo("copilot", info.account, exp)
        state._grant("copilot", token)
        return _json(
            {
                "token": token,
                "expires_at": int(exp),
                "refresh_in": int(state.copilot_lifetime) - 60,
                "endpoints": {"api": f"http://{request.host}/copilot"},
            }
        )

    app.router.add_get(f"{PREFIX}/openai/oauth/authorize", authorize_handler("openai"))
    app.router.add_post(f"{PREFIX}/openai/oauth/token", token_handler("openai"))
    app.router.add_get(f"{PREFIX}/anthropic/oauth/authorize", authorize_handler("anthropic"))
    app.router.add_post(f"{PREFIX}/anthropic/v1/oauth/token", token_handler("anthropic"))
    app.router.add_post(f"{PREFIX}/github/login/device/code", device_code)
    app.router.add_post(f"{PREFIX}/github/login/oauth/access_token", device_token)
    app.router.add_get(f"{PREFIX}/github/copilot_internal/v2/token", copilot_token)
