"""State storage behind a small interface: SQLite now (embedded default); Redis/PostgreSQL later."""

from clawgate.store.base import (
    AttemptRecord,
    CronRecord,
    HealthRecord,
    MessageRecord,
    RunRecord,
    SessionRecord,
    Store,
)

__all__ = [
    "AttemptRecord",
    "CronRecord",
    "HealthRecord",
    "MessageRecord",
    "RunRecord",
    "SessionRecord",
    "Store",
    "open_store",
]


def open_store(path: str | None) -> Store:
    """The embedded default: SQLite at `path` (None: in memory, for one-off CLI calls that keep nothing)."""
    from clawgate.store.sqlite import SQLiteStore

    return SQLiteStore(path)
