"""Building the PostgreSQL store's statements (`$n` placeholders, upserts and WHERE clauses from filters), and
`EnginePart`: what each part of the store (attempts, sessions, clients) uses of the engine it is mixed with."""

from __future__ import annotations

from concurrent.futures import Future
from typing import Any

from clawgate.store.columns import col


def marks(n: int, start: int = 1) -> str:
    """`$start, …, $(start + n - 1)`."""
    return ", ".join(f"${i}" for i in range(start, start + n))


def upsert(table: str, cols: list[str], key: tuple[str, ...], update: list[str] | None = None) -> str:
    """INSERT of every column; on a conflict on `key`, set the `update` columns (default: all but the key)."""
    names = ", ".join(col(c) for c in cols)
    sets = ", ".join(f"{col(c)} = excluded.{col(c)}" for c in (update or [c for c in cols if c not in key]))
    return f"INSERT INTO {table} ({names}) VALUES ({marks(len(cols))}) ON CONFLICT ({', '.join(key)}) DO UPDATE SET {sets}"


def where_clause(filters: dict[str, Any]) -> tuple[str, list[Any]]:
    """(` WHERE a = $1 AND …`, its arguments) for the filters that are set; ("", []) when none is."""
    parts, args = [], []
    for name, value in filters.items():
        if value:
            args.append(value)
            parts.append(f"{name} = ${len(args)}")
    return (" WHERE " + " AND ".join(parts)) if parts else "", args


class EnginePart:
    """The engine's methods a part of `PostgresStore` calls; `PostgresEngine` comes first in the store's bases,
    so its own methods are the ones that run (these only say what a part may call)."""

    def _submit(self, op: Any, droppable: bool = False) -> None:
        raise NotImplementedError

    def _fetch(self, sql: str, *args: Any) -> list[Any]:
        raise NotImplementedError

    def barrier(self) -> Future[None]:
        raise NotImplementedError

    @property
    def available(self) -> bool:
        raise NotImplementedError
