"""`clawgate env`: each relevant variable's winning source (file:line) and every other definition."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from clawgate.cli.context import json_option, state
from clawgate.cli.output import console, emit_json, esc
from clawgate.environment import SOURCE_LABEL
from clawgate.redaction import fingerprint


def relevant_names(snap: Any, include_all: bool) -> list[str]:
    from clawgate.config.schema import SecretRef
    from clawgate.config.substitution import references

    names: dict[str, None] = {}
    used = set()
    for info in snap.agents():
        for att in snap.plan(info.id).attempts:
            if att.view is not None:
                used.add(att.view.id)
    for view in snap.catalog.providers.values():
        if view.id in used or view.configured or include_all:
            for n in view.env_vars:
                names[n] = None
        if isinstance(view.api_key, str):
            for n in references(view.api_key):
                names[n] = None
        elif isinstance(view.api_key, SecretRef) and view.api_key.source == "env":
            names[view.api_key.id] = None
        for n in references(view.base_url.value or ""):
            names[n] = None
    for n in (
        "CLAWGATE_HOME",
        "CLAWGATE_CONFIG",
        "CLAWGATE_GATEWAY_TOKEN",
        "HTTPS_PROXY",
        "https_proxy",
        "HTTP_PROXY",
        "http_proxy",
        "ALL_PROXY",
        "all_proxy",
        "NO_PROXY",
        "no_proxy",
    ):
        names[n] = None
    for n in snap.env.file_names():
        names[n] = None
    return list(names)


def _show_value(name: str, value: str) -> dict[str, Any]:
    if name.upper().endswith("PROXY") or name.startswith("CLAWGATE_HOME") or name == "CLAWGATE_CONFIG":
        from urllib.parse import urlsplit

        p = urlsplit(value)
        return {"value": value.replace(p.password, "****") if p.password else value}
    return {"fingerprint": fingerprint(value) if value else "(empty)"}


@click.group("env", invoke_without_command=True)
@click.option("--all", "include_all", is_flag=True, help="Also list every preset's key variables.")
@click.option("--missing", is_flag=True, help="Also list relevant variables that are not set anywhere.")
@json_option
@click.pass_context
def env(ctx: click.Context, include_all: bool, missing: bool, as_json: bool) -> None:
    """Show relevant variables: which source wins (process, ./.env, $CLAWGATE_HOME/.env, config env,
    login shell), where (file:line), and every other definition it shadows. Values are fingerprints.

    A ./.env is this shell's only: the gateway never reads it (`clawgate env move NAME` puts it where the
    gateway looks)."""
    if ctx.invoked_subcommand is not None:
        return
    snap = state().snapshot(cli_env=True)
    rows: list[dict[str, Any]] = []
    for name in relevant_names(snap, include_all):
        var = snap.env.var(name)
        if var is None:
            if missing or include_all:
                rows.append({"name": name, "set": False})
            continue
        w = var.winner
        row: dict[str, Any] = {
            "name": name,
            "set": True,
            "source": w.source,
            "origin": w.origin,
            **_show_value(name, w.value),
        }
        others = []
        for d in var.shadowed:
            o: dict[str, Any] = {"source": d.source, "origin": d.origin, **_show_value(name, d.value)}
            o["same_value"] = d.value == w.value
            others.append(o)
        row["shadowed"] = others
        rows.append(row)
    files = [{"source": s, "file": f} for s, f in snap.env.dotenv_files()]
    data = {
        "order": [SOURCE_LABEL[s] for s in SOURCE_LABEL],
        "files": files,
        "variables": rows,
        "shell_import": snap.config.env.shell_env.enabled,
        "issues": [{"file": i.file, "line": i.line, "message": i.message} for i in snap.env.issues],
    }
    if as_json:
        emit_json(data)
        return
    c = console()
    c.print("[dim]precedence: " + " → ".join(data["order"]) + " (earlier wins)[/]")
    if not rows:
        c.print(
            "no relevant variables are set. Put a provider key in the home's .env: clawgate env set OPENROUTER_API_KEY"
        )
    for r in rows:
        if not r["set"]:
            c.print(f"[dim]{esc(r['name'])}  not set[/]")
            continue
        shown = r.get("value") or r.get("fingerprint")
        c.print(f"[bold]{esc(r['name'])}[/]  {esc(shown)}  [dim]{esc(r['origin'])}[/]")
        for o in r["shadowed"]:
            same = (
                "same value"
                if o["same_value"]
                else f"[yellow]different: {esc(o.get('value') or o.get('fingerprint'))}[/]"
            )
            c.print(f"    shadows {esc(o['origin'])}  {same}")
    for i in data["issues"]:
        c.print(f"[yellow]warning[/] {esc(i['file'])}:{i['line']}: {esc(i['message'])}")


@env.command("move")
@click.argument("name")
@click.option(
    "--from",
    "source",
    default=".env",
    show_default=True,
    type=click.Path(dir_okay=False),
    help="The .env file that holds NAME now.",
)
@json_option
def move_cmd(name: str, source: str, as_json: bool) -> None:
    """Move NAME's definition from a .env file (default: this directory's) to $CLAWGATE_HOME/.env, which the
    gateway reads. The value is never printed; both files are written atomically."""
    from clawgate.envfile import move_variable

    st = state()
    st.paths.ensure_home()
    result = move_variable(Path(source), st.paths.env_file, name)
    if as_json:
        emit_json(result)
        return
    console().print(
        f"moved {esc(name)} from {esc(result['from'])} to {esc(result['to'])} ({result['fingerprint']})"
    )


@env.command("set")
@click.argument("name")
@json_option
def set_cmd(name: str, as_json: bool) -> None:
    """Set NAME in $CLAWGATE_HOME/.env, which the gateway reads (and reloads without a restart). The value is
    read from a hidden prompt, or from stdin when piped — never from the command line:

    \b
      clawgate env set OPENROUTER_API_KEY
      printf '%s' "$OPENROUTER_API_KEY" | clawgate env set OPENROUTER_API_KEY

    Surrounding whitespace (a pasted space, a trailing newline) is removed, and the output says so.
    """
    from clawgate.auth.keycheck import describe_strip
    from clawgate.cli.auth_cmd import read_secret
    from clawgate.envfile import set_variable
    from clawgate.errors import UsageError

    raw = read_secret(name)
    value = raw.strip()  # what auth add and the resolver do too: a pasted space is never part of a key
    stripped = describe_strip(raw, value) if value != raw else ""
    if not value:
        raise UsageError(
            f"no value for {name} (empty input)",
            next_steps=[f"clawgate env set {name}"],
            hint=f"paste the value at the prompt, or pipe it: printf '%s' \"$VALUE\" | clawgate env set {name}",
        )
    st = state()
    st.paths.ensure_home()
    result = set_variable(st.paths.env_file, name, value)
    warnings = _key_warnings(name, value)
    if stripped:
        result["stripped"] = stripped
    if as_json:
        emit_json({**result, "warnings": warnings})
        return
    c = console()
    c.print(f"set {esc(name)} in {esc(result['file'])} ({result['fingerprint']})")
    if stripped:
        c.print(f"[yellow]note:[/] {esc(stripped)} removed from the value")
    for w in warnings:
        c.print(f"[yellow]warning:[/] {esc(w)}")


def _key_warnings(name: str, value: str) -> list[str]:
    """What the key check (auth/keycheck.py, the one the runtime applies) says of `value` as the key of each
    provider that reads `name`: a key it refuses is stored, but never sent."""
    from clawgate.auth.keycheck import check_key

    out: list[str] = []
    for view in state().snapshot().catalog.providers.values():
        if name not in view.env_vars:
            continue
        for issue in check_key(value, view.id, view.preset).issues:
            reason = f"{issue.code}: {issue.reason}"
            if issue.fatal:
                reason += f" — clawgate will not send it to {view.id}"
            if reason not in out:
                out.append(reason)
    return out


@env.command("dedupe")
@click.argument("name")
@json_option
def dedupe_cmd(name: str, as_json: bool) -> None:
    """Keep only the definition of NAME in effect in $CLAWGATE_HOME/.env (the last line), dropping the others."""
    from clawgate.envfile import dedupe_variable

    st = state()
    st.paths.ensure_home()
    result = dedupe_variable(st.paths.env_file, name)
    if as_json:
        emit_json(result)
        return
    console().print(f"kept the last {esc(name)} line of {esc(result['file'])}; removed {result['removed']}")


@env.command("unset")
@click.argument("name")
@json_option
def unset_cmd(name: str, as_json: bool) -> None:
    """Remove NAME from $CLAWGATE_HOME/.env (the gateway picks the change up without a restart)."""
    from clawgate.envfile import unset_variable

    st = state()
    st.paths.ensure_home()
    result = unset_variable(st.paths.env_file, name)
    if as_json:
        emit_json(result)
        return
    console().print(f"removed {esc(name)} from {esc(result['file'])}")
