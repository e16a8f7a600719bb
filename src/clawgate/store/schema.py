"""The SQLite schema: tables and columns derived from the store's records, and the migrations by
`PRAGMA user_version` (each step idempotent, applied in place: an existing state.db keeps every row)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from clawgate.store.columns import ATTEMPT_COLS as _ATTEMPT_COLS
from clawgate.store.columns import CLIENT_KEY_COLS as _CLIENT_KEY_COLS
from clawgate.store.columns import CRON_COLS as _CRON_COLS
from clawgate.store.columns import DEVICE_COLS as _DEVICE_COLS
from clawgate.store.columns import HEALTH_COLS as _HEALTH_COLS
from clawgate.store.columns import MESSAGE_COLS as _MESSAGE_COLS
from clawgate.store.columns import RUN_COLS as _RUN_COLS
from clawgate.store.columns import SESSION_COLS as _SESSION_COLS
from clawgate.store.columns import col as _col

# PRAGMA user_version: 1 = attempts + health; 2 = + sessions, messages, runs, cron_runs (the agent runtime);
# 3 = + attempts.cache_read_tokens / cache_write_tokens, health_clears (health clear seen by every process);
# 4 = + runs.worker (the process running it: recovery marks only runs whose process is gone);
# 5 = + responses (Responses answers kept for previous_response_id);
# 6 = + client_keys, devices, attempts.client / cost_usd (clients and spend: clawgate.clients);
# 7 = + health.endpoint (the base URL a health verdict was learned on), runs.fallback (what a run skipped)
SCHEMA_VERSION = 7

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

_SCHEMA_V5 = """
CREATE TABLE IF NOT EXISTS responses (
  id TEXT PRIMARY KEY,
  created_at REAL,
  expires_at REAL,
  model TEXT,
  items TEXT
);
CREATE INDEX IF NOT EXISTS responses_expires ON responses(expires_at);
"""


def _add_missing_columns(conn: sqlite3.Connection, table: str, cols: list[str]) -> None:
    """Columns added to a record after a file was created (ALTER TABLE keeps every row). Two processes
    migrating at once: the second finds the column there."""
    have = {r[1] for r in conn.execute(f"PRAGMA table_info({table})")}
    for col in cols:
        if _col(col) not in have:
            try:
                conn.execute(f"ALTER TABLE {table} ADD COLUMN {_col(col)}")
            except sqlite3.OperationalError as exc:
                if "duplicate column" not in str(exc):
                    raise


def _v3(conn: sqlite3.Connection) -> None:
    _add_missing_columns(conn, "attempts", _ATTEMPT_COLS)
    conn.executescript(_SCHEMA_V3)


def _v4(conn: sqlite3.Connection) -> None:
    _add_missing_columns(conn, "runs", _RUN_COLS)


_SCHEMA_V6 = f"""
CREATE TABLE IF NOT EXISTS client_keys (
  {", ".join(c + (" TEXT PRIMARY KEY" if c == "id" else "") for c in _CLIENT_KEY_COLS)}
);
CREATE UNIQUE INDEX IF NOT EXISTS client_keys_name ON client_keys(name);
CREATE TABLE IF NOT EXISTS devices (
  {", ".join(c + (" TEXT PRIMARY KEY" if c == "id" else "") for c in _DEVICE_COLS)}
);
CREATE INDEX IF NOT EXISTS attempts_client ON attempts(client, ts);
"""


def _v6(conn: sqlite3.Connection) -> None:
    _add_missing_columns(conn, "attempts", _ATTEMPT_COLS)
    conn.executescript(_SCHEMA_V6)


def _v7(conn: sqlite3.Connection) -> None:
    _add_missing_columns(conn, "health", _HEALTH_COLS)
    _add_missing_columns(conn, "runs", _RUN_COLS)


# each step is idempotent (IF NOT EXISTS, or checks what is there)
_MIGRATIONS: dict[int, str | Callable[[sqlite3.Connection], None]] = {
    1: _SCHEMA,
    2: _SCHEMA_V2,
    3: _v3,
    4: _v4,
    5: _SCHEMA_V5,
    6: _v6,
    7: _v7,
}


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
