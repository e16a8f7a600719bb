"""What each per-request cost of clawgate is, measured by switching it off: the floor, clawgate on its defaults,
and clawgate without the request log, without the attempt records, without metrics, and without all three, at
one fake upstream, interleaved, wrk at c=16; CPU per request of the whole process and of its event-loop thread.

    PYTHONPATH=bench .venv/bin/python -m gwbench.ablate [--seconds 3] [--reps 3] [--modes plain,stream]
        [--before DIR]   # also clawgate from an older source tree (e.g. `git archive <commit> src | tar -x -C DIR`)

Prints a Markdown table (medians over reps; Δ against clawgate on its defaults) and writes
bench/results/ablate-<time>.{md,json} (the latest as ablate-latest.*). Every process is stopped in a `finally`.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from gwbench import wrk
from gwbench.ablate_worker import worker_args
from gwbench.procs import Proc, settle
from gwbench.targets import (
    BENCH,
    OBSERVABILITY_OFF,
    Target,
    clean_env,
    start_clawgate,
    start_floor,
    start_upstream,
)

VARIANTS: dict[str, tuple[str, dict[str, Any] | None]] = {
    # name: (switches for gwbench.ablate_worker, observability config)
    "clawgate": ("", None),
    "no request log": ("log", None),
    "no attempt records": ("records", None),
    "no metrics": ("", OBSERVABILITY_OFF),
    "none of the three": ("log,records", OBSERVABILITY_OFF),
    "5 ms switch interval": ("switch", None),  # (Python's default; not in gwbench.icount: no time there)
}
TCK = os.sysconf("SC_CLK_TCK")


def _cpu(pid: int) -> tuple[float, float]:
    """(all threads, the main thread) CPU seconds of `pid`."""
    total = main = 0.0
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            f = Path(f"/proc/{pid}/task/{tid}/stat").read_text()
        except OSError:
            continue
        f2 = f[f.rfind(")") + 2 :].split()
        s = (int(f2[11]) + int(f2[12])) / TCK
        total += s
        if int(tid) == pid:
            main = s
    return total, main


def _start(
    work: Path, up: Target, name: str, switches: str, obs: dict[str, Any] | None, before: str | None = None
) -> Target:
    t = start_clawgate(work, up.port, name=name.replace(" ", "-"), observability=obs)
    if not switches and before is None:
        return t
    # the same home, run again through the worker that switches costs off (or from the older source tree)
    t.proc.stop()
    argv = [sys.executable, *worker_args(switches, t.port)]
    env = clean_env(CLAWGATE_HOME=t.info["home"], PYTHONPATH=f"{before}:{BENCH}" if before else str(BENCH))
    t.proc = Proc(t.name, argv, env=env, cwd=t.info["home"], log=work / f"{t.name}.log")
    from gwbench.procs import wait_ready

    t.ready_s = wait_ready(t.proc, f"http://127.0.0.1:{t.port}/healthz", 30)
    return t


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="gwbench.ablate", description=__doc__)
    p.add_argument("--seconds", type=float, default=3.0)
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--modes", default="plain,stream")
    p.add_argument("--concurrency", type=int, default=16)
    p.add_argument("--out-dir", default=str(BENCH / "results"))
    p.add_argument(
        "--before", help="a directory holding an older clawgate's src/: measured as 'clawgate (before)'"
    )
    p.add_argument(
        "--variants",
        help=f"comma-separated names of the clawgate variants to run (default: all of {', '.join(VARIANTS)})",
    )
    a = p.parse_args(argv)
    chosen = [v.strip() for v in a.variants.split(",")] if a.variants else list(VARIANTS)
    unknown = [v for v in chosen if v not in VARIANTS]
    if unknown:
        raise SystemExit(f"unknown variant(s): {', '.join(unknown)}; known: {', '.join(VARIANTS)}")
    if "clawgate" not in chosen:
        chosen.insert(0, "clawgate")  # the Δ column is against it
    exe = wrk.find_wrk()
    if exe is None:
        raise SystemExit("wrk is not installed (apt-get install -y wrk)")
    ts = datetime.now(UTC)
    work = BENCH / ".work" / f"ablate-{ts:%Y%m%d-%H%M%S}-{os.getpid()}"
    work.mkdir(parents=True, exist_ok=True)
    procs: list[Proc] = []
    runs: list[dict[str, Any]] = []
    try:
        up = start_upstream(work, 20, 0.0, 5, 200.0)
        procs.append(up.proc)
        targets = [start_floor(work, up.port)]
        procs.append(targets[0].proc)
        for name in chosen:
            switches, obs = VARIANTS[name]
            t = _start(work, up, name, switches, obs)
            t.name = name
            procs.append(t.proc)
            targets.append(t)
        if a.before:
            t = _start(work, up, "before", "", None, before=str(Path(a.before).resolve() / "src"))
            t.name = "clawgate (before)"
            procs.append(t.proc)
            targets.append(t)
        modes = [m for m in a.modes.split(",") if m]
        bodies = {}
        for t in targets:
            for m in modes:
                f = work / f"body-{t.port}-{m}.json"
                f.write_bytes(t.body(m == "stream"))
                bodies[t.name, m] = f
                wrk.run(exe, t.url, f, a.concurrency, 1, t.token)  # warm-up
        for rep in range(a.reps):
            for m in modes:
                for t in targets:
                    settle(t.proc.cpu)
                    c0 = _cpu(t.proc.pid)
                    r = wrk.run(exe, t.url, bodies[t.name, m], a.concurrency, a.seconds, t.token)
                    c1 = _cpu(t.proc.pid)
                    n = r["requests"] or 1
                    runs.append({"target": t.name, "mode": m, "rep": rep, "rps": r["rps"],
                                 "errors": r["errors_total"], "cpu_us": (c1[0] - c0[0]) * 1e6 / n,
                                 "main_us": (c1[1] - c0[1]) * 1e6 / n})  # fmt: skip
                    print(f"[ablate] rep {rep + 1} {m:6} {t.name:20} {r['rps']:8.0f} req/s "
                          f"cpu {runs[-1]['cpu_us']:6.1f} µs/req (loop {runs[-1]['main_us']:6.1f})",
                          file=sys.stderr, flush=True)  # fmt: skip
    finally:
        for pr in reversed(procs):
            pr.stop()
    md = report(runs, [t.name for t in targets], modes, a, ts)
    out = Path(a.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    doc = json.dumps({"time_utc": f"{ts:%Y-%m-%d %H:%M} UTC", "runs": runs}, indent=1)
    for stem in (f"ablate-{ts:%Y%m%d-%H%M%S}", "ablate-latest"):
        (out / f"{stem}.md").write_text(md)
        (out / f"{stem}.json").write_text(doc)
    print(md)
    return 0


def report(runs: list[dict[str, Any]], names: list[str], modes: list[str], a: Any, ts: datetime) -> str:
    def med(t: str, m: str, k: str) -> float:
        return statistics.median(r[k] for r in runs if r["target"] == t and r["mode"] == m)

    L = [f"# What clawgate's per-request costs are, switched off one by one — {ts:%Y-%m-%d %H:%M} UTC", "",
         f"wrk -t1 -c{a.concurrency}, {a.seconds:g} s points, {a.reps} interleaved reps (medians); CPU per "
         "request of the whole process and of its event-loop thread. Δ: against clawgate on its defaults."
         + (f" 'clawgate (before)': the source tree in {a.before}." if a.before else ""), ""]  # fmt: skip
    for m in modes:
        L += [f"## {'non-stream' if m == 'plain' else 'stream'}", "",
              "| target | req/s | CPU µs/req | Δ | loop thread µs/req | Δ | errors |", "|---|---|---|---|---|---|---|"]  # fmt: skip
        base_cpu, base_main = med("clawgate", m, "cpu_us"), med("clawgate", m, "main_us")
        for t in names:
            cpu, main_ = med(t, m, "cpu_us"), med(t, m, "main_us")
            errors = sum(r["errors"] for r in runs if r["target"] == t and r["mode"] == m)
            L.append(f"| {t} | {med(t, m, 'rps'):.0f} | {cpu:.1f} | {cpu - base_cpu:+.1f} | {main_:.1f} | "
                     f"{main_ - base_main:+.1f} | {errors} |")  # fmt: skip
        L.append("")
    return "\n".join(L) + "\n"


if __name__ == "__main__":
    sys.exit(main())
