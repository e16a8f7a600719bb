"""`clawgate config get|set|unset|validate|path`: edits by key path, and the effective value afterwards."""

from __future__ import annotations

import json
from typing import Any

import click

from clawgate.cli.context import json_option, state
from clawgate.cli.output import console, echo, emit_json, esc
from clawgate.config import json5io
from clawgate.config.edit import (
    format_path,
    get_path,
    is_missing,
    modify_config,
    parse_path,
    parse_value,
    set_path,
    unset_path,
)
from clawgate.errors import ClawgateError, ConfigError, NotFoundError
from clawgate.paths import display_path
from clawgate.shellcmd import command


@click.group("config")
def config() -> None:
    """Read, change and validate the config file (clawgate.json, JSON5)."""


def _mask(value: Any, path: str) -> Any:
    """Config values that are literal secrets are shown as fingerprints (a URL: only its password)."""
    from clawgate.config.secret_fields import masked

    return masked(value, parse_path(path) if path else [])


@config.command("path")
@json_option
def path_cmd(as_json: bool) -> None:
    """Show which config file and state dir this CLI uses, and why."""
    from clawgate.config.loader import check_config_path
    from clawgate.errors import ClawgateError

    p = state().paths
    try:
        check_config_path(p)
        problem = None
    except ClawgateError as exc:
        problem = exc
    data = {
        "config": str(p.config),
        "config_from": p.config_from,
        "config_exists": p.config.is_file(),
        "home": str(p.home),
        "home_from": p.home_from,
        "problem": None if problem is None else f"{problem.location}: {problem.message}",
    }
    if as_json:
        emit_json(data)
        if problem is not None:
            raise click.exceptions.Exit(problem.exit_code)
    else:
        c = console()
        exists = "" if data["config_exists"] or problem else " [yellow](does not exist yet)[/]"
        c.print(f"config: {esc(display_path(p.config))}{exists}  [dim]({p.config_from})[/]")
        c.print(f"home:   {esc(display_path(p.home))}  [dim]({p.home_from})[/]")
    if problem is not None:
        problem.next_steps = []  # (its next step is this command)
        raise problem


@config.command("get")
@click.argument("path", required=False)
@json_option
def get_cmd(path: str | None, as_json: bool) -> None:
    """Print the value at PATH (e.g. agents.list[0].model); the whole file when PATH is omitted.

    Literal secrets are shown as fingerprints: provider keys, credential headers, OTLP headers, the gateway
    token, credential env variables, and the password in a state.redis/state.database URL (the rest of the URL
    stays readable) — the same values doctor reports as config.plaintext_secret.
    """
    snap = state().snapshot()
    data = snap.loaded.data
    parts = parse_path(path) if path else []
    value = get_path(data, parts) if parts else data
    if is_missing(value):
        raise NotFoundError(
            f"{path} is not set in {snap.loaded.display}",
            next_steps=[f"{command('config', 'set', path or '')} VALUE", "clawgate config get --json"],
        )
    shown = _mask(value, path or "")
    if as_json:
        emit_json(shown)
    elif isinstance(shown, (dict, list)):
        echo(json5io.dumps(shown).rstrip())
    else:
        echo(str(shown) if shown is not None else "null")


@config.command("set")
@click.argument("path")
@click.argument("value")
@click.option("--string", "as_string", is_flag=True, help="Store VALUE as text even if it looks like JSON.")
@json_option
def set_cmd(path: str, value: str, as_string: bool, as_json: bool) -> None:
    """Set PATH to VALUE (JSON5 for numbers, booleans, arrays and objects; text otherwise).

    The change is validated before it is written (atomically, with a .bak of the previous file). Afterwards
    the effective value is shown, with a warning when another setting shadows the one you changed.
    """
    parts = parse_path(path)
    parsed = parse_value(value, as_string)
    st = state()
    try:
        old, _new, _cfg = modify_config(st.paths, lambda d: set_path(d, parts, parsed))
    except ConfigError as exc:
        if exc.evidence.get("written") is not False:
            raise
        raise _refused_set(format_path(parts), value, parsed, exc) from None
    before = get_path(old, parts)
    _report_change(path, parts, None if is_missing(before) else before, parsed, as_json, "set")


def _refused_set(path: str, raw: str, parsed: Any, exc: ConfigError) -> ConfigError:
    """A `config set` the schema refuses: the key and value, that nothing was written, the corrected command."""
    problems = exc.evidence.get("problems") or []
    shown = json.dumps(_mask(parsed, path), ensure_ascii=False)
    if not problems:  # refused by a check after the schema (e.g. a header that would replace the credential)
        key = exc.location.key if exc.location and exc.location.key else path
        return ConfigError(
            f"config set {path} {shown} refused, nothing was written: {key}: {exc.message}",
            location=exc.location,
            evidence={**exc.evidence, "path": path},
            next_steps=list(exc.next_steps),
            hint=exc.hint,
        )
    mine = [p for p in problems if _within(p["path"], path)] or problems
    fixes = [
        step for p in mine for step in p.get("steps", ())
    ]  # the schema's own fix (a baseUrl's user:password@)
    fixes += [f for f in (_corrected(path, raw, parsed, p) for p in mine) if f]
    what = "; ".join(f"{p['path'] or '(top level)'}: {p['message']}" for p in mine)
    unknown = any(p.get("type") == "unknown_key" and p["path"] == path for p in mine)
    look = path.rsplit(".", 1)[0] if unknown and "." in path else path  # the key itself does not exist
    return ConfigError(
        f"config set {path} {shown} refused, nothing was written: {what}",
        evidence={**exc.evidence, "path": path},
        next_steps=[*dict.fromkeys(fixes), command("config", "get", look), "clawgate config schema"][:3],
    )


