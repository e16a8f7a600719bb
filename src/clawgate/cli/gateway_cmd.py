"""`clawgate gateway run|start|stop|restart|status|install`."""

from __future__ import annotations

import os
from pathlib import Path

import click

from clawgate.cli.context import json_option, state
from clawgate.cli.output import console, emit_json, esc
from clawgate.paths import display_path


@click.group("gateway")
def gateway() -> None:
    """Run and manage the gateway (the long-running HTTP service agents talk to)."""


@gateway.command("run")
@click.option("--host", help="Listen address (default: gateway.bind, loopback).")
@click.option("--port", type=int, help="Port (default: gateway.port, 18789).")
@click.option("--quiet", is_flag=True, help="Log to the log file only (used by `gateway start`).")
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="Worker processes serving one port, sharing state through state.redis/state.database or this "
    "home's SQLite files (docs/state.md).",
)
@click.option("--worker-fd", type=int, hidden=True)
@click.option("--worker-of", type=int, hidden=True)
def run_cmd(
    host: str | None,
    port: int | None,
    quiet: bool,
    workers: int,
    worker_fd: int | None,
    worker_of: int | None,
) -> None:
    """Run the gateway in the foreground until Ctrl-C / SIGTERM (which drains in-flight streams first)."""
    st = state()
    if workers > 1 and worker_fd is None:
        from clawgate.gateway.workers import run_workers

        raise click.exceptions.Exit(run_workers(st.paths, st.environ, workers, host, port, console=not quiet))
    from clawgate.gateway.server import run

    code = run(st.paths, st.environ, host, port, console=not quiet, worker_fd=worker_fd, worker_of=worker_of)
    raise click.exceptions.Exit(code)


@gateway.command("start")
@click.option("--workers", type=click.IntRange(1, 64), default=1, show_default=True, help="Worker processes.")
@json_option
def start_cmd(as_json: bool, workers: int = 1) -> None:
    """Start the gateway in the background (pidfile and log in the state dir).

    The gateway gets a defined environment, not this shell's: OS basics, CLAWGATE_HOME/CLAWGATE_CONFIG and the
    names in env.passThrough. Keys belong in $CLAWGATE_HOME/.env (`clawgate env set NAME`), which it reads."""
    from clawgate.gateway.lifecycle import address_for, start
    from clawgate.gateway.service_env import pass_through_names

    st = state()
    snap = st.snapshot()
    data = start(st.paths, st.environ, address_for(snap), pass_through_names(snap.config), workers=workers)
    if as_json:
        emit_json(data)
        return
    verb = "already running" if data.get("already_running") else "started"
    console().print(
        f"[green]gateway {verb}[/] at {esc(data.get('url'))} (pid {data.get('pid')}); "
        f"logs: clawgate logs --follow"
    )


@gateway.command("stop")
@json_option
def stop_cmd(as_json: bool) -> None:
    """Stop the background gateway (SIGTERM, drain, then SIGKILL if it does not exit)."""
    from clawgate.gateway.lifecycle import stop

    st = state()
    drain = st.snapshot().config.gateway.drain_seconds
    data = stop(st.paths, drain)
    if as_json:
        emit_json(data)
    elif data["was_running"]:
        workers = data.get("workers") or []
        console().print(
            f"stopped gateway pid {', '.join(str(p) for p in data['pids'])}"
            + (f" and its {len(workers)} worker(s)" if workers else "")
            + (" (killed after the drain window)" if data["killed"] else "")
        )
    else:
        console().print("no gateway was running from this home")


@gateway.command("restart")
@click.pass_context
def restart_cmd(ctx: click.Context) -> None:
    """Stop, then start the background gateway."""
    ctx.invoke(stop_cmd, as_json=False)
    ctx.invoke(start_cmd, as_json=False)


