"""`clawgate secrets audit`: plaintext keys, unresolved references, shadowed and duplicated credentials."""

from __future__ import annotations

import click

from clawgate.cli.context import json_option
from clawgate.cli.findings_view import render_findings
from clawgate.cli.output import emit_json

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
    """Where secrets live and what is wrong with them."""


@secrets.command("audit")
@click.option("--check", is_flag=True, help="Exit 1 when anything is found (for scripts and CI).")
@json_option
def audit(check: bool, as_json: bool) -> None:
    """List plaintext keys in the config, unresolved ${VAR}/SecretRef references, credentials that shadow a
    different key, variables defined more than once, and secret files readable by others."""
    from clawgate.cli.doctor_cmd import collect

    findings, meta = collect(None)
    items = [f for f in findings if f.code in AUDIT_CODES]
    data = {"ok": not items, "items": [f.to_json() for f in items], **meta}
    if as_json:
        emit_json(data)
    else:
        render_findings(data["items"])
    if check and items:
        raise click.exceptions.Exit(1)
