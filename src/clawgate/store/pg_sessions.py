"""The PostgreSQL store's agent-runtime records: sessions, their messages (a new one takes the next `seq` of
its session from `session_seqs`), runs, the runs a stopped process left in flight, and cron runs (a mixin of
`PostgresStore`, whose engine provides `_submit`, `_fetch`, `barrier`, `host` and `_error`)."""

from __future__ import annotations

from typing import Any

import orjson

from clawgate.store.base import CronRecord, MessageRecord, RunRecord, SessionRecord
from clawgate.store.columns import (
    CRON_COLS,
    INTERRUPTED_ERROR,
    MESSAGE_COLS,
    MESSAGE_UPDATE_COLS,
    RUN_COLS,
    SESSION_COLS,
    col,
    decode,
    encode,
)
from clawgate.store.pg_engine import unavailable
from clawgate.store.pg_sql import EnginePart, marks, upsert, where_clause

_SAVE_SESSION = upsert("sessions", SESSION_COLS, ("id",))
_SAVE_RUN = upsert("runs", RUN_COLS, ("id",))
_UPDATE_MESSAGE = (
    "UPDATE messages SET "
    + ", ".join(f"{c} = ${i}" for i, c in enumerate(MESSAGE_UPDATE_COLS, 2))
    + " WHERE id = $1"
)
# a new message takes the next seq of its session from `session_seqs` (a row lock: two processes never get
# the same one); explicit seqs (imports, tests) are kept
_INSERT_MESSAGE = (
    "WITH s AS (INSERT INTO session_seqs AS q (session_id, last) VALUES "
    "($2, COALESCE((SELECT MAX(seq) FROM messages WHERE session_id = $2), 0) + 1) "
    "ON CONFLICT (session_id) DO UPDATE SET last = GREATEST(q.last + 1, $3) RETURNING last) "
    f"INSERT INTO messages ({', '.join(MESSAGE_COLS)}) VALUES ("
    + ", ".join(
        "CASE WHEN $3 > 0 THEN $3 ELSE (SELECT last FROM s) END" if c == "seq" else f"${i}"
        for i, c in enumerate(MESSAGE_COLS, 1)
    )
    + ") ON CONFLICT (id) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in MESSAGE_UPDATE_COLS)
)
_MOVE_TO_END = (
    "WITH s AS (UPDATE session_seqs SET last = last + 1 WHERE session_id = $1 RETURNING last) "
    "UPDATE messages SET seq = (SELECT last FROM s) WHERE id = $2 AND EXISTS (SELECT 1 FROM s) "
    "AND seq < (SELECT MAX(seq) FROM messages WHERE session_id = $1)"
)
_INSERT_CRON = f"INSERT INTO cron_runs ({', '.join(CRON_COLS)}) VALUES ({marks(len(CRON_COLS))})"


