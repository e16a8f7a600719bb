"""`clawgate spend`: what the tries cost, from the catalog's prices (models[].cost, USD per million tokens, cache
reads and writes at their own prices) — grouped by client key, agent, model and UTC day."""

from __future__ import annotations

import time

import click

from clawgate.cli.clients_common import with_store
from clawgate.cli.context import json_option
from clawgate.cli.output import console, emit_json, esc

_GROUPS = {"key": "client", "client": "client", "agent": "agent", "model": "model", "day": "day"}


@click.command("spend")
@click.option(
    "--by",
    "by",
    multiple=True,
    type=click.Choice(sorted(_GROUPS)),
    help="Group by key, agent, model and/or day (repeat; default: key and day).",
)
@click.option("--since", default="30d", show_default=True, help="How far back: 24h, 7d, 30d, …")
@json_option
def spend(by: tuple[str, ...], since: str, as_json: bool) -> None:
    """Spend and tokens by client key, agent, model and day (cache reads and writes included)."""
    from clawgate.clients.admin import parse_seconds

    groups = tuple(dict.fromkeys(_GROUPS[b] for b in (by or ("key", "day"))))
    start = time.time() - parse_seconds(since)
    from clawgate.clients.views import spend_rows

    rows = with_store(lambda s: spend_rows(s, groups, start))
    total = sum(r["cost_usd"] for r in rows)
    if as_json:
        emit_json({"by": list(groups), "since": start, "rows": rows, "total_usd": round(total, 10)})
        return
    c = console()
    if not rows:
        c.print(
            f"nothing spent since {since} ago (or no model has a price: models.providers.<id>.models[].cost)"
        )
        return
    for r in rows:
        label = " · ".join(
            str(v)
            for v in (
                r.get("client_name") if "client" in groups else None,
                r.get("agent") if "agent" in groups else None,
                f"{r.get('provider')}/{r.get('model')}" if "model" in groups else None,
                r.get("day") if "day" in groups else None,
            )
            if v is not None
        )
        cache = ""
        if r.get("cache_read_tokens") or r.get("cache_write_tokens"):
            cache = f", cache read {r.get('cache_read_tokens', 0)} / written {r.get('cache_write_tokens', 0)}"
        c.print(
            f"${r['cost_usd']:>10.4f}  {esc(label)}  [dim]{r['tries']} tries, in {r.get('input_tokens', 0)} "
            f"/ out {r.get('output_tokens', 0)} tokens{cache}[/]"
        )
    c.print(f"${total:>10.4f}  total since {since} ago")
