"""PostgreSQL storage (asyncpg with a pool) for the durable records of many gateway processes and machines.

`PostgresStore` is the `Store` the rest of clawgate uses, put together from its engine and its queries by
subject, the way `SQLiteStore` is:

- `pg_engine.py`: the store's own loop and thread, the pool and migrations, the batching writer (a batch the
  database cannot take is kept and retried, never dropped), the reads, the status;
- `pg_attempts.py`: attempts, health, health clears;
- `pg_sessions.py`: sessions, messages, runs, cron runs;
- `pg_clients.py`: client keys, devices, spend;
- `responses.py`: kept Responses answers (shared with SQLite);
- `pg_migrations.py`: the schema as numbered steps; `pg_sql.py`: building the statements.
"""

from __future__ import annotations

from typing import Any

from clawgate.store.pg_attempts import PostgresAttempts
from clawgate.store.pg_clients import PostgresClients
from clawgate.store.pg_engine import PostgresEngine, unavailable
from clawgate.store.pg_sessions import PostgresSessions
from clawgate.store.responses import POSTGRES, ResponsesStore

__all__ = ["PostgresStore", "unavailable"]


class PostgresStore(PostgresEngine, PostgresAttempts, PostgresSessions, ResponsesStore, PostgresClients):
    """The PostgreSQL store (`state.database`). Thread-safe; writes go through the engine's writer. The engine
    comes first: its `_submit`, `_fetch`, `barrier` and `available` are the ones the mixins call."""

    _responses_sql = POSTGRES

    def _response_rows(self, sql: str, args: tuple[Any, ...]) -> list[Any]:
        return self._fetch(sql, *args)