@gateway.command("status")
@json_option
def status_cmd(as_json: bool) -> None:
    """Is a gateway running here, and does it use the same home, config and version as this CLI?

    Exit status: 0 when it runs and matches, 1 on a mismatch or error, 3 when none is running.
    """
    from clawgate.errors import ClawgateError
    from clawgate.gateway.lifecycle import status, target_for
    from clawgate.gateway.token import ENV_NAME, resolve_gateway_token

    st = state()
    local_error: ClawgateError | None = None
    try:
        snap = st.snapshot()
    except ClawgateError as exc:
        # This CLI cannot read the config (a broken edit). The gateway may still serve the last good one:
        # find it through this home's pidfile and use the token from the environment alone.
        local_error = exc
        url, token, token_json = _fallback_target()
        client: dict[str, object] = {}
    else:
        url, token, client = target_for(snap)
        token_json = resolve_gateway_token(snap).to_json()
    data = status(st.paths, url, token, client)
    data["cli"]["token"] = token_json
    if local_error is not None and not any(f["code"] == local_error.code for f in data["findings"]):
        data["findings"].insert(
            0,
            {
                "code": local_error.code,
                "severity": "error",
                "owner": "config",
                "message": f"this CLI cannot load its config ({local_error}); token from {ENV_NAME} only",
                "next": list(local_error.next_steps),
            },
        )
    if as_json:
        emit_json(data)
    else:
        c = console()
        if data["running"] and "gateway" in data:
            g = data["gateway"]
            c.print(
                f"[green]running[/] {esc(data['url'])} pid {g['pid']} up {g['uptime_s']:.0f}s, "
                f"version {esc(g['version'])}"
            )
            c.print(f"  gateway home {esc(display_path(g['home']))}, config {esc(display_path(g['config']))}")
            c.print(
                f"  cli     home {esc(display_path(data['cli']['home']))}, config {esc(display_path(data['cli']['config']))}"
            )
            for other in data.get("gateways", []):
                w = other.get("workers") or []
                c.print(
                    f"  process {other['pid']} on {esc(other.get('url'))}"
                    + (f" with {len(w)} worker(s): {', '.join(str(p) for p in w)}" if w else "")
                )
            shared = (g.get("state") or {}).get("shared") or {}
            db = (g.get("state") or {}).get("database") or {}
            if shared or db:
                c.print(
                    f"  state: {esc(shared.get('engine'))}"
                    + (f" at {esc(shared.get('host'))}" if shared.get("host") else "")
                    + f", records: {esc(db.get('engine'))}"
                    + (f" at {esc(db.get('host'))}" if db.get("host") else "")
                )
            fails = g["calls_last_hour"]["failures_by_owner"]
            c.print(
                f"  calls last hour: {g['calls_last_hour']['total']}"
                + (
                    "; failures by owner: " + ", ".join(f"{esc(k)} {v}" for k, v in sorted(fails.items()))
                    if fails
                    else ""
                )
            )
        for f in data["findings"]:
            style = {"error": "red", "warn": "yellow"}.get(f["severity"], "cyan")
            c.print(f"[{style}]{f['severity']}[/] {esc(f['code'])}: {esc(f['message'])}")
            for n in f.get("next", []):
                c.print(f"  next: {esc(n)}")
            if f.get("hint"):
                c.print(f"  [dim]hint: {esc(f['hint'])}[/]")
    if not data["running"]:
        raise click.exceptions.Exit(3)
    if any(f["severity"] == "error" for f in data["findings"]):
        raise click.exceptions.Exit(1)


def _fallback_target() -> tuple[str, str | None, dict[str, object]]:
    """(url, token, token info) without the config: this home's pidfile (or the default port), and
    CLAWGATE_GATEWAY_TOKEN from the process or the home .env."""
    from pathlib import Path

    from clawgate.config.schema import GatewayConfig
    from clawgate.environment import Environment
    from clawgate.gateway.lifecycle import _local_url, alive
    from clawgate.gateway.pidfile import read_pidfile
    from clawgate.gateway.token import ENV_NAME
    from clawgate.redaction import fingerprint, register_secret

    st = state()
    pid = read_pidfile(st.paths)
    if pid and pid.get("url") and alive(int(pid.get("pid", 0))):
        url = _local_url(str(pid["url"]))
    else:
        url = f"http://127.0.0.1:{GatewayConfig().port}"
    env = Environment.load(process=st.environ, cwd=Path.cwd(), home_env_file=st.paths.env_file)
    var = env.var(ENV_NAME)
    token = var.value.strip() if var is not None and var.value.strip() else None
    if token:
        register_secret(token)
    info: dict[str, object] = {
        "mode": "token" if token else "unknown",
        "source": f"env:{ENV_NAME}" if token else "none",
        "origin": var.winner.origin if (token and var is not None) else None,
        "fingerprint": fingerprint(token) if token else None,
        "error": None,
    }
    return url, token, info


@gateway.command("install")
@click.option("--print", "print_only", is_flag=True, help="Print the unit instead of writing it.")
@click.option("--path", "unit_path", type=click.Path(dir_okay=False), help="Where to write the unit.")
@click.option("--workers", type=click.IntRange(1, 64), default=1, show_default=True, help="Worker processes.")
def install_cmd(print_only: bool, unit_path: str | None, workers: int = 1) -> None:
    """Write a systemd user unit for the gateway. It references the state dir and holds no secret; the
    service's environment is the same as `gateway start` gives (env.passThrough → PassEnvironment=)."""
    from clawgate.atomicfile import atomic_write
    from clawgate.gateway.lifecycle import unit_text

    st = state()
    from clawgate.gateway.service_env import pass_through_names

    snap = st.snapshot()
    text = unit_text(st.paths, snap.config.gateway.drain_seconds, pass_through_names(snap.config), workers)
    if print_only:
        click.echo(text, nl=False)
        return
    path = (
        Path(unit_path) if unit_path else Path(os.path.expanduser("~/.config/systemd/user/clawgate.service"))
    )
    atomic_write(path, text, mode=0o644)
    c = console()
    c.print(f"[green]wrote[/] {esc(display_path(path))}")
    c.print("  systemctl --user daemon-reload && systemctl --user enable --now clawgate")
    c.print("  keys and the gateway token stay in $CLAWGATE_HOME/.env (not in the unit)")
