"""`clawgate doctor`: every finding (stable codes), ordered by severity and cause before symptom."""

from __future__ import annotations

import click

from clawgate.cli.context import json_option, state
from clawgate.cli.findings_view import render_findings
from clawgate.cli.output import emit_json
from clawgate.errors import ClawgateError
from clawgate.paths import display_path


def collect(agent_id: str | None) -> tuple[list, dict]:
    """Run the offline checks; a config that does not load is itself the finding."""
    from clawgate.diagnose.findings import order
    from clawgate.diagnose.offline import config_error_findings, offline_findings

    st = state()
    paths = st.paths
    meta = {"config": str(paths.config), "home": str(paths.home)}
    try:
        snap = st.snapshot()
    except ClawgateError as exc:
        if exc.code in ("config.parse_error", "config.invalid_value"):
            return order(config_error_findings(exc)), meta
        raise
    return order(offline_findings(snap, agent_id)), meta


@click.command("doctor")
@click.option("--agent", "agent_id", help="Only this agent (default: all agents).")
@json_option
def doctor(agent_id: str | None, as_json: bool) -> None:
    """Check config, environment and credentials offline and name what is wrong, with the next command.

    Exit status: 0 when nothing is an error, 1 when any finding is an error.
    """
    findings, meta = collect(agent_id)
    data = {
        "ok": not any(f.severity == "error" for f in findings),
        "findings": [f.to_json() for f in findings],
        **meta,
    }
    if as_json:
        emit_json(data)
    else:
        render_findings(
            data["findings"],
            header=f"config {display_path(meta['config'])}  ·  home {display_path(meta['home'])}",
        )
    if not data["ok"]:
        raise click.exceptions.Exit(1)
