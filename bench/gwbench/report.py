"""Turn raw measurements into the figures, the target checks, and the Markdown/JSON results."""

from __future__ import annotations

import statistics
from typing import Any

from gwbench import floor_report

MODES = ("plain", "stream")
MODE_NAME = {"plain": "non-stream", "stream": "stream"}

# the targets of issue 7 that issue 19 did not replace (its latency, memory and held-streams targets are issue
# 19's now, with a stricter p99: gwbench/floor_report.py)
RPS_FACTOR = 20.0
CPU_MS_PER_REQ = 0.3
# the target of issue 16: what metrics (tracing off) cost per request
OBS_COST_MS = 0.02
CLAWGATE_VARIANTS = ("clawgate-off", "clawgate", "clawgate-traced")


def _med(xs: list[float]) -> float | None:
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def cells(runs: list[dict[str, Any]]) -> dict[str, dict[str, dict[int, dict[str, Any]]]]:
    """target -> mode -> concurrency -> medians over reps (errors summed)."""
    out: dict[str, dict[str, dict[int, dict[str, Any]]]] = {}
    groups: dict[tuple[str, str, int], list[dict[str, Any]]] = {}
    for r in runs:
        groups.setdefault((r["target"], r["mode"], r["concurrency"]), []).append(r)
    for (t, m, c), rs in groups.items():
        out.setdefault(t, {}).setdefault(m, {})[c] = {
            "reps": len(rs),
            "rps": _med([r["rps"] for r in rs]),
            "rps_reps": [round(r["rps"], 1) for r in rs],
            "p50_ms": _med([r["latency_ms"]["p50"] for r in rs]),
            "p99_ms": _med([r["latency_ms"]["p99"] for r in rs]),
            "cpu_ms_per_req": _med([r["cpu_ms_per_req"] for r in rs]),
            "requests": sum(r["requests"] for r in rs),
            "errors": sum(r["errors_total"] for r in rs),
            "rss_after_mb": max(r["rss_after_mb"] for r in rs),
        }
    return out


def added_c1(runs: list[dict[str, Any]], target: str, mode: str, c: int = 1) -> dict[str, float | None]:
    """Median over reps of (target − direct) at the same rep, for p50 and p99."""
    by_rep: dict[int, dict[str, dict[str, Any]]] = {}
    for r in runs:
        if r["mode"] == mode and r["concurrency"] == c:
            by_rep.setdefault(r["rep"], {})[r["target"]] = r
    d50, d99 = [], []
    for rep in by_rep.values():
        if target in rep and "direct" in rep:
            d50.append(rep[target]["latency_ms"]["p50"] - rep["direct"]["latency_ms"]["p50"])
            d99.append(rep[target]["latency_ms"]["p99"] - rep["direct"]["latency_ms"]["p99"])
    return {"p50_ms": _med(d50), "p99_ms": _med(d99)}


def summarize(raw: dict[str, Any]) -> dict[str, Any]:
    runs = raw["runs"]
    cl = cells(runs)
    summary: dict[str, Any] = {"cells": cl, "added_c1": {}, "ttfe": {}, "ratios": {}}
    for t in cl:
        if t == "direct":
            continue
        summary["added_c1"][t] = {m: added_c1(runs, t, m) for m in cl[t]}
    ttfe = raw.get("ttfe", {})
    base = (ttfe.get("direct") or {}).get("ttfe_ms") or {}
    for t, r in ttfe.items():
        s = r.get("ttfe_ms") or {}
        entry = {"p50_ms": s.get("p50"), "p99_ms": s.get("p99"), "n": s.get("n", 0), "errors": r["errors"]}
        if t != "direct" and s and base:
            entry["added_p50_ms"] = s["p50"] - base["p50"]
            entry["added_p99_ms"] = s["p99"] - base["p99"]
        summary["ttfe"][t] = entry
    if "litellm" in cl and "clawgate" in cl:
        for m in MODES:
            for c in (16, 64):
                a = cl["clawgate"].get(m, {}).get(c, {}).get("rps")
                b = cl["litellm"].get(m, {}).get(c, {}).get("rps")
                if a and b:
                    summary["ratios"][f"{m}_c{c}"] = a / b
    if "direct" in cl and "clawgate" in cl:
        summary["direct_over_clawgate"] = {
            f"{m}_c{c}": cl["direct"][m][c]["rps"] / cl["clawgate"][m][c]["rps"]
            for m in cl["clawgate"]
            for c in cl["clawgate"][m]
            if m in cl["direct"] and c in cl["direct"][m] and cl["clawgate"][m][c]["rps"]
        }
    summary["floor"] = floor_report.summarize(raw, summary)
    summary["targets_issue19"] = floor_report.check_targets(raw, summary)
    summary["targets"] = check_targets(raw, summary)
    return summary


