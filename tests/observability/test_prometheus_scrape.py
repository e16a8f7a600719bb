"""Done when 1: a real Prometheus (Debian's) scrapes a running gateway with its token, and PromQL over its HTTP API
gives back what a scripted emulator run produced: the token usage the clients were told, the overhead the
x-clawgate-overhead-ms headers said, failures by the owner the clients were given, the upstream failures the
emulator answered, the failover, the credential move and the cooldowns. The Grafana dashboard's every query
evaluates on that Prometheus and every metric it names is in the gateway's /metrics."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from clawgate.emulator import EmulatorThread
from clawgate.redaction import fingerprint

from .e2e import GROQ_KEY_1, GROQ_KEY_2, TOKEN, gateway, scripted_run

DASHBOARD = Path(__file__).resolve().parents[2] / "docs" / "grafana" / "clawgate-dashboard.json"
pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]


@pytest.fixture(scope="module")
def scraped(prometheus: Any, emulator: EmulatorThread, tmp_path_factory: pytest.TempPathFactory) -> Any:
    with gateway(tmp_path_factory.mktemp("scraped"), emulator) as gw:
        prometheus.scrape(f"127.0.0.1:{gw.port}", TOKEN)
        run = scripted_run(gw, emulator)
        prometheus.wait_scraped_after(time.time())
        metrics_text = httpx.get(gw.url + "/metrics", headers=gw.headers(), timeout=10).text
        yield prometheus, run, metrics_text, gw


def test_token_usage_overhead_and_failures_by_owner_are_what_the_run_produced(scraped: Any) -> None:
    prom, run, _, _ = scraped
    tokens = prom.by("sum by (gen_ai_token_type) (gen_ai_client_token_usage_sum)", "gen_ai_token_type")
    assert tokens == {"input": run.input_tokens, "output": run.output_tokens}
    assert run.input_tokens > 0 and run.output_tokens > 0
    # every model request, answered or not, counted once with the overhead its header gave
    assert prom.value("sum(clawgate_gateway_overhead_seconds_count)") == run.requests == 9
    overhead_ms = prom.value("sum(clawgate_gateway_overhead_seconds_sum)") * 1000
    assert overhead_ms == pytest.approx(sum(run.overhead_ms), abs=0.005 * run.requests + 1e-6)
    assert prom.value("sum(gen_ai_server_request_duration_seconds_count)") == run.requests
    # failed client requests by the owner the client was told
    assert (
        prom.by("sum by (clawgate_owner) (clawgate_gateway_failures_total)", "clawgate_owner") == run.owners
    )
    assert run.owners == {"context": 1, "request": 1}
    # failed upstream tries by owner, as the emulator answered them (429 ×3, 401 ×1, 400 ×1)
    assert run.upstream_statuses.get(429) == 3 and run.upstream_statuses.get(401) == 1
    assert run.upstream_statuses.get(400) == 1
    assert prom.by("sum by (clawgate_owner) (clawgate_upstream_failures_total)", "clawgate_owner") == {
        "rate_limit": 3,
        "provider_auth": 1,
        "context": 1,
    }
    ok_tries = sum(v for k, v in run.upstream_statuses.items() if k == 200)
    assert prom.value('sum(gen_ai_client_operation_duration_seconds_count{error_type=""})') == ok_tries == 7
    assert prom.value("sum(gen_ai_client_operation_time_to_first_chunk_seconds_count)") == 2
    assert prom.value("sum(gen_ai_server_time_to_first_token_seconds_count)") == 2
    assert prom.value("sum(clawgate_gateway_active_requests)") == 0


def test_failover_credential_move_cooldowns_and_credential_health(scraped: Any) -> None:
    prom, _, _, _ = scraped
    fo = prom.query("clawgate_failovers_total")
    assert [(s["metric"]["clawgate_owner"], s["metric"]["error_type"], s["metric"]["gen_ai_provider_name"],
             s["value"][1]) for s in fo] == [("rate_limit", "rate_limit.exceeded", "openai", "1")]  # fmt: skip
    mv = prom.query("clawgate_credential_moves_total")
    assert [(s["metric"]["clawgate_owner"], s["metric"]["error_type"], s["metric"]["gen_ai_provider_name"],
             s["value"][1]) for s in mv] == [("provider_auth", "auth.rejected", "groq", "1")]  # fmt: skip
    # one window each: the two retries in place landed inside the rate-limit window the first opened
    cd = prom.by("sum by (clawgate_health_state) (clawgate_health_cooldowns_total)", "clawgate_health_state")
    assert cd == {"cooling": 1, "rejected": 1}
    health = {
        (s["metric"]["gen_ai_provider_name"], s["metric"]["clawgate_credential_fingerprint"]): s["metric"][
            "clawgate_health_state"
        ]
        for s in prom.query("clawgate_credential_health == 1")
    }
    assert health[("groq", fingerprint(GROQ_KEY_1))] == "rejected"
    assert health[("groq", fingerprint(GROQ_KEY_2))] == "ok"


def test_metrics_need_the_gateway_token(scraped: Any) -> None:
    _, _, _, gw = scraped
    r = httpx.get(gw.url + "/metrics", timeout=10)
    assert r.status_code == 401 and r.headers["x-clawgate-owner"] == "gateway_auth"
    assert "gen_ai_" not in r.text
    ok = httpx.get(gw.url + "/metrics", headers=gw.headers(), timeout=10)
    assert ok.status_code == 200 and ok.headers["content-type"].startswith("text/plain; version=0.0.4")
    for secret in (GROQ_KEY_1, GROQ_KEY_2, TOKEN):
        assert secret not in ok.text


# PromQL's words that are not metric names
_WORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless", "bool",
          "offset", "le", "inf", "nan"}  # fmt: skip


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression selects (label matchers, grouping, ranges and strings removed)."""
    e = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    e = re.sub(r"\{[^}]*\}", "", e)
    e = re.sub(r"\[[^\]]*\]", "", e)
    e = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", e)
    names = set()
    for m in re.finditer(r"[A-Za-z_:][A-Za-z0-9_:]*", e):
        rest = e[m.end() :].lstrip()
        if rest.startswith("(") or m.group(0).lower() in _WORDS:
            continue  # a function or a keyword
        names.add(m.group(0))
    return names


