"""Issue 19's figures from one run: clawgate against the Python floor (gwbench/floor_proxy.py) at c=16, what it
adds over direct at c=1, memory per worker, and `gateway run --workers N`; the targets' checks and Markdown.

Every figure is computed from this run's cells (medians over its reps): nothing here is a constant but the
thresholds.
"""

from __future__ import annotations

from typing import Any

# the targets of issue 19
FLOOR_RPS_PLAIN = 0.7  # clawgate ÷ floor requests/s, non-stream, c=16
FLOOR_RPS_STREAM = 0.6  # the same, stream
FLOOR_CPU_FACTOR = 2.0  # clawgate's CPU per request ≤ 2 × the floor's
ADDED_P50_MS = 0.5
ADDED_P99_MS = 1.5
ADDED_TTFE_MS = 0.5
IDLE_RSS_MB = 60.0  # per worker
HOLD_RSS_MB = 150.0  # 1,000 open streams
C = 16


def workers_target(cl: dict[str, Any]) -> str | None:
    """The `--workers N` target's name in this run (clawgate-wN), if any."""
    return next((t for t in cl if t.startswith("clawgate-w")), None)


def _cell(cl: dict[str, Any], target: str, mode: str, c: int, key: str) -> float | None:
    v = cl.get(target, {}).get(mode, {}).get(c, {}).get(key)
    return float(v) if v is not None else None


