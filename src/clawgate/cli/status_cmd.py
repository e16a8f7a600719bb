"""`clawgate status [--all] [--json]`: one screen of gateway, agents, providers, failures and stuck runs."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import click

from clawgate.cli.context import json_option, state
from clawgate.cli.output import console, emit_json, esc
from clawgate.failures.failure import headline
from clawgate.paths import display_path


def _ago(ts: float | None) -> str:
    if not ts:
        return "?"
    s = int(time.time() - ts)
    return f"{s}s ago" if s < 120 else f"{s // 60}m ago" if s < 7200 else f"{s // 3600}h ago"


def _first(h: dict[str, Any]) -> str:
    ff = h["first_failure"]
    return f"{headline(ff['owner'], ff['status'], ff['code'])}: {(ff['message'] or '')[:80]}"


def _last_failure(last: dict[str, Any]) -> str:
    """An allowed key's last failure: when, on which model, what, and that its window is over."""
    on = f" on {last['model']}" if last.get("model") else ""
    until = last.get("until")
    window = (
        f"until {time.strftime('%H:%M:%S', time.localtime(until))}"
        if until and until > time.time()
        else f"ended {_ago(until)}"
    )
    return f"last failure {_ago(last['time'] or last['since'])}{on}: {_first(last)}; {last['state']} {window}"


def _observability(c: Any, obs: dict[str, Any]) -> None:
    """`metrics …` and `traces …`: where /metrics is, where traces go and whether exporting them works."""
    m = obs["metrics"]
    if m["enabled"]:
        how = "gateway token" if m.get("token_required") else "no token"
        down = "" if m.get("listening", True) else " [red]not listening[/] (clawgate logs --limit 20)"
        c.print(f"metrics   {esc(m['url'])} ({how}){down}")
    else:
        c.print("metrics   [dim]off (observability.metrics.enabled)[/]")
    t = obs["otlp"]
    state = t.get("state")
    target = esc(t.get("endpoint") or t.get("configured") or "")
    if state == "off":
        c.print("traces    [dim]off (observability.otlp.endpoint not set)[/]")
    elif state == "not_running":
        c.print(f"traces    → {target} [dim](exported while the gateway runs)[/]")
    elif state == "not_started":
        c.print(f"traces    [red]not exported[/]: {esc(t.get('error'))}")
    elif state == "failing":
        c.print(
            f"traces    → {target} [red]failing[/] since {_ago(t.get('last_error_at'))}: {esc(t.get('last_error'))} "
            f"({t.get('dropped_spans')} span(s) dropped)"
        )
    elif state == "ok":
        c.print(
            f"traces    → {target} [green]exporting[/] ({t.get('exported_spans')} span(s), last {_ago(t.get('last_ok_at'))})"
        )
    else:
        c.print(f"traces    → {target} [dim]nothing exported yet[/]")
    if obs.get("restart_needed"):
        c.print(
            "          [yellow]observability.* changed since the gateway started[/]: clawgate gateway restart"
        )
    for f in obs.get("findings") or []:
        c.print(f"          [yellow]{esc(f['code'])}[/]: {esc(f['message'])}")


