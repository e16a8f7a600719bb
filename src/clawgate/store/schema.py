"""The SQLite schema: tables and columns derived from the store's records, and the migrations by
`PRAGMA user_version` (each step idempotent, applied in place: an existing state.db keeps every row)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import fields
from typing import Any

import orjson

from clawgate.store.base import (
    AttemptRecord,
    CronRecord,
    HealthRecord,
    MessageRecord,
    RunRecord,
    SessionRecord,
)

# PRAGMA user_version: 1 = attempts + health; 2 = + sessions, messages, runs, cron_runs (the agent runtime);
# 3 = + attempts.cache_read_tokens / cache_write_tokens, health_clears (health clear seen by every process)
SCHEMA_VERSION = 3

_ATTEMPT_COLS = [f.name for f in fields(AttemptRecord) if f.name != "id"]
_HEALTH_COLS = [f.name for f in fields(HealthRecord) if f.name != "extra"]

_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS attempts (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  {", ".join(f"{c} {'REAL' if c in ('ts', 'latency_ms', 'first_byte_ms') else ''}" for c in _ATTEMPT_COLS)}
);
CREATE INDEX IF NOT EXISTS attempts_ts ON attempts(ts);
CREATE TABLE IF NOT EXISTS health (
  {", ".join(_HEALTH_COLS)},
  PRIMARY KEY (provider, fingerprint, model)
);
"""

_SESSION_COLS = [f.name for f in fields(SessionRecord)]
_MESSAGE_COLS = [f.name for f in fields(MessageRecord)]
_RUN_COLS = [f.name for f in fields(RunRecord)]
_CRON_COLS = [f.name for f in fields(CronRecord) if f.name != "id"]
_JSON_COLS = {"error", "tool_calls", "credential", "usage", "subagents", "next_steps"}
# column names that are SQL keywords
_SQL_NAME = {"limit": "limit_kind"}


def _col(name: str) -> str:
    return _SQL_NAME.get(name, name)


_SCHEMA_V2 = f"""
CREATE TABLE IF NOT EXISTS sessions (
  {", ".join(_col(c) + (" TEXT PRIMARY KEY" if c == "id" else "") for c in _SESSION_COLS)}
);
CREATE INDEX IF NOT EXISTS sessions_updated ON sessions(updated_at);
CREATE TABLE IF NOT EXISTS messages (
  {", ".join(_col(c) + (" TEXT PRIMARY KEY" if c == "id" else "") for c in _MESSAGE_COLS)}
);
CREATE INDEX IF NOT EXISTS messages_session ON messages(session_id, seq);
CREATE INDEX IF NOT EXISTS messages_status ON messages(status);
CREATE TABLE IF NOT EXISTS runs (
  {", ".join(_col(c) + (" TEXT PRIMARY KEY" if c == "id" else "") for c in _RUN_COLS)}
);
CREATE INDEX IF NOT EXISTS runs_session ON runs(session_id, created_at);
CREATE INDEX IF NOT EXISTS runs_status ON runs(status);
CREATE TABLE IF NOT EXISTS cron_runs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  {", ".join(_CRON_COLS)}
);
CREATE INDEX IF NOT EXISTS cron_runs_job ON cron_runs(job_id, ts);
"""

_SCHEMA_V3 = """
CREATE TABLE IF NOT EXISTS health_clears (
  id INTEGER PRIMARY KEY AUTOINCREMENT, ts REAL, provider TEXT, fingerprint TEXT
);
"""


def _add_missing_attempt_columns(conn: sqlite3.Connection) -> None:
    """Columns added to AttemptRecord after a file was created (ALTER TABLE keeps every row)."""
    have = {r[1] for r in conn.execute("PRAGMA table_info(attempts)")}
    for col in _ATTEMPT_COLS:
        if col not in have:
            conn.execute(f"ALTER TABLE attempts ADD COLUMN {col}")


def _v3(conn: sqlite3.Connection) -> None:
    _add_missing_attempt_columns(conn)
    conn.executescript(_SCHEMA_V3)


# each step is idempotent (IF NOT EXISTS, or checks what is there)
_MIGRATIONS: dict[int, str | Callable[[sqlite3.Connection], None]] = {1: _SCHEMA, 2: _SCHEMA_V2, 3: _v3}


def _encode(name: str, value: Any) -> Any:
    if name in _JSON_COLS and value is not None:
        return orjson.dumps(value).decode()
    return value


def _decode(names: list[str], row: tuple[Any, ...]) -> dict[str, Any]:
    out = {}
    for name, value in zip(names, row, strict=True):
        if name in _JSON_COLS and value is not None:
            value = orjson.loads(value)
        out[name] = value
    if "subagents" in out and out["subagents"] is None:
        out["subagents"] = []
    return out


def _upsert(table: str, cols: list[str]) -> str:
    names = ", ".join(_col(c) for c in cols)
    return f"INSERT OR REPLACE INTO {table} ({names}) VALUES ({', '.join('?' * len(cols))})"


def migrate(conn: sqlite3.Connection) -> None:
    """Bring the file to SCHEMA_VERSION."""
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version < SCHEMA_VERSION:
        for v in range(version + 1, SCHEMA_VERSION + 1):
            step = _MIGRATIONS[v]
            if isinstance(step, str):
                conn.executescript(step)
            else:
                step(conn)
        conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
