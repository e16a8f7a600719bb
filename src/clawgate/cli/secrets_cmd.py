"""`clawgate secrets audit`: plaintext keys, unresolved references, shadowed and duplicated credentials."""

from __future__ import annotations

from pathlib import Path

import click

from clawgate.cli.context import json_option
from clawgate.cli.findings_view import render_findings
from clawgate.cli.output import console, emit_json, esc

AUDIT_CODES = {
    "config.plaintext_secret",
    "env.unresolved_ref",
    "auth.shadowed_credential",
    "env.duplicate_definition",
    "auth.key_malformed",
    "auth.profile_invalid",
    "secrets.file_permissions",
}


@click.group("secrets")
def secrets() -> None:
    """Where secrets live and what is wrong with them; move a literal one out of the config."""


@secrets.command("audit")
@click.option("--check", is_flag=True, help="Exit 1 when anything is found (for scripts and CI).")
@json_option
def audit(check: bool, as_json: bool) -> None:
    """List plaintext keys in the config, unresolved ${VAR}/SecretRef references, credentials that shadow a
    different key, variables defined more than once, and secret files readable by others.

    A config that does not load (not JSON5, or an invalid value) is reported with its file and line, and the
    audit exits 1 with or without --check: nothing in it could be checked."""
    from clawgate.cli.context import state
    from clawgate.diagnose.run import doctor_for_cli

    st = state()
    run = doctor_for_cli(st.paths, st.environ, None, probe=False, check_gateway=False, cwd=Path.cwd())
    unread = run.snapshot is None  # then doctor's findings are the config's load error alone
    items = run.findings if unread else [f for f in run.findings if f.code in AUDIT_CODES]
    data = {"ok": not items, "checked": not unread, "items": [f.to_json() for f in items], **run.meta}
    if as_json:
        emit_json(data)
    else:
        if unread:
            console().print("[red]the config does not load, so its secrets were not checked[/]")
        render_findings(data["items"])
    if unread or (check and items):
        raise click.exceptions.Exit(1)


@secrets.command("configure")
@click.option("--yes", "--apply", "yes", is_flag=True, help="Apply without asking.")
@click.option(
    "--plan-out", type=click.Path(dir_okay=False), help="Write the plan (JSON) to this file; change nothing."
)
@json_option
def configure(yes: bool, plan_out: str | None, as_json: bool) -> None:
    """Move literal keys out of the config into ~/.clawgate/.env and reference them as ${VAR} (shown first,
    backed up, written atomically). Afterwards: `clawgate secrets audit --check`."""
    import json
    import sys

    from clawgate.cli.context import state
    from clawgate.cli.output import console, esc
    from clawgate.diagnose.fixes import backup, plan_fixes
    from clawgate.diagnose.run import doctor_for_cli
    from clawgate.paths import display_path

    st = state()
    run = doctor_for_cli(st.paths, st.environ, None, probe=False, check_gateway=False)
    fixes = (
        [f for f in plan_fixes(run.snapshot, run.findings, run.health) if f.code == "config.plaintext_secret"]
        if run.snapshot
        else []
    )
    plan = [fx.to_json() for fx in fixes]
    if plan_out:
        with open(plan_out, "w", encoding="utf-8") as fh:
            json.dump({"fixes": plan}, fh, indent=2)
        if as_json:
            emit_json({"ok": True, "plan": plan, "written": plan_out})
        else:
            console().print(f"plan with {len(plan)} change(s) written to {esc(plan_out)}")
        return
    left = [f for f in run.findings if f.code == "config.plaintext_secret"]
    if not fixes:
        if as_json:
            emit_json({"ok": not left, "applied": [], "left": [f.to_json() for f in left]})
        else:
            console().print("nothing to move" if not left else "these literal secrets need a manual change:")
            render_findings([f.to_json() for f in left])
        return
    c = console(stderr=as_json)
    for fx in fixes:
        c.print(f"  • {esc(fx.description)}")
    interactive = sys.stdin is not None and sys.stdin.isatty()
    if not yes and not (interactive and click.confirm("apply?", default=True)):
        c.print("nothing changed" + ("" if interactive else " (pass --yes to apply)"))
        if as_json:
            emit_json({"ok": False, "applied": [], "plan": plan})
        raise click.exceptions.Exit(1)
    where = backup(st.paths, [p for fx in fixes for p in fx.files])
    for fx in fixes:
        fx.apply()
    if as_json:
        emit_json({"ok": True, "applied": plan, "backup": str(where)})
    else:
        console().print(f"[green]moved {len(fixes)} secret(s)[/]; backup in {esc(display_path(where))}")
        console().print("check: clawgate secrets audit --check")


@secrets.command("move")
@click.argument("path")
@click.option("--to", "variable", help="The variable to hold it (default: the provider's key variable).")
@json_option
def move(path: str, variable: str | None, as_json: bool) -> None:
    """Move the literal secret at config PATH into $CLAWGATE_HOME/.env (as VARIABLE) and make PATH a
    ${VARIABLE} reference — e.g. `clawgate secrets move models.providers.openrouter.apiKey`. The value is
    never printed; the old config is kept as clawgate.json.bak, with the literal replaced by the reference there
    too (and in the config copies under backups/)."""
    from clawgate.cli.context import state
    from clawgate.config.secret_move import move_literal

    st = state()
    preset_env = None
    parts = path.split(".")
    if len(parts) == 4 and parts[:2] == ["models", "providers"]:
        view = st.snapshot().catalog.get(parts[2])
        preset_env = view.env_vars[0] if view is not None and view.env_vars else None
    result = move_literal(st.paths, path, variable, preset_env)
    if as_json:
        emit_json(result)
        return
    console().print(
        f"moved {esc(path)} to {esc(result['variable'])} in {esc(result['file'])} ({result['fingerprint']}); "
        f"{esc(path)}: {esc(result['config'])}"
    )
    if result["backups_scrubbed"]:
        console().print(
            f"the literal is replaced by ${{{esc(result['variable'])}}} in the backups too: "
            + ", ".join(esc(b) for b in result["backups_scrubbed"])
        )


def _openclaw_refusals() -> None:
    from clawgate.cli.openclaw_verbs import install

    install(secrets, "secrets")


_openclaw_refusals()
