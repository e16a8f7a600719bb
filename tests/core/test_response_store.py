"""The migrations that add the kept Responses answers (previous_response_id) to an existing state.db — schema v5
— without losing anything: from v4 (runs.worker), from v3 (cache tokens, health_clears), and from v2 straight
through every step between. (The round trip on both engines is in tests/state/test_durable_stores.py.)"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from tests.support.timing import limit

from clawgate.store.base import RunRecord, SessionRecord, StoredResponse
from clawgate.store.schema import _SCHEMA, _SCHEMA_V2, _v3, _v4
from clawgate.store.sqlite import SCHEMA_VERSION, SQLiteStore


def _rec(rid: str, created: float, ttl: float = 60.0) -> StoredResponse:
    return StoredResponse(
        rid, created, created + ttl, "m", [{"type": "message", "role": "user", "content": rid}]
    )


def _file_at(path: Path, version: int) -> None:
    """A state.db as clawgate left it at schema `version` (2, 3 or 4), with a row in it."""
    conn = sqlite3.connect(path)
    conn.executescript(_SCHEMA)
    conn.executescript(_SCHEMA_V2)
    if version >= 3:
        _v3(conn)
        conn.execute("INSERT INTO health_clears (ts, provider, fingerprint) VALUES (1.0, 'openai', NULL)")
    if version >= 4:
        _v4(conn)
    conn.execute(f"PRAGMA user_version={version}")
    conn.execute(
        "INSERT INTO sessions (id, agent, created_at, updated_at, kind) VALUES ('s1', 'main', 1, 1, 'chat')"
    )
    conn.commit()
    conn.close()


def _kept_and_usable(path: Path, version: int) -> None:
    store = SQLiteStore(str(path))
    try:
        assert store.get_session("s1") == SessionRecord("s1", "main", 1, 1)  # nothing lost
        now = time.time()
        store.save_response(_rec("resp_1", now))
        store.save_run(RunRecord("r1", "s1", "main", "running", now, worker="w1"))  # v4's column
        store.barrier().result(limit(5))
        assert store.get_response("resp_1", now) is not None
        assert [r.worker for r in store.active_runs()] == ["w1"]
    finally:
        store.close()
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 7
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert {"responses", "health_clears"} <= tables  # every step ran on the way
        assert {"cache_read_tokens", "cache_write_tokens"} <= {
            r[1] for r in conn.execute("PRAGMA table_info(attempts)")
        }
        clears = conn.execute("SELECT provider FROM health_clears").fetchall()
        assert clears == ([("openai",)] if version >= 3 else [])
    finally:
        conn.close()


def test_a_version_4_database_gains_the_responses_table(tmp_path: Path) -> None:
    _file_at(tmp_path / "state.db", 4)
    _kept_and_usable(tmp_path / "state.db", 4)


def test_a_version_3_database_gains_the_runs_worker_and_responses(tmp_path: Path) -> None:
    _file_at(tmp_path / "state.db", 3)
    _kept_and_usable(tmp_path / "state.db", 3)


def test_a_version_2_database_is_migrated_straight_through(tmp_path: Path) -> None:
    _file_at(tmp_path / "state.db", 2)
    _kept_and_usable(tmp_path / "state.db", 2)
