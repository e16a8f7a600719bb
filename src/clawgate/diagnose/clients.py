"""Doctor's findings about the gateway's clients (clawgate.clients), read from the durable store: devices waiting
to be paired (`gateway.pairing_required`), devices refused for a device token that is not theirs
(`gateway.device_token_mismatch`) or for being revoked (`gateway.device_revoked`), client keys about to expire
(`gateway.key_expired`) and keys over their budget (`access.budget_exceeded`) — each with the command that
fixes it."""

from __future__ import annotations

import time
from typing import Any

from clawgate.diagnose.findings import Finding
from clawgate.paths import Paths

RECENT = 24 * 3600.0  # refusals older than this are not reported
EXPIRING = 3 * 24 * 3600.0


def _ago(ts: float, now: float) -> str:
    s = max(0.0, now - ts)
    return f"{s / 60:.0f} min ago" if s < 5400 else f"{s / 3600:.0f} h ago"


def client_findings(
    paths: Paths, snap: Any, environ: dict[str, str] | None = None, now: float | None = None
) -> list[Finding]:
    from clawgate.store import StoreUnavailable, open_existing

    store = open_existing(paths, environ)
    if store is None:
        return []
    try:
        return findings_from(store, snap, time.time() if now is None else now)
    except StoreUnavailable:
        return []  # state findings say the database is away
    finally:
        store.close()


def findings_from(store: Any, snap: Any, now: float) -> list[Finding]:
    from clawgate.clients.views import budget_spend

    out: list[Finding] = []
    ttl = snap.config.gateway.pairing.pending_seconds if snap is not None else 3600.0
    for d in store.devices():
        subject = {"device": d.id, "name": d.name}
        if d.state == "pending" and now - d.requested_at <= ttl:
            out.append(
                Finding(
                    "gateway.pairing_required",
                    f"device {d.name!r} ({d.kind}, {d.id}) asked to pair {_ago(d.requested_at, now)} from "
                    f"{d.requested_from or '?'} and waits for approval (its code: {d.code})",
                    severity="warn",
                    subject=subject,
                    next_steps=[f"clawgate devices approve {d.id}"],
                    hint=f"compare the code with the device's first; refuse it with: clawgate devices reject {d.id}",
                )
            )
        recent = d.last_refused_at is not None and now - d.last_refused_at <= RECENT
        if recent and d.last_refused_code == "gateway.device_token_mismatch" and d.state == "approved":
            out.append(
                Finding(
                    "gateway.device_token_mismatch",
                    f"device {d.name!r} ({d.id}) was refused {d.refusals} time(s), last "
                    f"{_ago(d.last_refused_at or now, now)}: it sent a device token that is not the one it paired "
                    "with (its identity file was copied, reset or replaced)",
                    subject=subject,
                    next_steps=[f"clawgate devices revoke {d.id}"],
                    hint="then, on the device: clawgate devices pair --url GATEWAY_URL --new, and approve that",
                )
            )
        elif recent and d.last_refused_code == "gateway.device_revoked":
            out.append(
                Finding(
                    "gateway.device_revoked",
                    f"revoked device {d.name!r} ({d.id}) still tries to connect (refused {d.refusals} time(s), "
                    f"last {_ago(d.last_refused_at or now, now)})",
                    subject=subject,
                    next_steps=["clawgate devices list --all"],
                    hint="if it should connect again: on the device, clawgate devices pair --url GATEWAY_URL --new",
                )
            )
    keys = list(store.client_keys())
    spent = budget_spend(store, keys, now) if any(k.budget_usd is not None for k in keys) else {}
    for k in keys:
        if k.revoked_at is not None:
            continue
        subject = {"key": k.name}
        if k.expires_at is not None and now < k.expires_at <= now + EXPIRING:
            out.append(
                Finding(
                    "gateway.key_expired",
                    f"client key {k.name!r} ({k.hint}) expires in {(k.expires_at - now) / 3600:.0f} h",
                    severity="warn",
                    subject=subject,
                    next_steps=[f"clawgate keys update {k.name} --expires 30d"],
                )
            )
        if k.budget_usd is not None and spent.get(f"key:{k.id}", 0.0) >= k.budget_usd:
            out.append(
                Finding(
                    "access.budget_exceeded",
                    f"client key {k.name!r} spent ${spent[f'key:{k.id}']:.4f} of its ${k.budget_usd:g} "
                    f"{k.budget_period or 'month'} budget: its calls are refused until the period ends",
                    subject=subject,
                    next_steps=[f"clawgate keys update {k.name} --budget {max(2 * k.budget_usd, 1):g}"],
                )
            )
    return out
