"""Run the benchmark: direct vs the Python floor vs clawgate (one worker and `--workers N`) vs LiteLLM at one fake
upstream, interleaved; write the results.

    PYTHONPATH=bench .venv/bin/python -m gwbench [--quick] [--no-litellm] [--profile] ...

`bench/run` installs wrk and LiteLLM first and calls this. Every process started here is stopped in a
`finally`; every load loop is bounded in count and time; ports are picked at run time.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import signal
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from gwbench import clients, report, wrk
from gwbench.procs import Proc, cpu_seconds, own_cpu_seconds, rss_mb, settle, system_busy_seconds
from gwbench.targets import (
    BENCH,
    OBSERVABILITY_OFF,
    REPO,
    Target,
    start_clawgate,
    start_floor,
    start_litellm,
    start_otlp_sink,
    start_upstream,
)

RESULTS = BENCH / "results"
WORK = BENCH / ".work"


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="bench/run", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument(
        "--quick", action="store_true", help="a ~20 s run: 1 s points, 1 rep, c=1 and 16, fewer streams"
    )
    p.add_argument("--no-litellm", action="store_true", help="skip LiteLLM")
    p.add_argument("--seconds", type=float, help="seconds per load point (default 3; quick 1)")
    p.add_argument("--reps", type=int, help="repetitions of every point, interleaved (default 2; quick 1)")
    p.add_argument("--concurrency", help="comma-separated (default 1,16,64; quick 1,16)")
    p.add_argument("--modes", default="plain,stream", help="plain,stream (default both)")
    p.add_argument(
        "--ttfe-n",
        type=int,
        help="sequential streams per target for time to first event (default 200; quick 30)",
    )
    p.add_argument(
        "--hold-streams", type=int, help="concurrent slow streams held open (default 1000; quick 200)"
    )
    p.add_argument("--slow-chunks", type=int, help="content chunks of a held stream (default 20; quick 5)")
    p.add_argument(
        "--slow-delay-ms", type=float, help="delay between a held stream's chunks (default 250; quick 200)"
    )
    p.add_argument("--chunks", type=int, default=20, help="content chunks per stream (default 20)")
    p.add_argument(
        "--chunk-delay-ms", type=float, default=0.0, help="upstream delay between chunks (default 0)"
    )
    p.add_argument("--warmup-s", type=float, help="warm-up load per target and mode (default 1; quick 0.3)")
    p.add_argument(
        "--loadgen", choices=("auto", "wrk", "python"), default="auto", help="auto: wrk if installed"
    )
    p.add_argument(
        "--targets",
        default="direct,floor,clawgate-off,clawgate,clawgate-traced,clawgate-workers,litellm",
        help="which targets to run: direct, floor (the Python floor: gwbench/floor_proxy.py), clawgate (the default "
        "config: metrics on, tracing off, state on SQLite), clawgate-off (observability off: the baseline of its "
        "cost), clawgate-traced (tracing on, to an OTLP sink), clawgate-workers (clawgate `gateway run --workers N`, "
        "N from --workers), litellm",
    )
    p.add_argument(
        "--workers",
        type=int,
        default=2,
        help="N of the clawgate-workers target, `gateway run --workers N` (default 2; the target is named clawgate-wN)",
    )
    p.add_argument("--obscost-n", type=int, help="requests per block of the observability cost measurement")
    p.add_argument("--profile", action="store_true", help="also py-spy clawgate under non-stream c=16 load")
    p.add_argument("--profile-seconds", type=float, default=10.0)
    p.add_argument("--profile-gil", action="store_true", help="sample only the thread holding the GIL")
    p.add_argument("--profile-modes", default="plain", help="plain and/or stream (default plain)")
    p.add_argument("--profile-only", action="store_true", help="only start clawgate + upstream and profile")
    p.add_argument("--py-spy", default=str(BENCH / ".venv-tools" / "bin" / "py-spy"))
    p.add_argument("--litellm-bin", help="litellm executable (default bench/.venv-litellm/bin/litellm)")
    p.add_argument("--clawgate-bin", help="clawgate executable (default .venv/bin/clawgate)")
    p.add_argument("--out-dir", default=str(RESULTS), help="where results go (default bench/results)")
    p.add_argument("--no-latest", action="store_true", help="do not update latest.md / latest.json")
    p.add_argument(
        "--load-budget", type=float, default=400.0, help="seconds for the load points; later reps are skipped"
    )
    p.add_argument(
        "--retry-busy",
        type=int,
        help="re-run a group disturbed by other jobs up to N times (default 1; quick 0)",
    )
    p.add_argument(
        "--busy-cores", type=float, default=0.3, help="'disturbed' = other jobs used more than this"
    )
    p.add_argument(
        "--quiet-wait", type=float, help="per point, wait up to this long for other jobs (default 5; quick 0)"
    )
    p.add_argument("--quiet-cores", type=float, default=0.15, help="'quiet' = other jobs use less than this")
    p.add_argument(
        "--quiet-budget", type=float, help="total seconds a run may wait for quiet (default 60; quick 0)"
    )
    p.add_argument("--render", metavar="RESULTS_JSON", help="only re-write the .md of an earlier run's .json")
    p.add_argument(
        "--work-dir", default=str(WORK), help="scratch space: logs, temp homes (default bench/.work)"
    )
    p.add_argument("--keep-work", action="store_true", help="keep bench/.work/<run> (logs, temp home)")
    a = p.parse_args(argv)
    q = a.quick
    a.seconds = a.seconds if a.seconds is not None else (1.0 if q else 3.0)
    a.reps = a.reps if a.reps is not None else (1 if q else 2)
    a.concurrency = [int(x) for x in (a.concurrency or ("1,16" if q else "1,16,64")).split(",")]
    a.modes = [m for m in a.modes.split(",") if m]
    a.profile_modes = [m for m in a.profile_modes.split(",") if m]
    a.ttfe_n = a.ttfe_n if a.ttfe_n is not None else (30 if q else 200)
    a.hold_streams = a.hold_streams if a.hold_streams is not None else (200 if q else 1000)
    # a held stream lasts slow_chunks × slow_delay: long enough that all of them are open at once
    a.slow_chunks = a.slow_chunks if a.slow_chunks is not None else (5 if q else 20)
    a.slow_delay_ms = a.slow_delay_ms if a.slow_delay_ms is not None else (200.0 if q else 250.0)
    a.warmup_s = a.warmup_s if a.warmup_s is not None else (0.2 if q else 1.0)
    a.quiet_wait = a.quiet_wait if a.quiet_wait is not None else (0.0 if q else 5.0)
    a.quiet_budget = a.quiet_budget if a.quiet_budget is not None else (0.0 if q else 60.0)
    a.retry_busy = a.retry_busy if a.retry_busy is not None else (0 if q else 1)
    # held streams through LiteLLM take it ~40 s for 1,000 (it falls behind); quick mode skips that one
    a.hold_litellm = not q
    a.targets = [t for t in a.targets.split(",") if t and not (t == "litellm" and a.no_litellm)]
    if a.profile_only:
        a.targets = ["direct", "clawgate"]
    a.obscost_n = a.obscost_n or (3000 if q else 20000)
    return a


def features(t: Target) -> dict[str, Any]:
    """What a clawgate target runs with, read from the running gateway: `/metrics` answering (metrics on), and
    the home's SQLite files (the durable store and the shared state)."""
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(f"http://{t.host}:{t.port}/metrics", timeout=5) as r:
            metrics = r.status == 200 and b"clawgate_" in r.read()
    except (urllib.error.URLError, OSError):
        metrics = False
    home = Path(t.info.get("home", ""))
    return {
        "metrics": metrics,
        "sqlite_store": (home / "state.db").exists(),
        "sqlite_shared": (home / "shared.db").exists(),
        "workers": int(t.info.get("workers", 1)),
    }


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.a = args
        self.t0 = time.monotonic()
        self.ts = datetime.now(UTC)
        self.work = Path(args.work_dir) / f"run-{self.ts:%Y%m%d-%H%M%S}-{os.getpid()}"
        self.work.mkdir(parents=True, exist_ok=True)
        self.targets: list[Target] = []
        self.procs: list[Proc] = []
        self.raw: dict[str, Any] = {
            "runs": [],
            "discarded_runs": [],
            "ttfe": {},
            "memory": {},
            "hold": {},
            "skipped": [],
        }
        self.wrk = None
        if args.loadgen in ("auto", "wrk"):
            self.wrk = wrk.find_wrk()
            if self.wrk is None and args.loadgen == "wrk":
                raise SystemExit("wrk is not installed (apt-get install -y wrk), or use --loadgen python")
        self.bodies: dict[tuple[str, bool], Path] = {}
        self.sink: Target | None = None
        self.quiet_budget = args.quiet_budget

    # ------------------------------------------------------------------------------------ processes

    def start(self) -> None:
        a = self.a
        up = start_upstream(self.work, a.chunks, a.chunk_delay_ms, a.slow_chunks, a.slow_delay_ms)
        self.procs.append(up.proc)
        log(f"upstream on :{up.port} (ready in {up.ready_s:.2f}s)")
        if "direct" in a.targets:
            self.targets.append(up)
        self.upstream = up
        if "floor" in a.targets:
            fl = start_floor(self.work, up.port)
            self.procs.append(fl.proc)
            self.targets.append(fl)
            log(f"floor on :{fl.port} (pid {fl.proc.pid}, ready in {fl.ready_s:.2f}s)")
        if "clawgate-traced" in a.targets or "clawgate" in a.targets:
            self.sink = start_otlp_sink(self.work)
            self.procs.append(self.sink.proc)
        variants: dict[str, dict[str, Any] | None] = {
            "clawgate-off": OBSERVABILITY_OFF,
            "clawgate": None,
            "clawgate-traced": {"otlp": {"endpoint": f"http://127.0.0.1:{self.sink.port}"}}
            if self.sink
            else None,
        }
        for name, obs in variants.items():
            if name not in a.targets:
                continue
            cg = start_clawgate(self.work, up.port, a.clawgate_bin, name=name, observability=obs)
            self.procs.append(cg.proc)
            self.targets.append(cg)
            log(f"{name} on :{cg.port} (pid {cg.proc.pid}, ready in {cg.ready_s:.2f}s)")
        if "clawgate-workers" in a.targets and a.workers > 1:
            name = f"clawgate-w{a.workers}"
            cg = start_clawgate(self.work, up.port, a.clawgate_bin, name=name, workers=a.workers)
            self.procs.append(cg.proc)
            self.targets.append(cg)
            log(f"{name} on :{cg.port} (pid {cg.proc.pid}, {a.workers} workers, ready in {cg.ready_s:.2f}s)")
        if "litellm" in a.targets:
            ll = start_litellm(self.work, up.port, Path(a.litellm_bin) if a.litellm_bin else None)
            self.procs.append(ll.proc)
            self.targets.append(ll)
            log(f"litellm on :{ll.port} (pid {ll.proc.pid}, ready in {ll.ready_s:.2f}s)")
        for t in self.targets:
            for stream in (False, True):
                f = self.work / f"body-{t.name}-{'stream' if stream else 'plain'}.json"
                f.write_bytes(t.body(stream))
                self.bodies[t.name, stream] = f

    def stop(self) -> None:
        for p in reversed(self.procs):
            p.stop()
        self.procs.clear()

    # ---------------------------------------------------------------------------------- measuring

    def validate_and_idle(self) -> None:
        for t in self.targets:
            settle(t.proc.cpu, limit_s=3)
            idle_start = t.proc.rss()
            for stream in (False, True):
                r = clients.sequential(
                    t.host, t.port, t.path, t.body(stream), 3, stream, t.token, deadline_s=30
                )
                if r.errors:
                    raise RuntimeError(
                        f"{t.name} answered a {'stream' if stream else 'plain'} call wrongly: {r.first_error}"
                    )
            settle(t.proc.cpu, limit_s=3)
            time.sleep(0.3)
            pids = t.proc.pids()
            self.raw["memory"][t.name] = {
                "idle_start_mb": idle_start,
                "idle_mb": t.proc.rss(),
                "processes": len(pids),
                # the root process first (for `--workers N`: the supervisor), then its children (the workers)
                "per_process_mb": [rss_mb([q]) for q in pids],
            }
            if t.name.startswith("clawgate"):
                self.raw.setdefault("features", {})[t.name] = features(t)

    def warm_up(self) -> None:
        for t in self.targets:
            for stream in self.streams():
                r = clients.run_async(
                    clients.load(
                        t.host, t.port, t.path, t.body(stream), 8, self.a.warmup_s, stream, 100_000, t.token
                    )
                )
                if r.errors:
                    raise RuntimeError(f"{t.name} warm-up errors: {r.first_error}")
            settle(t.proc.cpu)

    def streams(self) -> list[bool]:
        return [m == "stream" for m in self.a.modes]

    def other_load(self, window: float = 0.3) -> float:
        """Cores used by processes that are not this bench, over `window` seconds."""
        mine = [q for p in self.procs for q in p.pids()]
        b0, o0 = system_busy_seconds(), cpu_seconds(mine) + own_cpu_seconds()
        time.sleep(window)
        b1, o1 = system_busy_seconds(), cpu_seconds(mine) + own_cpu_seconds()
        return max(0.0, ((b1 - b0) - (o1 - o0)) / window)

    def wait_quiet(self) -> float:
        """On a shared machine, wait (bounded per point and per run) until other jobs leave the CPUs alone."""
        a = self.a
        t0 = time.monotonic()
        while self.quiet_budget > 0 and time.monotonic() - t0 < a.quiet_wait:
            if self.other_load() < a.quiet_cores:
                break
            self.quiet_budget -= 0.3
        return time.monotonic() - t0

    def point(self, t: Target, stream: bool, c: int, seconds: float) -> dict[str, Any]:
        """One load run against `t`; CPU is the target process tree's over exactly the run's window."""
        settle(t.proc.cpu)
        waited = self.wait_quiet()
        pids = t.proc.pids()
        mine = [q for p in self.procs for q in p.pids()]
        busy0, ours0, w0 = system_busy_seconds(), cpu_seconds(mine) + own_cpu_seconds(), time.monotonic()
        cpu0 = cpu_seconds(pids)
        if self.wrk:
            r = wrk.run(self.wrk, t.url, self.bodies[t.name, stream], c, seconds, t.token)
        else:
            lr = clients.run_async(
                clients.load(t.host, t.port, t.path, t.body(stream), c, seconds, stream, 10_000_000, t.token)
            )
            j = lr.to_json()
            lat = j["latency_ms"] or {"p50": float("nan"), "p99": float("nan")}
            r = {
                "requests": lr.requests,
                "errors_total": lr.errors,
                "first_error": lr.first_error,
                "seconds": lr.seconds,
                "rps": j["rps"],
                "latency_ms": lat,
            }
        cpu1 = cpu_seconds(pids)
        busy1, ours1, w1 = system_busy_seconds(), cpu_seconds(mine) + own_cpu_seconds(), time.monotonic()
        # CPU used by anything that is not this bench (other jobs on the machine), in cores
        r["other_cpu_cores"] = max(0.0, ((busy1 - busy0) - (ours1 - ours0)) / (w1 - w0))
        r["waited_for_quiet_s"] = round(waited, 2)
        r["cpu_s"] = cpu1 - cpu0
        r["cpu_ms_per_req"] = (cpu1 - cpu0) * 1000 / r["requests"] if r["requests"] else None
        r["rss_after_mb"] = rss_mb(pids)
        return r

    def load_points(self) -> None:
        """Every (rep, mode, concurrency) group runs all targets back to back (A B C), groups in order.
        A group during which other jobs used the CPUs is run again (bounded) and the quietest try kept."""
        a = self.a
        t_start = time.monotonic()
        load_end = t_start + a.load_budget
        groups = [
            (rep, stream, c) for rep in range(a.reps) for stream in self.streams() for c in a.concurrency
        ]
        took: list[float] = []
        for gi, (rep, stream, c) in enumerate(groups):
            mode = "stream" if stream else "plain"
            if rep > 0 and time.monotonic() > load_end:
                self.raw["skipped"].append({"mode": mode, "concurrency": c, "rep": rep})
                continue
            tries: list[list[dict[str, Any]]] = []
            while True:
                g0 = time.monotonic()
                rs = []
                for t in self.targets:
                    r = self.point(t, stream, c, a.seconds)
                    r.update(target=t.name, mode=mode, concurrency=c, rep=rep, attempt=len(tries))
                    rs.append(r)
                    log(
                        f"rep {rep + 1} {mode:6} c={c:<3} {t.name:9} {r['rps']:9.1f} req/s  "
                        f"p50 {r['latency_ms']['p50']:.2f} p99 {r['latency_ms']['p99']:.2f} ms  "
                        f"cpu {r['cpu_ms_per_req'] or 0:.3f} ms/req  errors {r['errors_total']}  "
                        f"other load {r['other_cpu_cores']:.2f} cores"
                    )
                tries.append(rs)
                took.append(time.monotonic() - g0)
                busy = max(r["other_cpu_cores"] for r in rs)
                left = (len(groups) - gi - 1) * statistics.median(took)
                if (
                    busy <= a.busy_cores
                    or len(tries) > a.retry_busy
                    or time.monotonic() + left + took[-1] > load_end
                ):
                    break
                log(f"other jobs used up to {busy:.2f} cores during that group: running it again")
            best = min(tries, key=lambda g: max(r["other_cpu_cores"] for r in g))
            self.raw["runs"].extend(best)
            self.raw["discarded_runs"].extend(r for g in tries if g is not best for r in g)

    def ttfe(self) -> None:
        """Sequential streams, interleaved in blocks (A B C A B C …), time to the first `data:` line."""
        if "stream" not in self.a.modes:
            return
        n = self.a.ttfe_n
        blocks = 4 if n >= 40 else 1
        per = max(1, n // blocks)
        acc = {t.name: clients.SeqResult() for t in self.targets}
        for _ in range(blocks):
            for t in self.targets:
                settle(t.proc.cpu, limit_s=2)
                r = clients.sequential(
                    t.host, t.port, t.path, t.body(True), per, True, t.token, deadline_s=30
                )
                a = acc[t.name]
                a.n += r.n
                a.errors += r.errors
                a.first_error = a.first_error or r.first_error
                a.ttfe_ms += r.ttfe_ms
                a.total_ms += r.total_ms
        for name, r in acc.items():
            self.raw["ttfe"][name] = r.to_json()
            s = r.to_json()["ttfe_ms"] or {}
            log(
                f"first event {name:9} p50 {s.get('p50', float('nan')):.3f} ms p99 {s.get('p99', float('nan')):.3f} ms (n={r.n}, errors {r.errors})"
            )

    def obscost(self) -> None:
        """The observability calls' own CPU per request (gwbench.obscost), in a process of its own."""
        if self.sink is None:
            return
        argv = [sys.executable, "-m", "gwbench.obscost", "--otlp", f"http://127.0.0.1:{self.sink.port}",
                "--n", str(self.a.obscost_n)]  # fmt: skip
        env = {**os.environ, "PYTHONPATH": str(BENCH)}
        settle(self.sink.proc.cpu)
        r = subprocess.run(argv, capture_output=True, text=True, timeout=600, env=env, cwd=REPO)
        if r.returncode != 0:
            raise RuntimeError(f"gwbench.obscost failed:\n{r.stderr[-3000:]}")
        self.raw["obscost"] = json.loads(r.stdout)
        for mode in ("plain", "stream"):
            m = self.raw["obscost"][mode]
            log(f"observability cost {mode:6}: metrics {m['metrics']['us']:.1f} µs/req, "
                f"metrics+tracing {m['metrics+tracing']['us']:.1f} µs/req")  # fmt: skip
        traced = next((t for t in self.targets if t.name == "clawgate-traced"), None)
        if traced is not None:
            import urllib.request

            with urllib.request.urlopen(f"http://127.0.0.1:{self.sink.port}/count", timeout=10) as resp:
                self.raw["otlp_sink"] = json.loads(resp.read())

    def peak(self) -> None:
        for t in self.targets:
            self.raw["memory"].setdefault(t.name, {})["peak_mb"] = t.proc.hwm()

    def hold(self) -> None:
        n = self.a.hold_streams
        if not n or "stream" not in self.a.modes:
            return
        stream_s = self.a.slow_chunks * self.a.slow_delay_ms / 1000
        for t in self.targets:
            if t.name == "litellm" and not self.a.hold_litellm:
                continue
            settle(t.proc.cpu)
            deadline = stream_s + (40 if t.name == "litellm" else 20)
            r = clients.run_async(
                clients.hold_streams(
                    t.host, t.port, t.path, t.body(True, slow=True), n, t.proc.rss, t.token, deadline
                )
            )
            self.raw["hold"][t.name] = r.to_json()
            log(
                f"{n} open streams {t.name:9} RSS {r.rss_before_mb:.1f} → {r.rss_peak_mb:.1f} MB, {r.max_open} open at "
                f"once, {r.completed} completed, {r.errors} errors{f' ({r.first_error})' if r.first_error else ''}"
            )
            settle(t.proc.cpu, limit_s=10)

    def profile(self, out_dir: Path) -> None:
        """py-spy record the clawgate process while wrk drives it at c=16, once per `--profile-modes` mode."""
        from gwbench import profile as prof

        cg = next((t for t in self.targets if t.name == "clawgate"), None)
        if cg is None:
            return
        spy = Path(self.a.py_spy)
        if not spy.exists():
            log(f"no py-spy at {spy}: skipping the profile (bench/run --profile installs it)")
            return
        ver = subprocess.run([str(spy), "--version"], capture_output=True, text=True).stdout.strip()
        c, secs, rate = 16, self.a.profile_seconds, 250
        out_dir.mkdir(parents=True, exist_ok=True)
        for mode in self.a.profile_modes:
            gil = "-gil" if self.a.profile_gil else ""
            raw_file = out_dir / f"profile-{self.ts:%Y%m%d-%H%M%S}-{mode}{gil}.txt"
            argv = [str(spy), "record", "--pid", str(cg.proc.pid), "--rate", str(rate), "--duration",
                    str(int(secs)), "--nonblocking", "--threads", "--format", "raw", "--output", str(raw_file),
                    *(["--gil"] if self.a.profile_gil else [])]  # fmt: skip
            settle(cg.proc.cpu)
            spy_proc = Proc("py-spy", argv, log=self.work / f"py-spy-{mode}.log")
            self.procs.append(spy_proc)
            try:
                time.sleep(1.0)  # attach
                r = self.point(cg, mode == "stream", c, secs - 1.5)
                spy_proc.popen.wait(secs + 20)
            except subprocess.TimeoutExpired:
                log("py-spy did not finish in time")
            finally:
                spy_proc.stop()
                self.procs.remove(spy_proc)
            if not raw_file.exists():
                log(f"py-spy wrote nothing:\n{spy_proc.tail()}")
                continue
            summary = prof.summarize(raw_file)
            self.raw.setdefault("profiles", []).append(
                {
                    "mode": mode,
                    "gil_only": self.a.profile_gil,
                    "concurrency": c,
                    "seconds": secs,
                    "rate": rate,
                    "rps": r["rps"],
                    "cpu_ms_per_req": r["cpu_ms_per_req"],
                    "raw_file": os.path.relpath(raw_file, REPO),
                    "pyspy_version": ver.replace("py-spy ", ""),
                    **summary,
                }
            )
            log(f"profile ({mode}): {summary['samples']} samples → {raw_file}")

    # --------------------------------------------------------------------------------------- meta

    def meta(self) -> dict[str, Any]:
        a = self.a

        def cmd(argv: list[str]) -> str:
            try:
                return subprocess.run(
                    argv, capture_output=True, text=True, timeout=20, cwd=REPO
                ).stdout.strip()
            except (OSError, subprocess.TimeoutExpired):
                return ""

        cg = next((t for t in self.targets if t.name == "clawgate"), None)
        m: dict[str, Any] = {
            "time_utc": f"{self.ts:%Y-%m-%d %H:%M} UTC",
            "cpus": os.cpu_count(),
            "kernel": platform.release(),
            "python": platform.python_version(),
            "clawgate_version": cmd([cg.proc.argv[0], "--version"]).split()[-1] if cg else "",
            "commit": cmd(["git", "--no-optional-locks", "rev-parse", "HEAD"]),
            "dirty": bool(
                cmd(
                    [
                        "git",
                        "--no-optional-locks",
                        "status",
                        "--porcelain",
                        "--untracked-files=no",
                        "--",
                        "src",
                    ]
                )
            ),
            "loadgen": (wrk.version(self.wrk) + ", -t1, keep-alive, Lua POST body")
            if self.wrk
            else "Python asyncio client (no wrk)",
            "upstream": self.upstream.info.get("upstream", ""),
            "command": "bench/run " + " ".join(shlex.quote(x) for x in sys.argv[1:]),
            "settings": {
                "seconds": a.seconds,
                "reps": a.reps,
                "concurrency": a.concurrency,
                "modes": a.modes,
                "ttfe_n": a.ttfe_n,
                "hold_streams": a.hold_streams,
                "hold_stream_shape": f"{a.slow_chunks} chunks, {a.slow_delay_ms:g} ms apart",
                "chunks": a.chunks,
                "chunk_delay_ms": a.chunk_delay_ms,
                "quick": a.quick,
            },
            "ports": {t.name: t.port for t in self.targets},
            "ready_s": {t.name: round(t.ready_s, 2) for t in self.targets},
            "elapsed_s": round(time.monotonic() - self.t0, 1),
        }
        ll = next((t for t in self.targets if t.name == "litellm"), None)
        if ll:
            py = Path(ll.proc.argv[0]).parent / "python"
            m["litellm_version"] = cmd(
                [str(py), "-c", "import importlib.metadata as m; print(m.version('litellm'))"]
            )
            m["litellm_workers"] = int(ll.info.get("workers", 1))
        return m


def write_results(raw: dict[str, Any], out_dir: Path, stamp: str, latest: bool) -> tuple[Path, str]:
    summary = report.summarize(raw)
    md = report.markdown(raw, summary)
    doc = {"meta": raw["meta"], "summary": summary, "raw": {k: v for k, v in raw.items() if k != "meta"}}
    out_dir.mkdir(parents=True, exist_ok=True)
    js = json.dumps(doc, indent=1, default=str)
    (out_dir / f"{stamp}.md").write_text(md)
    (out_dir / f"{stamp}.json").write_text(js)
    if latest:
        (out_dir / "latest.md").write_text(md)
        (out_dir / "latest.json").write_text(js)
    return out_dir / f"{stamp}.md", md


def render(path: Path) -> str:
    """Re-render a results JSON file's Markdown (after a report change) without measuring again."""
    doc = json.loads(path.read_text())
    raw = {**doc["raw"], "meta": doc["meta"]}
    md = report.markdown(raw, report.summarize(raw))
    path.with_suffix(".md").write_text(md)
    return md


def main(argv: list[str] | None = None) -> int:
    a = parse_args(argv)
    if a.render:
        print(render(Path(a.render)))
        return 0
    b = Bench(a)
    out_dir = Path(a.out_dir)
    ok = False
    try:
        b.start()
        if a.profile_only:
            b.validate_and_idle()
            b.warm_up()
            b.profile(out_dir)
            profs = b.raw.get("profiles", [])
            for prof in profs:
                print(report.profile_markdown(prof))
            ok = True
            return 0 if profs else 1
        b.validate_and_idle()
        log("targets answer correctly; idle RSS taken")
        b.warm_up()
        log("warmed up")
        b.load_points()
        b.obscost()
        b.ttfe()
        b.peak()
        b.hold()
        if a.profile:
            b.profile(out_dir)
        b.raw["meta"] = b.meta()
        ok = True
    finally:
        b.stop()
        if ok and not a.keep_work:
            import shutil

            shutil.rmtree(b.work, ignore_errors=True)
        elif not ok:
            log(f"failed; logs kept in {b.work}")
    stamp = f"{b.ts:%Y%m%d-%H%M%S}" + ("-quick" if a.quick else "")
    path, md = write_results(b.raw, out_dir, stamp, latest=not (a.quick or a.no_latest))
    print(md)
    log(f"results: {path} (and .json){'' if a.quick or a.no_latest else '; latest.md / latest.json updated'}")
    return 0


def cli() -> None:
    def _term(signum: int, _frame: Any) -> None:
        raise SystemExit(128 + signum)  # run the finally blocks: stop every server this run started

    signal.signal(signal.SIGTERM, _term)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # bench/run starts us in the background
    sys.exit(main())


if __name__ == "__main__":
    cli()
