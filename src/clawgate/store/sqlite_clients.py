"""The SQLite store's client records: client keys, devices, and spend read from the attempts (a mixin of
`SQLiteStore`, which provides `_submit`, `_query`, `barrier` and `path`). A committed change moves a marker
file beside the database (`<state.db>.clients`), which a gateway that missed the change's notification sees
with a stat."""

from __future__ import annotations

import os
from concurrent.futures import Future
from typing import Any

from clawgate.store.base import ClientKeyRecord, DeviceRecord, SpendRow
from clawgate.store.columns import CLIENT_KEY_COLS, DEVICE_COLS, decode, encode
from clawgate.store.spend import spend_rows, spend_select

SQLITE_DAY = "strftime('%Y-%m-%d', ts, 'unixepoch')"

_SAVE_KEY = (
    f"INSERT OR REPLACE INTO client_keys ({', '.join(CLIENT_KEY_COLS)}) "
    f"VALUES ({', '.join('?' * len(CLIENT_KEY_COLS))})"
)
_SAVE_DEVICE = (
    f"INSERT OR REPLACE INTO devices ({', '.join(DEVICE_COLS)}) VALUES ({', '.join('?' * len(DEVICE_COLS))})"
)


class SQLiteClients:
    """Client keys, devices and spend in the SQLite store."""

    path: str
    _clients_marked: int

    def _submit(self, op: Any) -> None:  # provided by SQLiteStore
        raise NotImplementedError

    def _query(self, sql: str, args: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        raise NotImplementedError

    def barrier(self) -> Future[None]:
        raise NotImplementedError

    def save_client_key(self, rec: ClientKeyRecord) -> None:
        self._submit((_SAVE_KEY, tuple(encode(c, getattr(rec, c)) for c in CLIENT_KEY_COLS)))

    def client_keys(self) -> list[ClientKeyRecord]:
        rows = self._query(f"SELECT {', '.join(CLIENT_KEY_COLS)} FROM client_keys ORDER BY created_at", ())
        return [ClientKeyRecord(**decode(CLIENT_KEY_COLS, r)) for r in rows]

    def save_device(self, rec: DeviceRecord) -> None:
        self._submit((_SAVE_DEVICE, tuple(encode(c, getattr(rec, c)) for c in DEVICE_COLS)))

    def devices(self) -> list[DeviceRecord]:
        rows = self._query(f"SELECT {', '.join(DEVICE_COLS)} FROM devices ORDER BY requested_at", ())
        return [DeviceRecord(**decode(DEVICE_COLS, r)) for r in rows]

    def delete_device(self, device_id: str) -> None:
        self._submit(("DELETE FROM devices WHERE id = ?", (device_id,)))

    def note_device_refusal(self, device_id: str, ts: float, code: str, count: int) -> None:
        self._submit(
            (
                "UPDATE devices SET last_refused_at = ?, last_refused_code = ?, "
                "refusals = COALESCE(refusals, 0) + ? WHERE id = ?",
                (ts, code, count, device_id),
            )
        )

    def note_device_seen(self, device_id: str, ts: float) -> None:
        sql = (
            "UPDATE devices SET last_seen_at = ? WHERE id = ? AND (last_seen_at IS NULL OR last_seen_at < ?)"
        )
        self._submit((sql, (ts, device_id, ts)))

    def mark_clients_changed(self) -> None:
        self.barrier().result(timeout=10)  # whoever sees the marker move finds the committed rows
        self._clients_marked = getattr(self, "_clients_marked", 0) + 1
        if self.path == ":memory:":
            return
        try:  # one byte appended per change: the size grows even within one mtime tick
            with open(self.path + ".clients", "ab") as f:
                f.write(b".")
        except OSError:
            pass

    def clients_version(self) -> object:
        if self.path == ":memory:":
            return getattr(self, "_clients_marked", 0)
        try:
            st = os.stat(self.path + ".clients")
        except OSError:
            return None
        return (st.st_size, st.st_mtime_ns)

    def spend_by(
        self, group: tuple[str, ...], since: float | None = None, until: float | None = None
    ) -> list[SpendRow]:
        sql, names = spend_select(group, lambda i: "?", SQLITE_DAY)
        return spend_rows(names, self._query(sql, (since or 0.0, until or 1e18)))

    def client_last_used(self) -> dict[str, float]:
        rows = self._query(
            "SELECT client, MAX(ts) FROM attempts WHERE client IS NOT NULL GROUP BY client", ()
        )
        return {str(r[0]): float(r[1]) for r in rows}

    def client_spend(self, since: float) -> dict[str, float]:
        rows = self._query(
            "SELECT client, COALESCE(SUM(cost_usd), 0) FROM attempts WHERE client IS NOT NULL AND ts >= ? "
            "GROUP BY client",
            (since,),
        )
        return {str(c): float(v) for c, v in rows}
