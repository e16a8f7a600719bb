"""The JSON shapes of keys, devices and spend that `clawgate keys|devices|spend --json`, `status` and the control
UI share. Nothing secret: a key shows its id and hint (`cgk_<id>_…last4`), never its hash."""

from __future__ import annotations

import time
from typing import Any

from clawgate.clients.spend import period_bounds
from clawgate.store.base import ClientKeyRecord, DeviceRecord


def key_state(k: ClientKeyRecord, now: float) -> str:
    if k.revoked_at is not None:
        return "revoked"
    if k.expires_at is not None and k.expires_at <= now:
        return "expired"
    return "active"


def key_json(
    k: ClientKeyRecord, spent: dict[str, float] | None = None, now: float | None = None
) -> dict[str, Any]:
    now = time.time() if now is None else now
    out: dict[str, Any] = {
        "id": k.id,
        "name": k.name,
        "hint": k.hint,
        "state": key_state(k, now),
        "scopes": k.scopes or {},
        "created_at": k.created_at,
        "expires_at": k.expires_at,
        "revoked_at": k.revoked_at,
        "rotated_at": k.rotated_at,
        "old_secret_valid_until": k.prev_until if k.prev_until and k.prev_until > now else None,
        "rpm": k.rpm,
        "tpm": k.tpm,
        "budget": None,
        "note": k.note,
    }
    if k.budget_usd is not None:
        period = k.budget_period or "month"
        start, end = period_bounds(period, now)
        out["budget"] = {
            "usd": k.budget_usd,
            "period": period,
            "period_start": start,
            "resets_at": end,
            "spent_usd": None if spent is None else round(spent.get(f"key:{k.id}", 0.0), 10),
        }
    return out


def device_json(d: DeviceRecord) -> dict[str, Any]:
    return {
        "id": d.id,
        "name": d.name,
        "kind": d.kind,
        "state": d.state,
        "code": d.code,
        "platform": d.platform,
        "requested_at": d.requested_at,
        "requested_from": d.requested_from,
        "approved_at": d.approved_at,
        "revoked_at": d.revoked_at,
        "last_seen_at": d.last_seen_at,
        "last_refused_at": d.last_refused_at,
        "last_refused_code": d.last_refused_code,
        "refusals": d.refusals or 0,
    }


def client_label(ref: str | None, keys: dict[str, ClientKeyRecord], devices: dict[str, DeviceRecord]) -> str:
    """`key:<id>` → the key's name; `device:<id>` → `device <name>`; None → `owner`."""
    if ref is None:
        return "owner"
    kind, _, ident = ref.partition(":")
    if kind == "key" and ident in keys:
        return keys[ident].name
    if kind == "device" and ident in devices:
        return f"device {devices[ident].name}"
    return ref


def budget_spend(store: Any, keys: list[ClientKeyRecord], now: float | None = None) -> dict[str, float]:
    """USD spent per key in its own budget period (one query per distinct period start)."""
    now = time.time() if now is None else now
    out: dict[str, float] = {}
    starts: dict[float, list[ClientKeyRecord]] = {}
    for k in keys:
        if k.budget_usd is not None:
            starts.setdefault(period_bounds(k.budget_period or "month", now)[0], []).append(k)
    for start, group in starts.items():
        spent = store.client_spend(start)
        for k in group:
            out[f"key:{k.id}"] = spent.get(f"key:{k.id}", 0.0)
    return out


def spend_rows(store: Any, by: tuple[str, ...], since: float) -> list[dict[str, Any]]:
    rows = store.spend_by(by, since=since)
    keys = {k.id: k for k in store.client_keys()}
    devices = {d.id: d for d in store.devices()}
    out = []
    for r in rows:
        row = r.to_json()
        if "client" in by:
            row["client_name"] = client_label(r.client, keys, devices)
        out.append(row)
    return out


def spend_summary(store: Any, now: float | None = None, top: int = 5) -> dict[str, Any]:
    """For `clawgate status`: today's spend (UTC) by key, agent and model, the last 30 days' total, and the
    clients known (active keys, paired and waiting devices)."""
    now = time.time() if now is None else now
    day0, _ = period_bounds("day", now)
    keys = list(store.client_keys())
    devices = list(store.devices())
    out: dict[str, Any] = {"today_usd": 0.0, "last_30_days_usd": 0.0, "today": {}}
    for label, group in (("by_key", "client"), ("by_agent", "agent"), ("by_model", "model")):
        rows = sorted(spend_rows(store, (group,), day0), key=lambda r: -r["cost_usd"])
        out["today"][label] = rows[:top]
        if label == "by_key":
            out["today_usd"] = round(sum(r["cost_usd"] for r in rows), 10)
    out["last_30_days_usd"] = round(sum(r.cost_usd for r in store.spend_by((), since=now - 30 * 86400)), 10)
    out["clients"] = {
        "keys": sum(1 for k in keys if key_state(k, now) == "active"),
        "devices": sum(1 for d in devices if d.state == "approved"),
        "pending_devices": sum(1 for d in devices if d.state == "pending"),
    }
    return out
