"""`clawgate auth add|list|remove`: per-agent stored credentials, shown only by fingerprint."""

from __future__ import annotations

import sys
from typing import Any

import click

from clawgate.cli.context import json_option, state
from clawgate.cli.output import console, emit_json, esc
from clawgate.errors import NotFoundError, UsageError
from clawgate.redaction import fingerprint, register_secret


@click.group("auth")
def auth() -> None:
    """Stored credentials (auth profiles) in agents/<id>/auth-profiles.json."""


def read_secret(what: str) -> str:
    """A secret from a hidden prompt (a terminal), else stdin (piped); one trailing newline dropped."""
    if sys.stdin is not None and sys.stdin.isatty():
        value = click.prompt(f"{what} (input hidden)", hide_input=True, prompt_suffix=": ")
    else:
        value = sys.stdin.read() if sys.stdin is not None else ""
        if value.endswith("\n"):
            value = value[:-1]
            if value.endswith("\r"):
                value = value[:-1]
    register_secret(value)
    return value


@auth.command("add")
@click.argument("provider")
@click.option("--agent", "agent_id", help="Agent id (default: the default agent).")
@click.option("--profile", "profile_id", help="Profile id (default: PROVIDER:default).")
@click.option(
    "--type", "ptype", type=click.Choice(["api_key", "token"]), default="api_key", show_default=True
)
@json_option
def add_cmd(provider: str, agent_id: str | None, profile_id: str | None, ptype: str, as_json: bool) -> None:
    """Store a key for PROVIDER. The key is read from a hidden prompt, or from stdin when piped:

    \b
      clawgate auth add openrouter
      printf '%s' "$KEY" | clawgate auth add openrouter --agent main
    """
    from clawgate.auth.keycheck import check_key
    from clawgate.auth.profiles import save_profile

    st = state()
    snap = st.snapshot()
    view = snap.catalog.get(provider)
    if view is None:
        raise NotFoundError(
            f"unknown provider {provider!r} (known: {', '.join(sorted(snap.catalog.providers))})",
            next_steps=[
                "clawgate models list --all",
                f"clawgate config set models.providers.{provider}.baseUrl URL",
            ],
        )
    agent = snap.agent(agent_id).id
    pid = profile_id or f"{view.id}:default"
    raw = read_secret(f"{view.id} key")
    checked = check_key(raw, view.id, view.preset)
    fatal = [i for i in checked.issues if i.fatal]
    if fatal or checked.value is None:
        raise UsageError(
            f"refusing to store this key for {view.id}: "
            + "; ".join(i.reason for i in fatal or checked.issues),
            next_steps=["copy the key again from the provider's console (no quotes, no 'Bearer ')"],
        )
    replaced = save_profile(st.paths, agent, pid, view.id, ptype, checked.value)
    fp = fingerprint(checked.value)
    snap2 = st.service_snapshot()  # which key the gateway service will use
    view2 = snap2.catalog.get(view.id)
    assert view2 is not None  # it was just found in the same config
    res = snap2.credentials(view2, agent)
    winner = res.winner
    warnings = [i.reason for i in checked.issues]
    if winner is not None and winner.source != f"profile:{pid}":
        warnings.append(
            f"this profile is shadowed: {winner.source} ({winner.fingerprint}) wins for {view.id} / agent {agent}"
        )
    out = {
        "ok": True,
        "agent": agent,
        "profile": pid,
        "provider": view.id,
        "type": ptype,
        "fingerprint": fp,
        "replaced": replaced,
        "file": str(st.paths.profiles_file(agent)),
        "effective": winner.source if winner else None,
        "warnings": warnings,
    }
    if as_json:
        emit_json(out)
        return
    c = console()
    c.print(f"[green]{'replaced' if replaced else 'stored'}[/] {esc(pid)} for agent {esc(agent)}: {esc(fp)}")
    for w in warnings:
        c.print(f"[yellow]warning:[/] {esc(w)}")
    c.print(f"check it: clawgate models status --agent {agent}")


