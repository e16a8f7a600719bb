"""What metrics and tracing cost per request, measured on their own: the exact calls the gateway and the executor
make for one request (request started, parsed, one upstream try finished, request finished, done), with the real
Observer, prometheus_client and (for "tracing") the OpenTelemetry SDK exporting over OTLP/HTTP to the bench's
sink. CPU time of the whole process (`time.process_time`, so the SDK's export thread counts too), per request,
minus the same loop without the calls; blocks of each variant interleaved, the median kept.

    PYTHONPATH=bench .venv/bin/python -m gwbench.obscost [--otlp http://127.0.0.1:PORT] [--n 20000] [--workers]

`--workers` measures metrics as a worker of `gateway run --workers N` records them (prometheus_client's
multiprocess mode: every value in a memory-mapped file the other workers read), instead of tracing; a process of
its own, since that mode is chosen for the whole process.

Prints one JSON object. bench/run runs it beside the load points and reports it (docs/observability.md).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any


def _setup(home: Path) -> Any:
    (home / "clawgate.json").write_text(json.dumps({"agents": {"defaults": {"model": "openai/gpt-4o"}}}))
    (home / ".env").write_text("OPENAI_API_KEY=sk-test-bench-obscost-000000001\n")
    os.environ["CLAWGATE_HOME"] = str(home)
    from clawgate.call.runtime import Runtime
    from clawgate.paths import Paths

    env = dict(os.environ)
    return Runtime(Paths.discover(env), env, cwd=None, persist=False)


def _request(obs: Any, rt: Any, stream: bool) -> Any:
    """One request's calls, as a closure over the objects a real request has anyway."""
    from clawgate.call.executor import CallOutcome, CallRequest, StreamOutcome, TryResult
    from clawgate.dialects.internal import Usage

    plan = rt.plan(None, "openai/gpt-4o")
    att = plan.attempts[0]
    cred = att.credential.winner
    usage = Usage(input_tokens=1200, output_tokens=150, cached_tokens=1024)
    body = {"model": "openai/gpt-4o", "messages": [{"role": "user", "content": "Say hello."}]}
    api = "openai-completions"
    headers = [
        (b"host", b"127.0.0.1"),
        (b"content-type", b"application/json"),
        (b"authorization", b"Bearer x"),
    ]
    perf = time.perf_counter

    def one() -> None:
        scope = {"type": "http", "method": "POST", "path": "/v1/chat/completions", "headers": headers,
                 "client": ("127.0.0.1", 5000)}  # fmt: skip
        t0 = perf()
        req = CallRequest(stream=stream, client_api=api, raw=body, agent="main")
        t = TryResult(att, cred, True, None, status=200, latency_ms=180.0, first_byte_ms=40.0)
        cls = StreamOutcome if stream else CallOutcome
        out = cls(
            ok=True, call_id="c", tries=[t], attempt=att, cred=cred, api=api, usage=usage, upstream_ms=180.0
        )
        if obs is None:
            return
        obs.request_started(scope, api)
        obs.request_parsed(scope, "openai/gpt-4o", req)
        obs.attempt_finished(req, t, usage)
        obs.request_finished(scope, api, 200, t0, out, 0.3, None)
        obs.request_done(scope)

    return one


def _time(fn: Any, n: int) -> float:
    t = time.process_time()
    for _ in range(n):
        fn()
    return time.process_time() - t


def measure(otlp: str | None, n: int, blocks: int, workers: bool = False) -> dict[str, Any]:
    from clawgate.observability.metrics import Metrics
    from clawgate.observability.observer import Observer

    home = Path(tempfile.mkdtemp(prefix="obscost-"))
    rt = _setup(home)
    tracing = None
    if otlp and not workers:
        from clawgate.observability.tracing import Tracing

        tracing = Tracing(otlp)
    variants: dict[str, Any] = {"baseline": None}
    if workers:
        shared = home / "metrics"
        shared.mkdir()
        variants["metrics (workers)"] = Observer(Metrics(mp_dir=str(shared)), None)
    else:
        variants["metrics"] = Observer(Metrics(), None)
    if tracing is not None:
        variants["metrics+tracing"] = Observer(Metrics(), tracing)
    out: dict[str, Any] = {"n_per_block": n, "blocks": blocks, "unit": "µs CPU per request"}
    for mode in ("plain", "stream"):
        fns = {k: _request(v, rt, mode == "stream") for k, v in variants.items()}
        for fn in fns.values():
            _time(fn, min(n, 2000))  # warm: children created, code paths hot
        if tracing is not None:
            tracing.processor.force_flush()
        per: dict[str, list[float]] = {k: [] for k in fns}
        for _ in range(blocks):
            for k, fn in fns.items():
                t = time.process_time()
                _time(fn, n)
                if k == "metrics+tracing":
                    tracing.processor.force_flush()  # type: ignore[union-attr]  # the export is part of the cost
                per[k].append((time.process_time() - t) / n * 1e6)
        base = statistics.median(per["baseline"])
        out[mode] = {
            k: {"us": round(statistics.median(v) - base, 3), "blocks_us": [round(x - base, 3) for x in v]}
            for k, v in per.items()
            if k != "baseline"
        }
        out[mode]["baseline_loop_us"] = round(base, 3)
    if tracing is not None:
        tracing.shutdown()
    rt.close()
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="gwbench.obscost", description=__doc__)
    p.add_argument("--otlp", help="OTLP/HTTP endpoint of a trace sink (omit: metrics only)")
    p.add_argument("--n", type=int, default=20000, help="requests per block (default 20000)")
    p.add_argument("--blocks", type=int, default=5, help="interleaved blocks per variant (default 5)")
    p.add_argument("--workers", action="store_true", help="metrics in multiprocess mode (gateway run --workers N)")
    a = p.parse_args(argv)
    os.environ.setdefault("OTEL_BSP_MAX_QUEUE_SIZE", str(4 * a.n))  # never drop a span being measured
    json.dump(measure(a.otlp, a.n, a.blocks, a.workers), sys.stdout)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
