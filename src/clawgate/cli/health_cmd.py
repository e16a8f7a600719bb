"""`clawgate health list|clear`: per-credential health with the first failure that started each state."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import click

from clawgate.cli.context import json_option, state
from clawgate.cli.output import console, emit_json, esc

if TYPE_CHECKING:
    from clawgate.call.health import HealthRegistry
    from clawgate.store import Store


def _registry(create: bool = False) -> tuple[HealthRegistry | None, Store | None]:
    from clawgate.call.health import HealthRegistry
    from clawgate.store import open_store

    st = state()
    if not st.paths.state_db.exists() and not create:
        return None, None
    st.paths.ensure_home()
    store = open_store(str(st.paths.state_db))
    return HealthRegistry(store), store


@click.group("health")
def health() -> None:
    """Health state per provider, credential (fingerprint) and model."""


@health.command("list")
@json_option
def list_cmd(as_json: bool) -> None:
    """Show credentials that are rejected, cooling down or blocked — each with its first failure."""
    reg, store = _registry()
    records = reg.records() if reg else []
    if store is not None:
        store.close()
    now = time.time()
    rows = []
    for r in records:
        d = r.to_json()
        d["active"] = bool(r.until and r.until > now)
        rows.append(d)
    if as_json:
        emit_json({"health": rows})
        return
    c = console()
    if not rows:
        c.print("[green]all credentials healthy[/] (no failures recorded)")
        return
    for d in rows:
        until = time.strftime("%H:%M:%S", time.localtime(d["until"])) if d["until"] else "-"
        style = "red" if d["state"] in ("rejected", "blocked") else "yellow"
        active = "" if d["active"] else " [dim](window over: next call re-tests it)[/]"
        c.print(
            f"[{style}]{esc(d['state'])}[/] {esc(d['provider'])} {esc(d['fingerprint'])} model {esc(d['model'])} "
            f"until {until}{active}  [dim]{esc(d['credential'])}[/]"
        )
        ff = d["first_failure"] or {}
        if ff:
            first = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(ff["time"]))
            c.print(
                f"    first failure {first}: {esc(ff['owner'])} {esc(ff['status'])} {esc(ff['code'])}: "
                f"{esc(ff['message'])}  [dim]({d['failures']} failure(s))[/]"
            )


@health.command("clear")
@click.option("--provider", help="Only this provider.")
@click.option("--fingerprint", help="Only this credential fingerprint.")
@json_option
def clear_cmd(provider: str | None, fingerprint: str | None, as_json: bool) -> None:
    """Forget health state (e.g. after fixing billing) so the next call tries again at once."""
    reg, store = _registry()
    n = reg.clear(provider, fingerprint) if reg else 0
    if store is not None:
        store.flush()
        store.close()
    if as_json:
        emit_json({"ok": True, "cleared": n})
    else:
        console().print(f"cleared {n} health record(s)")
