"""The metrics on their own: the observer's calls, as the request path makes them with the executor's real
objects (a planned Attempt, its credentials, TryResult, CallOutcome), read back through the Prometheus text
format; the name mapping; the bound on model labels; several worker processes adding up in one scrape."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from clawgate.call.executor import CallOutcome, CallRequest, TryResult
from clawgate.dialects.internal import Usage
from clawgate.failures import Failure
from clawgate.observability import names as n
from clawgate.observability.metrics import OTHER, LabelCap, Metrics, instrument_names
from clawgate.observability.observer import Observer


def samples(metrics: Metrics) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    body, ctype = metrics.render()
    assert ctype.startswith("text/plain; version=0.0.4")
    out = {}
    for fam in text_string_to_metric_families(body.decode()):
        for s in fam.samples:
            out[(s.name, frozenset(s.labels.items()))] = s.value
    return out


def value(metrics: Metrics, name: str, **labels: str) -> float:
    """The sum of the samples of `name` whose labels include `labels`."""
    want = set(labels.items())
    return sum(v for (nm, ls), v in samples(metrics).items() if nm == name and want <= ls)


def _call(obs: Observer, runtime: Any, *, stream: bool = False) -> tuple[Any, CallOutcome]:
    plan = runtime.plan(None, "openai/gpt-4o")
    att = plan.attempts[0]
    first, second = att.credential.distinct_usable()
    scope: dict[str, Any] = {"type": "http", "method": "POST", "path": "/v1/chat/completions", "headers": []}
    t0 = time.perf_counter()
    obs.request_started(scope, "openai-completions")
    req = CallRequest(
        stream=stream, client_api="openai-completions", raw={"model": "openai/gpt-4o", "messages": []}
    )
    obs.request_parsed(scope, "openai/gpt-4o", req)
    rejected = Failure(owner="provider_auth", code="auth.rejected", message="bad key", provider="openai")
    obs.attempt_finished(req, TryResult(att, first, False, rejected, status=401, latency_ms=12.0), None)
    obs.cooldown(rejected, "openai", "rejected")
    obs.credential_moved(rejected, "openai")
    ok = TryResult(att, second, True, None, status=200, latency_ms=250.0, first_byte_ms=40.0, try_no=0)
    usage = Usage(input_tokens=1200, output_tokens=80, cached_tokens=1024)
    obs.attempt_finished(req, ok, usage)
    out = CallOutcome(
        ok=True, call_id="c1", tries=[ok], attempt=att, cred=second, usage=usage, upstream_ms=262.0
    )
    obs.request_finished(scope, "openai-completions", 200, t0, out, 0.42, None)
    obs.request_done(scope)
    return scope, out


def test_one_call_with_a_rejected_key_then_an_answer_is_counted_in_the_genai_names(runtime: Any) -> None:
    m = Metrics()
    obs = Observer(m, None)
    _call(obs, runtime)
    base = {
        "gen_ai_operation_name": "chat",
        "gen_ai_provider_name": "openai",
        "gen_ai_request_model": "gpt-4o",
    }
    tok = "gen_ai_client_token_usage_sum"
    assert value(m, tok, gen_ai_token_type="input", **base) == 1200
    assert value(m, tok, gen_ai_token_type="output", **base) == 80
    assert value(m, tok, gen_ai_token_type="cached_input", **base) == 1024
    assert value(m, tok, gen_ai_token_type="cache_creation_input") == 0  # not reported: not recorded
    dur = "gen_ai_client_operation_duration_seconds"
    assert value(m, f"{dur}_count", error_type="auth.rejected", **base) == 1
    assert value(m, f"{dur}_sum", error_type="", **base) == pytest.approx(0.25)
    assert value(m, f"{dur}_bucket", error_type="", le="0.32", **base) == 1
    assert value(m, f"{dur}_bucket", error_type="", le="0.16", **base) == 0
    assert value(m, "gen_ai_server_request_duration_seconds_count", error_type="") == 1
    assert value(
        m, "clawgate_gateway_overhead_seconds_sum", clawgate_api="openai-completions"
    ) == pytest.approx(0.00042)
    assert value(m, "clawgate_gateway_overhead_seconds_bucket", le="0.0005") == 1
    assert value(m, "clawgate_gateway_overhead_seconds_bucket", le="0.00025") == 0
    owner = {
        "clawgate_owner": "provider_auth",
        "error_type": "auth.rejected",
        "gen_ai_provider_name": "openai",
    }
    assert value(m, "clawgate_upstream_failures_total", **owner) == 1
    assert value(m, "clawgate_credential_moves_total", **owner) == 1
    assert value(m, "clawgate_health_cooldowns_total", clawgate_health_state="rejected", **owner) == 1
    assert value(m, "clawgate_gateway_failures_total") == 0  # the client got its answer
    assert value(m, "clawgate_gateway_active_requests") == 0
    assert value(m, "gen_ai_client_operation_time_to_first_chunk_seconds_count") == 0  # not a stream


def test_in_flight_requests_and_a_failed_request_by_owner(runtime: Any) -> None:
    m = Metrics()
    obs = Observer(m, None)
    scopes = [{"path": "/v1/chat/completions", "headers": []} for _ in range(3)]
    for s in scopes:
        obs.request_started(s, "anthropic-messages")
    assert value(m, "clawgate_gateway_active_requests") == 3
    f = Failure(owner="rate_limit", code="rate_limit.exceeded", message="slow down")
    obs.request_finished(scopes[0], "anthropic-messages", 429, time.perf_counter(), None, 0.1, f)
    obs.request_done(scopes[0])
    assert value(m, "clawgate_gateway_active_requests") == 2
    assert (
        value(
            m,
            "clawgate_gateway_failures_total",
            clawgate_owner="rate_limit",
            error_type="rate_limit.exceeded",
            clawgate_api="anthropic-messages",
        )
        == 1
    )
    assert value(m, "gen_ai_server_request_duration_seconds_count", error_type="rate_limit.exceeded") == 1


def test_model_labels_are_bounded_so_clients_cannot_grow_the_series() -> None:
    cap = LabelCap(3)
    assert [cap(f"m{i}") for i in range(5)] == ["m0", "m1", "m2", OTHER, OTHER]
    assert cap("m1") == "m1" and cap(None) == "" and cap("") == ""
    for i in range(100):
        cap(f"x{i}")
    assert len(cap.seen) <= 4 * 3 + 1
    assert cap("m0") == "m0"  # admitted values stay admitted


def test_prometheus_names_are_the_otel_names_mapped() -> None:
    suffix = {"s": "_seconds", "{token}": "", "{request}": "", "1": ""}
    for inst in n.INSTRUMENTS:
        base = inst.otel.replace(".", "_")
        unit = suffix.get(inst.unit, "")
        expect = base + ("" if base.endswith(unit) else unit)
        if inst.kind == "counter":
            expect += "_total"
        assert inst.prom == expect, inst
        assert all("." not in lab for lab in inst.labels)
    assert n.label("gen_ai.provider.name") == "gen_ai_provider_name"
    assert n.provider_name("gemini") == "gcp.gemini" and n.provider_name("openai") == "openai"


def test_every_family_is_in_the_exposition_before_any_request() -> None:
    body, _ = Metrics().render()
    text = body.decode()
    for inst in n.INSTRUMENTS:
        if inst is n.CREDENTIAL_HEALTH:
            continue  # a collector of a gateway's runtime
        assert f"# TYPE {inst.prom} {inst.kind}" in text, inst.prom
    assert "_created" not in text
    assert {"gen_ai_client_token_usage_sum", "clawgate_failovers_total"} <= instrument_names()


@pytest.mark.skipif(
    shutil.which("promtool") is None, reason="promtool (Debian's prometheus) is not installed"
)
def test_promtool_finds_nothing_to_lint(runtime: Any) -> None:
    m = Metrics()
    _call(Observer(m, None), runtime, stream=True)
    body, _ = m.render()
    r = subprocess.run(["promtool", "check", "metrics"], input=body, capture_output=True, timeout=30)
    assert r.returncode == 0, r.stdout.decode() + r.stderr.decode()
    assert r.stdout.decode().strip() == "" and r.stderr.decode().strip() == ""


WORKER = """
import sys
from clawgate.observability.metrics import Metrics
from clawgate.observability.observer import Observer
from clawgate.failures import Failure
m = Metrics(mp_dir=sys.argv[1])
obs = Observer(m, None)
for i in range(int(sys.argv[2])):
    s = {"path": "/v1/chat/completions", "headers": []}
    obs.request_started(s, "openai-completions")
    obs.request_finished(s, "openai-completions", 200, 0.0, None, 0.5, None)
    obs.request_done(s)
