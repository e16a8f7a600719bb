"""Durable records behind one interface: SQLite (the embedded default) or PostgreSQL (`state.database`)."""

from typing import Any

from clawgate.paths import Paths
from clawgate.store.base import (
    AttemptRecord,
    ClientKeyRecord,
    CronRecord,
    DeviceRecord,
    HealthRecord,
    MessageRecord,
    RunRecord,
    SessionRecord,
    SpendRow,
    Store,
    StoredResponse,
    StoreUnavailable,
)

__all__ = [
    "AttemptRecord",
    "ClientKeyRecord",
    "CronRecord",
    "DeviceRecord",
    "HealthRecord",
    "MessageRecord",
    "RunRecord",
    "SessionRecord",
    "SpendRow",
    "Store",
    "StoreUnavailable",
    "StoredResponse",
    "open_for",
    "open_store",
]


def open_store(path: str | None, database_url: str | None = None, pool_size: int = 4) -> Store:
    """PostgreSQL when `database_url` is given (`state.database`); else the embedded default, SQLite at `path`
    (None: in memory, for one-off CLI calls that keep nothing)."""
    if database_url:
        from clawgate.store.postgres import PostgresStore

        return PostgresStore(database_url, pool_size=pool_size)
    from clawgate.store.sqlite import SQLiteStore

    return SQLiteStore(path)


def open_for(paths: Paths, snap: Any) -> Store:
    """The durable store the config chooses for this home."""
    from clawgate.state.config import database_url

    url = database_url(snap).url if snap is not None else None
    if not url:
        paths.ensure_home()
    return open_store(str(paths.state_db), url, snap.config.state.database_pool_size if snap else 4)


def open_existing(paths: Paths, environ: Any = None) -> Store | None:
    """For a CLI read (logs, doctor, status): the store the config chooses — PostgreSQL when `state.database`
    is set, else this home's `state.db` when it exists (None: nothing recorded yet). A config that does not
    load reads the home's file."""
    snap = None
    try:
        from clawgate.plan.snapshot import Snapshot

        snap = Snapshot.load(paths, dict(environ) if environ is not None else None)
    except Exception:
        snap = None
    if snap is not None and snap.config.state.database:
        return open_for(paths, snap)
    return open_store(str(paths.state_db)) if paths.state_db.exists() else None
