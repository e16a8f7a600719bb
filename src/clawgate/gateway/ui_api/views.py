"""The data behind the control UI's views, each built from the same resolver, health registry, attempt log and
doctor as the CLI: the overview, agents (plan, provenance, watchdog limits, findings), providers (credentials,
health, the next command), doctor, and the digest `/api/ui/events` compares to tell the page what changed."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import orjson

from clawgate.errors import ClawgateError
from clawgate.redaction import mask_url

from .failures import next_commands

if TYPE_CHECKING:
    from clawgate.gateway.app import GatewayApp
    from clawgate.plan.snapshot import Snapshot
    from clawgate.store.base import HealthRecord

OVERVIEW_ROWS = 20000  # tries read for the overview's last hour


def overview(gw: GatewayApp) -> dict[str, Any]:
    from clawgate.gateway.routes import status_payload

    p = status_payload(gw)
    rows = gw.rt.store.recent_attempts(limit=OVERVIEW_ROWS, since=time.time() - 3600)
    calls: dict[str, tuple[bool, str | None, str]] = {}  # call_id -> (served, first failing owner, purpose)
    for r in sorted(rows, key=lambda r: r.id or 0):
        ok, owner, purpose = calls.get(r.call_id, (False, None, r.purpose))
        calls[r.call_id] = (ok or r.ok, owner or (None if r.ok else r.owner), purpose)
    failed_by_owner: dict[str, int] = {}
    by_purpose: dict[str, int] = {}
    for ok, owner, purpose in calls.values():
        by_purpose[purpose] = by_purpose.get(purpose, 0) + 1
        if not ok:
            key = owner or "unknown"
            failed_by_owner[key] = failed_by_owner.get(key, 0) + 1
    health: dict[str, int] = {}
    for h in gw.rt.health.records():
        if h.state != "ok":
            health[h.state] = health.get(h.state, 0) + 1
    served = sum(1 for ok, _, _ in calls.values() if ok)
    return {
        "service": "clawgate",
        "version": p["version"],
        "pid": p["pid"],
        "address": p["address"],
        "started_at": p["started_at"],
        "uptime_s": p["uptime_s"],
        "home": p["home"],
        "home_from": p["home_from"],
        "config": p["config"],
        "config_from": p["config_from"],
        "config_exists": gw.rt.paths.config.exists(),
        "state_db": p["state_db"],
        "reload": p["reload"],
        "auth": p["auth"],
        "agents": len(p["agents"]),
        "default_agent": next((a["id"] for a in p["agents"] if a["default"]), None),
        "health": health,
        "calls_last_hour": {
            "calls": len(calls),
            "served": served,
            "failed": len(calls) - served,
            "failed_by_owner": failed_by_owner,
            "by_purpose": by_purpose,
            "attempts": len(rows),
            "capped": len(rows) >= OVERVIEW_ROWS,  # counts are a lower bound past this many tries an hour
            "failed_attempts_by_owner": p["calls_last_hour"]["failures_by_owner"],
        },
        "inflight": p["inflight"],
        "streams": p["streams"],
        "draining": p["draining"],
    }


def _limits(snap: Snapshot, agent: str, plan: Any) -> dict[str, Any] | None:
    try:
        from clawgate.agents.watchdog import limits_for
    except ImportError:
        return None
    att = plan.attempts[0] if plan.attempts else None
    local = bool(att and att.view and att.view.preset and att.view.preset.local)
    try:
        return limits_for(snap, agent, local).to_json()
    except Exception:
        return None


def agents(gw: GatewayApp) -> dict[str, Any]:
    from clawgate.cli.models_cmd import plan_json
    from clawgate.diagnose.findings import order
    from clawgate.diagnose.offline import offline_findings

    snap = gw.rt.snapshot
    out = []
    for info in snap.agents():
        row: dict[str, Any] = {
            "id": info.id,
            "name": info.name,
            "default": info.is_default,
            "path": info.path,
        }
        try:
            plan = gw.rt.plan(info.id)
            data = plan_json(snap, plan, health=gw.rt.health)
            choice = snap.model_choice(info)
            data["model"]["fallbacks"] = [{"ref": r, "from": s} for r, s in choice.fallbacks]
            row["plan"] = data
            row["watchdog"] = _limits(snap, info.id, plan)
            # this agent's own findings (its model, its attempts); the global ones are the Doctor view's
            provs = {a.provider for a in plan.attempts if a.provider}
            found = [
                f
                for f in offline_findings(snap, info.id)
                if f.severity in ("error", "warn")
                and (
                    f.subject.get("agent") == info.id
                    or (
                        f.subject.get("provider") in provs
                        and not ({"agent", "path", "file"} & f.subject.keys())
                    )
                )
            ]
            row["findings"] = [f.to_json() for f in order(found)]
        except ClawgateError as exc:
            row["error"] = exc.to_json()
        out.append(row)
    return {"agents": out, "default": snap.main_agent()}


def providers(gw: GatewayApp) -> dict[str, Any]:
    snap = gw.rt.snapshot
    used: dict[str, list[dict[str, Any]]] = {}
    expanded: dict[str, dict[str, Any]] = {}
    for info in snap.agents():
        try:
            plan = gw.rt.plan(info.id)
        except ClawgateError:
            continue
        for att in plan.attempts:
            if not att.provider:
                continue
            used.setdefault(att.provider, []).append({"agent": info.id, "ref": att.ref, "role": att.role})
            if att.base_url and att.provider not in expanded:
                expanded[att.provider] = {"value": mask_url(att.base_url), "from": att.base_url_from}
    main = snap.main_agent()
    for pv in snap.catalog.providers.values():  # configured ones that no plan uses yet
        if pv.id not in used and (pv.configured or snap.credentials(pv, main).winner is not None):
            used[pv.id] = []
    records = gw.rt.health.records()
    out = []
    for pid, uses in used.items():
        view = snap.catalog.get(pid)
        if view is None:
            continue
        groups: dict[tuple[Any, ...], dict[str, Any]] = {}
        for agent in dict.fromkeys([u["agent"] for u in uses] or [main]):
            res = snap.credentials(view, agent).to_json()
            key = (res.get("source"), res.get("fingerprint"), orjson.dumps(res.get("shadowed")))
            g = groups.setdefault(key, {"agents": [], **res})
            g["agents"].append(agent)
        base = view.base_url.to_json()
        if isinstance(base.get("value"), str):
            base["value"] = mask_url(base["value"])
        if pid in expanded and expanded[pid]["value"] != base["value"]:
            base["expanded"] = expanded[pid]["value"]
        out.append(
            {
                "id": pid,
                "name": view.name,
                "preset": view.preset is not None,
                "configured": view.configured,
                "api": view.api.to_json(),
                "base_url": base,
                "accepts_any_model": view.accepts_any_model,
                "models": len(view.models),
                "used_by": uses,
                "credentials": list(groups.values()),
                "health": [h.to_json() for h in records if h.provider == pid and h.state != "ok"],
                "probe": f"clawgate models status --probe --probe-provider {pid} --probe-all",
                "next": _provider_next(snap, pid, list(groups.values()), records),
            }
        )
    return {"providers": out}


def _provider_next(
    snap: Snapshot, pid: str, credentials: list[dict[str, Any]], records: list[HealthRecord]
) -> list[str]:
    """What to run next for a provider card: add a credential when none resolves; for an unhealthy credential,
    the next commands for the failure that started it; otherwise the probe that tests it live."""
    probe_cmd = f"clawgate models status --probe --probe-provider {pid}"
    if not any(c.get("fingerprint") for c in credentials):
        return [f"clawgate auth add {pid}", "clawgate doctor"]
    steps: list[str] = []
    for h in records:
        if h.provider != pid or h.state == "ok":
            continue
        code = h.first_code
        steps.extend(next_commands(snap, pid, code, None if h.model == "*" else h.model))
        if h.state == "cooling":
            steps.append("clawgate health list")
    steps.append(probe_cmd)
    return list(dict.fromkeys(steps))


def doctor(gw: GatewayApp) -> dict[str, Any]:
    """Doctor's findings for the gateway's home, and the fixes `doctor --fix` would apply (not applied)."""
    from clawgate.diagnose.fixes import plan_fixes
    from clawgate.diagnose.run import run_doctor

    rt = gw.rt
    run = run_doctor(rt.paths, dict(rt.environ), None, probe=False, check_gateway=False)
    fixes = plan_fixes(run.snapshot, run.findings, run.health) if run.snapshot is not None else []
    return {
        "ok": not any(f.severity == "error" for f in run.findings),
        "findings": [f.to_json() for f in run.findings],
        "fixes": [fx.to_json() for fx in fixes],
        "apply": "clawgate doctor --fix",
        "meta": run.meta,
        "at": time.time(),
    }


def change_digest(gw: GatewayApp) -> dict[str, Any]:
    rt = gw.rt
    last = rt.store.recent_attempts(limit=1)
    last_fail = rt.store.recent_attempts(limit=1, failures_only=True)
    out: dict[str, Any] = {
        "status": [rt.reloads, str(rt.last_error) if rt.last_error else None, gw.last_reload],
        "calls": last[0].id if last else None,
        "failures": last_fail[0].id if last_fail else None,
        "health": sorted((*h.key, h.state, h.until or 0, h.count) for h in rt.health.records()),
        "clients": gw.access.registry.loaded_at,  # the replica reloads on every key or device change
    }
    lister = getattr(rt.store, "list_sessions", None)
    if lister is not None:
        try:
            out["sessions"] = [(s.id, s.updated_at) for s in lister(None, 20)]
        except Exception:
            out["sessions"] = None
    return out
