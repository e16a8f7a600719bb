"""`clawgate models list|status`: the catalog, and the exact plan a call for an agent would follow."""

from __future__ import annotations

from typing import Any

import click

from clawgate.cli.context import json_option, state
from clawgate.cli.output import console, emit_json, esc
from clawgate.resolver import Attempt, Plan, Snapshot


@click.group("models")
def models() -> None:
    """The model catalog, and each agent's plan: model → provider → endpoint → credential."""


@models.command("list")
@click.option("--provider", "provider_id", help="Only this provider.")
@click.option("--all", "show_all", is_flag=True, help="Include presets that have no credential configured.")
@json_option
def list_cmd(provider_id: str | None, show_all: bool, as_json: bool) -> None:
    """List providers and their static models (presets + models.providers). Never calls GET /models."""
    snap = state().snapshot()
    main = snap.main_agent()
    views = list(snap.catalog.providers.values())
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
                "base_url": view.base_url.value,
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
    c = console()
    if not rows:
        c.print(
            "No provider has a credential yet. Presets: " + ", ".join(sorted(snap.catalog.providers)) + "\n"
            "Add one:  echo 'OPENROUTER_API_KEY=sk-or-...' >> ~/.clawgate/.env   (or: clawgate auth add openrouter)\n"
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


def attempt_status(att: Attempt) -> str:
    if att.error:
        return "error"
    if att.credential is None:
        return "error"
    if att.credential.winner is None:
        return "ok" if att.credential.optional else "no_credential"
    return "ok"


def plan_json(snap: Snapshot, plan: Plan, findings: list[Any] | None = None) -> dict[str, Any]:
    data = plan.to_json()
    for att, row in zip(plan.attempts, data["attempts"], strict=True):
        row["status"] = attempt_status(att)
    if findings is not None:
        data["findings"] = [f.to_json() for f in findings]
    return data


def render_plan(data: dict[str, Any]) -> None:
    c = console()
    m = data["model"]
    c.print(f"[bold]agent[/] {esc(data['agent'])}  [dim]({esc(data['agent_from'])})[/]")
    if m["ref"] is None:
        c.print(
            "[yellow]no model configured[/]  next: clawgate config set agents.defaults.model.primary PROVIDER/MODEL"
        )
    else:
        c.print(f"[bold]model[/] {esc(m['ref'])}  [dim]from {esc(m['from'])}[/]")
        for s in m["shadows"]:
            c.print(f"      [yellow]shadows[/] {esc(s['from'])} = {esc(s['ref'])}")
    for i, a in enumerate(data["attempts"], 1):
        status = a.get("status", "")
        style = {"ok": "green", "no_credential": "red", "error": "red"}.get(status, "white")
        probe = a.get("probe")
        if probe is not None:
            if probe.get("ok"):
                status = f"probe ok {probe.get('status')} {probe.get('latency_ms')} ms"
                style = "green"
            else:
                status = f"probe failed: {probe.get('owner')} {probe.get('code')}"
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
            c.print(
                f"    credential: {esc(cred['source'])} {esc(cred['fingerprint'])}  "
                f"[dim]{esc(cred['origin'])}[/]{inh}"
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
            c.print(
                f"    health: [yellow]{esc(health['state'])}[/] until {esc(health.get('until'))}; first failure: "
                f"{esc(ff.get('owner'))} {esc(ff.get('status'))} {esc(ff.get('message'))}"
            )
        if probe and not probe.get("ok"):
            c.print(f"    [red]{esc(probe.get('message'))}[/]")
            for n in probe.get("next", []):
                c.print(f"    next: {esc(n)}")
    for f in data.get("findings", []):
        if f["severity"] in ("error", "warn"):
            style = "red" if f["severity"] == "error" else "yellow"
            c.print(f"[{style}]{f['severity']}[/] {esc(f['code'])}: {esc(f['message'])}")
            for n in f["next"][:2]:
                c.print(f"  next: {esc(n)}")


@models.command("status")
@click.option("--agent", "agent_id", help="Agent id (default: the default agent).")
@click.option("--all-agents", is_flag=True, help="Show every agent's plan.")
@click.option("--model", "model_ref", help="Plan for this model ref instead of the agent's own.")
@json_option
def status_cmd(agent_id: str | None, all_agents: bool, model_ref: str | None, as_json: bool) -> None:
    """Show the plan a real call would follow: model (and where it comes from), provider, endpoint,
    credential (winner and shadowed, by fingerprint). No network.

    Exits 1 when no attempt of the plan can be made.
    """
    from clawgate.diagnose.offline import offline_findings

    snap = state().snapshot()
    agents = [a.id for a in snap.agents()] if all_agents else [snap.agent(agent_id).id]
    datas = []
    for aid in agents:
        plan = snap.plan(aid, model_ref)
        findings = [f for f in offline_findings(snap, aid) if f.severity in ("error", "warn")]
        from clawgate.diagnose.findings import order

        datas.append(plan_json(snap, plan, order(findings)))
    if as_json:
        emit_json(datas[0] if not all_agents else {"agents": datas})
    else:
        for d in datas:
            render_plan(d)
    if any(not any(a.get("status") == "ok" for a in d["attempts"]) for d in datas):
        raise click.exceptions.Exit(1)
