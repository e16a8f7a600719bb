"""Redis killed, then PostgreSQL, under a bounded load on two gateway processes: model calls keep succeeding,
`doctor` and `/readyz` name the engine (its host, never its password), the sessions API answers 503 (owner
`runtime`) while the database is away, and after both restart no acknowledged message is missing."""

from __future__ import annotations

import threading
import time
from typing import Any

import httpx
import orjson
import pytest
from tests.support.cluster import Cluster
from tests.support.engines import PG_PASSWORD, REDIS_PASSWORD
from tests.support.ports import wait_until

MAX_ROUNDS = 20_000  # the load loop's bound in count; `stop` (and a deadline) bound it in time
PACE = 0.01  # seconds between rounds (the loop must outlast both outages)
DEADLINE = 180.0


class Load:
    """Model calls and session messages on every process, in a loop, recording what happened to each."""

    def __init__(self, c: Cluster, sid: str) -> None:
        self.c = c
        self.sid = sid
        self.stop = threading.Event()
        self.model_ok = 0
        self.model_failed: list[str] = []
        self.acked: list[str] = []  # contents of messages the gateway acknowledged (200)
        self.refused: list[dict[str, Any]] = []  # 503s of the sessions API
        self.other: list[str] = []
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.clients = [httpx.Client(base_url=p.url, headers=c.headers(), timeout=30) for p in c.procs]

    def run(self) -> None:
        deadline = time.monotonic() + DEADLINE
        for i in range(MAX_ROUNDS):
            if self.stop.wait(PACE) or time.monotonic() > deadline:
                return
            client = self.clients[i % len(self.clients)]
            r = client.post(
                "/v1/chat/completions",
                json={"model": "openai/gpt-4o", "messages": [{"role": "user", "content": f"echo: m{i}"}]},
            )
            if r.status_code == 200:
                self.model_ok += 1
            else:
                self.model_failed.append(f"{r.status_code} {r.text[:200]}")
            if i % 3 == 0:
                content = f"echo: s{i}"
                r = client.post(
                    f"/api/sessions/{self.sid}/messages", json={"content": content, "stream": False}
                )
                if r.status_code == 200:
                    self.acked.append(content)
                elif r.status_code == 503:
                    self.refused.append(r.json()["error"])
                else:
                    self.other.append(f"{r.status_code} {r.text[:200]}")

    def wait_progress(self, n: int = 5) -> None:
        start = self.model_ok
        wait_until(lambda: self.model_ok >= start + n, timeout=60, what=f"{n} more model calls")


def _doctor(c: Cluster) -> list[dict[str, Any]]:
    out = c.cli("doctor", "--json")
    assert REDIS_PASSWORD not in out.stdout + out.stderr and PG_PASSWORD not in out.stdout + out.stderr
    return list(orjson.loads(out.stdout)["findings"])


@pytest.mark.timeout(400)
@pytest.mark.parametrize("kind", ["redis+postgres"], indirect=True)
def test_killing_redis_then_postgres_mid_load(
    make_cluster: Any, redis_engine: Any, postgres_engine: Any
) -> None:
    c: Cluster = make_cluster()
    a = c.procs[0]
    sid = a.client.post("/api/sessions", json={}).json()["id"]
    load = Load(c, sid)
    load.thread.start()
    try:
        load.wait_progress()
        redis_host = f"127.0.0.1:{redis_engine.port}"
        redis_engine.kill()
        try:
            load.wait_progress(10)
            found = {f["code"]: f for f in _doctor(c)}
            assert found["state.redis_unreachable"]["subject"]["host"] == redis_host
            assert found["state.redis_unreachable"]["owner"] == "runtime"

            def ready_says_redis() -> bool:
                r = httpx.get(a.url + "/readyz", timeout=5)
                return r.status_code == 200 and any(
                    s["code"] == "state.redis_unreachable" for s in r.json()["state"]
                )

            wait_until(ready_says_redis, timeout=10, what="/readyz to report Redis")
            assert REDIS_PASSWORD not in httpx.get(a.url + "/readyz", timeout=5).text
            status = a.client.get("/api/status").text
            assert redis_host in status and REDIS_PASSWORD not in status

            acked_before_pg = len(load.acked)
            postgres_engine.kill()
            try:
                wait_until(lambda: load.refused, timeout=60, what="the sessions API to answer 503")
                load.wait_progress(10)  # model calls still succeed with the database away
                assert load.refused[-1]["owner"] == "runtime"
                assert load.refused[-1]["code"] == "state.database_unreachable"
                codes = {f["code"] for f in _doctor(c)}
                assert {"state.redis_unreachable", "state.database_unreachable"} <= codes
            finally:
                postgres_engine.start()
        finally:
            redis_engine.start()
        wait_until(lambda: len(load.acked) > acked_before_pg + 2, timeout=90, what="sessions to work again")
        load.wait_progress(5)
    finally:
        load.stop.set()
        load.thread.join(60)
        for cl in load.clients:
            cl.close()
    print(
        f"outage load: {load.model_ok} model calls ok, {len(load.model_failed)} failed; "
        f"{len(load.acked)} messages acknowledged, {len(load.refused)} refused with 503"
    )
    assert load.model_failed == [] and load.other == [], (load.model_failed[:3], load.other[:3])
    assert load.model_ok > 30

    def show() -> Any:
        r = a.client.get(f"/api/sessions/{sid}")
        return r.json() if r.status_code == 200 else None

    shown = wait_until(show, timeout=30, what="A's sessions API back")
    said = [m["content"] for m in shown["messages"] if m["role"] == "user"]
    missing = [m for m in load.acked if m not in said]
    assert not missing, f"{len(missing)} acknowledged message(s) missing: {missing[:5]}"
    seqs = [m["seq"] for m in shown["messages"]]
    assert len(seqs) == len(set(seqs))
    wait_until(
        lambda: not any(f["code"].startswith("state.") for f in _doctor(c)), timeout=30, what="all clear"
    )
