"""`clawgate models list|status`: the catalog, and the exact plan a call for an agent would follow."""

from __future__ import annotations

import time
from typing import Any

import click

from clawgate.cli.context import json_option, state
from clawgate.cli.output import console, emit_json, esc
from clawgate.diagnose.commands import after_probe
from clawgate.failures.failure import headline
from clawgate.plan.shadows import refs_text
from clawgate.plan.snapshot import Snapshot
from clawgate.plan.types import Attempt, Plan
from clawgate.redaction import mask_url


@click.group("models", invoke_without_command=True)
@json_option
@click.pass_context
def models(ctx: click.Context, as_json: bool) -> None:
    """The model catalog, and each agent's plan: model → provider → endpoint → credential.

    Bare `clawgate models` is `clawgate models status`."""
    if ctx.invoked_subcommand is None:
        ctx.invoke(status_cmd, as_json=as_json)


@models.command("list")
@click.option("--provider", "provider_id", help="Only this provider.")
@click.option("--all", "show_all", is_flag=True, help="Include presets that have no credential configured.")
@click.option(
    "--local", "local_only", is_flag=True, help="Only local servers (Ollama, vLLM, llama.cpp, LM Studio)."
)
@click.option(
    "--agent", "agent_id", help="Whose credentials decide what is configured (default: the default agent)."
)
@click.option("--plain", is_flag=True, help="One model ref per line.")
@json_option
def list_cmd(
    provider_id: str | None,
    show_all: bool,
    local_only: bool,
    agent_id: str | None,
    plain: bool,
    as_json: bool,
) -> None:
    """List providers and their static models (presets + models.providers). Never calls GET /models.
    Credentials are the gateway service's (see `clawgate models status`)."""
    snap = state().service_snapshot()
    main = snap.agent(agent_id).id if agent_id else snap.main_agent()
    views = [v for v in snap.catalog.providers.values() if not local_only or (v.preset and v.preset.local)]
    if provider_id:
        only = snap.catalog.get(provider_id)
        if only is None:
            from clawgate.errors import NotFoundError

            raise NotFoundError(f"no provider {provider_id!r}", next_steps=["clawgate models list --all"])
        views = [only]
    rows: list[dict[str, Any]] = []
    for view in views:
        cred = snap.credentials(view, main)
        configured = view.configured or cred.winner is not None
        if not (show_all or configured or provider_id):
            continue
        rows.append(
            {
                "provider": view.id,
                "name": view.name,
                "api": view.api.value,
                "base_url": mask_url(view.base_url.value) if view.base_url.value else view.base_url.value,
                "from": view.base_url.source,
                "credential": cred.winner.source
                if cred.winner
                else ("not required" if cred.optional else "none"),
                "fingerprint": cred.winner.fingerprint if cred.winner else None,
                "accepts_any_model": view.accepts_any_model,
                "models_endpoint": view.has_models_endpoint,
                "models": [
                    {
                        "ref": f"{view.id}/{m.info.id}",
                        "id": m.info.id,
                        "context_window": m.info.context_window,
                        "max_tokens": m.info.max_tokens,
                        "input": list(m.info.input),
                        "from": m.source,
                    }
                    for m in view.models.values()
                ],
            }
        )
    aliases = snap.aliases()
    if as_json:
        emit_json({"providers": rows, "aliases": aliases})
        return
    if plain:
        for r in rows:
            for m in r["models"]:
                click.echo(m["ref"])
        return
    c = console()
    if not rows:
        c.print(
            "No provider has a credential yet. Presets: " + ", ".join(sorted(snap.catalog.providers)) + "\n"
            "Add one:  clawgate env set OPENROUTER_API_KEY   (or: clawgate auth add openrouter)\n"
            "Show all: clawgate models list --all"
        )
        return
    for r in rows:
        cred = r["credential"] + (f" {r['fingerprint']}" if r["fingerprint"] else "")
        c.print(
            f"[bold]{esc(r['provider'])}[/]  {esc(r['api'])}  {esc(r['base_url'])}  [dim]credential:[/] {esc(cred)}"
        )
        if r["accepts_any_model"]:
            c.print("  [dim]accepts any model id[/]")
        for m in r["models"]:
            ctx = f"  ctx {m['context_window']:,}" if m["context_window"] else ""
            c.print(f"  {esc(m['ref'])}[dim]{ctx}[/]")
    if aliases:
        c.print("[bold]aliases[/]  " + ", ".join(f"{esc(a)} → {esc(r)}" for a, r in aliases.items()))


