"""Building the PostgreSQL store's statements: `$n` placeholders, upserts and WHERE clauses from filters."""

from __future__ import annotations

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
