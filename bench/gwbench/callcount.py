"""Python function calls per request, on the event loop thread, by package: the floor and clawgate, each run
under cProfile switched on for exactly N sequential requests (after a warm-up) by a signal. The counts are
exact and repeatable (the same code path makes the same calls), so they say *where* the instructions that
`gwbench.icount` counts above the floor come from: which packages' Python runs, how many calls of it.
cProfile's times are shown as shares only: its overhead per call inflates small functions, and a wait for the
GIL (a writer thread holding it) is charged to whatever function the loop thread was in.

    PYTHONPATH=bench .venv/bin/python -m gwbench.callcount [--requests 1000] [--modes plain,stream]

Writes bench/results/callcount-latest.{md,json}. Every process is stopped in a `finally`.

The worker side (`--worker OUT -- MODULE ARGS…`) runs MODULE as `__main__` with SIGUSR1 = profile on and
SIGUSR2 = profile off and write the stats to OUT.
"""

from __future__ import annotations

import argparse
import json
import os
import pstats
import signal
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

# ------------------------------------------------------------------------------------------- the worker


def worker(out: str, module: str, args: list[str]) -> None:
    import cProfile
    import runpy

    prof = cProfile.Profile()

    def on(*_: Any) -> None:
        nonlocal prof
        prof = cProfile.Profile()  # a new count for each window
        prof.enable()

    def off(*_: Any) -> None:
        prof.disable()
        tmp = out + ".tmp"
        prof.dump_stats(tmp)
        os.replace(tmp, out)  # whole or absent: the harness polls for it

    signal.signal(signal.SIGUSR1, on)
    signal.signal(signal.SIGUSR2, off)
    sys.argv = [module, *args]
    runpy.run_module(module, run_name="__main__", alter_sys=True)


# ------------------------------------------------------------------------------------------ the figures


def package_of(filename: str) -> str:
    """`…/site-packages/aiohttp/x.py` → `aiohttp`; `…/src/clawgate/call/x.py` → `clawgate.call`; the
    stdlib by module (`asyncio`); C functions (cProfile's `~`) → `(builtins)`."""
    if filename == "~":
        return "(builtins)"
    f = filename.replace("\\", "/")
    if "/src/clawgate/" in f:
        rest = f.split("/src/clawgate/", 1)[1].split("/")
        return "clawgate." + (rest[0][:-3] if rest[0].endswith(".py") else rest[0])
    if "/site-packages/" in f:
        return f.split("/site-packages/", 1)[1].split("/")[0].removesuffix(".py")
    if "/gwbench/" in f:
        return "gwbench." + Path(f).stem
    if "/lib/python3." in f:
        return f.split("/lib/python3.", 1)[1].split("/", 1)[-1].split("/")[0].removesuffix(".py")
    return f


def summarize(stats: dict[Any, Any], n: int) -> dict[str, Any]:
    """Calls per request (and the share of cProfile's own time) by package, and the top functions."""
    calls: Counter[str] = Counter()
    own: Counter[str] = Counter()
    funcs: list[tuple[float, float, str]] = []
    for (file, line, name), (_cc, nc, tt, _ct, _callers) in stats.items():
        pkg = package_of(file)
        calls[pkg] += nc
        own[pkg] += tt
        short = file.split("/site-packages/")[-1].split("/src/")[-1]
        funcs.append((nc / n, tt, f"{short}:{line} {name}"))
    total_t = sum(own.values()) or 1.0
    funcs.sort(key=lambda f: -f[1])
    return {
        "calls_per_request": sum(calls.values()) / n,
        "packages": {p: {"calls": c / n, "own_share": own[p] / total_t} for p, c in calls.most_common()},
        "top": [{"function": f, "calls": c, "own_share": t / total_t} for c, t, f in funcs[:25]],
    }


def report(rows: list[dict[str, Any]], n: int, ts: datetime) -> str:
    L = [f"# Python calls per request (cProfile) — {ts:%Y-%m-%d %H:%M} UTC", "",
         f"The event loop thread of each process, {n} sequential requests (c=1) after a warm-up; calls are exact, "
         "own-time shares are cProfile's (inflated for small functions, GIL waits included).", ""]  # fmt: skip
    for mode in dict.fromkeys(r["mode"] for r in rows):
        here = {r["target"]: r for r in rows if r["mode"] == mode}
        floor, cg = here.get("floor"), here.get("clawgate")
        if floor is None or cg is None:
            continue
        title = "non-stream" if mode == "plain" else "stream"
        L += [f"## {title}", "",
              f"Calls per request: the floor {floor['calls_per_request']:.0f}, clawgate "
              f"{cg['calls_per_request']:.0f} ({cg['calls_per_request'] - floor['calls_per_request']:+.0f}).", "",
              "| package | floor calls | clawgate calls | more | clawgate own-time share |", "|---|---|---|---|---|"]  # fmt: skip
        pk = dict.fromkeys([*cg["packages"], *floor["packages"]])
        for p in sorted(pk, key=lambda p: -cg["packages"].get(p, {}).get("calls", 0)):
            a = floor["packages"].get(p, {}).get("calls", 0.0)
            b = cg["packages"].get(p, {}).get("calls", 0.0)
            if a < 0.5 and b < 0.5:
                continue
            share = cg["packages"].get(p, {}).get("own_share", 0.0)
            L.append(f"| {p} | {a:.1f} | {b:.1f} | {b - a:+.1f} | {share * 100:.1f} % |")
        L += [
            "",
            "| function, in clawgate's process (own time) | calls / request | own-time share |",
            "|---|---|---|",
        ]
        L += [
            f"| `{t['function']}` | {t['calls']:.1f} | {t['own_share'] * 100:.1f} % |" for t in cg["top"][:15]
        ]
        L.append("")
    return "\n".join(L)