@auth.command("list")
@click.option("--agent", "agent_id", help="Only this agent.")
@click.option("--provider", "provider_id", help="Only this provider's profiles.")
@json_option
def list_cmd(agent_id: str | None, provider_id: str | None, as_json: bool) -> None:
    """List stored profiles per agent: provider, type, fingerprint, and whether each is the one in use."""
    from clawgate.catalog.presets import canonical_provider_id

    snap = state().snapshot()
    agents = [snap.agent(agent_id).id] if agent_id else [a.id for a in snap.agents()]
    only = canonical_provider_id(provider_id) if provider_id else None
    out: list[dict[str, Any]] = []
    for agent in agents:
        store = snap.store(agent)
        rows = []
        for prof in store.profiles.values():
            if only and prof.provider != only:
                continue
            row: dict[str, Any] = {"profile": prof.id, "provider": prof.provider, "type": prof.type}
            if prof.error:
                row["error"] = prof.error
                row["field"] = prof.error_field
            else:
                view = snap.catalog.get(prof.provider)
                if view is not None:
                    res = snap.credentials(view, agent)
                    cand = next((c for c in res.candidates if c.source == f"profile:{prof.id}"), None)
                    row["fingerprint"] = cand.fingerprint if cand else None
                    row["in_use"] = bool(res.winner and res.winner.source == f"profile:{prof.id}")
                    if res.winner and not row["in_use"]:
                        row["shadowed_by"] = res.winner.source
                    if cand and not cand.usable:
                        row["unusable"] = cand.fatal_reason
                else:
                    row["fingerprint"] = fingerprint(prof.secret) if prof.secret else None
                    row["note"] = f"provider {prof.provider!r} is not configured"
                if prof.expires:
                    row["expires"] = prof.expires
                if prof.type == "oauth":
                    row["refreshable"] = prof.refresh_present
                for key, value in (
                    ("display_name", prof.display_name),
                    ("account", prof.account_id),
                    ("plan", prof.plan_type),
                ):
                    if value:
                        row[key] = value
            rows.append(row)
        entry: dict[str, Any] = {
            "agent": agent,
            "file": str(store.path),
            "exists": store.exists,
            "profiles": rows,
        }
        if store.file_error:
            entry["error"] = str(store.file_error)
        out.append(entry)
    if as_json:
        emit_json({"agents": out})
        return
    c = console()
    for entry in out:
        c.print(f"[bold]agent {esc(entry['agent'])}[/]  [dim]{esc(entry['file'])}[/]")
        if entry.get("error"):
            c.print(f"  [red]{esc(entry['error'])}[/]")
        if not entry["profiles"]:
            c.print("  (no stored profiles)")
        for r in entry["profiles"]:
            if "error" in r:
                c.print(f"  [red]{esc(r['profile'])}: invalid — {esc(r['error'])}[/]")
                continue
            state_txt = (
                "[green]in use[/]"
                if r.get("in_use")
                else (f"[yellow]shadowed by {esc(r['shadowed_by'])}[/]" if r.get("shadowed_by") else "")
            )
            if r.get("unusable"):
                state_txt = f"[red]unusable: {esc(r['unusable'])}[/]"
            extra = ""
            if r.get("expires"):
                from clawgate.cli.auth_login_cmd import _when

                extra = f"  [dim]{esc(_when(r['expires']))}{', refreshed before use' if r.get('refreshable') else ''}[/]"
            name = f" ({esc(r['display_name'])})" if r.get("display_name") else ""
            c.print(
                f"  {esc(r['profile'])}{name}  {esc(r['type'])}  {esc(r.get('fingerprint'))}  {state_txt}{extra}"
            )


@auth.command("remove")
@click.argument("profile_id")
@click.option("--agent", "agent_id", help="Agent id (default: the default agent).")
@json_option
def remove_cmd(profile_id: str, agent_id: str | None, as_json: bool) -> None:
    """Delete a stored profile (atomically)."""
    from clawgate.auth.profiles import delete_profile

    st = state()
    snap = st.snapshot()
    agent = snap.agent(agent_id).id
    delete_profile(st.paths, agent, profile_id)
    if as_json:
        emit_json({"ok": True, "agent": agent, "removed": profile_id})
    else:
        console().print(f"[green]removed[/] {esc(profile_id)} from agent {esc(agent)}")


def _register_flows() -> None:
    from clawgate.cli.auth_login_cmd import register

    register(auth)


_register_flows()
