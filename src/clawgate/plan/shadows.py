"""What shadows a changed config path, for every agent: an agent's own model or fallback list beating the
default one that was just written. One check for `config set|unset` and `models set|fallbacks …`."""

from __future__ import annotations

from typing import Any

import orjson

from clawgate.plan.snapshot import Snapshot
from clawgate.shellcmd import command


def overlaps(a: str, b: str) -> bool:
    """Is one config path the other, or inside it (`agents.defaults.model` and `….model.fallbacks[0]`)?"""
    return a == b or any(x.startswith(y + sep) for x, y in ((a, b), (b, a)) for sep in (".", "["))


def refs_text(refs: list[str]) -> str:
    return "[" + ", ".join(refs) + "]"


def shadow_warnings(snap: Snapshot, changed: str) -> list[dict[str, Any]]:
    """For each agent whose own setting beats `changed` (a config path): which setting wins, and the commands
    that make the agent inherit the changed value (or keep the override on purpose)."""
    out: list[dict[str, Any]] = []
    for info in snap.agents():
        choice = snap.model_choice(info)
        for spath, sref in choice.shadows:
            if overlaps(changed, spath):
                out.append(
                    {
                        "agent": info.id,
                        "message": f"{changed} is shadowed for agent {info.id}: {choice.source} = {choice.ref} wins",
                        "winner": {"from": choice.source, "ref": choice.ref},
                        "next": [
                            command("config", "unset", choice.source),
                            command("config", "set", choice.source, sref),
                        ],
                    }
                )
        won = [r for r, _ in choice.fallbacks]
        for spath, srefs in choice.fallback_shadows:
            if overlaps(changed, spath):
                out.append(
                    {
                        "agent": info.id,
                        "message": f"{changed} is shadowed for agent {info.id}: its fallbacks "
                        f"{choice.fallbacks_from} = {refs_text(won)} win",
                        "winner": {"from": choice.fallbacks_from, "refs": won},
                        "next": [
                            command("config", "unset", choice.fallbacks_from),
                            command("config", "set", choice.fallbacks_from, orjson.dumps(srefs).decode()),
                        ],
                    }
                )
    return out + order_shadow_warnings(snap, changed)


def order_shadow_warnings(snap: Snapshot, changed: str) -> list[dict[str, Any]]:
    """`auth.order.<provider>` comes before the order stored with `clawgate auth order set`: say so when the
    change made the config's order decide where the stored one did."""
    if not (changed == "auth" or changed.startswith("auth.order")):
        return []
    parts = changed.split(".")
    orders = snap.config.auth.order
    providers = [parts[2]] if len(parts) > 2 else sorted(orders)
    out = []
    for prov in providers:
        if not orders.get(prov):
            continue
        for info in snap.agents():
            store = snap.store(info.id)
            stored = store.order.get(prov)
            if not stored:
                continue
            now = [p.id for p in store.for_provider(prov, orders[prov])]
            out.append(
                {
                    "agent": info.id,
                    "message": f"auth.order.{prov} comes before the order stored for agent {info.id} with "
                    f"`clawgate auth order set` ({', '.join(stored)}, {store.display}): "
                    f"{prov} profiles are now tried as {', '.join(now) or '(none)'}",
                    "winner": {"from": f"auth.order.{prov}", "order": now},
                    "next": [
                        command("auth", "order", "get", "--provider", prov, "--agent", info.id),
                        command("config", "unset", f"auth.order.{prov}"),
                    ],
                }
            )
    return out