def attempt_status(att: Attempt, health: Any = None) -> str:
    """ok | error | no_credential | rejected | blocked | cooling: what a call would do with this attempt now."""
    from clawgate.call.readiness import readiness

    return readiness(att, health).status


def plan_json(
    snap: Snapshot, plan: Plan, findings: list[Any] | None = None, health: Any = None
) -> dict[str, Any]:
    """A plan as `models status --json` shows it: each attempt's status and, with `health` (a HealthRegistry),
    its health record — both from the executor's own verdict (call/readiness.py)."""
    from clawgate.call.readiness import readiness

    data = plan.to_json()
    for att, row in zip(plan.attempts, data["attempts"], strict=True):
        ready = readiness(att, health)
        row["status"] = ready.status
        row["health"] = ready.health_json()
    if findings is not None:
        data["findings"] = [f.to_json() for f in findings]
    return data


def render_plan(data: dict[str, Any]) -> None:
    c = console()
    m = data["model"]
    route = data.get("route")
    if route:
        c.print(
            f"[bold]route[/] {esc(route['requested'])} → {esc(route['result'])}  "
            f"[dim]{esc(route['from'])}: {esc(route['match'])} → {esc(route['to'])}[/]"
        )
    c.print(f"[bold]agent[/] {esc(data['agent'])}  [dim]({esc(data['agent_from'])})[/]")
    if data.get("predicts"):
        c.print(f"[dim]as the gateway has it: {esc(data['predicts']['describes'])}[/]")
    if m["ref"] is None:
        c.print(
            "[yellow]no model configured[/]  next: clawgate config set agents.defaults.model.primary PROVIDER/MODEL"
        )
    else:
        c.print(f"[bold]model[/] {esc(m['ref'])}  [dim]from {esc(m['from'])}[/]")
        for s in m["shadows"]:
            c.print(f"      [yellow]shadows[/] {esc(s['from'])} = {esc(s['ref'])}")
    if m.get("fallback_shadows"):
        won = [a["ref"] for a in data["attempts"] if a.get("role") == "fallback"]
        c.print(f"[bold]fallbacks[/] {esc(refs_text(won))}  [dim]from {esc(m['fallbacks_from'])}[/]")
        for s in m["fallback_shadows"]:
            c.print(f"      [yellow]shadows[/] {esc(s['from'])} = {esc(refs_text(s['refs']))}")
    for i, a in enumerate(data["attempts"], 1):
        status = a.get("status", "")
        style = {
            "ok": "green",
            "no_credential": "red",
            "error": "red",
            "rejected": "red",
            "blocked": "red",
        }.get(status, "yellow")
        if status in ("rejected", "blocked", "cooling"):
            status = f"not sent: {status}"
        probe = a.get("probe")
        if probe is not None:
            by = (
                f" (by the running gateway, pid {probe['gateway']['pid']})"
                if probe.get("by") == "gateway"
                else ""
            )
            if probe.get("ok"):
                status = f"probe ok {probe.get('status')} {probe.get('latency_ms')} ms{by}"
                style = "green"
            elif probe.get("served"):
                status = f"served by {probe.get('credential')}, but {probe.get('owner')} {probe.get('code')} on the way"
                style = "yellow"
            else:
                status = f"probe failed: {probe.get('owner')} {probe.get('code')}{by}"
                style = "red"
        c.print(
            f" {i}. [bold]{esc(a['ref'])}[/] [dim]{esc(a['role'])}, from {esc(a['from'])}[/]  [{style}]{esc(status)}[/]"
        )
        if a.get("error"):
            c.print(f"    [red]{esc(a['error']['message'])}[/]")
            for n in a["error"].get("next", []):
                c.print(f"    next: {esc(n)}")
            if not a.get("api"):
                continue
        c.print(f"    {esc(a['api'])}  {esc(a['base_url'])}")
        cred = a["credential"]
        if cred["source"] == "none":
            note = cred.get("note") or "no usable credential"
            c.print(
                f"    credential: [red]{esc(note)}[/]"
                if "note" not in cred
                else f"    credential: {esc(note)}"
            )
            c.print(f"    [dim]checked: {esc('; '.join(cred.get('checked', [])))}[/]")
        else:
            inh = (
                f" [dim](inherited from {esc(cred['inherited_from'])})[/]"
                if cred.get("inherited_from")
                else ""
            )
            order = f" [dim](first by {esc(cred['order_from'])})[/]" if cred.get("order_from") else ""
            c.print(
                f"    credential: {esc(cred['source'])} {esc(cred['fingerprint'])}  "
                f"[dim]{esc(cred['origin'])}[/]{inh}{order}"
            )
        for s in cred.get("shadowed", []):
            extra = f" [red]unusable: {esc(s['unusable'])}[/]" if s.get("unusable") else ""
            fp = f" {esc(s['fingerprint'])}" if s.get("fingerprint") else ""
            c.print(
                f"      [dim]shadowed:[/] {esc(s['source'])}{fp} [dim]{esc(s.get('origin') or '')}[/]{extra}"
            )
        health = a.get("health")
        if health and health.get("state") not in (None, "ok"):
            ff = health.get("first_failure") or {}
            until = time.strftime("%H:%M:%S", time.localtime(health["until"])) if health.get("until") else "?"
            first = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(ff["time"])) if ff.get("time") else "?"
            c.print(
                f"    health: [yellow]{esc(health['state'])}[/] until {until}; first failure {first}: "
                f"{esc(headline(ff.get('owner'), ff.get('status'), ff.get('code')))}: {esc(ff.get('message'))}"
            )
            if probe is None:
                for n in health.get("next") or []:
                    c.print(f"    next: {esc(n)}")
        if probe:
            for t, n_tries in _collapse_retries(probe.get("credentials", [])):
                cred_txt = (
                    f"{t['credential']['source']} {t['credential']['fingerprint']}"
                    if t.get("credential")
                    else "no credential"
                )
                if t["ok"]:
                    c.print(
                        f"      [green]✓[/] {esc(cred_txt)}  {esc(t.get('status'))}  {esc(t.get('latency_ms'))} ms"
                    )
                else:
                    sent = "" if t.get("sent", True) else " [dim](not sent)[/]"
                    tries_txt = f" [dim]({n_tries} tries)[/]" if n_tries > 1 else ""
                    c.print(
                        f"      [red]✗[/] {esc(cred_txt)}  {esc(t.get('owner'))} {esc(t.get('code'))}{sent}{tries_txt}: "
                        f"{esc(t.get('message'))}"
                    )
            if not probe.get("ok"):
                steps, again = after_probe(probe.get("next", []))
                for n in steps[:3]:
                    c.print(f"    next: {esc(n)}")
                for n in again[:1]:
                    c.print(f"    [dim]check again once fixed: {esc(n)}[/]")
    for f in data.get("findings", []):
        if f["severity"] in ("error", "warn"):
            style = "red" if f["severity"] == "error" else "yellow"
            c.print(f"[{style}]{f['severity']}[/] {esc(f['code'])}: {esc(f['message'])}")
            for n in f["next"][:2]:
                c.print(f"  next: {esc(n)}")


