"""The shared-state benchmark (issue 13): `gateway run --workers 2` against 1 worker, and the added cost per
request of the Redis-backed health read.

    PYTHONPATH=bench:. .venv/bin/python -m gwbench.state [--quick]     (or: bench/state [--quick])

1. Workers: the fake upstream, then clawgate on one SQLite home with `--workers 1` and `--workers 2`, each
   loaded by wrk (or the Python client) at c=16 and c=64, plain and streamed, interleaved over `--reps`.
2. Health read: the hot path reads health from the process's replica, whatever the engine. Measured twice:
   in-process, `HealthRegistry.verdict()` with 1,000 records replicated from a real Redis against one with no
   shared state (ns per call); end to end, c=1 latency of clawgate with `state.redis` against clawgate on
   its SQLite files, interleaved (the difference of the medians). The goal is ≤ 0.05 ms added per request.
   For scale, one Redis GET round trip from Python is measured too (what a read-through on every request
   would cost).

Every process started here is stopped in a `finally`; each load point is bounded in time; ports are free
ports picked at run time. Results: bench/results/state-<timestamp>.{md,json} and state-latest.{md,json}.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from gwbench import clients, wrk
from gwbench.procs import Proc, free_port, wait_ready
from gwbench.targets import BENCH, REPO, UPSTREAM_KEY, Target, clawgate_bin, clean_env, start_upstream

RESULTS = BENCH / "results"
GOAL_MS = 0.05


def log(msg: str) -> None:
    print(f"[state-bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def start_gateway(
    workdir: Path, upstream_port: int, workers: int, redis_url: str | None, name: str
) -> Target:
    home = Path(tempfile.mkdtemp(prefix=f"clawgate-{name}-", dir=workdir))
    home.chmod(0o700)
    cfg: dict[str, Any] = {
        "models": {"providers": {"openai": {"baseUrl": f"http://127.0.0.1:{upstream_port}/v1"}}},
        "agents": {"defaults": {"model": "openai/gpt-4o"}},
    }
    env_text = f"OPENAI_API_KEY={UPSTREAM_KEY}\n"
    if redis_url:
        cfg["state"] = {"redis": "${CLAWGATE_REDIS_URL}"}
        env_text += f"CLAWGATE_REDIS_URL={redis_url}\n"
    (home / "clawgate.json").write_text(json.dumps(cfg, indent=2))
    (home / ".env").write_text(env_text)
    (home / ".env").chmod(0o600)
    port = free_port()
    argv = [clawgate_bin(), "gateway", "run", "--port", str(port), "--quiet", "--workers", str(workers)]
    proc = Proc(name, argv, env=clean_env(CLAWGATE_HOME=str(home)), cwd=home, log=workdir / f"{name}.log")
    t = Target(name, port, "openai/gpt-4o", "openai/slow", proc)
    try:
        t.ready_s = wait_ready(proc, f"http://127.0.0.1:{port}/healthz", 60)
    except BaseException:
        proc.stop()
        raise
    return t


def point(
    t: Target, stream: bool, c: int, seconds: float, wrk_bin: str | None, workdir: Path
) -> dict[str, Any]:
    body = t.body(stream)
    if wrk_bin:
        f = workdir / f"body-{t.name}-{int(stream)}.json"
        f.write_bytes(body)
        out = wrk.run(wrk_bin, t.url, f, c, seconds)
        return {
            "rps": out["rps"],
            "p50": out["latency_ms"]["p50"],
            "p99": out["latency_ms"]["p99"],
            "errors": out["errors_total"],
        }
    res = clients.run_async(clients.load(t.host, t.port, t.path, body, c, seconds, stream)).to_json()
    lat = res["latency_ms"] or {}
    return {"rps": res["rps"], "p50": lat.get("p50"), "p99": lat.get("p99"), "errors": res["errors"]}


def bench_workers(
    args: argparse.Namespace, upstream: Target, workdir: Path, wrk_bin: str | None
) -> dict[str, Any]:
    targets = [start_gateway(workdir, upstream.port, n, None, f"workers{n}") for n in (1, 2)]
    cells: dict[str, list[dict[str, Any]]] = {}
    try:
        for _ in range(args.reps):
            for mode in ("plain", "stream"):
                for c in args.concurrency:
                    for t in targets:  # interleaved: both see the same machine
                        key = f"{t.name}/{mode}/c{c}"
                        out = point(t, mode == "stream", c, args.seconds, wrk_bin, workdir)
                        cells.setdefault(key, []).append(out)
                        log(f"{key}: {out['rps']:.0f} req/s p50 {out['p50']:.2f} ms p99 {out['p99']:.2f} ms")
    finally:
        for t in targets:
            t.proc.stop()
    return {
        k: {f: statistics.median(r[f] for r in v) for f in ("rps", "p50", "p99")}
        | {"errors": sum(r["errors"] for r in v)}
        for k, v in cells.items()
    }


def bench_verdict(redis_url: str) -> dict[str, Any]:
    """ns per `verdict()` on the hot path: the replica with 1,000 records from Redis vs a plain registry."""
    from clawgate.call.health import HealthRegistry
    from clawgate.call.health_shared import SharedHealth
    from clawgate.failures import Failure
    from clawgate.state.redis import RedisState

    async def main() -> dict[str, Any]:
        shared = RedisState(redis_url)
        await shared.start()
        plain = HealthRegistry()
        replicated = HealthRegistry()
        share = SharedHealth(replicated, shared, "bench")
        writer = HealthRegistry()
        writer_share = SharedHealth(writer, shared, "bench-writer")
        for i in range(1000):
            f = Failure(
                owner="rate_limit",
                code="rate_limit.exceeded",
                message="429",
                provider="openai",
                retry_after=600,
            )
            writer.on_failure(f, f"sk-test…{i:04d}#bench", "gpt-4o")
            plain.on_failure(f, f"sk-test…{i:04d}#bench", "gpt-4o")
        await writer_share.drain()
        await share.start()
        n = 200_000
        out = {}
        for name, reg in (("plain", plain), ("redis_replica", replicated)):
            t0 = time.perf_counter()
            for i in range(n):
                reg.verdict("openai", "sk-test…0500#bench" if i % 2 else "sk-test…9999#other", "gpt-4o")
            out[name] = (time.perf_counter() - t0) / n * 1e9
        assert len(replicated.records()) >= 1000, "the replica did not load the records"
        r = shared._r
        t0 = time.perf_counter()
        for _ in range(2000):
            await r.get("clawgate:health:none")
        out["redis_get_round_trip"] = (time.perf_counter() - t0) / 2000 * 1e9
        await shared.close()
        return {"ns_per_call": out, "records": len(replicated.records())}

    return asyncio.run(main())


def bench_e2e(
    args: argparse.Namespace, upstream: Target, workdir: Path, wrk_bin: str | None, redis_url: str
) -> dict[str, Any]:
    targets = [
        start_gateway(workdir, upstream.port, 1, None, "sqlite"),
        start_gateway(workdir, upstream.port, 1, redis_url, "redis"),
    ]
    runs: dict[str, list[float]] = {"sqlite": [], "redis": []}
    pairs = args.reps * 4  # many short interleaved pairs: the median of their differences resists noise
    try:
        for i in range(pairs):
            for t in targets if i % 2 == 0 else reversed(targets):
                out = point(t, False, 1, 1.0, wrk_bin, workdir)
                runs[t.name].append(out["p50"])
            log(
                f"c=1 pair {i + 1}/{pairs}: sqlite {runs['sqlite'][-1]:.3f} ms, redis {runs['redis'][-1]:.3f} ms"
            )
    finally:
        for t in targets:
            t.proc.stop()
    med = {k: statistics.median(v) for k, v in runs.items()}
    diffs = [r - q for r, q in zip(runs["redis"], runs["sqlite"], strict=True)]
    return {"p50_ms": med, "runs": runs, "added_ms": statistics.median(diffs)}


def report(data: dict[str, Any]) -> str:
    w = data["workers"]
    lines = [
        f"# Shared-state benchmark — {data['meta']['when']}",
        "",
        f"Machine: {data['meta']['machine']}; load client: {data['meta']['client']}; "
        f"{data['meta']['seconds']:g} s per point, {data['meta']['reps']} rep(s), medians.",
        "",
        "## `gateway run --workers 2` vs 1 worker (one SQLite home)",
        "",
        "| mode | c | 1 worker req/s | 2 workers req/s | ratio | 1 worker p99 ms | 2 workers p99 ms |",
        "|---|---|---|---|---|---|---|",
    ]
    for mode in ("plain", "stream"):
        for c in data["meta"]["concurrency"]:
            one, two = w[f"workers1/{mode}/c{c}"], w[f"workers2/{mode}/c{c}"]
            lines.append(
                f"| {mode} | {c} | {one['rps']:.0f} | {two['rps']:.0f} | {two['rps'] / one['rps']:.2f} | "
                f"{one['p99']:.2f} | {two['p99']:.2f} |"
            )
    v = data["verdict"]["ns_per_call"]
    e = data["e2e"]
    lines += [
        "",
        "## The Redis health read",
        "",
        f"- `verdict()` on the hot path: {v['plain']:.0f} ns without shared state, {v['redis_replica']:.0f} ns "
        f"with {data['verdict']['records']} records replicated from Redis: "
        f"**{(v['redis_replica'] - v['plain']) / 1e6:+.5f} ms** per request (goal ≤ {GOAL_MS} ms).",
        f"- End to end (c=1 p50, {len(e['runs']['redis'])} interleaved 1 s pairs): SQLite shared state "
        f"{e['p50_ms']['sqlite']:.3f} ms, Redis {e['p50_ms']['redis']:.3f} ms; median difference per pair "
        f"{e['added_ms']:+.3f} ms (what the machine's other load leaves of it).",
        f"- For scale: one Redis GET round trip from Python {v['redis_get_round_trip'] / 1e6:.3f} ms — what reading "
        "Redis on every request would add; the replica (invalidated by notification) is why it is not read.",
        "",
        f"Goal met: **{'yes' if data['goal_met'] else 'no'}**.",
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="bench/state", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--quick", action="store_true", help="1 s points, 1 rep, c=16 only")
    p.add_argument("--seconds", type=float)
    p.add_argument("--reps", type=int)
    p.add_argument("--concurrency")
    p.add_argument(
        "--python-client", action="store_true", help="use the Python load client even if wrk exists"
    )
    args = p.parse_args(argv)
    args.seconds = args.seconds or (1.0 if args.quick else 3.0)
    args.reps = args.reps or (1 if args.quick else 2)
    args.concurrency = [int(x) for x in (args.concurrency or ("16" if args.quick else "16,64")).split(",")]
    wrk_bin = None if args.python_client else wrk.find_wrk()
    sys.path.insert(0, str(REPO))
    from tests.support.engines import redis_server

    RESULTS.mkdir(exist_ok=True)
    workdir = Path(
        tempfile.mkdtemp(prefix="state-bench-", dir=BENCH / ".work" if (BENCH / ".work").is_dir() else None)
    )
    upstream = start_upstream(workdir, chunks=20, chunk_delay_ms=0, slow_chunks=5, slow_delay_ms=200)
    try:
        with redis_server() as redis:
            log("workers 1 vs 2")
            workers = bench_workers(args, upstream, workdir, wrk_bin)
            log("health read: in-process")
            verdict = bench_verdict(redis.url)
            log("health read: end to end")
            e2e = bench_e2e(args, upstream, workdir, wrk_bin, redis.url)
    finally:
        upstream.proc.stop()
    import platform

    added = (verdict["ns_per_call"]["redis_replica"] - verdict["ns_per_call"]["plain"]) / 1e6
    data = {
        "meta": {
            "when": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "machine": f"{platform.machine()}, {__import__('os').cpu_count()} CPUs, {platform.python_version()}",
            "client": "wrk" if wrk_bin else "python",
            "seconds": args.seconds,
            "reps": args.reps,
            "concurrency": args.concurrency,
        },
        "workers": workers,
        "verdict": verdict,
        "e2e": e2e,
        "added_health_read_ms": added,
        "goal_met": added <= GOAL_MS,
    }
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ") + ("-quick" if args.quick else "")
    text = report(data)
    for name in (f"state-{stamp}", *(() if args.quick else ("state-latest",))):
        (RESULTS / f"{name}.json").write_text(json.dumps(data, indent=2))
        (RESULTS / f"{name}.md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
