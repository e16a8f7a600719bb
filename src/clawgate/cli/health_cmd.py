"""`clawgate health list|clear`: per-credential health with the first failure that started each state."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import click

from clawgate.cli.context import json_option, state
from clawgate.cli.output import console, emit_json, esc
from clawgate.failures.failure import headline


def _with_registry(action: Callable[[Any], Any]) -> Any:
    """Run `action(registry)` on this home's health: the durable records plus the shared state (docs/state.md),
    whose changes every running gateway process applies at once (a notification, not a restart)."""
    import asyncio
    import os

    from clawgate.call.health import HealthRegistry
    from clawgate.call.health_shared import SharedHealth
    from clawgate.errors import ClawgateError
    from clawgate.state.config import open_shared
    from clawgate.store import open_for, open_store

    st = state()
    try:
        snap = st.snapshot()
    except ClawgateError:
        snap = None  # a broken config: this home's files only
    if snap is None or (
        not st.paths.state_db.exists() and not snap.config.state.database and not snap.config.state.redis
    ):
        if not st.paths.state_db.exists():
            return action(None)
        store = open_store(str(st.paths.state_db))
        try:
            return action(HealthRegistry(store))
        finally:
            store.flush()
            store.close()
    store = open_for(st.paths, snap)
    shared = open_shared(st.paths, snap)

    async def go() -> Any:
        reg = HealthRegistry(store)
        share = SharedHealth(reg, shared, f"cli:{os.getpid()}")
        await shared.start()
        try:
            await share.start()
            out = action(reg)
            await share.drain()
            return out
        finally:
            await shared.close()

    try:
        return asyncio.run(go())
    finally:
        store.flush()
        store.close()


@click.group("health")
def health() -> None:
    """Health state per provider, credential (fingerprint) and model."""


@health.command("list")
@json_option
def list_cmd(as_json: bool) -> None:
    """Show credentials that are rejected, cooling down or blocked — each with its first failure."""
    records = _with_registry(lambda reg: reg.records() if reg else [])
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
        on = f" on {esc(d['endpoint'])}" if d["endpoint"] else ""
        c.print(
            f"[{style}]{esc(d['state'])}[/] {esc(d['provider'])} {esc(d['fingerprint'])} model {esc(d['model'])}"
            f"{on} until {until}{active}  [dim]{esc(d['credential'])}[/]"
        )
        ff = d["first_failure"] or {}
        if ff:
            first = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(ff["time"]))
            c.print(
                f"    first failure {first}: {esc(headline(ff['owner'], ff['status'], ff['code']))}: "
                f"{esc(ff['message'])}  [dim]({d['failures']} failure(s))[/]"
            )


@health.command("clear")
@click.option("--provider", help="Only this provider.")
@click.option("--fingerprint", help="Only this credential fingerprint.")
@json_option
def clear_cmd(provider: str | None, fingerprint: str | None, as_json: bool) -> None:
    """Forget health state (e.g. after fixing billing) so the next call tries again at once — on every
    running gateway process too (they hear it through the shared state)."""
    n = _with_registry(lambda reg: reg.clear(provider, fingerprint) if reg else 0)
    if as_json:
        emit_json({"ok": True, "cleared": n})
    else:
        console().print(f"cleared {n} health record(s)")
