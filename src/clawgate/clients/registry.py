"""Every process's in-memory replica of the client keys and devices: a request's token is found by a dict
lookup and one constant-time hash comparison — never a database query. The replica is reloaded (in a thread)
when a change is announced on the shared state (channel `clients`), and when the store's change marker moved
(`Store.clients_version`, looked at every second: a change whose notification was missed still lands)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from clawgate import logs as log
from clawgate.clients import tokens
from clawgate.clients.identity import Client
from clawgate.clients.scopes import Scopes
from clawgate.failures import Failure, failure
from clawgate.store.base import ClientKeyRecord, DeviceRecord

CHANNEL = "clients"  # notification: keys or devices changed (reload the replica)
_FLUSH_SECONDS = 5.0  # device refusals are written to the store at most this often
_WHEN = "%Y-%m-%d %H:%M UTC"


def when(ts: float | None) -> str:
    return time.strftime(_WHEN, time.gmtime(ts)) if ts else "-"


def key_client(rec: ClientKeyRecord) -> Client:
    return Client(
        "key",
        rec.id,
        rec.name,
        rec.hint,
        Scopes.from_json(rec.scopes),
        rec.rpm,
        rec.tpm,
        rec.budget_usd,
        rec.budget_period,
    )


def device_client(rec: DeviceRecord) -> Client:
    return Client("device", rec.id, rec.name, f"{tokens.DEVICE_PREFIX}{rec.id}_…")


class ClientRegistry:
    """Keys by id and devices by id, swapped whole on each reload (readers never see half a reload)."""

    def __init__(self, store: Any = None, clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self._clock = clock
        self.keys: dict[str, ClientKeyRecord] = {}
        self.devices: dict[str, DeviceRecord] = {}
        self._version: object = None
        self._reload_lock = threading.Lock()
        # device id -> (last refusal, code, count), and -> when it was last let in: not yet stored
        self._refused: dict[str, tuple[float, str, int]] = {}
        self._seen: dict[str, float] = {}
        self._last_flush = 0.0
        self.loaded_at: float | None = None
        self.error: str | None = None
        # tokens already verified against the current replica -> their key record: a repeated request skips the
        # hash (emptied by every reload, so a revocation or rotation is never answered from it)
        self._verified: dict[str, tuple[ClientKeyRecord, Client]] = {}

    # -- the replica ----------------------------------------------------------------------------------

    def reload(self) -> bool:
        """Read keys and devices from the store (a thread: never on the serving loop). False when the store
        cannot be read now (the replica keeps serving)."""
        if self.store is None:
            return False
        with self._reload_lock:
            try:
                version = self.store.clients_version()
                keys = {k.id: k for k in self.store.client_keys()}
                devices = {d.id: d for d in self.store.devices()}
            except Exception as exc:  # the database away: keep the replica, say so
                if self.error is None:
                    log.event("clients.reload_failed", f"{type(exc).__name__}: {exc}", level=30)
                self.error = f"{type(exc).__name__}: {exc}"
                return False
            self.keys, self.devices, self._version = keys, devices, version
            self._verified = {}
            self.loaded_at = self._clock()
            self.error = None
            self._flush_refusals(force=True)
            return True

    def changed(self) -> bool:
        """Did the store's marker move since the last reload? (a stat, or a throttled read)"""
        if self.store is None:
            return False
        try:
            return bool(self.store.clients_version() != self._version)
        except Exception:
            return False

    def tick(self) -> None:
        """Every second, in a thread: reload when the marker moved; write device refusals seen meanwhile."""
        if self.changed():
            self.reload()
        self._flush_refusals()

    @property
    def empty(self) -> bool:
        return not self.keys and not self.devices

    # -- a request's token -----------------------------------------------------------------------------

    def identify(self, token: str) -> Client | Failure | None:
        """The client a client key or device token belongs to, the refusal for it, or None when `token` is
        not shaped like one (the gateway token is compared elsewhere)."""
        parsed = tokens.parse(token)
        if parsed is None:
            return None
        prefix, ident, secret = parsed
        now = self._clock()
        if prefix == tokens.KEY_PREFIX:
            hit = self._verified.get(token)
            if hit is not None:
                rec, client = hit
                live = rec.expires_at is None or rec.expires_at > now
                in_grace = rec.prev_until is None or rec.prev_until > now  # (an old secret: its grace window)
                if live and (in_grace or tokens.matches(secret, rec.secret_hash)):
                    return client
            got = self._key(ident, secret, now)
            if isinstance(got, Client) and len(self._verified) < 4096:
                self._verified[token] = (self.keys[ident], got)
            return got
        return self._device(ident, secret, now)

    def _key(self, ident: str, secret: str, now: float) -> Client | Failure:
        rec = self.keys.get(ident)
        shown = f"{tokens.KEY_PREFIX}{ident}_…{secret[-4:]}"
        if rec is None:
            return failure(
                "gateway.token_mismatch",
                f"the client key {shown} is not one of this gateway's keys (deleted, or made on another gateway)",
                next_steps=["clawgate keys list", "clawgate keys create NAME"],
            )
        if not tokens.matches(secret, rec.secret_hash):
            if tokens.matches(secret, rec.prev_hash):
                if rec.prev_until and rec.prev_until > now:
                    return key_client(rec)  # the old secret, still in its grace window after a rotation
                return failure(
                    "gateway.token_mismatch",
                    f"client key {rec.name!r} ({rec.hint}) was rotated at {when(rec.rotated_at)}; this is its "
                    "old secret",
                    next_steps=["use the key printed by: clawgate keys rotate " + rec.name],
                )
            return failure(
                "gateway.token_mismatch",
                f"the secret sent for client key {rec.name!r} ({rec.hint}) is not its secret",
                next_steps=["clawgate keys list", f"clawgate keys rotate {rec.name}"],
            )
        if rec.revoked_at is not None:
            return failure(
                "gateway.key_revoked",
                f"client key {rec.name!r} ({rec.hint}) was revoked at {when(rec.revoked_at)}",
                next_steps=[f"clawgate keys create {rec.name}-2", "clawgate keys list"],
            )
        if rec.expires_at is not None and rec.expires_at <= now:
            return failure(
                "gateway.key_expired",
                f"client key {rec.name!r} ({rec.hint}) expired at {when(rec.expires_at)}",
                next_steps=[f"clawgate keys update {rec.name} --expires 30d", "clawgate keys list"],
            )
        return key_client(rec)

    def _device(self, ident: str, secret: str, now: float) -> Client | Failure:
        rec = self.devices.get(ident)
        if rec is None:
            return failure(
                "gateway.pairing_required",
                f"device {ident} has not asked to pair with this gateway (or its request expired)",
                next_steps=["clawgate devices pair --url GATEWAY_URL", "clawgate devices list"],
            )
        if not tokens.matches(secret, rec.secret_hash):
            self._note_refusal(rec.id, "gateway.device_token_mismatch", now)
            return failure(
                "gateway.device_token_mismatch",
                f"device {rec.name!r} ({rec.id}) sent a device token that is not the one it paired with "
                "(its identity file was copied, reset or replaced)",
                next_steps=[
                    f"clawgate devices revoke {rec.id}",
                    "on the device: clawgate devices pair --url GATEWAY_URL --new",
                ],
            )
        if rec.state == "pending":
            return failure(
                "gateway.pairing_required",
                f"device {rec.name!r} ({rec.id}, code {rec.code}) asked to pair at {when(rec.requested_at)} "
                "and waits for approval on the gateway",
                next_steps=[f"clawgate devices approve {rec.id}", "clawgate devices list"],
            )
        if rec.state in ("revoked", "rejected"):
            self._note_refusal(rec.id, "gateway.device_revoked", now)
            return failure(
                "gateway.device_revoked",
                f"device {rec.name!r} ({rec.id}) was {rec.state} at {when(rec.revoked_at or rec.updated_at)}",
                next_steps=[
                    "on the device: clawgate devices pair --url GATEWAY_URL --new",
                    "clawgate devices list",
                ],
            )
        if len(self._seen) < 1024:
            self._seen[rec.id] = now
        return device_client(rec)

    # -- refusals of devices, for doctor ---------------------------------------------------------------

    def _note_refusal(self, device_id: str, code: str, now: float) -> None:
        _, _, count = self._refused.get(device_id, (0.0, code, 0))
        if len(self._refused) < 1024:
            self._refused[device_id] = (now, code, count + 1)

    def _flush_refusals(self, force: bool = False) -> None:
        """Write the devices' refusals and last-seen times noted since the last write (at most every 5 s)."""
        now = self._clock()
        busy = self._refused or self._seen
        if not busy or self.store is None or (not force and now - self._last_flush < _FLUSH_SECONDS):
            return
        self._last_flush = now
        pending, self._refused = self._refused, {}
        seen, self._seen = self._seen, {}
        try:
            for device_id, (ts, code, count) in pending.items():
                self.store.note_device_refusal(device_id, ts, code, count)
            for device_id, ts in seen.items():
                self.store.note_device_seen(device_id, ts)
        except Exception:
            return  # the database away: these notes are not worth keeping