def _div(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def per_worker_mb(mem: dict[str, Any]) -> list[float]:
    """RSS of each serving process: the process itself, or for `--workers N` each worker (not the supervisor)."""
    per = mem.get("per_process_mb") or []
    return list(per[1:]) if len(per) > 1 else list(per[:1])


def summarize(raw: dict[str, Any], s: dict[str, Any]) -> dict[str, Any]:
    """`summary["floor"]`: clawgate ÷ floor (RPS, CPU per request) per mode and concurrency, and the workers."""
    cl = s["cells"]
    out: dict[str, Any] = {"rps": {}, "cpu": {}}
    if "floor" in cl and "clawgate" in cl:
        for m in ("plain", "stream"):
            for c in sorted(cl["clawgate"].get(m, {})):
                key = f"{m}_c{c}"
                out["rps"][key] = _div(_cell(cl, "clawgate", m, c, "rps"), _cell(cl, "floor", m, c, "rps"))
                out["cpu"][key] = _div(
                    _cell(cl, "clawgate", m, c, "cpu_ms_per_req"), _cell(cl, "floor", m, c, "cpu_ms_per_req")
                )
    w = workers_target(cl)
    if w is not None:
        mem = raw.get("memory", {}).get(w, {})
        hold = raw.get("hold", {}).get(w)
        n = int(raw.get("features", {}).get(w, {}).get("workers") or len(per_worker_mb(mem)) or 1)
        sup = (mem.get("per_process_mb") or [0.0])[0]
        wk: dict[str, Any] = {
            "target": w,
            "n": n,
            "idle_total_mb": mem.get("idle_mb"),
            "supervisor_mb": sup,
            "idle_per_worker_mb": per_worker_mb(mem),
            "hold_per_worker_mb": (hold["rss_peak_mb"] - sup) / n if hold else None,
            "speedup": {},
        }
        for m in ("plain", "stream"):
            for c in sorted(cl[w].get(m, {})):
                wk["speedup"][f"{m}_c{c}"] = _div(
                    _cell(cl, w, m, c, "rps"), _cell(cl, "clawgate", m, c, "rps")
                )
        out["workers"] = wk
    return out


def _check(name: str, measured: str, threshold: str, met: bool | None) -> dict[str, Any]:
    return {"target": name, "measured": measured, "threshold": threshold, "met": met}


def check_targets(raw: dict[str, Any], s: dict[str, Any]) -> list[dict[str, Any]]:
    """Issue 19's 'Done when', each from this run."""
    out: list[dict[str, Any]] = []
    cl, fl = s["cells"], s.get("floor", {})
    names = {"plain": "non-stream", "stream": "stream"}
    for m, need in (("plain", FLOOR_RPS_PLAIN), ("stream", FLOOR_RPS_STREAM)):
        r = fl.get("rps", {}).get(f"{m}_c{C}")
        a, b = _cell(cl, "clawgate", m, C, "rps"), _cell(cl, "floor", m, C, "rps")
        measured = f"{r:.2f}× ({a / 1000:.2f}k ÷ {b / 1000:.2f}k)" if r and a and b else "not measured"
        out.append(_check(f"requests/s vs the floor, {names[m]}, c={C}", measured, f"≥ {need}×",
                          None if r is None else r >= need))  # fmt: skip
    for m in ("plain", "stream"):
        r = fl.get("cpu", {}).get(f"{m}_c{C}")
        a, b = _cell(cl, "clawgate", m, C, "cpu_ms_per_req"), _cell(cl, "floor", m, C, "cpu_ms_per_req")
        measured = f"{r:.2f}× ({a:.3f} ÷ {b:.3f} ms)" if r and a and b else "not measured"
        out.append(_check(f"CPU per {names[m]} request vs the floor, c={C}", measured,
                          f"≤ {FLOOR_CPU_FACTOR:g}×", None if r is None else r <= FLOOR_CPU_FACTOR))  # fmt: skip
    for m in ("plain", "stream"):
        a = s["added_c1"].get("clawgate", {}).get(m)
        if not a or a["p50_ms"] is None:
            out.append(_check(f"added p50 / p99 over direct, c=1, {names[m]}", "not measured", "", None))
            continue
        out.append(_check(f"added p50 over direct, c=1, {names[m]}", f"{a['p50_ms']:.3f} ms",
                          f"≤ {ADDED_P50_MS} ms", a["p50_ms"] <= ADDED_P50_MS))  # fmt: skip
        out.append(_check(f"added p99 over direct, c=1, {names[m]}", f"{a['p99_ms']:.3f} ms",
                          f"≤ {ADDED_P99_MS} ms", a["p99_ms"] <= ADDED_P99_MS))  # fmt: skip
    tt = s["ttfe"].get("clawgate", {})
    if tt.get("added_p50_ms") is not None:
        out.append(_check("added time to the first streamed event (p50)", f"{tt['added_p50_ms']:.3f} ms",
                          f"≤ {ADDED_TTFE_MS} ms", tt["added_p50_ms"] <= ADDED_TTFE_MS and tt["errors"] == 0))  # fmt: skip
    mem = raw.get("memory", {}).get("clawgate")
    if mem:
        out.append(_check("idle RSS, one worker (after the first calls)", f"{mem['idle_mb']:.1f} MB",
                          f"≤ {IDLE_RSS_MB:.0f} MB", mem["idle_mb"] <= IDLE_RSS_MB))  # fmt: skip
    wk = fl.get("workers")
    if wk and wk["idle_per_worker_mb"]:
        worst = max(wk["idle_per_worker_mb"])
        per = " / ".join(f"{x:.1f}" for x in wk["idle_per_worker_mb"])
        out.append(_check(f"idle RSS per worker, --workers {wk['n']}", f"{per} MB (supervisor {wk['supervisor_mb']:.1f} MB)",
                          f"each ≤ {IDLE_RSS_MB:.0f} MB", worst <= IDLE_RSS_MB))  # fmt: skip
    hold = raw.get("hold", {}).get("clawgate")
    if hold:
        ok = (
            hold["errors"] == 0
            and hold["completed"] == hold["streams"]
            and hold["max_open"] == hold["streams"]
        )
        out.append(_check(f"{hold['streams']:,} open streams, one worker",
                          f"RSS {hold['rss_peak_mb']:.1f} MB, {hold['max_open']} open at once, {hold['errors']} errors",
                          f"RSS ≤ {HOLD_RSS_MB:.0f} MB, all open at once, 0 errors",
                          ok and hold["rss_peak_mb"] <= HOLD_RSS_MB))  # fmt: skip
    feats = raw.get("features", {}).get("clawgate")
    if feats:
        on = feats["metrics"] and feats["sqlite_store"] and feats["sqlite_shared"]
        said = ", ".join(
            f"{k} {'on' if feats[k] else 'OFF'}" for k in ("metrics", "sqlite_store", "sqlite_shared")
        )
        out.append(_check("measured with metrics on (/metrics answered) and state on SQLite", said,
                          "all on", on))  # fmt: skip
    return out


def _f(x: float | None, nd: int = 2) -> str:
    return "–" if x is None else f"{x:.{nd}f}"


def markdown(raw: dict[str, Any], s: dict[str, Any]) -> list[str]:
    cl, fl = s["cells"], s.get("floor", {})
    if "floor" not in cl:
        return []
    conc = raw["meta"]["settings"]["concurrency"]
    L = ["## clawgate ÷ the Python floor (issue 19)", ""]
    L.append(
        "The floor is `bench/gwbench/floor_proxy.py` (shared/reference/floor_proxy.py: raw ASGI on uvicorn, pooled "
        "aiohttp, gc frozen; per request it checks a client key, parses the body, rewrites the model, adds the "
        "upstream key, forwards and relays), sent the same bodies as clawgate in the same interleaved points. "
        "clawgate runs its defaults: metrics on, state on SQLite, every try recorded."
    )
    L.append("")
    L.append(
        "| | "
        + " | ".join(f"RPS c={c}" for c in conc)
        + " | "
        + " | ".join(f"CPU c={c}" for c in conc)
        + " |"
    )
    L.append("|---|" + "---|" * (2 * len(conc)))
    for m, name in (("plain", "non-stream"), ("stream", "stream")):
        if m not in cl.get("clawgate", {}):
            continue
        rps = [_f(fl.get("rps", {}).get(f"{m}_c{c}")) + "×" for c in conc]
        cpu = [_f(fl.get("cpu", {}).get(f"{m}_c{c}")) + "×" for c in conc]
        L.append(f"| {name} | " + " | ".join(rps) + " | " + " | ".join(cpu) + " |")
    L.append("")
    wk = fl.get("workers")
    if wk:
        w = wk["target"]
        L.append(f"## `gateway run --workers {wk['n']}` ({w})")
        L.append("")
        L.append(
            f"The same load points against `clawgate gateway run --workers {wk['n']}` (one supervisor, {wk['n']} "
            "workers on one socket, sharing state through the home's SQLite files and one metrics directory). "
            "On this 2-core machine wrk and the upstream share the cores with the workers."
        )
        L.append("")
        L.append(
            "| mode | c | RPS 1 worker | RPS workers | × | p99 ms 1 worker | p99 ms workers | CPU ms/req workers |"
        )
        L.append("|---|---|---|---|---|---|---|---|")
        for m, name in (("plain", "non-stream"), ("stream", "stream")):
            for c in conc:
                if c == 1 or c not in cl.get(w, {}).get(m, {}):
                    continue
                one, many = cl["clawgate"][m][c], cl[w][m][c]
                L.append(
                    f"| {name} | {c} | {one['rps']:.0f} | {many['rps']:.0f} | {_f(wk['speedup'].get(f'{m}_c{c}'))}× | "
                    f"{_f(one['p99_ms'])} | {_f(many['p99_ms'])} | {_f(many['cpu_ms_per_req'], 3)} |"
                )
        L.append("")
        per = " / ".join(f"{x:.1f}" for x in wk["idle_per_worker_mb"])
        L.append(
            f"Memory: idle {wk['idle_total_mb']:.1f} MB in all (supervisor {wk['supervisor_mb']:.1f} MB, workers "
            f"{per} MB)"
            + (
                f"; holding the open streams, {wk['hold_per_worker_mb']:.1f} MB per worker (the tree's peak less "
                "the supervisor, divided by N)."
                if wk["hold_per_worker_mb"] is not None
                else "."
            )
        )
        L.append("")
    return L