def _within(inner: str, outer: str) -> bool:
    return inner == outer or inner.startswith((outer + ".", outer + "["))


def _corrected(path: str, raw: str, parsed: Any, prob: dict[str, Any]) -> str | None:
    """The command that does what `config set path raw` meant, when the problem says what that is."""
    kind, at = prob.get("type"), prob["path"]
    if kind == "unknown_key" and prob.get("guess") and at == path:
        parent = at.rsplit(".", 1)[0] if "." in at else ""
        return command("config", "set", f"{parent}.{prob['guess']}" if parent else prob["guess"], raw)
    if at != path:
        return None
    if kind in ("list_type",) and isinstance(parsed, str):
        return command("config", "set", path, json.dumps([parsed]))
    if kind in ("string_type",) and not isinstance(parsed, (dict, list)):
        return command("config", "set", path, raw, "--string")
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return f"{command('config', 'set', path)} <INTEGER>"
    if kind in ("bool_parsing", "bool_type"):
        return f"{command('config', 'set', path)} true"
    return None


@config.command("unset")
@click.argument("path")
@json_option
def unset_cmd(path: str, as_json: bool) -> None:
    """Remove PATH from the config file (the value then comes from defaults or presets)."""
    parts = parse_path(path)
    st = state()
    removed: list[bool] = []

    def mutate(d: dict) -> None:
        removed.append(unset_path(d, parts))

    old, _new, _cfg = modify_config(st.paths, mutate)
    if not removed or not removed[0]:
        raise NotFoundError(f"{path} is not set", next_steps=["clawgate config get --json"])
    _report_change(path, parts, get_path(old, parts), None, as_json, "unset")


def _report_change(path: str, parts: list, before: Any, after: Any, as_json: bool, verb: str) -> None:
    from clawgate.plan.shadows import shadow_warnings
    from clawgate.plan.snapshot import Snapshot

    st = state()
    snap = Snapshot.load(st.paths, st.environ)
    warnings = shadow_warnings(snap, format_path(parts))
    out = {
        "ok": True,
        "path": format_path(parts),
        "action": verb,
        "before": _mask(before, path),
        "after": _mask(after, path),
        "file": str(snap.loaded.path),
        "effective": _effective(snap),
        "warnings": warnings,
    }
    if as_json:
        emit_json(out)
        return
    c = console()
    if verb == "set":
        c.print(
            f"[green]set[/] {esc(out['path'])} = {esc(json5io.dumps(out['after']).strip())}  "
            f"[dim]({esc(display_path(snap.loaded.path))})[/]"
        )
    else:
        c.print(f"[green]removed[/] {esc(out['path'])}  [dim]({esc(display_path(snap.loaded.path))})[/]")
    for agent in out["effective"]["agents"]:
        c.print(
            f"  agent {esc(agent['agent'])}: model {esc(agent['ref'])} [dim](from {esc(agent['from'])})[/]"
        )
    for w in warnings:
        c.print(f"[yellow]warning:[/] {esc(w['message'])}")
        for n in w["next"]:
            c.print(f"  next: {esc(n)}")
    c.print("[dim]A running gateway picks up the change by itself (it watches the file).[/]")


def _effective(snap: Any) -> dict[str, Any]:
    agents = []
    for info in snap.agents():
        choice = snap.model_choice(info)
        agents.append(
            {
                "agent": info.id,
                "ref": choice.ref,
                "from": choice.source,
                "shadows": [{"from": s, "ref": r} for s, r in choice.shadows],
                "fallbacks": [r for r, _ in choice.fallbacks],
                **choice.fallback_json(),
            }
        )
    return {"agents": agents}


@config.command("validate")
@json_option
def validate_cmd(as_json: bool) -> None:
    """Check the config file: syntax (file:line:col), schema, unknown keys ("did you mean")."""
    st = state()
    p = st.paths
    try:
        snap = st.snapshot()
    except ClawgateError as exc:
        if as_json:
            emit_json({"ok": False, "file": str(p.config), "error": exc.to_json()})
            raise click.exceptions.Exit(2) from None
        raise
    if as_json:
        emit_json({"ok": True, "file": str(p.config), "exists": snap.loaded.exists})
    elif snap.loaded.exists:
        console().print(f"[green]ok[/] {esc(display_path(p.config))} is valid")
    else:
        console().print(
            f"[green]ok[/] no config file at {esc(display_path(p.config))} (built-in defaults apply)"
        )


def _register_more() -> None:
    from clawgate.cli.config_extra_cmd import register

    register(config)


_register_more()


def _openclaw_refusals() -> None:
    from clawgate.cli.openclaw_verbs import install

    install(config, "config")


_openclaw_refusals()
