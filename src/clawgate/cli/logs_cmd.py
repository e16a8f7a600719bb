"""`clawgate logs`: the gateway's structured log (JSON lines), human-readable or raw."""

from __future__ import annotations

import time

import click
import orjson

from clawgate.cli.context import state
from clawgate.cli.output import console, echo, esc


def _line(entry: dict) -> str:
    ts = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(entry.get("ts", 0)))
    rest = {k: v for k, v in entry.items() if k not in ("ts", "level", "event", "message") and v is not None}
    msg = entry.get("message", "")
    kv = " ".join(f"{k}={v}" for k, v in rest.items())
    return f"{ts} {entry.get('level', ''):5} {entry.get('event', '')} {msg} {kv}".rstrip()


@click.command("logs")
@click.option("--follow", "-f", is_flag=True, help="Keep printing new entries.")
@click.option("--json", "as_json", is_flag=True, help="Print raw JSON lines.")
@click.option("--limit", "-n", default=50, show_default=True, help="How many recent entries.")
def logs(follow: bool, as_json: bool, limit: int) -> None:
    """Show the gateway's recent log entries (secrets are redacted when written)."""
    from clawgate import logs as logmod

    paths = state().paths
    entries = logmod.read(paths.logs_dir, limit)
    if not entries and not follow:
        console().print(
            f"no log entries in {esc(paths.logs_dir)} yet (start the gateway: clawgate gateway start)"
        )
        return
    for e in entries:
        echo(orjson.dumps(e).decode() if as_json else _line(e))
    if follow:
        try:
            for e in logmod.follow(paths.logs_dir):
                echo(orjson.dumps(e).decode() if as_json else _line(e))
        except KeyboardInterrupt:
            return
