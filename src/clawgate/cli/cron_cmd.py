"""`clawgate cron list|run ID|history [ID]`: the scheduled agent jobs (`cron.jobs[]`), one run now, and every
firing recorded with its owner. `run` goes through the running gateway when there is one (same sessions, same
health), else through a local runtime — the output says which."""

from __future__ import annotations

import time
from typing import Any

import click

from clawgate.cli.context import json_option, state
from clawgate.cli.output import console, emit_json, esc


@click.group("cron")
def cron() -> None:
    """Scheduled agent jobs: list them, run one now, read their history."""


def _http(
    method: str, url: str, token: str | None, body: Any = None, timeout: float = 5.0
) -> tuple[int, Any]:
    from clawgate.gateway.lifecycle import http_json

    return http_json(method, url, token, body, timeout)


def _gateway(st: Any, snap: Any) -> tuple[str | None, str | None, str]:
    """(url of the running gateway for this home or None, its token, the address that was checked)."""
    from clawgate.gateway.lifecycle import address_for, alive
    from clawgate.gateway.pidfile import path_id, read_pidfile
    from clawgate.gateway.token import resolve_gateway_token

    urls = []
    pid = read_pidfile(st.paths)
    if pid and pid.get("url") and alive(int(pid.get("pid", 0))):
        urls.append(str(pid["url"]).replace("0.0.0.0", "127.0.0.1"))
    urls.append(address_for(snap))
    for url in dict.fromkeys(urls):
        code, health = _http("GET", url + "/healthz", None, timeout=1.0)
        if code == 200 and isinstance(health, dict) and health.get("home_id") == path_id(st.paths.home):
            return url, resolve_gateway_token(snap).value, url
    return None, None, urls[-1]


def _history(st: Any, job_id: str | None, limit: int) -> list[dict[str, Any]]:
    if not st.paths.state_db.exists():
        return []
    from clawgate.store import open_store

    store = open_store(str(st.paths.state_db))
    try:
        return [r.to_json() for r in store.cron_history(job_id, limit)]
    finally:
        store.close()


def _when(ts: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(ts)) if ts else "-"


def _api_error(url: str, code: int, body: Any) -> Any:
    from clawgate.errors import ClawgateError

    err = body.get("error") if isinstance(body, dict) else None
    if isinstance(err, dict):
        return ClawgateError(
            f"the gateway at {url} answered {code}: {err.get('message')}",
            code=str(err.get("code") or "gateway.error"),
            owner=str(err.get("owner") or "runtime"),
            next_steps=list(err.get("next") or []),
        )
    return ClawgateError(
        f"the gateway at {url} answered {code or 'nothing'}",
        code="gateway.error",
        owner="runtime",
        next_steps=["clawgate gateway status"],
    )


@cron.command("list")
@json_option
def list_cmd(as_json: bool) -> None:
    """Every job: schedule (or delay after start-up), agent, model, next run, last result."""
    from clawgate.agents.cron import jobs_json

    st = state()
    snap = st.snapshot()
    url, token, checked = _gateway(st, snap)
    jobs: list[dict[str, Any]] | None = None
    via = "config"
    if url is not None:
        code, body = _http("GET", url + "/api/cron", token)
        if code == 200 and isinstance(body, dict):
            jobs, via = body.get("jobs") or [], "gateway"
    if jobs is None:
        jobs = jobs_json(list(enumerate(snap.config.cron.jobs)), None, time.time())
    history = _history(st, None, 500)
    for job in jobs:
        job["last"] = next((h for h in history if h["job_id"] == job["id"]), None)
    if as_json:
        emit_json({"jobs": jobs, "via": via, "gateway": url, "checked": checked})
        return
    c = console()
    if not jobs:
        c.print(
            'no cron jobs (add one: clawgate config set cron.jobs \'[{"id": "daily", "prompt": "…", '
            '"schedule": "0 9 * * *"}]\')'
        )
        return
    for job in jobs:
        when = (
            f"schedule {job['schedule']}"
            if job["schedule"]
            else f"once, {job['delay_seconds']:g} s after start"
        )
        state_txt = "" if job["enabled"] else " [dim](disabled)[/]"
        if job.get("problem"):
            state_txt += f" [red]{esc(job['problem'])}[/]"
        c.print(
            f"[bold]{esc(job['id'])}[/]  {esc(when)}  agent {esc(job['agent'] or 'default')}"
            f"{'  model ' + esc(job['model']) if job['model'] else ''}{state_txt}"
        )
        nxt = (
            _when(job.get("next_at"))
            if job.get("next_at")
            else ("when the gateway starts" if via != "gateway" and not job["schedule"] else "-")
        )
        last = job["last"]
        last_txt = "never ran"
        if last:
            last_txt = f"{last['status']} at {_when(last['ts'])}"
            if last.get("owner"):
                last_txt += f" ({last['owner']} {last['code']})"
        c.print(f"    next {esc(nxt)} · last {esc(last_txt)}")
    if via != "gateway":
        c.print(f"[dim]gateway not running at {esc(checked)}: next times computed from the config[/]")


