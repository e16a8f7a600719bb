"""Spend read from the attempts, the same SQL for every engine: cost and tokens of the tries sent, grouped by
some of client, agent, model (provider + model) and day (UTC). Only the day expression differs per engine."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from clawgate.store.base import SpendRow
from clawgate.store.columns import SPEND_GROUPS

# the attempts' expression for each spend group (`model` is provider + model)
_GROUP_SQL = {
    "client": ("client",),
    "agent": ("agent",),
    "model": ("provider", "model"),
}


def spend_select(
    group: tuple[str, ...], placeholder: Callable[[int], str], day_sql: str
) -> tuple[str, list[str]]:
    """(SELECT … GROUP BY …, the row's column names) for spend grouped by `group`; shared with PostgreSQL."""
    for g in group:
        if g not in SPEND_GROUPS:
            raise ValueError(f"spend cannot be grouped by {g!r} (choose from {', '.join(SPEND_GROUPS)})")
    exprs: list[str] = []
    names: list[str] = []
    for g in SPEND_GROUPS:
        if g in group:
            parts = _GROUP_SQL[g] if g != "day" else (day_sql,)
            exprs.extend(parts)
            names.extend(("provider", "model") if g == "model" else (g,))
    sums = (
        "COALESCE(SUM(cost_usd), 0), COUNT(*), COALESCE(SUM(input_tokens), 0), COALESCE(SUM(output_tokens), 0), "
        "COALESCE(SUM(cache_read_tokens), 0), COALESCE(SUM(cache_write_tokens), 0)"
    )
    select = ", ".join([*exprs, sums])
    where = f"WHERE sent AND ts >= {placeholder(1)} AND ts < {placeholder(2)}"
    sql = f"SELECT {select} FROM attempts {where}"
    if exprs:
        sql += f" GROUP BY {', '.join(exprs)} ORDER BY 1"
    return sql, names


def spend_rows(names: list[str], rows: list[Any]) -> list[SpendRow]:
    out = []
    for r in rows:
        keyed = dict(zip(names, r[: len(names)], strict=True))
        cost, tries, inp, outp, cr, cw = r[len(names) :]
        if not tries:
            continue
        out.append(
            SpendRow(
                client=keyed.get("client"),
                agent=keyed.get("agent"),
                provider=keyed.get("provider"),
                model=keyed.get("model"),
                day=keyed.get("day"),
                cost_usd=float(cost or 0.0),
                tries=int(tries),
                input_tokens=int(inp or 0),
                output_tokens=int(outp or 0),
                cache_read_tokens=int(cr or 0),
                cache_write_tokens=int(cw or 0),
            )
        )
    return out
