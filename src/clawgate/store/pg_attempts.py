"""The PostgreSQL store's request log and health: attempts (one row per try, dropped first when the database
has been away long enough to fill the write queue), health records, and health clears (a mixin of
`PostgresStore`, whose engine provides `_submit`, `_fetch` and `available`). A clear adds a row to
`health_clears`; `health_clears_version` reads its newest id at most every CLEARS_EVERY seconds."""

from __future__ import annotations

import contextlib
import operator
import time
from dataclasses import astuple
from typing import Any

from clawgate.store.base import AttemptRecord, HealthClear, HealthRecord, StoreUnavailable
from clawgate.store.columns import ATTEMPT_COLS, HEALTH_COLS
from clawgate.store.pg_sql import EnginePart, marks, upsert, where_clause

CLEARS_EVERY = 0.2  # seconds between two looks at the newest health clear

_INSERT_ATTEMPT = f"INSERT INTO attempts ({', '.join(ATTEMPT_COLS)}) VALUES ({marks(len(ATTEMPT_COLS))})"
_attempt_values = operator.attrgetter(*ATTEMPT_COLS)
_SAVE_HEALTH = upsert("health", HEALTH_COLS, ("provider", "fingerprint", "model"))


class PostgresAttempts(EnginePart):
    """Attempts, health and health clears in the PostgreSQL store."""

    _clears_at: float = -CLEARS_EVERY
    _clears_seen: object = None

    # -- writes ---------------------------------------------------------------------------------------

    def record_attempt(self, rec: AttemptRecord) -> None:
        self._submit((_INSERT_ATTEMPT, _attempt_values(rec)), droppable=True)

    def record_attempt_row(self, row: tuple[Any, ...]) -> None:
        self._submit((_INSERT_ATTEMPT, row), droppable=True)

    def save_health(self, rec: HealthRecord) -> None:
        self._submit((_SAVE_HEALTH, tuple(astuple(rec)[: len(HEALTH_COLS)])))

    def delete_health(
        self, provider: str | None = None, fingerprint: str | None = None, model: str | None = None
    ) -> None:
        where, args = where_clause({"provider": provider, "fingerprint": fingerprint, "model": model})
        sql = "DELETE FROM health" + where

        async def op(conn: Any) -> None:
            await conn.execute(sql, *args)

        self._submit(op)

    def clear_health(self, provider: str | None = None, fingerprint: str | None = None) -> None:
        self.delete_health(provider, fingerprint)
        self._submit(
            (
                "INSERT INTO health_clears (ts, provider, fingerprint) VALUES ($1, $2, $3)",
                (time.time(), provider, fingerprint),
            )
        )

    # -- reads ----------------------------------------------------------------------------------------

    def recent_attempts(
        self, limit: int = 100, since: float | None = None, failures_only: bool = False
    ) -> list[AttemptRecord]:
        where, args = [], []
        if since is not None:
            args.append(since)
            where.append(f"ts >= ${len(args)}")
        if failures_only:
            where.append("ok = false")
        args.append(limit)
        sql = (
            f"SELECT id, {', '.join(ATTEMPT_COLS)} FROM attempts"
            + (" WHERE " + " AND ".join(where) if where else "")
            + f" ORDER BY id DESC LIMIT ${len(args)}"
        )
        return [
            AttemptRecord(id=r[0], **dict(zip(ATTEMPT_COLS, r[1:], strict=True)))
            for r in self._fetch(sql, *args)
        ]

    def count_attempts(self, since: float | None = None) -> int:
        if since is None:
            return int(self._fetch("SELECT COUNT(*) FROM attempts")[0][0])
        return int(self._fetch("SELECT COUNT(*) FROM attempts WHERE ts >= $1", since)[0][0])

    def load_health(self) -> list[HealthRecord]:
        rows = self._fetch(f"SELECT {', '.join(HEALTH_COLS)} FROM health")
        return [HealthRecord(**dict(zip(HEALTH_COLS, r, strict=True))) for r in rows]

    def failures_by_owner(self, since: float | None = None) -> tuple[int, dict[str, int]]:
        where, args = ("WHERE ts >= $1", (since,)) if since is not None else ("", ())
        rows = self._fetch(f"SELECT ok, owner, COUNT(*) FROM attempts {where} GROUP BY ok, owner", *args)
        total = sum(int(r[2]) for r in rows)
        return total, {r[1]: int(r[2]) for r in rows if not r[0] and r[1]}

    def health_clears_version(self) -> object:
        """The newest clear's id, read at most every CLEARS_EVERY seconds (a refusing registry asks; with
        PostgreSQL, clears also arrive at once through the shared state's notification)."""
        now = time.monotonic()
        if now - self._clears_at >= CLEARS_EVERY and self.available:
            self._clears_at = now
            with contextlib.suppress(StoreUnavailable):
                self._clears_seen = self._fetch("SELECT COALESCE(MAX(id), 0) FROM health_clears")[0][0]
        return self._clears_seen

    def health_clears(self, after: int = 0) -> list[HealthClear]:
        if not self.available:
            return []  # asked on the path of a call: never raise there (the clear arrives when it is back)
        try:
            if after < 0:
                rows = self._fetch(
                    "SELECT id, ts, provider, fingerprint FROM health_clears ORDER BY id DESC LIMIT 1"
                )
            else:
                rows = self._fetch(
                    "SELECT id, ts, provider, fingerprint FROM health_clears WHERE id > $1 ORDER BY id", after
                )
        except StoreUnavailable:
            return []
        return [HealthClear(int(r[0]), float(r[1]), r[2], r[3]) for r in rows]
