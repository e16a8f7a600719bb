"""`clawgate doctor`: every finding (stable codes), ordered by severity and cause before symptom; `--probe`
adds live probes through the runtime plan; `--fix` applies the safe, reversible repairs after showing them."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from clawgate.cli.context import json_option, state
from clawgate.cli.findings_view import render_findings
from clawgate.cli.output import console, emit_json, esc
from clawgate.paths import display_path


@click.command("doctor")
@click.option("--agent", "agent_id", help="Only this agent (default: every agent).")
@click.option("--all-agents", is_flag=True, help="Every agent (the default; kept for symmetry with models).")
@click.option("--probe", is_flag=True, help="Also send a minimal real request per attempt and credential.")
@click.option(
    "--fix",
    "--repair",
    "fix",
    is_flag=True,
    help="Apply the safe, reversible fixes (shown first; a backup is written).",
)
@click.option("--yes", "-y", is_flag=True, help="With --fix: do not ask for confirmation.")
@click.option("--no-gateway", is_flag=True, help="Do not compare with a running gateway.")
@click.option(
    "--deep", is_flag=True, help="Also probe every credential live (--probe), OAuth refreshes included."
)
@click.option("--non-interactive", is_flag=True, help="Never prompt; with --fix, apply the safe fixes.")
@click.option("--lint", is_flag=True, help="Read-only (refuses --fix); exit 1 on any error finding, for CI.")
@click.option(
    "--generate-gateway-token", is_flag=True, help="Create CLAWGATE_GATEWAY_TOKEN in $CLAWGATE_HOME/.env."
)
@json_option
def doctor(
    agent_id: str | None,
    all_agents: bool,
    probe: bool,
    fix: bool,
    yes: bool,
    no_gateway: bool,
    deep: bool,
    non_interactive: bool,
    lint: bool,
    generate_gateway_token: bool,
    as_json: bool,
) -> None:
    """Name what is wrong — config, environment, credentials, providers, the running gateway — with the
    next command for each. Offline unless --probe (or --deep).

    Exit status: 0 when nothing is an error, 1 when any finding is an error.
    """
    from clawgate.diagnose.fixes import backup, plan_fixes
    from clawgate.diagnose.run import doctor_for_cli

    if lint and fix:
        raise click.UsageError("--lint is read-only: drop --fix (or --repair)")
    if generate_gateway_token:
        _generate_gateway_token(as_json)
    probe = probe or deep
    yes = yes or non_interactive
    st = state()
    run = doctor_for_cli(
        st.paths,
        st.environ,
        None if all_agents else agent_id,
        probe=probe,
        check_gateway=not no_gateway,
        cwd=Path.cwd(),
    )
    findings = run.findings
    applied: list[dict] = []
    backup_dir = None
    if fix and run.snapshot is not None:
        fixes = plan_fixes(run.snapshot, findings, run.health)
        if fixes:
            if not as_json:
                c = console()
                c.print("[bold]fixes:[/]")
                for fx in fixes:
                    c.print(f"  • {esc(fx.description)}  [dim]({esc(fx.code)})[/]")
            interactive = sys.stdin is not None and sys.stdin.isatty()
            if not yes and not (interactive and click.confirm("apply these fixes?", default=False)):
                if not as_json:
                    console().print("nothing changed" + ("" if interactive else " (pass --yes to apply)"))
            else:
                backup_dir = backup(st.paths, [f for fx in fixes for f in fx.files])
                for fx in fixes:
                    fx.apply()
                    applied.append(fx.to_json())
                run = doctor_for_cli(
                    st.paths,
                    st.environ,
                    None if all_agents else agent_id,
                    probe=False,
                    check_gateway=not no_gateway,
                    cwd=Path.cwd(),
                )
                findings = run.findings
        elif not as_json:
            console().print("no automatic fix applies to these findings")
    data = {
        "ok": not any(f.severity == "error" for f in findings),
        "findings": [f.to_json() for f in findings],
        **run.meta,
    }
    if fix:
        data["fixes_applied"] = applied
        data["backup"] = str(backup_dir) if backup_dir else None
    if as_json:
        emit_json(data)
    else:
        if applied and backup_dir is not None:
            console().print(
                f"[green]applied {len(applied)} fix(es)[/]; backup in {esc(display_path(backup_dir))}"
            )
        predicts = run.meta.get("predicts") or {}
        render_findings(
            data["findings"],
            header=f"config {display_path(run.meta['config'])}  ·  home {display_path(run.meta['home'])}"
            + (f"\npredicts {predicts['describes']}" if predicts else ""),
        )
    if not data["ok"]:
        raise click.exceptions.Exit(1)


def _generate_gateway_token(as_json: bool) -> None:
    """Put a new random CLAWGATE_GATEWAY_TOKEN in $CLAWGATE_HOME/.env, unless a gateway token exists already."""
    import secrets

    from clawgate.atomicfile import atomic_write, locked, read_text_if_exists
    from clawgate.gateway.token import resolve_gateway_token
    from clawgate.redaction import fingerprint, register_secret

    st = state()
    existing = resolve_gateway_token(st.snapshot())
    c = console(stderr=as_json)
    if existing.value:
        c.print(
            f"a gateway token is already configured ({esc(fingerprint(existing.value))}); nothing changed"
        )
        return
    token = secrets.token_urlsafe(32)
    register_secret(token)
    env_file = st.paths.env_file
    st.paths.ensure_home()
    with locked(env_file):
        text = read_text_if_exists(env_file) or ""
        if text and not text.endswith("\n"):
            text += "\n"
        atomic_write(env_file, text + f"CLAWGATE_GATEWAY_TOKEN={token}\n")
    c.print(f"[green]gateway token[/] {esc(fingerprint(token))} written to {esc(display_path(env_file))}")
