"""The Failures view: recent failed tries grouped by owner and code, one stream per provider credential led by
the failure that started it, and the next command for each (from the same table the classifier uses)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from clawgate.gateway.app import GatewayApp
    from clawgate.plan.snapshot import Snapshot
    from clawgate.store.base import AttemptRecord, HealthRecord

FAILURE_WINDOW = 3600.0


def next_for(snap: Snapshot, r: AttemptRecord) -> list[str]:
    """The next command for a logged failure, from the same table the classifier uses."""
    return next_commands(snap, r.provider, r.code, r.model)


def next_commands(snap: Snapshot, provider: str | None, code: str | None, model: str | None) -> list[str]:
    """The next commands for failure `code` on `provider` (and `model`), from the same table the classifier
    uses for live failures."""
    p = provider or "PROVIDER"
    code = code or ""
    if code == "auth.missing_credential":
        return [f"clawgate auth add {p}", "clawgate doctor"]
    if code == "env.unresolved_ref":
        return ["clawgate env", "clawgate doctor"]
    if code.startswith("runtime."):
        return ["clawgate logs --limit 20"]
    if code.startswith("gateway."):
        return ["clawgate gateway status --json"]
    try:
        from clawgate.failures.classify import next_steps

        view = snap.catalog.get(p)
        host = urlsplit(view.base_url.value or "").hostname if view else None
        return next_steps(code, p, host=host, model=model)
    except Exception:
        return [f"clawgate models status --probe --probe-provider {p}", "clawgate doctor"]


def _row(r: AttemptRecord) -> dict[str, Any]:
    return {
        "ts": r.ts,
        "status": r.status,
        "owner": r.owner,
        "code": r.code,
        "message": r.message,
        "sent": r.sent,
        "agent": r.agent,
        "purpose": r.purpose,
        "ref": r.ref,
        "call_id": r.call_id,
    }


def failures(gw: GatewayApp, window: float = FAILURE_WINDOW) -> dict[str, Any]:
    """Recent failures grouped by owner and code — as the executor recorded them: a refusal made from the health
    state carries the owner and code of the failure that started that state, so it joins that failure's group
    (nothing is re-decided here). Inside a group, one entry per provider credential: the failure that started it
    first (from the health state when it began before the window), then how often it repeated."""
    snap = gw.rt.snapshot
    since = time.time() - window
    rows = list(reversed(gw.rt.store.recent_attempts(limit=2000, since=since, failures_only=True)))
    recs = gw.rt.health.records()
    by_cred = {(h.provider, h.fingerprint): h for h in recs if h.model == "*"}
    by_model = {(h.provider, h.fingerprint, h.model): h for h in recs}

    def health_of(r: AttemptRecord, cred: str) -> HealthRecord | None:
        return by_model.get((r.provider, cred, r.model)) or by_cred.get((r.provider, cred))

    streams: dict[tuple[str, str, str, str], list[AttemptRecord]] = {}
    for r in rows:  # oldest first
        cred = r.fingerprint or r.cred_source or "-"
        key = (r.owner or "unknown", r.code or "unknown", r.provider, cred)
        streams.setdefault(key, []).append(r)
    groups: dict[tuple[str, str], dict[str, Any]] = {}
    for key, items in streams.items():
        owner, code = key[0], key[1]
        lead = next((r for r in items if r.sent), items[0])
        first = _row(lead)
        h = health_of(lead, key[3])
        hj = h.to_json() if h is not None and h.state != "ok" else None
        if h is not None and h.first_ts and h.first_code == code and h.first_ts < lead.ts - 0.5:
            # the cooldown began before this window (or before the first row kept): its first failure leads
            first.update(
                ts=h.first_ts, status=h.first_status, message=h.first_message, sent=True, from_health=True
            )
        repeats = [r for r in items if r is not lead]
        entry = {
            "owner": owner,
            "code": code,
            "provider": lead.provider,
            "credential": {"source": lead.cred_source, "fingerprint": lead.fingerprint},
            "first": first,
            "repeats": len(repeats) + (1 if first.get("from_health") else 0),
            "refused": sum(1 for r in repeats if not r.sent),
            "last_ts": items[-1].ts,
            "health": hj,
            "next": next_for(snap, lead),
        }
        g = groups.setdefault((owner, code), {"owner": owner, "code": code, "count": 0, "streams": []})
        g["count"] += len(items)
        g["streams"].append(entry)
    out = sorted(groups.values(), key=lambda g: -max(s["last_ts"] for s in g["streams"]))
    for g in out:
        g["streams"].sort(key=lambda s: -s["last_ts"])
        g["last_ts"] = g["streams"][0]["last_ts"]
    return {"window_s": window, "total": len(rows), "groups": out}
