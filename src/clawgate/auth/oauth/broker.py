"""The process-wide token broker: the freshest access token per credential, refreshed before it expires.

One refresh at a time per credential: concurrent calls in this process wait on an asyncio lock, other
processes on the profile store's file lock; after taking the file lock the store is read again, so a token
another process just refreshed is used instead of spending the refresh token twice. The new tokens are
written atomically (temp file + rename), and the gateway's snapshot reload picks the file change up."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from clawgate.atomicfile import atomic_write, locked
from clawgate.auth.oauth.errors import OAuthError
from clawgate.auth.oauth.grants import copilot_exchange, refresh_grant
from clawgate.auth.oauth.specs import OAuthSpec
from clawgate.auth.profiles import read_raw
from clawgate.paths import display_path
from clawgate.redaction import fingerprint, register_secret

SKEW_MS = 5 * 60 * 1000  # refresh this long before `expires`
FAILED_HOLD_SECONDS = 60.0  # a refused refresh is not retried against the provider for this long


@dataclass
class Token:
    access: str
    expires: int | None  # epoch ms; None: no known expiry
    account_id: str | None = None
    base_url: str | None = None  # Copilot: the account's API endpoint

    def fresh(self, now_ms: int | None = None) -> bool:
        now_ms = int(time.time() * 1000) if now_ms is None else now_ms
        return bool(self.access) and (self.expires is None or self.expires - now_ms > SKEW_MS)


class TokenBroker:
    def __init__(self) -> None:
        self._tokens: dict[tuple[str, str], Token] = {}
        self._failed: dict[tuple[str, str], tuple[float, OAuthError]] = {}
        self._locks: dict[tuple[int, tuple[str, str]], asyncio.Lock] = {}
        self._guard = threading.Lock()
        self.refreshes = 0  # refresh/exchange requests this process sent (tests and `doctor --deep` read it)

    def _lock(self, key: tuple[str, str]) -> asyncio.Lock:
        loop_key = (id(asyncio.get_running_loop()), key)
        with self._guard:
            lock = self._locks.get(loop_key)
            if lock is None:
                lock = self._locks[loop_key] = asyncio.Lock()
            return lock

    def forget(self) -> None:
        """Drop every cached token (tests; a new login)."""
        with self._guard:
            self._tokens.clear()
            self._failed.clear()

    def _held_failure(self, key: tuple[str, str]) -> OAuthError | None:
        held = self._failed.get(key)
        if held and time.monotonic() - held[0] < FAILED_HOLD_SECONDS:
            return held[1]
        return None

    async def stored(self, path: Path, profile_id: str, current: Token, spec: OAuthSpec) -> Token:
        """A profile's access token, refreshed first when it is expired or about to be."""
        key = (str(path), profile_id)
        known = self._tokens.get(key)
        if known is not None and (current.expires or 0) <= (known.expires or 0):
            current = known  # this process refreshed it after the snapshot was taken
        if current.fresh():
            return current
        async with self._lock(key):
            known = self._tokens.get(key)
            if known is not None and known.fresh():
                return known
            held = self._held_failure(key)
            if held is not None:
                raise held
            try:
                token = await asyncio.to_thread(self._refresh_stored, path, profile_id, spec)
            except OAuthError as exc:
                if exc.status is not None and 400 <= exc.status < 500:
                    self._failed[key] = (time.monotonic(), exc)
                raise
            self._failed.pop(key, None)
            self._tokens[key] = token
            return token

    async def copilot(self, github_token: str, spec: OAuthSpec) -> Token:
        """A Copilot API token for a GitHub token (exchanged, cached until shortly before it expires)."""
        key = ("copilot", fingerprint(github_token))
        known = self._tokens.get(key)
        if known is not None and known.fresh():
            return known
        async with self._lock(key):
            known = self._tokens.get(key)
            if known is not None and known.fresh():
                return known
            held = self._held_failure(key)
            if held is not None:
                raise held
            try:
                fields = await asyncio.to_thread(self._exchange, github_token, spec)
            except OAuthError as exc:
                if exc.status is not None and 400 <= exc.status < 500:
                    self._failed[key] = (time.monotonic(), exc)
                raise
            token = Token(fields["access"], fields.get("expires"), base_url=fields.get("baseUrl"))
            self._failed.pop(key, None)
            self._tokens[key] = token
            return token

    # -- blocking parts (worker thread) -------------------------------------------------------------

    def _exchange(self, github_token: str, spec: OAuthSpec) -> dict[str, Any]:
        self.refreshes += 1
        fields = copilot_exchange(spec, github_token)
        register_secret(fields["access"])
        return fields

    def _refresh_stored(self, path: Path, profile_id: str, spec: OAuthSpec) -> Token:
        shown = display_path(path)
        with locked(path, timeout=60.0):
            data = read_raw(path)
            prof = data["profiles"].get(profile_id)
            if not isinstance(prof, dict) or prof.get("type") != "oauth":
                raise OAuthError(
                    f"profile {profile_id!r} is no longer an OAuth profile in {shown}",
                    provider=spec.provider,
                    next_steps=[f"clawgate auth login {spec.provider}"],
                )
            current = _token_of(prof)
            if current.fresh():
                return current  # another process refreshed it while we waited for the lock
            refresh = prof.get("refresh")
            if not isinstance(refresh, str) or not refresh:
                raise OAuthError(
                    f"profile {profile_id!r} in {shown} has expired and holds no refresh token",
                    provider=spec.provider,
                    next_steps=[f"clawgate auth login {spec.provider}"],
                )
            self.refreshes += 1
            if spec.provider == "github-copilot":
                fields = copilot_exchange(spec, refresh)
                fields.pop("baseUrl", None)
            else:
                client = prof.get("clientId") if isinstance(prof.get("clientId"), str) else None
                fields = refresh_grant(spec, refresh, client)
            for secret in (fields.get("access"), fields.get("refresh")):
                if isinstance(secret, str):
                    register_secret(secret)
            prof.update(fields)
            prof["updatedAt"] = int(time.time() * 1000)
            atomic_write(path, json.dumps(data, indent=2) + "\n")
            return _token_of(prof)


def _token_of(prof: dict[str, Any]) -> Token:
    expires = prof.get("expires")
    account = prof.get("accountId")
    return Token(
        str(prof.get("access") or ""),
        int(expires) if isinstance(expires, (int, float)) else None,
        account if isinstance(account, str) else None,
    )


BROKER = TokenBroker()
