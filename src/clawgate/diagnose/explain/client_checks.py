"""Cause checks about the gateway's clients (client keys, paired devices), answered from this home's store:
a pairing request waiting, a device refused for a token that is not its own, a revoked or expired key."""

from __future__ import annotations

import time
from typing import Any

from clawgate.diagnose.explain.context import CheckContext, CheckResult


def _store(ctx: CheckContext) -> Any:
    from clawgate.store import open_existing

    return open_existing(ctx.snap.paths)


def _read(ctx: CheckContext, what: str) -> list[Any] | None:
    store = _store(ctx)
    if store is None:
        return None
    try:
        return list(getattr(store, what)())
    finally:
        store.close()


def pending_devices(ctx: CheckContext) -> CheckResult:
    devices = _read(ctx, "devices")
    if devices is None:
        return None, "this home has no store yet (no device ever asked to pair here)", []
    ttl = ctx.snap.config.gateway.pairing.pending_seconds
    now = time.time()
    waiting = [d for d in devices if d.state == "pending" and now - d.requested_at <= ttl]
    if waiting:
        shown = "; ".join(
            f"{d.name!r} ({d.id}, code {d.code}, from {d.requested_from or '?'})" for d in waiting
        )
        return True, f"waiting for approval: {shown}", [f"clawgate devices approve {waiting[0].id}"]
    return (
        None,
        "no pairing request is waiting here: the device has not asked this gateway (or its request expired)",
        ["on the device: clawgate devices pair --url <GATEWAY_URL>"],
    )


def mismatched_devices(ctx: CheckContext) -> CheckResult:
    devices = _read(ctx, "devices")
    if devices is None:
        return None, "this home has no store yet", []
    hit = [d for d in devices if d.last_refused_code == "gateway.device_token_mismatch"]
    if hit:
        d = max(hit, key=lambda d: d.last_refused_at or 0.0)
        return (
            True,
            f"device {d.name!r} ({d.id}) was refused {d.refusals} time(s) for a token that is not its own",
            [
                f"clawgate devices revoke {d.id}",
                "on the device: clawgate devices pair --url <GATEWAY_URL> --new",
            ],
        )
    return False, "no device was refused for its token here", []


def revoked_devices(ctx: CheckContext) -> CheckResult:
    devices = _read(ctx, "devices")
    if devices is None:
        return None, "this home has no store yet", []
    gone = [d for d in devices if d.state in ("revoked", "rejected")]
    if gone:
        shown = ", ".join(f"{d.name!r} ({d.id}, {d.state})" for d in gone[:5])
        return (
            True,
            f"revoked or rejected here: {shown}",
            ["on the device: clawgate devices pair --url <GATEWAY_URL> --new"],
        )
    return False, "no device was revoked or rejected here", []


def dead_keys(ctx: CheckContext) -> CheckResult:
    keys = _read(ctx, "client_keys")
    if keys is None:
        return None, "this home has no store yet (no client key was made here)", []
    now = time.time()
    dead = [k for k in keys if k.revoked_at is not None or (k.expires_at is not None and k.expires_at <= now)]
    if dead:
        shown = ", ".join(
            f"{k.name!r} ({k.hint}, {'revoked' if k.revoked_at else 'expired'})" for k in dead[:5]
        )
        return (
            True,
            f"client keys that no longer work: {shown}",
            ["clawgate keys list --all", "clawgate keys create NAME"],
        )
    if keys:
        return (
            False,
            f"{len(keys)} client key(s), all active: compare the client's key with clawgate keys list",
            [],
        )
    return False, "no client keys here: the client must use the gateway token", []
