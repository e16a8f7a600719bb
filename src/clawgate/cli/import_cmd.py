"""`clawgate import openclaw`: carry an OpenClaw setup into this clawgate home, report what did not map, diagnose it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from clawgate.cli.context import json_option, state
from clawgate.cli.findings_view import render_findings
from clawgate.cli.output import console, emit_json, esc


@click.group("import")
def import_group() -> None:
    """Import another gateway's setup into this clawgate home (CLAWGATE_HOME)."""


@import_group.command("openclaw")
@click.option(
    "--from",
    "source",
    type=click.Path(file_okay=False),
    help="The OpenClaw state dir (default: $OPENCLAW_STATE_DIR or ~/.openclaw).",
)
@click.option(
    "--dry-run", is_flag=True, help="Show what would be written and what doctor would find; write nothing."
)
@click.option(
    "--force", is_flag=True, help="Overwrite an existing clawgate config, .env or profiles (backups as .bak)."
)
@json_option
def openclaw(source: str | None, dry_run: bool, force: bool, as_json: bool) -> None:
    """Read openclaw.json (JSON5), .env, agents/<id>/agent/auth-profiles.json and models.json.

    \b
    Writes clawgate.json (the keys both share), .env (0600) and agents/<id>/auth-profiles.json,
    then reports every key path that did not map, invalid profiles (with the fix), stale models.json
    keys (by fingerprint) and doctor's findings on the result. Never overwrites without --force.
    Exit status: 0 when imported (see the findings), 2 when nothing could be imported.
    """
    from clawgate.importer import default_source, import_openclaw

    st = state()
    src = Path(source).expanduser() if source else default_source(st.environ)
    report = import_openclaw(src, st.paths, st.environ, dry_run=dry_run, force=force, cwd=Path.cwd())
    if as_json:
        emit_json(report.to_json())
        return
    _render(report)


def _render(r: Any) -> None:
    c = console()
    verb = "would write" if r.dry_run else "wrote"
    c.print(
        f"[bold]import openclaw[/] {esc(r.source)} → {esc(r.home)}"
        + (" [yellow](dry run)[/]" if r.dry_run else "")
    )
    for f in r.files:
        mark = " [red](exists: needs --force)[/]" if f["file"] in r.refused else ""
        c.print(f"  {verb} {esc(f['file'])} [dim]({esc(f['action'])}, from {esc(f['from'])})[/]{mark}")
    for b in r.backups:
        c.print(f"  [dim]backup {esc(b)}[/]")
    if r.mapped:
        c.print(f"mapped: {esc(', '.join(r.mapped))}")
    if r.unmapped:
        c.print(f"[yellow]not mapped ({len(r.unmapped)})[/]:")
        for u in r.unmapped:
            c.print(f"  {esc(u['path'])} [dim]— {esc(u['reason'])}[/]")
    for n in r.notes:
        c.print(f"[dim]note: {esc(n)}[/]")
    for p in r.profiles:
        provs = ", ".join(f"{k} ×{v}" for k, v in p["providers"].items()) or "none"
        c.print(f"profiles {esc(p['file'])}: {p['profiles']} ({esc(provs)})")
        for i in p["invalid"]:
            c.print(f"  [red]invalid[/] {esc(i['message'])}")
            for fix in i["fix"]:
                c.print(f"    [cyan]fix:[/] {esc(fix)}")
    if r.models_json:
        c.print("[yellow]models.json (OpenClaw's generated catalog; clawgate does not read it)[/]:")
        for m in r.models_json:
            c.print(f"  {esc(m['kind'])}: {esc(m['message'])}")
            for n in m["next"]:
                c.print(f"    [cyan]next:[/] {esc(n)}")
    c.print("[bold]doctor on the imported setup[/]:")
    render_findings(r.findings)