@cron.command("run")
@click.argument("job_id")
@json_option
def run_cmd(job_id: str, as_json: bool) -> None:
    """Run job JOB_ID now (through the running gateway if there is one, else locally) and record it."""
    st = state()
    snap = st.snapshot()
    url, token, checked = _gateway(st, snap)
    if url is not None:
        code, body = _http("POST", f"{url}/api/cron/{job_id}/run", token, {}, timeout=3600)
        if code != 200 or not isinstance(body, dict):
            raise _api_error(url, code, body)
        rec, via = body["record"], f"gateway at {url}"
    else:
        rec, via = _run_local(st, job_id), f"locally (no gateway running at {checked})"
    if as_json:
        emit_json({"record": rec, "via": "gateway" if url else "local", "gateway": url})
    else:
        c = console()
        c.print(f"ran cron job {esc(job_id)} {esc(via)}: [bold]{esc(rec['status'])}[/]")
        if rec.get("owner"):
            c.print(f"  {esc(rec['owner'])} {esc(rec['code'])}: {esc(rec['message'])}")
            for step in rec.get("next") or []:
                c.print(f"  next: {esc(step)}")
        if rec.get("run_id"):
            c.print(f"  run {esc(rec['run_id'])} in session {esc(rec['session_id'])} ({esc(rec.get('ref'))})")
    if rec["status"] != "ok":
        raise click.exceptions.Exit(1)


def _run_local(st: Any, job_id: str) -> dict[str, Any]:
    import asyncio

    from clawgate.agents.service import AgentService
    from clawgate.call.runtime import Runtime

    rt = Runtime(st.paths, st.service_environ(), cwd=None)
    try:
        svc = AgentService(rt, via="local", recover=False)  # a gateway's in-flight runs are not ours to mark
        svc.cron.job(job_id)  # unknown id: an error before anything runs

        async def go() -> dict[str, Any]:
            try:
                return (await svc.cron.run_job(job_id, "manual")).to_json()
            finally:
                await svc.aclose()
                await rt.aclose()

        return asyncio.run(go())
    finally:
        rt.close()


@cron.command("history")
@click.argument("job_id", required=False)
@click.option("--limit", type=int, default=20, show_default=True, help="How many records.")
@json_option
def history_cmd(job_id: str | None, limit: int, as_json: bool) -> None:
    """Every firing (newest first): ok, or the failure with its owner, or why it was skipped."""
    st = state()
    rows = _history(st, job_id, max(1, limit))
    if as_json:
        emit_json({"history": rows})
        return
    c = console()
    if not rows:
        c.print("no cron runs recorded yet")
        return
    for r in rows:
        style = {"ok": "green", "skipped": "yellow"}.get(r["status"], "red")
        line = f"{_when(r['ts'])}  {esc(r['job_id'])}  [{style}]{esc(r['status'])}[/]  {esc(r['trigger'])} via {esc(r['via'])}"
        if r.get("ref"):
            line += f"  {esc(r['ref'])}"
        c.print(line)
        if r.get("owner"):
            c.print(f"    {esc(r['owner'])} {esc(r['code'])}: {esc(r['message'])}")
            for step in r.get("next") or []:
                c.print(f"    next: {esc(step)}")
