"""Health state per (provider, credential fingerprint, model): rejected, blocked, cooling — each with its first
failure kept, so a refusal is never shown without the error that started it.

A verdict is about (credential, endpoint): each record keeps the base URL it was learned on (`endpoint_of`:
no userinfo, query or trailing slash), and a record learned on another base URL does not block this one — the
user fixed the base URL; the next call tests the new endpoint (a failure there starts a record of its own). A
record without an endpoint (written before it was kept) applies to every endpoint.

Which state a failure leaves is the failure policy's (`failures.health_effect`); this module keeps the records,
their back-off windows and their bound. Other processes sharing the store (the CLI's `health clear`, another
gateway) reach a running registry through `HealthChanges`: before the registry refuses a call it asks for the
clears made since it last looked — only when the store's cheap change marker moved (a stat, no query; never on the
path of a call that is allowed) — so a cleared key is sent at once. The SQLite store implements it with a
`health_clears` table and a marker file beside the database; a shared state layer with change notifications can
implement the same protocol.

With several gateway processes, `listener(kind, data)` hears every local change and call/health_shared.py
pushes it through the shared state (docs/state.md) — cooldowns learned and successes as well as clears — and
takes the others' in through `apply`/`forget`; the store's clear log stays as the pull path for a clear whose
notification was missed (the shared engine away)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlsplit

from clawgate.failures import Failure, health_effect
from clawgate.store.base import HealthClear, HealthRecord, Store

ANY_MODEL = "*"

# seconds to wait before trying again, by how many times it happened in a row
SCHEDULES: dict[str, tuple[float, ...]] = {
    "recheck": (60.0, 300.0, 900.0),  # a rejected key
    "blocked": (600.0, 1800.0, 3600.0),  # billing, permissions, a used-up daily quota
    "rate_limit": (5.0, 15.0, 60.0, 300.0),
    "transient": (2.0, 5.0, 15.0, 30.0),  # overload, 5xx, network
}
MAX_COOLDOWN = 3600.0
MAX_RECORDS = 10_000  # in memory; past it, expired records go first, then the least recently updated


class HealthChanges(Protocol):
    """Where a registry learns of health changes made elsewhere (the Store, or a shared state layer)."""

    def health_clears(self, after: int = 0) -> list[HealthClear]: ...

    def health_clears_version(self) -> object: ...


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


def endpoint_of(base_url: str | None) -> str | None:
    """The endpoint a health record names: the base URL without userinfo, query, fragment or trailing slash
    (so it may be shown and stored; `https://H/v1/` and `https://H/v1` are one endpoint)."""
    if not base_url:
        return None
    try:
        u = urlsplit(base_url)
        host = (u.hostname or "") + (f":{u.port}" if u.port else "")
    except ValueError:
        return None
    return f"{u.scheme}://{host}{u.path.rstrip('/')}"


def _other_endpoint(rec: HealthRecord, base_url: str | None) -> bool:
    """Was `rec` learned on another endpoint than `base_url`? (No endpoint on either side: it applies.)"""
    return bool(rec.endpoint and base_url) and rec.endpoint != endpoint_of(base_url)


def _pick(schedule: tuple[float, ...], count: int) -> float:
    return schedule[min(max(count - 1, 0), len(schedule) - 1)]


class HealthRegistry:
    """In-memory health (read on every call), persisted through the store. Thread- and task-safe. With many
    processes, `listener(kind, data)` hears every local change (call/health_shared.py shares it) and
    `apply`/`forget` take in the changes other processes made."""

    def __init__(
        self,
        store: Store | None = None,
        clock: Callable[[], float] = time.time,
        changes: HealthChanges | None = None,
        max_records: int = MAX_RECORDS,
    ) -> None:
        self._store = store
        self._clock = clock
        self._changes: HealthChanges | None = changes if changes is not None else store
        self._max = max_records
        self._lock = threading.Lock()
        self._records: dict[tuple[str, str, str], HealthRecord] = {}
        self._cursor = 0
        self._seen: object = None
        # every local change, for call/health_shared.py (which replicates it to the other processes)
        self.listener: Callable[[str, dict[str, object]], None] | None = None
        if store is not None:
            self._cursor = self._latest_clear()
            self._load()

    def _latest_clear(self) -> int:
        if self._changes is None:
            return 0
        newest = self._changes.health_clears(-1)
        return newest[-1].id if newest else 0

    def _load(self) -> None:
        assert self._store is not None
        recs = sorted(self._store.load_health(), key=lambda r: r.last_ts or r.first_ts or 0.0)[-self._max :]
        self._records = {rec.key: rec for rec in recs}

    def reload(self) -> None:
        if self._store is None:
            return
        with self._lock:
            self._cursor = self._latest_clear()
            self._load()

    def sync(self, force: bool = False) -> int:
        """Apply the clears other processes made since the last look; returns how many records went."""
        if self._changes is None:
            return 0
        version = self._changes.health_clears_version()
        if not force and version == self._seen:
            return 0  # nothing cleared since the last look: a stat, no query
        self._seen = version
        clears = self._changes.health_clears(self._cursor)
        if not clears:
            return 0
        gone = 0
        with self._lock:
            for c in clears:
                for key, rec in list(self._records.items()):
                    matches = (c.provider is None or key[0] == c.provider) and (
                        c.fingerprint is None or key[1] == c.fingerprint
                    )
                    if matches and (rec.last_ts or rec.first_ts or 0.0) <= c.ts:  # not a newer failure
                        del self._records[key]
                        gone += 1
            self._cursor = max(self._cursor, clears[-1].id)
        return gone

    def records(self) -> list[HealthRecord]:
        self.sync()
        with self._lock:
            return sorted(self._records.values(), key=lambda r: (r.provider, r.fingerprint, r.model))

    def get(
        self, provider: str, fingerprint: str, model: str, base_url: str | None = None
    ) -> HealthRecord | None:
        """The record that governs this (provider, key, model) on `base_url` (None: on any endpoint): a
        credential-wide one first; None when the record was learned on another endpoint."""
        with self._lock:
            rec = self._records.get((provider, fingerprint, ANY_MODEL)) or self._records.get(
                (provider, fingerprint, model)
            )
        return None if rec is None or _other_endpoint(rec, base_url) else rec

    def verdict(
        self, provider: str, fingerprint: str | None, model: str, base_url: str | None = None
    ) -> Verdict:
        """May this key be sent for this model to `base_url` (the attempt's; None: any endpoint)?"""
        if fingerprint is None or not self._records:
            return Verdict(True)
        rec = self.get(provider, fingerprint, model, base_url)  # learned on another base URL: None
        if rec is None or rec.state == "ok":
            return Verdict(True)
        now = self._clock()
        if rec.until is not None and rec.until <= now:
            return Verdict(True, rec)  # window over: one real attempt re-tests it
        if self.sync():  # about to refuse: was it cleared elsewhere meanwhile?
            rec = self.get(provider, fingerprint, model, base_url)
            if rec is None:
                return Verdict(True)
        return Verdict(False, rec)

    def on_success(self, provider: str, fingerprint: str | None, model: str) -> None:
        """A success clears its own (provider, key, model) record and the key's credential-wide one — never
        another model's."""
        if fingerprint is None or not self._records:
            return
        removed = []
        with self._lock:
            for key in ((provider, fingerprint, ANY_MODEL), (provider, fingerprint, model)):
                if key in self._records:
                    del self._records[key]
                    removed.append(key)
        if self._store is not None:
            for key in removed:
                self._store.delete_health(*key)
        if removed and self.listener is not None:
            self.listener("ok", {"keys": [list(k) for k in removed]})

    def on_failure(
        self,
        failure: Failure,
        fingerprint: str | None,
        model: str,
        cred_source: str | None = None,
        endpoint: str | None = None,
    ) -> HealthRecord | None:
        """Update health from a classified failure on base URL `endpoint`; returns the record, or None if
        health is unaffected. A record learned on another endpoint is replaced (a new first failure)."""
        if fingerprint is None or failure.provider is None:
            return None
        effect = health_effect(failure.code)
        if effect is None:
            return None
        state, schedule = effect.state, SCHEDULES[effect.schedule]
        scope = ANY_MODEL if effect.credential_wide else model
        now = self._clock()
        key = (failure.provider, fingerprint, scope)
        with self._lock:
            rec = self._records.get(key)
            if rec is not None and _other_endpoint(rec, endpoint):
                rec = None
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
                    first_code=failure.code,
                    first_message=(failure.provider_message or failure.message)[:300],
                    endpoint=endpoint_of(endpoint),
                )
                self._records[key] = rec
                self._bound(now)
            in_window = rec.until is not None and rec.until > now and rec.state == state
            rec.count += 1
            rec.last_ts = now
            rec.last_code = failure.code
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
        if self.listener is not None:
            self.listener("record", {"record": snapshot})
        return snapshot

    def _bound(self, now: float) -> None:
        """Keep at most `max_records` (under the lock): expired ones first, then the least recently updated."""
        if len(self._records) <= self._max:
            return
        for key in [k for k, r in self._records.items() if r.until is not None and r.until <= now]:
            del self._records[key]
        excess = len(self._records) - self._max
        if excess > 0:
            oldest = sorted(self._records.items(), key=lambda kv: kv[1].last_ts or kv[1].first_ts or 0.0)
            for key, _ in oldest[:excess]:
                del self._records[key]

    def clear(self, provider: str | None = None, fingerprint: str | None = None) -> int:
        """Forget health state here and — through the store — in every process that shares it."""
        with self._lock:
            keys = [
                k
                for k in self._records
                if (provider is None or k[0] == provider) and (fingerprint is None or k[1] == fingerprint)
            ]
            for k in keys:
                del self._records[k]
        if self._store is not None:
            self._store.clear_health(provider, fingerprint)
        if self.listener is not None:
            self.listener("clear", {"provider": provider, "fingerprint": fingerprint})
        return len(keys)

    # -- changes made by other processes (never re-announced) -------------------------------------------

    def apply(self, rec: HealthRecord) -> None:
        with self._lock:
            self._records[rec.key] = rec

    def forget(
        self,
        keys: list[tuple[str, str, str]] | None = None,
        provider: str | None = None,
        fingerprint: str | None = None,
    ) -> int:
        """Drop `keys`, or every record matching provider/fingerprint (both None: all)."""
        with self._lock:
            if keys is None:
                keys = [
                    k
                    for k in self._records
                    if (provider is None or k[0] == provider) and (fingerprint is None or k[1] == fingerprint)
                ]
            n = 0
            for k in keys:
                n += self._records.pop(k, None) is not None
            return n