def dashboard_queries() -> list[str]:
    dash = json.loads(DASHBOARD.read_text())
    out = [t["expr"] for p in dash["panels"] for t in p.get("targets", [])]
    out += [v["definition"] for v in dash["templating"]["list"] if v.get("definition")]
    return out


def test_the_grafana_dashboard_queries_only_metrics_the_gateway_exports(scraped: Any) -> None:
    prom, _, metrics_text, _ = scraped
    dash = json.loads(DASHBOARD.read_text())
    assert dash["panels"] and dash["title"] == "clawgate" and dash["schemaVersion"] >= 36
    exported = {line.split()[2] for line in metrics_text.splitlines() if line.startswith("# TYPE ")}
    series = {
        re.split(r"[{ ]", line, maxsplit=1)[0]
        for line in metrics_text.splitlines()
        if line and line[0] != "#"
    }
    queried: set[str] = set()
    for q in dashboard_queries():
        queried |= metric_names(q.replace("label_values(", "x(").replace(", gen_ai_provider_name)", ")"))
        if q.startswith("label_values"):
            continue
        expr = q.replace("$__rate_interval", "1m").replace("$__range", "5m").replace("$provider", ".*")
        prom.api("query", query=expr)  # evaluates (a syntax error or unknown function fails here)
    assert queried, "no query found"
    missing = {m for m in queried if m not in series and m not in exported}
    assert not missing, f"the dashboard queries metrics /metrics does not have: {missing}"
    # and it covers every family clawgate exports
    assert {"clawgate_credential_health", "clawgate_gateway_overhead_seconds_bucket",
            "gen_ai_client_token_usage_sum", "clawgate_failovers_total"} <= queried  # fmt: skip
