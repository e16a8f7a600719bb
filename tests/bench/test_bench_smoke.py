"""Smoke of the benchmark harness (bench/gwbench): correctness only, no timing assertions.

Runs the harness end to end in a few seconds — fake upstream, a real `clawgate gateway run`, the Python load
client, time to first event, held streams, the report — and checks that the results parse, every count is
above zero and nothing failed. The wrk part runs only where wrk is installed.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "bench"))

from gwbench import __main__ as harness  # noqa: E402
from gwbench import clients, report, wrk  # noqa: E402
from gwbench.targets import start_clawgate, start_upstream  # noqa: E402
from gwbench.upstream import sse_events  # noqa: E402

pytestmark = pytest.mark.timeout(180)


def test_response_parser_chunked_and_length() -> None:
    events = sse_events(3, usage=False)
    assert len(events) == 3 + 3  # role, 3 content chunks, finish, [DONE]
    body = b"".join(b"%x\r\n%s\r\n" % (len(e), e) for e in events) + b"0\r\n\r\n"
    raw = b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n" + body
    p = clients.ResponseParser()
    done = False
    for i in range(0, len(raw), 7):  # byte-dribbled
        done = p.feed(raw[i : i + 7])
    assert done and p.first_data and p.status == 200
    assert clients.check_body(p, stream=True) is None
    p = clients.ResponseParser()
    assert p.feed(b'HTTP/1.1 200 OK\r\ncontent-length: 13\r\n\r\n{"choices":1}')
    assert clients.check_body(p, stream=False) is None


def test_wrk_output_parses() -> None:
    line = (
        'GWBENCH_JSON {"requests":10,"duration_us":1000000,"bytes":100,"errors":{"connect":0,"read":0,'
        '"write":0,"status":1,"timeout":0},"latency_us":{"min":10,"max":90,"mean":20.0,"stdev":1.0,'
        '"percentiles":{"50":20,"75":30,"90":40,"99":80,"99.9":90}}}'
    )
    r = wrk.parse("Running 1s test\n" + line + "\n")
    assert r["rps"] == 10 and r["errors_total"] == 1 and r["latency_ms"]["p99"] == 0.08


@pytest.fixture
def gateway(tmp_path: Path):
    up = start_upstream(tmp_path, chunks=5, chunk_delay_ms=0, slow_chunks=3, slow_delay_ms=50)
    cg = None
    try:
        cg = start_clawgate(tmp_path, up.port)
        yield up, cg
    finally:
        if cg is not None:
            cg.proc.stop()
        up.proc.stop()


def test_clients_against_clawgate(gateway) -> None:
    up, cg = gateway
    for t in (up, cg):
        for stream in (False, True):
            seq = clients.sequential(t.host, t.port, t.path, t.body(stream), 5, stream, deadline_s=20)
            assert (seq.n, seq.errors) == (5, 0), seq.first_error
            assert len(seq.ttfe_ms) == (5 if stream else 0)
        lr = clients.run_async(clients.load(t.host, t.port, t.path, t.body(True), 4, 0.5, True, 5000))
        assert lr.requests > 0 and lr.errors == 0, lr.first_error
    hold = clients.run_async(
        clients.hold_streams(
            cg.host, cg.port, cg.path, cg.body(True, slow=True), 20, cg.proc.rss, deadline_s=20
        )
    )
    assert hold.errors == 0, hold.first_error
    assert hold.completed == hold.max_open == 20
    assert hold.rss_peak_mb > 0
    assert cg.proc.cpu() > 0 and cg.proc.rss() > 0


@pytest.mark.skipif(wrk.find_wrk() is None, reason="wrk is not installed (apt-get install -y wrk)")
def test_wrk_against_clawgate(gateway, tmp_path: Path) -> None:
    _, cg = gateway
    for stream in (False, True):
        body = tmp_path / f"body-{stream}.json"
        body.write_bytes(cg.body(stream))
        r = wrk.run(wrk.find_wrk(), cg.url, body, 2, 1)
        assert r["requests"] > 0 and r["errors_total"] == 0
        assert r["latency_ms"]["p50"] > 0


def test_harness_end_to_end(tmp_path: Path) -> None:
    """The whole pipeline in quick mode with the Python load client: processes, points, report, files."""
    out = tmp_path / "results"
    rc = harness.main(
        [
            "--quick",
            "--no-litellm",
            "--loadgen=python",
            "--seconds=0.3",
            "--concurrency=1,4",
            "--ttfe-n=10",
            "--hold-streams=20",
            "--slow-chunks=3",
            "--slow-delay-ms=50",
            "--quiet-wait=0",
            "--warmup-s=0.1",
            f"--out-dir={out}",
            f"--work-dir={tmp_path / 'work'}",
            "--no-latest",
            "--obscost-n=300",
        ]
    )
    assert rc == 0
    (js,) = out.glob("*.json")
    doc = json.loads(js.read_text())
    runs = doc["raw"]["runs"]
    names = ("direct", "floor", "clawgate-off", "clawgate", "clawgate-traced", "clawgate-w2")
    assert {(r["target"], r["mode"], r["concurrency"]) for r in runs} == {
        (t, m, c) for t in names for m in ("plain", "stream") for c in (1, 4)
    }
    for r in runs:
        assert r["requests"] > 0 and r["errors_total"] == 0, r
        assert r["latency_ms"]["p50"] > 0
    assert doc["raw"]["runs"][1]["cpu_s"] >= 0
    for t in names:
        assert doc["raw"]["ttfe"][t]["n"] == 10 and doc["raw"]["ttfe"][t]["errors"] == 0
        hold = doc["raw"]["hold"][t]
        assert hold["errors"] == 0 and hold["completed"] == 20
        assert doc["raw"]["memory"][t]["idle_mb"] > 0
    targets = {c["target"]: c for c in doc["summary"]["targets"]}
    assert "gateway CPU per non-stream request (c=4)" in targets
    assert all(c["met"] in (True, False, None) for c in targets.values())
    md = js.with_suffix(".md").read_text()
    assert "| clawgate |" in md and "## Targets (issues 7 and 16)" in md
    # issue 19: the floor and --workers N, every target computed from this run's cells
    i19 = {c["target"]: c for c in doc["summary"]["targets_issue19"]}
    assert "## Targets (issue 19)" in md and "## `gateway run --workers 2` (clawgate-w2)" in md
    assert all(c["met"] in (True, False, None) for c in i19.values()), i19
    assert (
        i19["requests/s vs the floor, non-stream, c=16"]["met"] is None
    )  # c=16 is not among this run's points
    assert isinstance(i19["added p50 over direct, c=1, non-stream"]["met"], bool)
    assert i19["measured with metrics on (/metrics answered) and state on SQLite"]["met"] is True
    fl = doc["summary"]["floor"]
    cl = doc["summary"]["cells"]
    assert fl["rps"]["plain_c4"] == cl["clawgate"]["plain"]["4"]["rps"] / cl["floor"]["plain"]["4"]["rps"]
    assert fl["workers"]["n"] == 2 and len(fl["workers"]["idle_per_worker_mb"]) == 2
    assert doc["raw"]["memory"]["clawgate-w2"]["processes"] == 3  # the supervisor and two workers
    # the observability cost: measured on its own and beside the baseline, with the traced gateway's spans
    oc = doc["raw"]["obscost"]
    for mode in ("plain", "stream"):
        assert oc[mode]["metrics"]["us"] > 0 and oc[mode]["metrics+tracing"]["us"] > oc[mode]["metrics"]["us"]
    assert doc["raw"]["otlp_sink"]["spans"] > 0
    assert "observability cost per non-stream request, tracing off" in targets
    assert "## Observability cost per request (issue 16)" in md and "| metrics + tracing |" in md
    # the summary is recomputable from the raw results alone
    again = report.summarize({**doc["raw"], "meta": doc["meta"]})
    assert again["cells"]["clawgate"]["plain"][4]["requests"] > 0
    assert len(again["targets"]) == len(doc["summary"]["targets"])


def test_icount_reads_callgrind_totals_and_reports_ratios() -> None:
    from types import SimpleNamespace

    from gwbench import icount

    dump = b"events: Ir\nsummary: 0\n\nfn=(1) f\n3 100\n\ntotals: 123456\n"
    assert [int(m) for m in icount._TOTALS.findall(dump)] == [123456]
    rows = [
        {"target": "floor", "mode": "plain", "instructions_per_request": 500_000},
        {"target": "clawgate", "mode": "plain", "instructions_per_request": 950_000},
    ]
    md = icount.report(rows, SimpleNamespace(requests=10, warmup=2), __import__("datetime").datetime.now())
    assert (
        "| non-stream | clawgate | 0.950 | 1.90× | 0.000 |" in md
        and "| non-stream | floor | 0.500 | 1.00× |" in md
    )


def test_callcount_profiles_the_floor_and_clawgate_and_counts_exact_calls(tmp_path: Path) -> None:
    """The whole of gwbench.callcount on a few requests: both processes profiled, every call counted once
    per window (a second window is not added to the first), and the package table rendered."""
    from gwbench import callcount

    assert callcount.package_of("/x/.venv/lib/python3.11/site-packages/aiohttp/client.py") == "aiohttp"
    assert callcount.package_of("/repo/src/clawgate/call/executor.py") == "clawgate.call"
    assert callcount.package_of("/repo/src/clawgate/logs.py") == "clawgate.logs"
    assert callcount.package_of("~") == "(builtins)"
    assert callcount.main(["--requests", "20", "--warmup", "5", "--out-dir", str(tmp_path)]) == 0
    doc = json.loads((tmp_path / "callcount-latest.json").read_text())
    by = {(r["target"], r["mode"]): r for r in doc["rows"]}
    assert set(by) == {(t, m) for t in ("floor", "clawgate") for m in ("plain", "stream")}
    for (_t, _m), r in by.items():
        assert r["calls_per_request"] > 50
    # the floor's own module runs 3 calls per request whichever window (nothing left over from the last one)
    assert by["floor", "plain"]["packages"]["gwbench.floor_proxy"]["calls"] == pytest.approx(3.0)
    assert by["floor", "stream"]["packages"]["gwbench.floor_proxy"]["calls"] == pytest.approx(3.0)
    assert by["clawgate", "plain"]["packages"]["clawgate.gateway"]["calls"] > 0
    assert "gwbench.floor_proxy" not in by["clawgate", "plain"]["packages"]
    md = (tmp_path / "callcount-latest.md").read_text()
    assert "## non-stream" in md and "## stream" in md and "| clawgate.call |" in md
