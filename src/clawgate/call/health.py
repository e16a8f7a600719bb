"""Health state per (provider, credential fingerprint, model): rejected, cooling, blocked — each with its
first failure kept, so "cooling down" is never shown without the error that started it."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from clawgate.failures import Failure
from clawgate.store.base import HealthRecord, Store

ANY_MODEL = "*"

# seconds to wait before trying again, by how many times it happened in a row
_REJECTED_RECHECK = (60.0, 300.0, 900.0)
_BLOCKED = (600.0, 1800.0, 3600.0)
_RATE_LIMIT = (5.0, 15.0, 60.0, 300.0)
_TRANSIENT = (2.0, 5.0, 15.0, 30.0)
MAX_COOLDOWN = 3600.0


@dataclass
class Verdict:
    allowed: bool
    record: HealthRecord | None = None

    @property
    def reason(self) -> str:
        r = self.record
        if r is None:
            return "ok"
        return r.state


def _pick(schedule: tuple[float, ...], count: int) -> float:
    return schedule[min(max(count - 1, 0), len(schedule) - 1)]


class HealthRegistry:
    """In-memory health (read on every call), persisted through the store. Thread- and task-safe."""

    def __init__(self, store: Store | None = None, clock: Callable[[], float] = time.time) -> None:
        self._store = store
        self._clock = clock
        self._lock = threading.Lock()
        self._records: dict[tuple[str, str, str], HealthRecord] = {}
        if store is not None:
            for rec in store.load_health():
                self._records[rec.key] = rec

    def reload(self) -> None:
        if self._store is None:
            return
        with self._lock:
            self._records = {rec.key: rec for rec in self._store.load_health()}

    def records(self) -> list[HealthRecord]:
        with self._lock:
            return sorted(self._records.values(), key=lambda r: (r.provider, r.fingerprint, r.model))

    def get(self, provider: str, fingerprint: str, model: str) -> HealthRecord | None:
        """The record that governs this (provider, key, model): a credential-wide one first."""
        with self._lock:
            return self._records.get((provider, fingerprint, ANY_MODEL)) or self._records.get(
                (provider, fingerprint, model)
            )

    def verdict(self, provider: str, fingerprint: str | None, model: str) -> Verdict:
        if fingerprint is None:
            return Verdict(True)
        rec = self.get(provider, fingerprint, model)
        if rec is None or rec.state == "ok":
            return Verdict(True)
        now = self._clock()
        if rec.until is not None and rec.until <= now:
            return Verdict(True, rec)  # window over: one real attempt re-tests it
        return Verdict(False, rec)

    def on_success(self, provider: str, fingerprint: str | None, model: str) -> None:
        if fingerprint is None:
            return
        removed = []
        with self._lock:
            for key in ((provider, fingerprint, ANY_MODEL), (provider, fingerprint, model)):
                if key in self._records:
                    removed.append(self._records.pop(key))
        if removed and self._store is not None:
            self._store.delete_health(provider, fingerprint)

    def on_failure(
        self, failure: Failure, fingerprint: str | None, model: str, cred_source: str | None = None
    ) -> HealthRecord | None:
        """Update health from a classified failure; returns the record, or None if health is unaffected."""
        if fingerprint is None or failure.provider is None:
            return None
        code = failure.code
        schedule: tuple[float, ...]
        if code in ("auth.rejected", "auth.region_mismatch"):
            state, scope, schedule = "rejected", ANY_MODEL, _REJECTED_RECHECK
        elif code == "access.billing":
            state, scope, schedule = "blocked", ANY_MODEL, _BLOCKED
        elif code == "access.forbidden":
            state, scope, schedule = "blocked", model, _BLOCKED
        elif code == "rate_limit.exceeded":
            state, scope, schedule = "cooling", model, _RATE_LIMIT
        elif code in ("upstream.overloaded", "upstream.server_error") or failure.owner == "network":
            state, scope, schedule = "cooling", model, _TRANSIENT
        else:
            return None
        now = self._clock()
        key = (failure.provider, fingerprint, scope)
        with self._lock:
            rec = self._records.get(key)
            if rec is None:
                rec = HealthRecord(
                    provider=failure.provider,
                    fingerprint=fingerprint,
                    model=scope,
                    state=state,
                    cred_source=cred_source,
                    first_ts=now,
                    first_status=failure.status,
                    first_owner=failure.owner,
                    first_code=code,
                    first_message=(failure.provider_message or failure.message)[:300],
                )
                self._records[key] = rec
            in_window = rec.until is not None and rec.until > now and rec.state == state
            rec.count += 1
            rec.last_ts = now
            rec.last_code = code
            rec.state = state
            if cred_source:
                rec.cred_source = cred_source
            if not in_window:
                # a failure that arrives while the window is open (a call already in flight) does not extend it
                wait = (
                    failure.retry_after
                    if (state == "cooling" and failure.retry_after)
                    else _pick(schedule, rec.count)
                )
                rec.until = now + min(wait, MAX_COOLDOWN)
            snapshot = HealthRecord(**{k: getattr(rec, k) for k in rec.__dataclass_fields__})
        if self._store is not None:
            self._store.save_health(snapshot)
        return snapshot

    def clear(self, provider: str | None = None, fingerprint: str | None = None) -> int:
        with self._lock:
            keys = [
                k
                for k in self._records
                if (provider is None or k[0] == provider) and (fingerprint is None or k[1] == fingerprint)
            ]
            for k in keys:
                del self._records[k]
        if self._store is not None:
            self._store.delete_health(provider, fingerprint)
        return len(keys)
