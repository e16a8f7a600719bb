"""Client keys, devices and spend in both durable stores (SQLite file, real PostgreSQL): records round-trip,
the change marker moves once a change is committed, spend groups by client, agent, model and day, and an
existing SQLite file is migrated in place (schema 5) without losing a row."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest
from tests.support.cluster import fresh_database

from clawgate.store import open_store
from clawgate.store.base import AttemptRecord, ClientKeyRecord, DeviceRecord
from clawgate.store.sqlite import SQLiteStore

DAY = 86400.0


@pytest.fixture(params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    if request.param == "sqlite":
        s: Any = SQLiteStore(str(tmp_path / "state.db"))
    else:
        from clawgate.store.postgres import PostgresStore

        s = PostgresStore(fresh_database(request.getfixturevalue("postgres_engine").url))
    yield s
    s.close()


def _attempt(
    ts: float, client: str | None, agent: str, model: str, cost: float | None, **kw: Any
) -> AttemptRecord:
    return AttemptRecord(
        ts=ts,
        call_id=f"c{ts}",
        purpose="request",
        agent=agent,
        ref=f"openai/{model}",
        provider="openai",
        model=model,
        api="openai-completions",
        cred_source="env:OPENAI_API_KEY",
        fingerprint="sk-…#abc",
        ok=cost is not None,
        client=client,
        cost_usd=cost,
        **kw,
    )


def test_keys_and_devices_round_trip_and_the_marker_moves(store: Any) -> None:
    now = time.time()
    before = store.clients_version()
    key = ClientKeyRecord(
        id="k1",
        name="ci",
        secret_hash="h" * 64,
        hint="cgk_k1_…abcd",
        created_at=now,
        updated_at=now,
        scopes={"agents": ["main"], "models": ["openai/*"]},
        rpm=60,
        budget_usd=5.0,
        budget_period="day",
    )
    store.save_client_key(key)
    store.save_device(
        DeviceRecord(
            "d1", "laptop", "tui", "pending", "s" * 64, "ABCD-EFGH", now, now, requested_from="10.0.0.7"
        )
    )
    store.mark_clients_changed()
    if hasattr(store, "_clients_at"):
        store._clients_at = -10.0  # PostgreSQL reads the marker at most every second: look now
    assert store.clients_version() != before
    (got,) = store.client_keys()
    assert got == key
    (dev,) = store.devices()
    assert (dev.state, dev.code, dev.requested_from, dev.refusals) == ("pending", "ABCD-EFGH", "10.0.0.7", 0)
    store.save_client_key(ClientKeyRecord(**{**key.__dict__, "revoked_at": now + 1, "updated_at": now + 1}))
    store.note_device_refusal("d1", now + 2, "gateway.device_revoked", 3)
    store.barrier().result(10)
    assert store.client_keys()[0].revoked_at == now + 1
    assert (store.devices()[0].refusals, store.devices()[0].last_refused_code) == (
        3,
        "gateway.device_revoked",
    )
    store.delete_device("d1")
    store.barrier().result(10)
    assert store.devices() == []


def test_spend_groups_by_client_agent_model_and_day(store: Any) -> None:
    day0 = (time.time() // DAY - 1) * DAY + 3600  # yesterday, 01:00 UTC
    rows = [
        _attempt(
            day0, "key:a", "main", "gpt-4o", 0.25, input_tokens=100, output_tokens=10, cache_read_tokens=40
        ),
        _attempt(day0 + 60, "key:a", "main", "gpt-4o", 0.5, input_tokens=200, output_tokens=20),
        _attempt(
            day0 + DAY,
            "key:a",
            "claude",
            "gpt-4o-mini",
            0.125,
            input_tokens=50,
            output_tokens=5,
            cache_write_tokens=30,
        ),
        _attempt(day0 + DAY, None, "main", "gpt-4o", 1.0, input_tokens=1, output_tokens=1),
        _attempt(day0 + DAY, "key:b", "main", "gpt-4o", None, status=500),  # a failed try: no cost
    ]
    for r in rows:
        store.record_attempt(r)
    store.barrier().result(10)
    by_client = {r.client: r for r in store.spend_by(("client",), since=day0 - 1)}
    assert by_client["key:a"].cost_usd == pytest.approx(0.875) and by_client["key:a"].tries == 3
    assert (by_client["key:a"].cache_read_tokens, by_client["key:a"].cache_write_tokens) == (40, 30)
    assert by_client[None].cost_usd == pytest.approx(1.0)
    assert by_client["key:b"].cost_usd == 0.0 and by_client["key:b"].tries == 1
    days = {r.day: r.cost_usd for r in store.spend_by(("day",), since=day0 - 1)}
    d0 = time.strftime("%Y-%m-%d", time.gmtime(day0))
    d1 = time.strftime("%Y-%m-%d", time.gmtime(day0 + DAY))
    assert days == {d0: pytest.approx(0.75), d1: pytest.approx(1.125)}
    model_agent = {(r.agent, r.model): r.cost_usd for r in store.spend_by(("agent", "model"), since=day0 - 1)}
    assert model_agent[("main", "gpt-4o")] == pytest.approx(1.75)
    assert model_agent[("claude", "gpt-4o-mini")] == pytest.approx(0.125)
    assert store.client_spend(day0 + DAY - 1) == {"key:a": pytest.approx(0.125), "key:b": 0.0}
    assert store.client_last_used()["key:a"] == pytest.approx(day0 + DAY)
    with pytest.raises(ValueError, match="cannot be grouped"):
        store.spend_by(("planet",))


def test_an_existing_state_db_is_migrated_to_schema_6_in_place(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    open_store(str(path)).close()
    con = sqlite3.connect(path)  # as a file written before clients existed (schema 5)
    cols = [r[1] for r in con.execute("PRAGMA table_info(attempts)")]
    keep = [c for c in cols if c not in ("client", "cost_usd")]
    con.executescript(
        f"CREATE TABLE old AS SELECT {', '.join(keep)} FROM attempts; DROP TABLE attempts;"
        "ALTER TABLE old RENAME TO attempts; DROP TABLE client_keys; DROP TABLE devices; PRAGMA user_version=5;"
    )
    con.execute(
        "INSERT INTO attempts (ts, call_id, purpose, ref, provider, model, api, ok, input_tokens) "
        "VALUES (1.0, 'old', 'request', 'a/b', 'a', 'b', 'openai-completions', 1, 7)"
    )
    con.commit()
    con.close()
    store = open_store(str(path))
    try:
        (old,) = store.recent_attempts(5)
        assert old.call_id == "old" and old.input_tokens == 7 and old.client is None and old.cost_usd is None
        assert store.client_keys() == [] and store.devices() == []
    finally:
        store.close()
    con = sqlite3.connect(path)
    assert con.execute("PRAGMA user_version").fetchone()[0] == 7
    con.close()