class PostgresSessions(EnginePart):
    """Sessions, messages, runs and cron runs in the PostgreSQL store."""

    host: str
    _error: str | None

    def __init__(self) -> None:
        super().__init__()
        self._known: set[str] = set()  # message ids this process inserted (later saves are plain updates)

    # -- writes ---------------------------------------------------------------------------------------

    def save_session(self, rec: SessionRecord) -> None:
        self._submit((_SAVE_SESSION, tuple(getattr(rec, c) for c in SESSION_COLS)))

    def save_message(self, rec: MessageRecord) -> None:
        if rec.id in self._known:
            values = (rec.id, *(encode(c, getattr(rec, c)) for c in MESSAGE_UPDATE_COLS))
            self._submit((_UPDATE_MESSAGE, values))
            return
        if len(self._known) > 100_000:
            self._known.clear()
        self._known.add(rec.id)
        self._submit((_INSERT_MESSAGE, tuple(encode(c, getattr(rec, c)) for c in MESSAGE_COLS)))

    def move_to_end(self, session_id: str, message_id: str) -> None:
        self._submit((_MOVE_TO_END, (session_id, message_id)))

    def trim_messages(self, session_id: str, keep: int) -> None:
        sql = (
            "DELETE FROM messages WHERE session_id = $1 AND seq <= (SELECT seq FROM messages WHERE "
            "session_id = $1 ORDER BY seq DESC LIMIT 1 OFFSET $2)"
        )
        self._submit((sql, (session_id, keep)))

    def save_run(self, rec: RunRecord) -> None:
        self._submit((_SAVE_RUN, tuple(encode(c, getattr(rec, c)) for c in RUN_COLS)))

    def record_cron(self, rec: CronRecord) -> None:
        self._submit((_INSERT_CRON, tuple(encode(c, getattr(rec, c)) for c in CRON_COLS)))

    def mark_interrupted(self, now: float, only: list[str] | None = None) -> tuple[int, int]:
        if only is not None and not only:
            return 0, 0
        error = orjson.dumps(INTERRUPTED_ERROR).decode()
        counts = [0, 0]

        async def op(conn: Any) -> None:
            runs = "status IN ('queued', 'running')" + (" AND id = ANY($3::text[])" if only else "")
            msgs = "status = 'streaming'" + (" AND run_id = ANY($3::text[])" if only else "")
            extra = (list(only),) if only else ()
            r = await conn.execute(
                f"UPDATE messages SET status = 'interrupted', error = COALESCE(error, $1), updated_at = $2 "
                f"WHERE {msgs}",
                error,
                now,
                *extra,
            )
            counts[0] = int(r.split()[-1])
            r = await conn.execute(
                f"UPDATE runs SET status = 'interrupted', error = COALESCE(error, $1), ended_at = $2 WHERE {runs}",
                error,
                now,
                *extra,
            )
            counts[1] = int(r.split()[-1])

        self._submit(op)
        try:
            self.barrier().result(30)
        except TimeoutError:
            raise unavailable(self.host, self._error or "no answer within 30 s") from None
        return counts[0], counts[1]

    # -- reads ----------------------------------------------------------------------------------------

    def _sessions(self, where: str, args: tuple[Any, ...], limit: int) -> list[SessionRecord]:
        sql = (
            f"SELECT {', '.join(SESSION_COLS)} FROM sessions {where} ORDER BY updated_at DESC "
            f"LIMIT ${len(args) + 1}"
        )
        return [SessionRecord(**decode(SESSION_COLS, r)) for r in self._fetch(sql, *args, limit)]

    def get_session(self, session_id: str) -> SessionRecord | None:
        rows = self._sessions("WHERE id = $1", (session_id,), 1)
        return rows[0] if rows else None

    def list_sessions(
        self, agent: str | None = None, limit: int = 50, kind: str | None = None
    ) -> list[SessionRecord]:
        where, args = where_clause({"agent": agent, "kind": kind})
        return self._sessions(where, tuple(args), limit)

    def find_session(self, agent: str, title: str, kind: str | None = None) -> SessionRecord | None:
        where, args = where_clause({"agent": agent, "title": title, "kind": kind})
        rows = self._sessions(where, tuple(args), 1)
        return rows[0] if rows else None

    def list_messages(self, session_id: str) -> list[MessageRecord]:
        sql = f"SELECT {', '.join(MESSAGE_COLS)} FROM messages WHERE session_id = $1 ORDER BY seq"
        return [MessageRecord(**decode(MESSAGE_COLS, r)) for r in self._fetch(sql, session_id)]

    def count_messages(self, session_ids: list[str]) -> dict[str, int]:
        if not session_ids:
            return {}
        sql = (
            "SELECT session_id, COUNT(*) FROM messages WHERE session_id = ANY($1::text[]) GROUP BY session_id"
        )
        return {r[0]: int(r[1]) for r in self._fetch(sql, list(session_ids))}

    def _runs(self, where: str, *args: Any) -> list[RunRecord]:
        sql = f"SELECT {', '.join(col(c) for c in RUN_COLS)} FROM runs {where} ORDER BY created_at"
        return [RunRecord(**decode(RUN_COLS, r)) for r in self._fetch(sql, *args)]

    def get_run(self, run_id: str) -> RunRecord | None:
        rows = self._runs("WHERE id = $1", run_id)
        return rows[0] if rows else None

    def list_runs(self, session_id: str) -> list[RunRecord]:
        return self._runs("WHERE session_id = $1", session_id)

    def active_runs(self) -> list[RunRecord]:
        return self._runs("WHERE status IN ('queued', 'running')")

    def cron_history(self, job_id: str | None = None, limit: int = 50) -> list[CronRecord]:
        where, args = where_clause({"job_id": job_id})
        sql = (
            f"SELECT id, {', '.join(CRON_COLS)} FROM cron_runs{where} ORDER BY id DESC LIMIT ${len(args) + 1}"
        )
        return [CronRecord(id=r[0], **decode(CRON_COLS, r[1:])) for r in self._fetch(sql, *args, limit)]
