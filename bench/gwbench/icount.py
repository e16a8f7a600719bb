"""Instructions per request, counted by valgrind's callgrind: the floor and clawgate (and, with --before, an older
source tree) each run under callgrind, warmed up, then counted over exactly N requests at c=1 (all threads of
the process). Unlike CPU seconds, the count does not move with what else the shared machine is doing, so a
change of a few per cent is visible in one run (it is slow: ~50× under callgrind; N=300 takes a minute or two).

    PYTHONPATH=bench .venv/bin/python -m gwbench.icount [--requests 300] [--modes plain,stream] [--before DIR]

Prints a Markdown table (instructions per request, and each target ÷ the floor) and writes
bench/results/icount-latest.{md,json}. Every process is stopped in a `finally`.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from gwbench import clients
from gwbench.ablate import VARIANTS
from gwbench.ablate_worker import worker_args
from gwbench.procs import Proc, free_port, wait_ready
from gwbench.targets import (
    BENCH,
    FLOOR_KEY,
    Target,
    clean_env,
    floor_env,
    start_clawgate,
    start_upstream,
)

_TOTALS = re.compile(rb"^totals:\s*(\d+)", re.M)  # (the "summary:" line stays 0 with --instr-atstart=no)


def _callgrind(out: Path, argv: list[str]) -> list[str]:
    return ["valgrind", "--tool=callgrind", "--instr-atstart=no", "--separate-threads=yes",
            f"--callgrind-out-file={out}", *argv]  # fmt: skip


def _control(pid: int, *args: str) -> None:
    subprocess.run(["callgrind_control", *args, str(pid)], check=True, capture_output=True, timeout=120)


def _count(t: Target, out: Path, body: bytes, stream: bool, n: int, warm: int) -> tuple[float, float]:
    """(all threads, the main thread) instructions per request of `t` (running under callgrind) over `n`
    requests after `warm` ones."""
    r = clients.sequential(t.host, t.port, t.path, body, warm, stream, t.token, timeout=60, deadline_s=600)
    if r.errors:
        raise RuntimeError(f"{t.name}: warm-up errors: {r.first_error}")
    _control(t.proc.pid, "--zero")
    _control(t.proc.pid, "--instr=on")
    r = clients.sequential(t.host, t.port, t.path, body, n, stream, t.token, timeout=60, deadline_s=1200)
    _control(t.proc.pid, "--instr=off")
    for old in out.parent.glob(out.name + "*"):
        old.unlink()
    _control(t.proc.pid, "--dump")
    if r.errors:
        raise RuntimeError(f"{t.name}: errors while counted: {r.first_error}")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        dumps = sorted(out.parent.glob(out.name + "*"))  # one per thread: <out>.<part>-<thread>
        found = [(f, _TOTALS.search(f.read_bytes())) for f in dumps]
        if found and all(m for _, m in found):
            total = sum(int(m.group(1)) for _, m in found if m)
            main = sum(int(m.group(1)) for f, m in found if m and f.name.endswith("-01"))
            return total / n, main / n
        time.sleep(0.2)
    raise RuntimeError(f"{t.name}: no callgrind dump in {out.parent}")


def _prefill(db: Path, rows: int) -> None:
    import sqlite3

    now = time.time()
    conn = sqlite3.connect(db)
    with conn:
        row = {"call_id": "c" * 16, "purpose": "request", "agent": "main", "ref": "openai/gpt-4o",
               "provider": "openai", "model": "gpt-4o", "api": "openai-completions", "cred_source": "env:OPENAI_API_KEY",
               "fingerprint": "sk-test…0000#abcdef", "ok": 1, "status": 200, "latency_ms": 0.5, "first_byte_ms": 0.4,
               "input_tokens": 10, "output_tokens": 20, "stream": 0, "try_no": 0, "sent": 1, "client": "owner"}  # fmt: skip
        cols = ["ts", *row]
        sql = f"INSERT INTO attempts ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
        conn.executemany(sql, ((now - (rows - i) * 0.01, *row.values()) for i in range(rows)))
    conn.close()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="gwbench.icount", description=__doc__)
    p.add_argument("--requests", type=int, default=300, help="requests counted per target and mode")
    p.add_argument("--warmup", type=int, default=100)
    p.add_argument("--modes", default="plain,stream")
    p.add_argument(
        "--before", help="a directory holding an older clawgate's src/, counted as 'clawgate (before)'"
    )
    p.add_argument(
        "--ablate",
        action="store_true",
        help="also clawgate with the request log, the attempt records and metrics switched off (gwbench.ablate)",
    )
    p.add_argument(
        "--prefill",
        type=int,
        default=0,
        help="attempt rows put in each clawgate home's state.db first (a gateway that has run a while)",
    )
    p.add_argument("--out-dir", default=str(BENCH / "results"))
    a = p.parse_args(argv)
    if shutil.which("valgrind") is None or shutil.which("callgrind_control") is None:
        raise SystemExit("valgrind is not installed (apt-get install -y valgrind)")
    ts = datetime.now(UTC)
    work = BENCH / ".work" / f"icount-{ts:%Y%m%d-%H%M%S}"
    work.mkdir(parents=True, exist_ok=True)
    procs: list[Proc] = []
    rows: list[dict[str, Any]] = []
    try:
        up = start_upstream(work, 20, 0.0, 5, 200.0)
        procs.append(up.proc)
        targets: list[tuple[Target, Path]] = []
        # the floor
        port = free_port()
        env = floor_env(port, up.port)
        out = work / "floor" / "cg.out"
        out.parent.mkdir()
        proc = Proc("floor", _callgrind(out, [sys.executable, "-m", "gwbench.floor_proxy"]), env=env, cwd=BENCH,
                    log=work / "floor.log")  # fmt: skip
        procs.append(proc)
        t = Target("floor", port, "openai/gpt-4o", "openai/slow", proc, token=FLOOR_KEY)
        wait_ready(proc, f"http://127.0.0.1:{port}/healthz", 300, any_status=True)
        targets.append((t, out))
        variants: list[tuple[str, str | None, str, dict[str, Any] | None]] = [("clawgate", None, "", None)]
        if a.before:
            variants.append(("clawgate (before)", str(Path(a.before).resolve() / "src"), "", None))
        if a.ablate:
            variants += [
                (name, None, off, obs)
                for name, (off, obs) in VARIANTS.items()
                if name != "clawgate" and "switch" not in off  # (the switch interval is about time)
            ]
        for i, (name, src, off, obs) in enumerate(variants):
            c = start_clawgate(work, up.port, name=f"clawgate-{i}", observability=obs)
            c.proc.stop()  # the home is made; run it again under callgrind
            if a.prefill:
                _prefill(Path(c.info["home"]) / "state.db", a.prefill)
            out = work / c.proc.name / "cg.out"
            out.parent.mkdir()
            env = clean_env(CLAWGATE_HOME=c.info["home"], PYTHONPATH=f"{src}:{BENCH}" if src else str(BENCH))
            cmd = [sys.executable, *worker_args(off, c.port)]
            c.proc = Proc(c.proc.name, _callgrind(out, cmd), env=env, cwd=c.info["home"],
                          log=work / f"{c.proc.name}.log")  # fmt: skip
            procs.append(c.proc)
            wait_ready(c.proc, f"http://127.0.0.1:{c.port}/healthz", 600)
            c.name = name
            targets.append((c, out))
        for m in [m for m in a.modes.split(",") if m]:
            stream = m == "stream"
            for t, out in targets:
                ipr, main_ipr = _count(t, out, t.body(stream), stream, a.requests, a.warmup)
                rows.append({"target": t.name, "mode": m, "instructions_per_request": ipr,
                             "main_thread_per_request": main_ipr})  # fmt: skip
                print(f"[icount] {m:6} {t.name:20} {ipr / 1e6:8.3f} M instructions/request "
                      f"(main thread {main_ipr / 1e6:.3f})", file=sys.stderr, flush=True)  # fmt: skip
    finally:
        for pr in reversed(procs):
            pr.stop()
    md = report(rows, a, ts)
    out_dir = Path(a.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "icount-latest.md").write_text(md)
    (out_dir / "icount-latest.json").write_text(
        json.dumps({"time_utc": f"{ts:%Y-%m-%d %H:%M} UTC", "requests": a.requests, "rows": rows}, indent=1)
    )
    print(md)
    return 0


def report(rows: list[dict[str, Any]], a: Any, ts: datetime) -> str:
    L = [f"# Instructions per request (callgrind) — {ts:%Y-%m-%d %H:%M} UTC", "",
         f"valgrind --tool=callgrind, every thread of the process, {a.requests} requests at c=1 after "
         f"{a.warmup} uncounted ones; one fake upstream (20 chunks per stream).", "",
         "| mode | target | M instructions / request | ÷ floor | of which the main thread |",
         "|---|---|---|---|---|"]  # fmt: skip
    for m in dict.fromkeys(r["mode"] for r in rows):
        here = [r for r in rows if r["mode"] == m]
        floor = next((r["instructions_per_request"] for r in here if r["target"] == "floor"), None)
        for r in here:
            ratio = f"{r['instructions_per_request'] / floor:.2f}×" if floor else "–"
            L.append(f"| {'non-stream' if m == 'plain' else 'stream'} | {r['target']} | "
                     f"{r['instructions_per_request'] / 1e6:.3f} | {ratio} | "
                     f"{r.get('main_thread_per_request', 0) / 1e6:.3f} |")  # fmt: skip
    return "\n".join(L) + "\n"


if __name__ == "__main__":
    sys.exit(main())
