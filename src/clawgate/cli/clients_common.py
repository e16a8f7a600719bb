"""What `clawgate keys`, `devices` and `spend` share: this home's durable store (SQLite, or PostgreSQL with
`state.database`) with the shared state that tells every running gateway process about a change, time
formatting, and the one output path that shows a secret (a new key, once)."""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Callable
from typing import Any, TypeVar

import orjson

from clawgate.cli.context import state

T = TypeVar("T")


def _home() -> tuple[Any, Any]:
    """(this home's snapshot or None when its config does not load, the store the config chooses)."""
    from clawgate.errors import ClawgateError
    from clawgate.store import open_for

    st = state()
    try:
        snap = st.snapshot()
    except ClawgateError:
        snap = None
    return snap, open_for(st.paths, snap)


def with_admin(action: Callable[[Any], T]) -> T:
    """Run `action(ClientAdmin)` on this home's store; changes are announced on the shared state (and the
    store's change marker moves, which a gateway that missed the notification sees within a second)."""
    from clawgate.clients import registry as reg
    from clawgate.clients.admin import ClientAdmin
    from clawgate.state.config import open_shared

    snap, store = _home()
    try:
        if snap is None:
            return action(ClientAdmin(store))
        shared = open_shared(state().paths, snap)

        async def go() -> T:
            await shared.start()
            try:
                return action(ClientAdmin(store, lambda: shared.notify(reg.CHANNEL, {"by": "cli"})))
            finally:
                await shared.close()

        return asyncio.run(go())
    finally:
        store.flush()
        store.close()


def with_store(action: Callable[[Any], T]) -> T:
    """Run `action(store)` on this home's store, for reads."""
    _, store = _home()
    try:
        return action(store)
    finally:
        store.close()


def when(ts: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(ts)) if ts else "-"


def ago(ts: float | None, now: float | None = None) -> str:
    if not ts:
        return "never"
    secs = (time.time() if now is None else now) - ts
    future = secs < 0
    secs = abs(secs)
    if secs < 90:
        text = f"{secs:.0f} s"
    elif secs < 5400:
        text = f"{secs / 60:.0f} min"
    elif secs < 2 * 86400:
        text = f"{secs / 3600:.0f} h"
    else:
        text = f"{secs / 86400:.0f} d"
    return f"in {text}" if future else f"{text} ago"


def reveal_json(obj: Any) -> None:
    """JSON with a secret in it, written past the redactor: the one place a new key is shown (once)."""
    sys.stdout.write(orjson.dumps(obj, option=orjson.OPT_INDENT_2).decode() + "\n")
    sys.stdout.flush()


def reveal(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()