def _check(name: str, measured: str, threshold: str, met: bool | None) -> dict[str, Any]:
    return {"target": name, "measured": measured, "threshold": threshold, "met": met}


def check_targets(raw: dict[str, Any], s: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    cl = s["cells"]
    cg = cl.get("clawgate", {})
    ratios = s["ratios"]
    if "litellm" in cl:
        for m in MODES:
            for c in (16, 64):
                if c not in cg.get(m, {}):
                    continue
                r = ratios.get(f"{m}_c{c}")
                out.append(
                    _check(
                        f"RPS vs LiteLLM, {MODE_NAME[m]}, c={c}",
                        f"{r:.1f}×" if r else "n/a",
                        f"≥ {RPS_FACTOR:.0f}×",
                        None if r is None else r >= RPS_FACTOR,
                    )
                )
    else:
        out.append(_check("RPS vs LiteLLM", "not measured (--no-litellm)", f"≥ {RPS_FACTOR:.0f}×", None))
    cpu_c = 16 if 16 in cg.get("plain", {}) else max(cg.get("plain", {}) or [0])
    cpu = cg.get("plain", {}).get(cpu_c, {}).get("cpu_ms_per_req")
    if cpu is not None:
        out.append(
            _check(
                f"gateway CPU per non-stream request (c={cpu_c})",
                f"{cpu:.3f} ms",
                f"≤ {CPU_MS_PER_REQ} ms",
                cpu <= CPU_MS_PER_REQ,
            )
        )
    oc = raw.get("obscost")
    if oc:
        for m in MODES:
            us = oc.get(m, {}).get("metrics", {}).get("us")
            if us is not None:
                out.append(
                    _check(
                        f"observability cost per {MODE_NAME[m]} request, tracing off",
                        f"{us / 1000:.4f} ms",
                        f"≤ {OBS_COST_MS} ms",
                        us / 1000 <= OBS_COST_MS,
                    )
                )
    return out


def observability_markdown(raw: dict[str, Any], s: dict[str, Any]) -> list[str]:
    """The cost of metrics and tracing: the calls on their own (gwbench.obscost), and the three clawgate
    configurations under the same load, interleaved (CPU per request and added latency)."""
    oc = raw.get("obscost")
    cl = s["cells"]
    if not oc and not any(t in cl for t in ("clawgate-off", "clawgate-traced")):
        return []
    L = ["## Observability cost per request (issue 16)", ""]
    if oc:
        L.append(
            "The observability calls of one request on their own (request started, parsed, one upstream try "
            "finished, request finished, done), with the real Observer, prometheus_client and the OpenTelemetry "
            "SDK exporting over OTLP/HTTP to the bench's sink: CPU time of the whole process (the SDK's export "
            f"thread included), minus the same loop without the calls; median of {oc['blocks']} interleaved "
            f"blocks of {oc['n_per_block']:,} requests."
        )
        L.append("")
        L.append("| request | metrics, tracing off | metrics + tracing (every request sampled) |")
        L.append("|---|---|---|")
        for m in MODES:
            r = oc.get(m)
            if not r:
                continue
            mt = r.get("metrics+tracing", {}).get("us")
            L.append(
                f"| {MODE_NAME[m]} | **{r['metrics']['us'] / 1000:.4f} ms** ({r['metrics']['us']:.1f} µs) | "
                + (f"{mt / 1000:.3f} ms ({mt:.0f} µs)" if mt is not None else "–")
                + " |"
            )
        L.append("")
    rows = [t for t in CLAWGATE_VARIANTS if t in cl]
    if len(rows) > 1:
        conc = raw["meta"]["settings"]["concurrency"]
        c = 16 if 16 in conc else conc[-1]
        L.append(
            f"Under load, the three configurations side by side (interleaved points): CPU per request at c={c} "
            "and the change from observability off, and added median latency at c=1."
        )
        L.append("")
        L.append(
            "| clawgate | CPU ms/req non-stream | Δ | CPU ms/req stream | Δ | added p50 c=1 non-stream / stream |"
        )
        L.append("|---|---|---|---|---|---|")
        base = cl.get("clawgate-off", {})
        for t in rows:
            cells_ = [{"clawgate-off": "observability off", "clawgate": "metrics (default)",
                       "clawgate-traced": "metrics + tracing"}[t]]  # fmt: skip
            for m in MODES:
                v = cl[t].get(m, {}).get(c, {}).get("cpu_ms_per_req")
                b = base.get(m, {}).get(c, {}).get("cpu_ms_per_req")
                cells_.append(_f(v, 3))
                cells_.append(
                    _signed(v - b, 3) if (v is not None and b is not None and t != "clawgate-off") else "–"
                )
            a = s["added_c1"].get(t, {})
            cells_.append(" / ".join(_f((a.get(m) or {}).get("p50_ms"), 3) for m in MODES))
            L.append("| " + " | ".join(cells_) + " |")
        L.append("")
        sink = raw.get("otlp_sink")
        if sink:
            L.append(f"The OTLP sink received {sink['spans']:,} spans in {sink['requests']:,} exports.")
            L.append("")
    return L


# ---------------------------------------------------------------------------------------------- Markdown


def _f(x: float | None, nd: int = 2) -> str:
    if x is None:
        return "–"
    return f"{x:.{nd}f}"


def _rps(x: float | None) -> str:
    if x is None:
        return "–"
    return f"{x / 1000:.2f}k" if x >= 1000 else f"{x:.0f}"


def _signed(x: float | None, nd: int = 2) -> str:
    if x is None:
        return "–"
    return f"{x:+.{nd}f}"


def markdown(raw: dict[str, Any], s: dict[str, Any]) -> str:
    meta = raw["meta"]
    st = meta["settings"]
    cl = s["cells"]
    conc = st["concurrency"]
    workers = [t for t in cl if t.startswith("clawgate-w")]
    order = [t for t in ("direct", "floor", *CLAWGATE_VARIANTS, *workers, "litellm") if t in cl]
    L: list[str] = []
    L.append(f"# clawgate benchmark — {meta['time_utc']}")
    L.append("")
    L.append(
        f"Machine: {meta['cpus']} CPUs, Linux {meta['kernel']}, Python {meta['python']}. "
        f"clawgate {meta['clawgate_version']}"
        + (
            f" ({meta['commit'][:10]}{', modified tree' if meta.get('dirty') else ''})"
            if meta.get("commit")
            else ""
        )
        + (
            f"; LiteLLM {meta['litellm_version']} ({meta.get('litellm_workers', 1)} worker)"
            if "litellm" in cl
            else ""
        )
        + f"; load: {meta['loadgen']}."
    )
    L.append(
        f"Each point {st['seconds']:g} s, {st['reps']} rep(s), targets interleaved per point "
        f"({' → '.join(order)}); cells are medians over reps. Upstream: {meta['upstream']}. "
        f"Command: `{meta['command']}`."
    )
    other = [r.get("other_cpu_cores", 0.0) for r in raw["runs"]]
    if other:
        waited = sum(r.get("waited_for_quiet_s", 0.0) for r in raw["runs"] + raw.get("discarded_runs", []))
        rerun = len(
            {(r["rep"], r["mode"], r["concurrency"], r["attempt"]) for r in raw.get("discarded_runs", [])}
        )
        busy = sum(1 for x in other if x > 0.3)
        L.append(
            f"Other jobs on this (shared) machine during the kept load points: median {statistics.median(other):.2f}, "
            f"max {max(other):.2f} cores; {busy} of {len(other)} points above 0.3 cores. The bench waited "
            f"{waited:.0f} s for quiet and re-ran {rerun} disturbed group(s), keeping the quietest try."
            + (
                " **The machine was busy: treat this run's numbers with care.**"
                if busy > len(other) // 4
                else ""
            )
        )
    if raw.get("skipped"):
        L.append(f"Skipped for time: {len(raw['skipped'])} group(s) of later reps.")
    L.append("")
    for m in st["modes"]:
        L.append(f"## {MODE_NAME[m].capitalize()}" + (" (latency = whole stream)" if m == "stream" else ""))
        L.append("")
        head = ["target"] + [f"RPS c={c}" for c in conc] + [f"p50 / p99 ms c={c}" for c in conc]
        head += ["added p50 / p99 ms c=1", f"CPU ms/req c={16 if 16 in conc else conc[-1]}", "errors"]
        L.append("| " + " | ".join(head) + " |")
        L.append("|" + "---|" * len(head))
        cpu_c = 16 if 16 in conc else conc[-1]
        for t in order:
            row = cl[t].get(m)
            if not row:
                continue
            cells_ = [t]
            cells_ += [_rps(row.get(c, {}).get("rps")) for c in conc]
            cells_ += [
                f"{_f(row.get(c, {}).get('p50_ms'))} / {_f(row.get(c, {}).get('p99_ms'))}" for c in conc
            ]
            a = s["added_c1"].get(t, {}).get(m)
            cells_.append(f"{_signed(a['p50_ms'])} / {_signed(a['p99_ms'])}" if a else "–")
            cells_.append(_f(row.get(cpu_c, {}).get("cpu_ms_per_req"), 3))
            cells_.append(str(sum(v["errors"] for v in row.values())))
            L.append("| " + " | ".join(cells_) + " |")
        L.append("")
    if s.get("ratios"):
        L.append(
            "clawgate ÷ LiteLLM requests/s: "
            + ", ".join(
                f"{MODE_NAME[k.split('_')[0]]} c={k.split('_c')[1]} **{v:.1f}×**"
                for k, v in s["ratios"].items()
            )
            + "."
        )
    if s.get("direct_over_clawgate"):
        lo = min(s["direct_over_clawgate"].values())
        L.append(
            f"The upstream is not the bottleneck: direct serves {lo:.1f}× to "
            f"{max(s['direct_over_clawgate'].values()):.1f}× clawgate's requests/s at every point."
        )
    L.append("")
    L.append("## First streamed event, memory, 1,000 open streams")
    L.append("")
    hold_n = st.get("hold_streams")
    L.append(
        f"| target | first event p50 / p99 ms (n) | added first event p50 / p99 ms | RSS MB idle start / after first calls | "
        f"peak RSS MB under load | {hold_n:,} open streams: RSS MB, open at once, errors, all open after |"
    )
    L.append("|---|---|---|---|---|---|")
    for t in order:
        tt = s["ttfe"].get(t, {})
        mem = raw.get("memory", {}).get(t, {})
        hold = raw.get("hold", {}).get(t)
        L.append(
            "| "
            + " | ".join(
                [
                    t,
                    f"{_f(tt.get('p50_ms'), 3)} / {_f(tt.get('p99_ms'), 3)} ({tt.get('n', 0)}"
                    + (f", {tt['errors']} errors" if tt.get("errors") else "")
                    + ")",
                    f"{_signed(tt.get('added_p50_ms'), 3)} / {_signed(tt.get('added_p99_ms'), 3)}"
                    if t != "direct"
                    else "–",
                    f"{_f(mem.get('idle_start_mb'), 1)} / {_f(mem.get('idle_mb'), 1)}",
                    _f(mem.get("peak_mb"), 1),
                    (
                        f"{hold['rss_peak_mb']:.1f}, {hold['max_open']}, {hold['errors']}"
                        + (f", {hold['open_all_s']:.1f} s" if hold.get("open_all_s") else ", never")
                    )
                    if hold
                    else "–",
                ]
            )
            + " |"
        )
    L.append("")
    L.append(
        "For direct, CPU and RSS are the fake upstream's own. For `--workers N`, CPU and RSS are the whole tree's "
        "(the supervisor and its workers)."
    )
    L.append("")
    L += floor_report.markdown(raw, s)
    L += observability_markdown(raw, s)
    for title, checks in (
        ("Targets (issue 19)", s.get("targets_issue19", [])),
        ("Targets (issues 7 and 16)", s["targets"]),
    ):
        if not checks:
            continue
        L.append(f"## {title}")
        L.append("")
        L.append("| target | measured | threshold | met |")
        L.append("|---|---|---|---|")
        for c in checks:
            met = {True: "**met**", False: "**not met**", None: "–"}[c["met"]]
            L.append(f"| {c['target']} | {c['measured']} | {c['threshold']} | {met} |")
        L.append("")
    for prof in raw.get("profiles", []):
        L.append(profile_markdown(prof))
    return "\n".join(L) + "\n"


def profile_markdown(prof: dict[str, Any]) -> str:
    L = [
        f"## Profile: clawgate under {MODE_NAME[prof['mode']]} load, c={prof['concurrency']}"
        + (" (only the thread holding the GIL)" if prof.get("gil_only") else ""),
        "",
        f"py-spy {prof.get('pyspy_version', '')} `record --nonblocking --threads"
        + (" --gil" if prof.get("gil_only") else "")
        + f"` at {prof['rate']} Hz for "
        f"{prof['seconds']:g} s: {prof['samples']:,} active samples (idle ones are not counted) while wrk drove "
        f"{_rps(prof.get('rps'))} requests/s at {_f(prof.get('cpu_ms_per_req'), 3)} ms CPU each (the sampler "
        "takes CPU from the same 2 cores). "
        f"Raw stacks: `{prof['raw_file']}` (local, not committed). With uvloop, the loop's C code (socket I/O, transport callbacks, "
        "httptools parsing) is counted as own time of `asyncio.runners:Runner.run`.",
        "",
        "| thread | % of samples |",
        "|---|---|",
    ]
    L += [f"| `{t}` | {p:.1f} |" for t, p in prof["by_thread"] if p >= 0.5]
    L += ["", "| package (own time) | % |", "|---|---|"]
    L += [f"| {m} | {p:.1f} |" for m, p in prof["self_by_package"][:15]]
    L += ["", "| function (own time) | % |", "|---|---|"]
    L += [f"| `{f}` | {p:.1f} |" for f, p in prof["self_by_function"][:20]]
    L += ["", "| clawgate function | inclusive % | own % |", "|---|---|---|"]
    L += [f"| `{f}` | {p:.1f} | {sp:.1f} |" for f, p, sp in prof["clawgate_inclusive"][:20]]
    L.append("")
    L.append(
        "Inclusive shares of coroutine frames are lower bounds: py-spy sees a coroutine's stack only from the "
        "task step that resumed it."
    )
    L.append("")
    return "\n".join(L)