f = Failure(owner="network", code="network.timeout", message="t")
obs.failover(f, "openai")
obs.request_started({"path": "/v1/chat/completions", "headers": []}, "openai-completions")  # still in flight when this worker exits
print("done", flush=True)
"""


def test_several_worker_processes_add_up_in_one_scrape(tmp_path: Path) -> None:
    """Workers (PROMETHEUS_MULTIPROC_DIR) write to shared files; any one of them answers for all."""
    d = tmp_path / "mp"
    d.mkdir()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    for count in (3, 4):
        r = subprocess.run(
            [sys.executable, "-c", WORKER, str(d), str(count)], env=env, capture_output=True, timeout=60
        )
        assert r.returncode == 0, r.stderr.decode()
    body = subprocess.run(
        [sys.executable, "-c", f"from clawgate.observability.metrics import Metrics; import sys; "
         f"sys.stdout.write(Metrics(mp_dir={str(d)!r}).render()[0].decode())"],
        env=env, capture_output=True, timeout=60, check=True,
    ).stdout.decode()  # fmt: skip
    got = {}
    for fam in text_string_to_metric_families(body):
        for s in fam.samples:
            got[(s.name, frozenset(s.labels.items()))] = s.value
    assert (
        got[("clawgate_gateway_overhead_seconds_count", frozenset({("clawgate_api", "openai-completions")}))]
        == 7
    )
    fo = frozenset(
        {("clawgate_owner", "network"), ("error_type", "network.timeout"), ("gen_ai_provider_name", "openai")}
    )
    assert got[("clawgate_failovers_total", fo)] == 2
    # each exited worker left one request in flight: livesum counts only live processes once marked dead
    assert got[("clawgate_gateway_active_requests", frozenset())] == 2
    from clawgate.observability.multiprocess import worker_exited

    for f in d.glob("gauge_livesum_*.db"):
        worker_exited(int(f.stem.rsplit("_", 1)[1]), str(d))
    body = subprocess.run(
        [sys.executable, "-c", f"from clawgate.observability.metrics import Metrics; import sys; "
         f"sys.stdout.write(Metrics(mp_dir={str(d)!r}).render()[0].decode())"],
        env=env, capture_output=True, timeout=60, check=True,
    ).stdout.decode()  # fmt: skip
    assert "clawgate_gateway_active_requests 0.0" in body