# ----------------------------------------------------------------------------------------- the harness


def _count(t: Any, out: Path, stream: bool, n: int, warm: int) -> dict[str, Any]:
    from gwbench import clients

    body = t.body(stream)
    r = clients.sequential(t.host, t.port, t.path, body, warm, stream, t.token, timeout=30, deadline_s=300)
    if r.errors:
        raise RuntimeError(f"{t.name}: warm-up errors: {r.first_error}")
    out.unlink(missing_ok=True)
    os.kill(t.proc.pid, signal.SIGUSR1)
    r = clients.sequential(t.host, t.port, t.path, body, n, stream, t.token, timeout=30, deadline_s=600)
    os.kill(t.proc.pid, signal.SIGUSR2)
    if r.errors:
        raise RuntimeError(f"{t.name}: errors while profiled: {r.first_error}")
    deadline = time.monotonic() + 60
    while not out.exists():
        if time.monotonic() > deadline:
            raise RuntimeError(f"{t.name}: no profile written to {out}")
        time.sleep(0.1)
    return summarize(pstats.Stats(str(out)).stats, n)  # type: ignore[attr-defined]


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--worker"]:
        cut = argv.index("--")
        worker(argv[1], argv[cut + 1], argv[cut + 2 :])
        return 0
    p = argparse.ArgumentParser(prog="gwbench.callcount", description=__doc__)
    p.add_argument("--requests", type=int, default=1000)
    p.add_argument("--warmup", type=int, default=200)
    p.add_argument("--modes", default="plain,stream")
    p.add_argument("--out-dir", default=None)
    p.add_argument(
        "--off",
        default="",
        help="clawgate's costs to switch off (gwbench.ablate_worker: log,records): without the writer "
        "threads, no GIL wait is charged to the loop thread's functions",
    )
    a = p.parse_args(argv)
    from gwbench.ablate_worker import worker_args
    from gwbench.procs import Proc, free_port, wait_ready
    from gwbench.targets import BENCH, FLOOR_KEY, Target, clean_env, floor_env, start_clawgate, start_upstream

    ts = datetime.now(UTC)
    work = BENCH / ".work" / f"callcount-{ts:%Y%m%d-%H%M%S}"
    work.mkdir(parents=True, exist_ok=True)
    me = [sys.executable, "-m", "gwbench.callcount", "--worker"]
    procs: list[Any] = []
    rows: list[dict[str, Any]] = []
    try:
        up = start_upstream(work, 20, 0.0, 5, 200.0)
        procs.append(up.proc)
        port = free_port()
        env = floor_env(port, up.port)
        f_out = work / "floor.prof"
        proc = Proc("floor", [*me, str(f_out), "--", "gwbench.floor_proxy"], env=env, cwd=BENCH,
                    log=work / "floor.log")  # fmt: skip
        procs.append(proc)
        floor = Target("floor", port, "openai/gpt-4o", "openai/slow", proc, token=FLOOR_KEY)
        wait_ready(proc, f"http://127.0.0.1:{port}/healthz", 60, any_status=True)
        cg = start_clawgate(work, up.port, name="clawgate")
        cg.proc.stop()  # the home is made; run it again under the profiler
        c_out = work / "clawgate.prof"
        env = clean_env(CLAWGATE_HOME=cg.info["home"], PYTHONPATH=str(BENCH))
        cmd = [*me, str(c_out), "--", *worker_args(a.off, cg.port)[1:]]  # (the module, without "-m")
        cg.proc = Proc("clawgate", cmd, env=env, cwd=cg.info["home"], log=work / "clawgate-prof.log")
        procs.append(cg.proc)
        wait_ready(cg.proc, f"http://127.0.0.1:{cg.port}/healthz", 60)
        for m in [m for m in a.modes.split(",") if m]:
            for t, out in ((floor, f_out), (cg, c_out)):
                s = _count(t, out, m == "stream", a.requests, a.warmup)
                rows.append({"target": t.name, "mode": m, **s})
                print(f"[callcount] {m:6} {t.name:9} {s['calls_per_request']:7.0f} Python calls/request",
                      file=sys.stderr, flush=True)  # fmt: skip
    finally:
        for pr in reversed(procs):
            pr.stop()
    md = report(rows, a.requests, ts)
    out_dir = Path(a.out_dir) if a.out_dir else BENCH / "results"
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "callcount-latest.md").write_text(md)
    (out_dir / "callcount-latest.json").write_text(
        json.dumps({"time_utc": f"{ts:%Y-%m-%d %H:%M} UTC", "requests": a.requests, "rows": rows}, indent=1)
    )
    print(md)
    return 0


if __name__ == "__main__":
    sys.exit(main())
