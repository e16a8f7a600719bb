"""The PostgreSQL store's client records: client keys, devices, and spend read from the attempts (a mixin
of `PostgresStore`, whose engine provides `_submit`, `_fetch`, `barrier` and `available`). A committed change
adds a row to `clients_changes`; `clients_version` reads its newest id at most every CLIENTS_EVERY seconds."""

from __future__ import annotations

import contextlib
import time

from clawgate.store.base import ClientKeyRecord, DeviceRecord, SpendRow, StoreUnavailable
from clawgate.store.columns import CLIENT_KEY_COLS, DEVICE_COLS, decode, encode
from clawgate.store.pg_sql import EnginePart, upsert
from clawgate.store.spend import spend_rows, spend_select

CLIENTS_EVERY = 1.0  # seconds between two looks at the newest change (notifications bring changes at once)
PG_DAY = "to_char(to_timestamp(ts) AT TIME ZONE 'UTC', 'YYYY-MM-DD')"


_SAVE_KEY = upsert("client_keys", CLIENT_KEY_COLS, ("id",))
_SAVE_DEVICE = upsert("devices", DEVICE_COLS, ("id",))


class PostgresClients(EnginePart):
    """Client keys, devices and spend in the PostgreSQL store."""

    _clients_at: float = -CLIENTS_EVERY
    _clients_seen: object = None

    def save_client_key(self, rec: ClientKeyRecord) -> None:
        self._submit((_SAVE_KEY, tuple(encode(c, getattr(rec, c)) for c in CLIENT_KEY_COLS)))

    def client_keys(self) -> list[ClientKeyRecord]:
        rows = self._fetch(f"SELECT {', '.join(CLIENT_KEY_COLS)} FROM client_keys ORDER BY created_at")
        return [ClientKeyRecord(**decode(CLIENT_KEY_COLS, r)) for r in rows]

    def save_device(self, rec: DeviceRecord) -> None:
        self._submit((_SAVE_DEVICE, tuple(encode(c, getattr(rec, c)) for c in DEVICE_COLS)))

    def devices(self) -> list[DeviceRecord]:
        rows = self._fetch(f"SELECT {', '.join(DEVICE_COLS)} FROM devices ORDER BY requested_at")
        return [DeviceRecord(**decode(DEVICE_COLS, r)) for r in rows]

    def delete_device(self, device_id: str) -> None:
        self._submit(("DELETE FROM devices WHERE id = $1", (device_id,)))

    def note_device_refusal(self, device_id: str, ts: float, code: str, count: int) -> None:
        self._submit(
            (
                "UPDATE devices SET last_refused_at = $1, last_refused_code = $2, "
                "refusals = COALESCE(refusals, 0) + $3 WHERE id = $4",
                (ts, code, count, device_id),
            )
        )

    def note_device_seen(self, device_id: str, ts: float) -> None:
        sql = "UPDATE devices SET last_seen_at = $1 WHERE id = $2 AND (last_seen_at IS NULL OR last_seen_at < $1)"
        self._submit((sql, (ts, device_id)))

    def mark_clients_changed(self) -> None:
        self._submit(("INSERT INTO clients_changes (ts) VALUES ($1)", (time.time(),)))
        self.barrier().result(timeout=10)

    def clients_version(self) -> object:
        now = time.monotonic()
        if now - self._clients_at >= CLIENTS_EVERY and self.available:
            self._clients_at = now
            with contextlib.suppress(StoreUnavailable):
                self._clients_seen = self._fetch("SELECT COALESCE(MAX(id), 0) FROM clients_changes")[0][0]
        return self._clients_seen

    def spend_by(
        self, group: tuple[str, ...], since: float | None = None, until: float | None = None
    ) -> list[SpendRow]:
        sql, names = spend_select(group, lambda i: f"${i}", PG_DAY)
        return spend_rows(names, self._fetch(sql, since or 0.0, until or 1e18))

    def client_last_used(self) -> dict[str, float]:
        rows = self._fetch("SELECT client, MAX(ts) FROM attempts WHERE client IS NOT NULL GROUP BY client")
        return {str(r[0]): float(r[1]) for r in rows}

    def client_spend(self, since: float) -> dict[str, float]:
        rows = self._fetch(
            "SELECT client, COALESCE(SUM(cost_usd), 0) FROM attempts WHERE client IS NOT NULL AND ts >= $1 "
            "GROUP BY client",
            since,
        )
        return {str(r[0]): float(r[1]) for r in rows}