def _collapse_retries(tries: list[dict[str, Any]]) -> list[tuple[dict[str, Any], int]]:
    """A probe's tries, each run of the same failure of the same credential (its retries) as one, with how
    many tries it took."""
    out: list[tuple[dict[str, Any], int]] = []
    for t in tries:
        same = ("credential", "ok", "owner", "code", "message", "sent")
        if out and not t["ok"] and all(out[-1][0].get(k) == t.get(k) for k in same):
            out[-1] = (out[-1][0], out[-1][1] + 1)
        else:
            out.append((t, 1))
    return out


def _existing_health(st: Any) -> tuple[Any, Any]:
    """Health from state.db when it exists (reading never creates the state dir): (registry, store to close)."""
    if not st.paths.state_db.exists():
        return None, None
    from clawgate.call.health import HealthRegistry
    from clawgate.store import open_store

    store = open_store(str(st.paths.state_db))
    try:
        return HealthRegistry(store), store
    except BaseException:
        store.close()
        raise


@models.command("status")
@click.option("--agent", "agent_id", help="Agent id (default: the default agent).")
@click.option("--all-agents", is_flag=True, help="Show every agent's plan.")
@click.option(
    "--model",
    "model_ref",
    help="Plan for this model name, as a client would send it (models.routes, aliases, model families "
    "and agent/<id> apply), instead of the agent's own.",
)
@click.option(
    "--probe", is_flag=True, help="Send a minimal real request per attempt, through the runtime path."
)
@click.option("--probe-provider", "probe_provider", help="With --probe: only attempts on this provider.")
@click.option("--probe-all", is_flag=True, help="Probe every candidate credential, shadowed ones too.")
@click.option(
    "--probe-profile",
    "probe_profiles",
    multiple=True,
    help="Probe these stored profiles (repeat or comma-separate), each on its provider's planned model.",
)
@click.option("--probe-timeout", type=click.IntRange(min=1), help="With --probe: give up after this many ms.")
@click.option(
    "--check",
    is_flag=True,
    help="Exit 1 when the primary's credential is missing, expired or refused by the health state (rejected, "
    "cooling), 2 when one expires within 3 days.",
)
@click.option("--plain", is_flag=True, help="One tab-separated line per attempt.")
@json_option
def status_cmd(
    agent_id: str | None = None,
    all_agents: bool = False,
    model_ref: str | None = None,
    probe: bool = False,
    probe_provider: str | None = None,
    probe_all: bool = False,
    probe_profiles: tuple[str, ...] = (),
    probe_timeout: int | None = None,
    check: bool = False,
    plain: bool = False,
    as_json: bool = False,
) -> None:
    """Show the plan a real call would follow: model (and where it comes from), provider, endpoint,
    credential (winner and shadowed, by fingerprint), health. Offline unless --probe.

    Exits 1 when no attempt of the plan can be made, or (with --probe) when any probe fails.
    """
    from pathlib import Path

    from clawgate.cli import models_status_extra as extra
    from clawgate.diagnose.findings import order
    from clawgate.diagnose.gateway_probe import by_gateway
    from clawgate.diagnose.live import mismatch_findings
    from clawgate.diagnose.offline import offline_findings
    from clawgate.diagnose.service_env import environment_findings, settle

    st = state()
    prediction = st.service()
    snap = st.service_snapshot()
    agents = [a.id for a in snap.agents()] if all_agents else [snap.agent(agent_id).id]
    profiles = extra.split_ids(probe_profiles)
    probe = probe or probe_all or bool(probe_provider) or bool(profiles)
    if probe_provider and snap.catalog.get(probe_provider) is None:
        from clawgate.errors import NotFoundError

        raise NotFoundError(f"no provider {probe_provider!r}", next_steps=["clawgate models list --all"])
    datas = []
    probe_failed = False
    health, health_store = (None, None) if probe else _existing_health(st)
    runtime = None
    if probe:
        from clawgate.call.runtime import Runtime

        runtime = Runtime(st.paths, st.service_environ(), cwd=None)
        snap = runtime.snapshot
        health = runtime.health
    try:
        for aid in agents:
            plan = snap.plan(aid, model_ref)
            causes = environment_findings(snap, st.environ, prediction, Path.cwd(), aid)
            findings = settle(offline_findings(snap, aid), causes) + mismatch_findings(st.gateway_status())
            findings = [f for f in findings if f.severity in ("error", "warn")]
            data = plan_json(snap, plan, order(findings), health)
            data["predicts"] = prediction.to_json()
            if probe and runtime is not None and not profiles:
                results = extra.run_probes(runtime, plan, probe_provider, probe_all, as_json, probe_timeout)
                results = by_gateway(st.paths, st.environ, prediction, plan, results)
                for row, res in zip(data["attempts"], results, strict=True):
                    if res is not None:
                        row["probe"] = res
                        probe_failed = probe_failed or not res["ok"]
            if profiles and runtime is not None:
                data["profiles"] = extra.probe_profiles(runtime, aid, model_ref, profiles, probe_timeout)
                probe_failed = probe_failed or any(not p["ok"] for p in data["profiles"])
            if probe:  # the health the probes left
                after = plan_json(snap, plan, None, health)["attempts"]
                for row, now in zip(data["attempts"], after, strict=True):
                    row["status"], row["health"] = now["status"], now["health"]
            datas.append(data)
    finally:
        if runtime is not None:
            runtime.close()
        if health_store is not None:
            health_store.close()
    if as_json:
        emit_json(datas[0] if not all_agents else {"agents": datas})
    elif plain:
        extra.render_plain(datas)
    else:
        for d in datas:
            render_plan(d)
            extra.render_profiles(d.get("profiles") or [])
    if check:
        raise click.exceptions.Exit(extra.check_code(datas))
    if probe_failed or any(not any(a.get("status") == "ok" for a in d["attempts"]) for d in datas):
        raise click.exceptions.Exit(1)


def _register_more() -> None:
    from clawgate.cli.models_auth_cmd import register as register_auth
    from clawgate.cli.models_edit_cmd import register as register_edit

    register_edit(models)
    register_auth(models)


_register_more()


def _openclaw_refusals() -> None:
    from clawgate.cli.openclaw_verbs import install

    install(models, "models")


_openclaw_refusals()
