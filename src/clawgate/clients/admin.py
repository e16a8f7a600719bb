"""Managing client keys and devices: what `clawgate keys`, `clawgate devices` and the control UI do, on the
durable store. Every change is committed, then the store's change marker moves and `notify()` announces it on
the shared state, so every gateway process reloads its replica within moments (the marker alone within a
second, when the notification is missed)."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from clawgate.clients import tokens
from clawgate.clients.scopes import Scopes
from clawgate.clients.spend import PERIODS
from clawgate.errors import ClawgateError
from clawgate.store.base import ClientKeyRecord, DeviceRecord

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")
_DURATION = re.compile(r"^(\d+(?:\.\d+)?)\s*([smhdw])$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
DEVICE_KINDS = ("tui", "chat", "ui", "cli", "other")
PENDING_PER_ADDRESS = 3  # pairing requests one client address may have waiting at once


def parse_when(text: str, now: float) -> float:
    """An expiry: a duration from now (`30d`, `12h`, `90m`) or a UTC date/time (`2026-01-31`,
    `2026-01-31T12:00`)."""
    t = text.strip()
    m = _DURATION.match(t)
    if m:
        return now + float(m.group(1)) * _UNITS[m.group(2)]
    from datetime import UTC, datetime

    try:
        dt = datetime.fromisoformat(t)
    except ValueError:
        raise usage(f"{text!r} is neither a duration (30d, 12h, 90m) nor a date (2026-01-31)") from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.timestamp()


def parse_seconds(text: str) -> float:
    m = _DURATION.match(text.strip())
    if m:
        return float(m.group(1)) * _UNITS[m.group(2)]
    try:
        return float(text)
    except ValueError:
        raise usage(f"{text!r} is not a duration (e.g. 1h, 10m, 300)") from None


def usage(message: str, next_steps: list[str] | None = None) -> ClawgateError:
    return ClawgateError(message, code="cli.usage", owner="config", next_steps=next_steps or [])


def not_found(what: str, next_step: str) -> ClawgateError:
    return ClawgateError(what, code="config.not_found", owner="config", next_steps=[next_step])


class ClientAdmin:
    def __init__(
        self, store: Any, notify: Callable[[], None] | None = None, clock: Callable[[], float] = time.time
    ) -> None:
        self.store = store
        self._notify = notify
        self._clock = clock

    def _commit(self) -> None:
        self.store.mark_clients_changed()  # waits for the write, then moves the marker
        if self._notify is not None:
            self._notify()

    # -- keys -------------------------------------------------------------------------------------------

    def keys(self) -> list[ClientKeyRecord]:
        return list(self.store.client_keys())

    def find_key(self, name: str) -> ClientKeyRecord:
        keys = self.keys()
        for k in keys:
            if name in (k.name, k.id):
                return k
        parsed = tokens.parse(name)
        if parsed is not None:
            for k in keys:
                if k.id == parsed[1]:
                    return k
        known = ", ".join(k.name for k in keys) or "none yet"
        raise not_found(f"there is no client key {name!r} (keys: {known})", "clawgate keys list")

    def create_key(
        self,
        name: str,
        scopes: Scopes | None = None,
        expires_at: float | None = None,
        rpm: int | None = None,
        tpm: int | None = None,
        budget_usd: float | None = None,
        budget_period: str | None = None,
        note: str | None = None,
    ) -> tuple[ClientKeyRecord, str]:
        """A new key: (its record, the key itself — shown once, never stored)."""
        if not _NAME.match(name):
            raise usage(
                f"{name!r} is not a key name: letters, digits and . _ : - (up to 64), starting with a "
                "letter or digit"
            )
        if any(k.name == name for k in self.keys()):
            raise usage(
                f"a client key named {name!r} exists already",
                [f"clawgate keys rotate {name}", f"clawgate keys create {name}-2"],
            )
        _check_limits(rpm, tpm, budget_usd, budget_period)
        now = self._clock()
        ident, secret = tokens.new_id(), tokens.new_secret()
        rec = ClientKeyRecord(
            id=ident,
            name=name,
            secret_hash=tokens.hash_secret(secret),
            hint=tokens.hint(tokens.KEY_PREFIX, ident, secret),
            created_at=now,
            updated_at=now,
            expires_at=expires_at,
            scopes=(scopes or Scopes()).to_json() or None,
            rpm=rpm,
            tpm=tpm,
            budget_usd=budget_usd,
            budget_period=(budget_period or "month") if budget_usd is not None else None,
            note=note,
        )
        self.store.save_client_key(rec)
        self._commit()
        return rec, tokens.make(tokens.KEY_PREFIX, ident, secret)

    def revoke_key(self, name: str) -> ClientKeyRecord:
        rec = self.find_key(name)
        if rec.revoked_at is None:
            now = self._clock()
            rec = replace(rec, revoked_at=now, updated_at=now, prev_hash=None, prev_until=None)
            self.store.save_client_key(rec)
            self._commit()
        return rec

    def rotate_key(self, name: str, grace_seconds: float = 0.0) -> tuple[ClientKeyRecord, str]:
        """A new secret for the key (same name, id, scopes, limits and spend); the old one keeps working for
        `grace_seconds` (0: it stops at once)."""
        rec = self.find_key(name)
        if rec.revoked_at is not None:
            raise usage(
                f"client key {rec.name!r} is revoked; a revoked key is not brought back",
                [f"clawgate keys create {rec.name}-2"],
            )
        now = self._clock()
        secret = tokens.new_secret()
        rec = replace(
            rec,
            secret_hash=tokens.hash_secret(secret),
            hint=tokens.hint(tokens.KEY_PREFIX, rec.id, secret),
            rotated_at=now,
            updated_at=now,
            prev_hash=rec.secret_hash,
            prev_until=now + grace_seconds if grace_seconds > 0 else None,
        )
        self.store.save_client_key(rec)
        self._commit()
        return rec, tokens.make(tokens.KEY_PREFIX, rec.id, secret)

    def update_key(self, name: str, **changes: Any) -> ClientKeyRecord:
        """Change scopes, expiry, limits, budget or note (`None` leaves a field; `clear` lists fields to
        unset)."""
        rec = self.find_key(name)
        clear = set(changes.pop("clear", ()) or ())
        fields: dict[str, Any] = {k: v for k, v in changes.items() if v is not None}
        if "scopes" in fields:
            fields["scopes"] = fields["scopes"].to_json() or None
        for f in clear:
            if f not in ("expires_at", "rpm", "tpm", "budget_usd", "scopes", "note"):
                raise usage(f"{f!r} cannot be cleared")
            fields[f] = None
        if "budget_usd" in fields and fields["budget_usd"] is None:
            fields["budget_period"] = None
        elif "budget_usd" in fields and not (fields.get("budget_period") or rec.budget_period):
            fields["budget_period"] = "month"
        merged = replace(rec, **fields, updated_at=self._clock())
        _check_limits(merged.rpm, merged.tpm, merged.budget_usd, merged.budget_period)
        self.store.save_client_key(merged)
        self._commit()
        return merged

    # -- devices ----------------------------------------------------------------------------------------

    def devices(self) -> list[DeviceRecord]:
        return list(self.store.devices())

    def find_device(self, ref: str) -> DeviceRecord:
        devices = self.devices()
        want = ref.strip()
        for d in devices:
            if want in (d.id, d.code, d.code.replace("-", "")) or want.upper() in (d.code,):
                return d
        by_name = [d for d in devices if d.name == want]
        if len(by_name) == 1:
            return by_name[0]
        raise not_found(f"there is no device {ref!r} (by id, code or name)", "clawgate devices list --all")

    def request_pairing(
        self,
        device_id: str,
        secret: str,
        name: str,
        kind: str,
        platform: str | None,
        address: str | None,
        max_pending: int,
        pending_seconds: float,
    ) -> tuple[DeviceRecord, bool]:
        """Record a device's pairing request: (its record, whether it is new). A request repeated with the
        same token keeps its code; a pending request that waited too long is renewed."""
        now = self._clock()
        known = {d.id: d for d in self.devices()}
        rec = known.get(device_id)
        if rec is not None and tokens.matches(secret, rec.secret_hash):
            if rec.state == "pending" and now - rec.requested_at > pending_seconds:
                rec = replace(rec, requested_at=now, updated_at=now, code=tokens.user_code())
                self.store.save_device(rec)
                self._commit()
            return rec, False
        if rec is not None:
            raise ValueError("device_token_mismatch")
        waiting = [
            d for d in known.values() if d.state == "pending" and now - d.requested_at <= pending_seconds
        ]
        from_here = [d for d in waiting if address is not None and d.requested_from == address]
        if len(waiting) >= max_pending or len(from_here) >= PENDING_PER_ADDRESS:
            raise OverflowError(len(from_here) if len(from_here) >= PENDING_PER_ADDRESS else len(waiting))
        kind = kind if kind in DEVICE_KINDS else "other"
        rec = DeviceRecord(
            id=device_id,
            name=(name or f"{kind} device")[:80],
            kind=kind,
            state="pending",
            secret_hash=tokens.hash_secret(secret),
            code=tokens.user_code(),
            requested_at=now,
            updated_at=now,
            requested_from=address,
            platform=(platform or None) and str(platform)[:80],
        )
        self.store.save_device(rec)
        self._commit()
        return rec, True

    def _set_state(self, ref: str, state: str, allowed_from: tuple[str, ...]) -> DeviceRecord:
        rec = self.find_device(ref)
        if rec.state == state:
            return rec
        if rec.state not in allowed_from:
            raise usage(
                f"device {rec.name!r} ({rec.id}) is {rec.state}; it cannot be {state} now",
                ["clawgate devices list --all"],
            )
        now = self._clock()
        changes: dict[str, Any] = {"state": state, "updated_at": now}
        if state == "approved":
            changes["approved_at"] = now
        if state in ("revoked", "rejected"):
            changes["revoked_at"] = now
        rec = replace(rec, **changes)
        self.store.save_device(rec)
        self._commit()
        return rec

    def approve(self, ref: str, pending_seconds: float | None = None) -> DeviceRecord:
        rec = self.find_device(ref)
        if (
            rec.state == "pending"
            and pending_seconds is not None
            and self._clock() - rec.requested_at > pending_seconds
        ):
            raise usage(
                f"the pairing request of device {rec.name!r} ({rec.id}) expired; the device asks again when it "
                "next connects",
                ["on the device: clawgate devices pair --url GATEWAY_URL", "clawgate devices list"],
            )
        return self._set_state(ref, "approved", ("pending",))

    def reject(self, ref: str) -> DeviceRecord:
        return self._set_state(ref, "rejected", ("pending",))

    def revoke(self, ref: str) -> DeviceRecord:
        return self._set_state(ref, "revoked", ("approved", "pending"))


def _check_limits(rpm: int | None, tpm: int | None, budget: float | None, period: str | None) -> None:
    for label, value in (("rpm", rpm), ("tpm", tpm)):
        if value is not None and value <= 0:
            raise usage(
                f"--{label} must be a positive number of {(label[0] == 'r' and 'requests') or 'tokens'}"
            )
    if budget is not None and budget < 0:
        raise usage("--budget must be a number of USD, 0 or more")
    if period is not None and period not in PERIODS:
        raise usage(f"--budget-period must be one of {', '.join(PERIODS)}")
