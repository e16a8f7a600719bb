"""Stored Responses answers (`previous_response_id`) in either engine: the SQL, and `ResponsesStore`, the store
methods both engines share. They are built on the engine's own queued writes (`_submit`, committed by its writer
with everything else) and one read (`_response_rows`); only the placeholders differ (SQLite `?`, PostgreSQL `$n`).
The table itself is a migration of each engine (SQLite schema v5, PostgreSQL step 3)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from clawgate.store.base import StoredResponse

COLUMNS = "id, created_at, expires_at, model, items"


@dataclass(frozen=True, slots=True)
class ResponsesSQL:
    save: str
    get: str
    delete: str
    expired: str
    surplus: str  # the oldest beyond the bound


SQLITE = ResponsesSQL(
    save=f"INSERT OR REPLACE INTO responses ({COLUMNS}) VALUES (?, ?, ?, ?, ?)",
    get=f"SELECT {COLUMNS} FROM responses WHERE id = ? AND expires_at > ?",
    delete="DELETE FROM responses WHERE id = ?",
    expired="DELETE FROM responses WHERE expires_at <= ?",
    surplus="DELETE FROM responses WHERE id IN "
    "(SELECT id FROM responses ORDER BY created_at DESC LIMIT -1 OFFSET ?)",
)
POSTGRES = ResponsesSQL(
    save=f"INSERT INTO responses ({COLUMNS}) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO UPDATE SET "
    "created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at, model = EXCLUDED.model, "
    "items = EXCLUDED.items",
    get=f"SELECT {COLUMNS} FROM responses WHERE id = $1 AND expires_at > $2",
    delete="DELETE FROM responses WHERE id = $1",
    expired="DELETE FROM responses WHERE expires_at <= $1",
    surplus="DELETE FROM responses WHERE id IN (SELECT id FROM responses ORDER BY created_at DESC OFFSET $1)",
)


class ResponsesStore:
    """The `Store` methods for kept Responses answers; an engine sets `_responses_sql` and provides `_submit`
    (a queued write) and `_response_rows` (a read)."""

    _responses_sql: ResponsesSQL

    def _submit(self, op: Any) -> None:  # pragma: no cover - every engine has its own
        raise NotImplementedError

    def _response_rows(self, sql: str, args: tuple[Any, ...]) -> list[Any]:  # pragma: no cover
        raise NotImplementedError

    def save_response(self, rec: StoredResponse) -> None:
        items = orjson.dumps(rec.items).decode()
        self._submit((self._responses_sql.save, (rec.id, rec.created_at, rec.expires_at, rec.model, items)))

    def get_response(self, response_id: str, now: float) -> StoredResponse | None:
        rows = self._response_rows(self._responses_sql.get, (response_id, now))
        if not rows:
            return None
        rid, created, expires, model, items = tuple(rows[0])
        return StoredResponse(rid, created, expires, model, orjson.loads(items))

    def delete_response(self, response_id: str) -> None:
        self._submit((self._responses_sql.delete, (response_id,)))

    def prune_responses(self, now: float, keep: int) -> None:
        self._submit((self._responses_sql.expired, (now,)))
        self._submit((self._responses_sql.surplus, (keep,)))