@click.command("status")
@click.option(
    "--all",
    "show_all",
    is_flag=True,
    help="A pasteable report: everything, plus doctor's findings; every secret as a fingerprint.",
)
@json_option
def status(show_all: bool, as_json: bool) -> None:
    """One screen: gateway, agents (effective model and where it comes from), providers (credential source,
    fingerprint, health with its first failure), failures of the last hour by owner, stuck runs."""
    from clawgate.diagnose.status import build_status

    st = state()
    data = build_status(st.paths, st.environ, include_findings=show_all, cwd=Path.cwd())
    if as_json:
        emit_json(data)
        return
    c = console()
    c.print(
        f"[bold]clawgate {esc(data['version'])}[/] · home {esc(display_path(data['home']))} · config "
        f"{esc(display_path(data['config']))}"
    )
    g = data["gateway"]
    if g["running"] and g.get("pid"):
        match = "[green]same home/config[/]" if g["matches_cli"] else "[red]DIFFERENT home/config[/]"
        c.print(
            f"gateway   [green]running[/] {esc(g['url'])} pid {g['pid']} up {int(g['uptime_s'] or 0)}s · {match} · "
            f"auth {esc(g['auth']['mode'])}"
        )
    else:
        c.print(f"gateway   [yellow]not running[/] at {esc(g['url'])}  (clawgate gateway start)")
    for m in g["mismatches"]:
        c.print(f"          [red]{esc(m['field'])}[/]: cli {esc(m['cli'])} ≠ gateway {esc(m['gateway'])}")
    for a in data["agents"]:
        shadow = ""
        if a["shadows"]:
            s = a["shadows"][0]
            shadow = f" [yellow]shadows {esc(s['from'])}={esc(s['ref'])}[/]"
        fb = f" +{len(a['fallbacks'])} fallback(s)" if a["fallbacks"] else ""
        name = f"agent     {esc(a['id'])}{' (default)' if a['default'] else ''}"
        if a["model"] is None:
            c.print(
                f"{name} → [yellow]no model[/]  (clawgate config set agents.defaults.model.primary <MODEL_REF>)"
            )
            continue
        c.print(f"{name} → {esc(a['model'])} [dim]({esc(a['from'])})[/]{shadow}{fb}")
    for p in data["providers"]:
        cred = p["credential"]
        cred_txt = (
            f"{cred['source']} {cred['fingerprint']}"
            if cred
            else ("no credential" if p["required"] else "no key needed")
        )
        h = p["health"]
        if h["state"] == "ok":
            htxt = "[green]ok[/]" if cred or not p["required"] else "[red]no credential[/]"
            if h.get("last_failure"):
                htxt += f" [dim]({esc(_last_failure(h['last_failure']))})[/]"
        else:
            on = f" on {esc(h['model'])}" if h.get("model") else ""
            htxt = f"[red]{esc(h['state'])}[/]{on} since {_ago(h['since'])} (first: {esc(_first(h))})"
        c.print(f"provider  {esc(p['id']):<11} {esc(cred_txt)}  {htxt}")
    c.print(f"[dim]predicts  {esc(data['predicts']['describes'])}[/]")
    for f in data["environment"]:
        style = "red" if f["severity"] == "error" else "yellow"
        nxt = f" → {f['next'][0]}" if f["next"] else ""
        c.print(f"env       [{style}]{esc(f['code'])}[/] {esc(f['message'][:160])}{esc(nxt)}")
    stt = data.get("state") or {}
    c.print(
        f"state     shared {esc('redis ' + stt['redis'] if stt.get('redis') else display_path(stt.get('shared') or ''))}"
        f" · records {esc(display_path(stt.get('database') or ''))}"
    )
    for f in stt.get("findings") or []:
        c.print(f"          [red]{esc(f['code'])}[/]: {esc(f['message'])}")
    _observability(c, data["observability"])
    fails = data["failures_last_hour"]
    c.print(
        "failures  last hour: "
        + (", ".join(f"{k} {v}" for k, v in sorted(fails.items())) if fails else "none")
    )
    sp = data.get("spend")
    if sp is not None:
        cl = sp["clients"]
        c.print(
            f"clients   {cl['keys']} client key(s), {cl['devices']} paired device(s)"
            + (
                f", [yellow]{cl['pending_devices']} waiting[/] (clawgate devices list)"
                if cl["pending_devices"]
                else ""
            )
        )
        today = sp["today"]
        parts = [
            f"{label} " + ", ".join(f"{esc(name(r))} ${r['cost_usd']:.4f}" for r in today[key][:3])
            for label, key, name in (
                ("by key", "by_key", lambda r: r.get("client_name") or "owner"),
                ("by agent", "by_agent", lambda r: r.get("agent") or "-"),
                ("by model", "by_model", lambda r: f"{r.get('provider')}/{r.get('model')}"),
            )
            if today[key]
        ]
        c.print(
            f"spend     today ${sp['today_usd']:.4f} · last 30 days ${sp['last_30_days_usd']:.4f}"
            + (f"  [dim]{' · '.join(parts)}[/]" if parts else "")
        )
    if data["stuck_runs"]:
        for r in data["stuck_runs"]:
            c.print(
                f"[yellow]stuck run[/] {esc(r.get('run_id'))} in session {esc(r.get('session_id'))}, "
                f"idle {esc(r.get('idle_s'))}s"
            )
    if show_all:
        for r in data["recent_failures"]:
            c.print(
                f"recent    {_ago(r['ts'])} {esc(r['owner'])} {esc(r['code'])} {esc(r['ref'])}: "
                f"{esc(r['message'][:120])}"
            )
        findings = [f for f in data.get("findings", []) if f["severity"] in ("error", "warn")]
        if not findings:
            c.print("doctor    [green]no errors or warnings[/]")
        for f in findings:
            style = "red" if f["severity"] == "error" else "yellow"
            nxt = f" → {f['next'][0]}" if f["next"] else ""
            c.print(
                f"doctor    [{style}]{f['severity']}[/] {esc(f['code'])}: {esc(f['message'][:140])}{esc(nxt)}"
            )
