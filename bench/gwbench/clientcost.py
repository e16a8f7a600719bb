"""What clients (issue 17) add per request: the gateway token against a client key (an in-memory lookup and
scope check), a key with an RPM limit (one atomic counter operation on the shared state: the SQLite file, or
Redis), end to end and in-process.

    PYTHONPATH=bench:. .venv/bin/python -m gwbench.clientcost [--quick]     (or: bench/clients [--quick])

1. End to end: the fake upstream; clawgate on its SQLite files, and clawgate with `state.redis`; each loaded
   at c=1 (p50 latency) and c=16 (req/s) with the owner's token, a client key with scopes, and a key with an
   RPM limit too high to refuse — interleaved in many short pairs (the median of the differences resists the
   machine's other load).
2. In-process: ns per `ClientRegistry.identify` (1,000 keys), `Scopes.denies`, `Budgets.refusal`, and µs per
   `Limiter.take` on the SQLite shared state and on Redis.

Every process started here is stopped in a `finally`; each load point is bounded in time; ports are free ports
picked at run time. Results: bench/results/clients-<timestamp>.{md,json} and clients-latest.{md,json}.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import subprocess
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
TOKEN = "bench-owner-token-6f1d3a9c2e7b4058"
KINDS = ("owner", "key", "key+rpm")


def log(msg: str) -> None:
    print(f"[clients-bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def _cli(home: Path, *args: str) -> dict[str, Any]:
    out = subprocess.run(
        [clawgate_bin(), *args, "--json"],
        env=clean_env(CLAWGATE_HOME=str(home)),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return dict(json.loads(out.stdout))


def start_gateway(
    workdir: Path, upstream_port: int, redis_url: str | None, name: str
) -> tuple[Target, dict[str, str]]:
    home = Path(tempfile.mkdtemp(prefix=f"clawgate-{name}-", dir=workdir))
    home.chmod(0o700)
    cfg: dict[str, Any] = {
        "models": {
            "providers": {
                "openai": {
                    "baseUrl": f"http://127.0.0.1:{upstream_port}/v1",
                    "models": [{"id": "gpt-4o", "cost": {"input": 2.5, "output": 10}}],
                }
            }
        },
        "agents": {"defaults": {"model": "openai/gpt-4o"}},
    }
    env_text = f"OPENAI_API_KEY={UPSTREAM_KEY}\nCLAWGATE_GATEWAY_TOKEN={TOKEN}\n"
    if redis_url:
        cfg["state"] = {"redis": "${CLAWGATE_REDIS_URL}"}
        env_text += f"CLAWGATE_REDIS_URL={redis_url}\n"
    (home / "clawgate.json").write_text(json.dumps(cfg, indent=2))
    (home / ".env").write_text(env_text)
    (home / ".env").chmod(0o600)
    tokens = {"owner": TOKEN}
    tokens["key"] = _cli(home, "keys", "create", "bench", "--model", "openai/*")["token"]
    tokens["key+rpm"] = _cli(
        home, "keys", "create", "bench-rpm", "--model", "openai/*", "--rpm", "1000000000"
    )["token"]
    port = free_port()
    argv = [clawgate_bin(), "gateway", "run", "--port", str(port), "--quiet"]
    proc = Proc(name, argv, env=clean_env(CLAWGATE_HOME=str(home)), cwd=home, log=workdir / f"{name}.log")
    t = Target(name, port, "openai/gpt-4o", "openai/slow", proc)
    try:
        t.ready_s = wait_ready(proc, f"http://127.0.0.1:{port}/healthz", 60)
    except BaseException:
        proc.stop()
        raise
    return t, tokens


def point(
    t: Target, token: str, c: int, seconds: float, wrk_bin: str | None, workdir: Path
) -> dict[str, Any]:
    body = t.body(False)
    if wrk_bin:
        f = workdir / f"body-{t.name}.json"
        f.write_bytes(body)
        out = wrk.run(wrk_bin, t.url, f, c, seconds, token=token)
        return {"rps": out["rps"], "p50": out["latency_ms"]["p50"], "errors": out["errors_total"]}
    res = clients.run_async(
        clients.load(t.host, t.port, t.path, body, c, seconds, False, token=token)
    ).to_json()
    return {"rps": res["rps"], "p50": (res["latency_ms"] or {}).get("p50"), "errors": res["errors"]}


def bench_e2e(
    args: argparse.Namespace, t: Target, tokens: dict[str, str], wrk_bin: str | None, workdir: Path
) -> dict[str, Any]:
    p50: dict[str, list[float]] = {k: [] for k in KINDS}
    rps: dict[str, list[float]] = {k: [] for k in KINDS}
    errors = 0
    for i in range(args.pairs):
        order = KINDS if i % 2 == 0 else tuple(reversed(KINDS))
        for kind in order:
            out = point(t, tokens[kind], 1, args.seconds, wrk_bin, workdir)
            p50[kind].append(out["p50"])
            errors += out["errors"]
        for kind in order:
            out = point(t, tokens[kind], 16, args.seconds, wrk_bin, workdir)
            rps[kind].append(out["rps"])
            errors += out["errors"]
        log(
            f"{t.name} pair {i + 1}/{args.pairs}: c=1 p50 "
            + ", ".join(f"{k} {p50[k][-1]:.3f}" for k in KINDS)
        )
    added = {
        k: statistics.median(a - b for a, b in zip(p50[k], p50["owner"], strict=True))
        for k in KINDS
        if k != "owner"
    }
    return {
        "p50_ms": {k: statistics.median(v) for k, v in p50.items()},
        "rps_c16": {k: statistics.median(v) for k, v in rps.items()},
        "added_p50_ms": added,
        "errors": errors,
    }


def bench_inprocess(redis_url: str, shared_db: Path) -> dict[str, Any]:
    from clawgate.clients import tokens as tk
    from clawgate.clients.admin import ClientAdmin
    from clawgate.clients.limits import Limiter, Windows
    from clawgate.clients.registry import ClientRegistry, key_client
    from clawgate.clients.scopes import Scopes
    from clawgate.clients.spend import Budgets
    from clawgate.state.memory import MemoryState
    from clawgate.state.redis import RedisState
    from clawgate.state.sqlite import SQLiteState
    from clawgate.store.sqlite import SQLiteStore

    store = SQLiteStore(None)
    admin = ClientAdmin(store)
    made = [admin.create_key(f"k{i}", Scopes((), ("openai/*",)), budget_usd=100.0) for i in range(1000)]
    reg = ClientRegistry(store)
    reg.reload()
    token = made[500][1]
    client = key_client(made[500][0])
    n = 100_000
    out: dict[str, float] = {}
    t0 = time.perf_counter()
    for _ in range(n):
        reg.identify(token)
    out["identify_ns"] = (time.perf_counter() - t0) / n * 1e9
    t0 = time.perf_counter()
    for _ in range(n):
        client.scopes.denies("main", "openai/gpt-4o", "openai/gpt-4o")
    out["scopes_ns"] = (time.perf_counter() - t0) / n * 1e9
    budgets = Budgets(MemoryState())
    t0 = time.perf_counter()
    for _ in range(n):
        budgets.refusal(client)
    out["budget_ns"] = (time.perf_counter() - t0) / n * 1e9
    t0 = time.perf_counter()
    for _ in range(n):
        tk.parse(TOKEN)  # what the owner's token costs: not shaped like a client token
    out["owner_token_ns"] = (time.perf_counter() - t0) / n * 1e9
    store.close()

    async def takes(state: Any, label: str) -> None:
        await state.start()
        lim = Limiter(state, Windows(60))
        for _ in range(200):
            await lim.take("key:warm", 10**9, None)
        m = 2000
        t0 = time.perf_counter()
        for _ in range(m):
            await lim.take("key:bench", 10**9, None)
        out[f"limiter_take_{label}_us"] = (time.perf_counter() - t0) / m * 1e6
        await state.close()

    asyncio.run(takes(SQLiteState(str(shared_db)), "sqlite"))
    asyncio.run(takes(RedisState(redis_url), "redis"))
    return out


def report(data: dict[str, Any]) -> str:
    m = data["meta"]
    lines = [
        f"# Clients benchmark — {m['when']}",
        "",
        f"Machine: {m['machine']}; load client: {m['client']}; {m['pairs']} interleaved pairs of {m['seconds']:g} s "
        "points, medians. Non-streamed chat calls to the fake upstream.",
        "",
        "## End to end",
        "",
        "| shared state | credential | c=1 p50 ms | added vs the owner's token | c=16 req/s |",
        "|---|---|---|---|---|",
    ]
    for engine, e in data["e2e"].items():
        for k in KINDS:
            added = "—" if k == "owner" else f"{e['added_p50_ms'][k]:+.3f} ms"
            lines.append(f"| {engine} | {k} | {e['p50_ms'][k]:.3f} | {added} | {e['rps_c16'][k]:.0f} |")
    i = data["inprocess"]
    lines += [
        "",
        "## In-process, per request",
        "",
        f"- `ClientRegistry.identify` of a client key among 1,000: **{i['identify_ns']:.0f} ns** (a dict lookup; a "
        f"token not seen since the last reload is hashed once); the owner's token passes it in "
        f"{i['owner_token_ns']:.0f} ns.",
        f"- `Scopes.denies` (one model glob): {i['scopes_ns']:.0f} ns; `Budgets.refusal`: {i['budget_ns']:.0f} ns.",
        f"- `Limiter.take`, one request at a time (one atomic `incr` each): **{i['limiter_take_sqlite_us']:.0f} µs** on "
        f"the SQLite shared state (one upsert in the state thread), **{i['limiter_take_redis_us']:.0f} µs** on Redis "
        "(one round trip) — paid only by a key with an RPM limit; requests arriving together share one `incr`.",
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="bench/clients", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--quick", action="store_true", help="0.5 s points, 4 pairs")
    p.add_argument("--seconds", type=float)
    p.add_argument("--pairs", type=int)
    p.add_argument(
        "--python-client", action="store_true", help="use the Python load client even if wrk exists"
    )
    args = p.parse_args(argv)
    args.seconds = args.seconds or (0.5 if args.quick else 1.0)
    args.pairs = args.pairs or (4 if args.quick else 10)
    wrk_bin = None if args.python_client else wrk.find_wrk()
    sys.path.insert(0, str(REPO))
    from tests.support.engines import redis_server

    RESULTS.mkdir(exist_ok=True)
    workdir = Path(
        tempfile.mkdtemp(prefix="clients-bench-", dir=BENCH / ".work" if (BENCH / ".work").is_dir() else None)
    )
    upstream = start_upstream(workdir, chunks=20, chunk_delay_ms=0, slow_chunks=5, slow_delay_ms=200)
    e2e: dict[str, Any] = {}
    try:
        with redis_server() as redis:
            for engine, url in (("sqlite", None), ("redis", redis.url)):
                t, tokens = start_gateway(workdir, upstream.port, url, engine)
                try:
                    e2e[engine] = bench_e2e(args, t, tokens, wrk_bin, workdir)
                finally:
                    t.proc.stop()
            log("in-process")
            inproc = bench_inprocess(redis.url, workdir / "shared.db")
    finally:
        upstream.proc.stop()
    data = {
        "meta": {
            "when": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, {platform.python_version()}",
            "client": "wrk" if wrk_bin else "python",
            "seconds": args.seconds,
            "pairs": args.pairs,
        },
        "e2e": e2e,
        "inprocess": inproc,
    }
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ") + ("-quick" if args.quick else "")
    text = report(data)
    for name in (f"clients-{stamp}", *(() if args.quick else ("clients-latest",))):
        (RESULTS / f"{name}.json").write_text(json.dumps(data, indent=2))
        (RESULTS / f"{name}.md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
