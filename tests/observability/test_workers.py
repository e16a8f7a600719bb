"""`gateway run --workers 2`: one scrape target whichever worker answers. Requests served by each worker (pinned
keep-alive clients), then /metrics read through each: the same totals, the same credential health (read from the
health every process shares), and a real Prometheus scraping the target sees the gateway's whole count. A worker
killed with a request in flight: the supervisor restarts it and drops its in-flight gauge from the sum, while
the counts it had served stay."""

from __future__ import annotations

import os
import signal
import threading
import time
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from tests.support.cluster import pinned
from tests.support.ports import wait_until
from tests.support.timing import limit

from clawgate.emulator import EmulatorThread
from clawgate.redaction import fingerprint

from .e2e import GROQ_KEY_1, GROQ_KEY_2, TOKEN, gateway

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]
MSGS = [{"role": "user", "content": "hello"}]


def scrape(client: httpx.Client) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    r = client.get("/metrics")
    assert r.status_code == 200, r.text
    out = {}
    for fam in text_string_to_metric_families(r.text):
        for s in fam.samples:
            out[(s.name, frozenset(s.labels.items()))] = s.value
    return out


def total(samples: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str) -> float:
    want = set(labels.items())
    return sum(v for (nm, ls), v in samples.items() if nm == name and want <= ls)


def scrape_when(client: httpx.Client, ok: Any) -> Any:
    """A scrape for which `ok(samples)` holds, else None (for wait_until)."""
    s = scrape(client)
    return s if ok(s) else None


def health(samples: dict[tuple[str, frozenset[tuple[str, str]]], float]) -> dict[tuple[str, str], str]:
    return {
        (d["gen_ai_provider_name"], d["clawgate_credential_fingerprint"]): d["clawgate_health_state"]
        for (nm, ls), v in samples.items()
        if nm == "clawgate_credential_health" and v == 1
        for d in [dict(ls)]
    }


def _chat(client: httpx.Client, model: str = "openai/gpt-4o") -> None:
    r = client.post("/v1/chat/completions", json={"model": model, "messages": MSGS})
    assert r.status_code == 200, r.text


def test_every_worker_answers_for_the_whole_gateway(
    emulator: EmulatorThread, prometheus: Any, tmp_path: Any
) -> None:
    emulator.reset()
    with gateway(tmp_path, emulator, args=("--workers", "2")) as gw:
        holder = SimpleNamespace(clients=[])
        try:
            a, b = pinned(gw.url, gw.headers(), 2, holder)  # type: ignore[arg-type]
            # a worker killed while a stream is in flight through it
            _chat(a.client)  # served by A before it dies: still counted after
            done = threading.Event()

            def slow_stream() -> None:
                body = {
                    "model": "openai/fault-slow_chunks-gap1000-chunks30",
                    "messages": MSGS,
                    "stream": True,
                }
                try:
                    with a.client.stream("POST", "/v1/chat/completions", json=body) as resp:
                        for _ in resp.iter_bytes():
                            pass
                except httpx.HTTPError:
                    pass  # the worker was killed under it
                finally:
                    done.set()

            t = threading.Thread(target=slow_stream, daemon=True)
            t.start()
            wait_until(
                lambda: total(scrape(b.client), "clawgate_gateway_active_requests") == 1,
                30,
                what="the stream in flight on A, seen from B",
                describe=gw.output,
            )
            os.kill(a.pid, signal.SIGKILL)
            # the stream would take 30 s: it ends at once only because its worker (A) is gone
            assert done.wait(limit(10)), "the stream did not end when its worker was killed"
            after = wait_until(
                lambda: scrape_when(b.client, lambda s: total(s, "clawgate_gateway_active_requests") == 0),
                30,
                what="the killed worker's in-flight request to leave the sum (supervisor: worker_exited)",
                describe=gw.output,
            )
            assert total(after, "clawgate_gateway_overhead_seconds_count") == 1  # what A served still counts
            t.join(10)

            # the restarted worker and the other: requests through each, then the same answer from each
            a, b = pinned(gw.url, gw.headers(), 2, holder)  # type: ignore[arg-type]
            for proc, n in ((a, 3), (b, 1)):
                for _ in range(n):
                    _chat(proc.client)
            # on B only: Groq rejects the first key, the second answers (a move, a cooldown, a rejected key)
            emulator.add_fault("wrong_key", dialect="groq", key=GROQ_KEY_1, times=1)
            _chat(b.client, "agent/mv")
            rejected = ("groq", fingerprint(GROQ_KEY_1))
            # the health change is written to the shared state just after B answered: wait for A to see it
            seen_a = wait_until(
                lambda: scrape_when(a.client, lambda s: health(s).get(rejected) == "rejected"),
                30,
                what="worker A's /metrics to show the key B found rejected",
                describe=gw.output,
            )
            seen_b = scrape(b.client)
            for s in (seen_a, seen_b):
                assert total(s, "clawgate_gateway_overhead_seconds_count") == 6
                assert total(s, "gen_ai_client_token_usage_count", gen_ai_token_type="input") == 6
                assert total(s, "clawgate_credential_moves_total", gen_ai_provider_name="groq") == 1
                assert total(s, "clawgate_health_cooldowns_total", clawgate_health_state="rejected") == 1
                assert total(s, "clawgate_gateway_active_requests") == 0
                assert health(s)[("groq", fingerprint(GROQ_KEY_2))] == "ok"
            assert health(seen_a) == health(seen_b)
            # a real Prometheus scraping the one target (whichever worker its connection reaches)
            target = f"127.0.0.1:{gw.port}"
            prometheus.scrape(target, TOKEN)
            prometheus.wait_scraped_after(time.time())
            assert (
                prometheus.value(f'sum(clawgate_gateway_overhead_seconds_count{{instance="{target}"}})') == 6
            )
        finally:
            for c in holder.clients:
                c.close()
