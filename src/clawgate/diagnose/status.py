"""`clawgate status`: one view of gateway, agents, providers (credential, fingerprint, health with its first
failure), recent failures by owner and stuck runs — built from the same resolver, store and gateway status."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from clawgate import __version__
from clawgate.paths import Paths
from clawgate.plan.snapshot import Snapshot
from clawgate.redaction import mask_url


def build_status(
    paths: Paths, environ: dict[str, str], include_findings: bool = False, cwd: Path | None = None
) -> dict[str, Any]:
    """`environ`: this CLI's own. Agents and providers are shown as the gateway service has them (its own
    environment report when it runs, else what `gateway start` would give it: diagnose/prediction.py)."""
    from clawgate.diagnose.prediction import predict_service
    from clawgate.diagnose.run import load_health
    from clawgate.diagnose.service_env import environment_findings
    from clawgate.gateway.lifecycle import status, target_for
    from clawgate.gateway.token import resolve_gateway_token

    client = Snapshot.load(paths, environ, cwd=None)
    tok = resolve_gateway_token(client)
    url, token, how = target_for(client)
    gw = status(paths, url, token, how)
    prediction = predict_service(paths, environ, gw, config=client.config, cwd=cwd)
    snap = Snapshot.load(paths, prediction.environ, cwd=None)
    health = load_health(paths, prediction.environ)
    by_key = {(h.provider, h.fingerprint): h for h in health}
    agents = []
    used: dict[str, None] = {}
    for info in snap.agents():
        plan = snap.plan(info.id)
        for att in plan.attempts:
            if att.provider:
                used[att.provider] = None
        agents.append(
            {
                "id": info.id,
                "name": info.name,
                "default": info.is_default,
                "model": plan.model.ref,
                "from": plan.model.source,
                "shadows": [{"from": s, "ref": r} for s, r in plan.model.shadows],
                "fallbacks": [a.ref for a in plan.attempts if a.role == "fallback"],
            }
        )
    providers = []
    main = snap.main_agent()
    for pid in used:
        view = snap.catalog.get(pid)
        if view is None:
            continue
        res = snap.credentials(view, main)
        w = res.winner
        h = by_key.get((pid, w.fingerprint)) if w and w.fingerprint else None
        providers.append(
            {
                "id": pid,
                "api": view.api.value,
                "base_url": mask_url(view.base_url.value) if view.base_url.value else view.base_url.value,
                "credential": {"source": w.source, "origin": w.origin, "fingerprint": w.fingerprint}
                if w
                else None,
                "required": not res.optional,
                "shadowed": [
                    {"source": c.source, "fingerprint": c.fingerprint} for c in res.shadowed if c.fingerprint
                ],
                "health": _health(h),
            }
        )
    failures: dict[str, int] = {}
    recent: list[dict[str, Any]] = []
    spend: dict[str, Any] | None = None
    from clawgate.state.config import engine_urls
    from clawgate.state.report import check_engines

    redis_url, db_url = engine_urls(snap)
    state_findings = check_engines(snap)
    db_down = any(f["code"] == "state.database_unreachable" for f in state_findings)
    if (paths.state_db.exists() or db_url.url) and not db_down:
        from clawgate.store import StoreUnavailable, open_for

        store = open_for(paths, snap)
        try:
            for r in store.recent_attempts(limit=2000, since=time.time() - 3600, failures_only=True):
                if r.owner:
                    failures[r.owner] = failures.get(r.owner, 0) + 1
                if len(recent) < 5:
                    recent.append(
                        {
                            "ts": r.ts,
                            "owner": r.owner,
                            "code": r.code,
                            "ref": r.ref,
                            "message": (r.message or "")[:200],
                        }
                    )
            from clawgate.clients.views import spend_summary

            spend = spend_summary(store)
        except StoreUnavailable:
            pass
        finally:
            store.close()
    from clawgate.observability.report import check_otlp, configured_view, reported_findings

    observability = (gw.get("gateway") or {}).get("observability") or configured_view(snap, gw["url"])
    observability["findings"] = check_otlp(snap) or reported_findings(gw)
    out: dict[str, Any] = {
        "version": __version__,
        "home": str(paths.home),
        "config": str(paths.config),
        "gateway": {
            "url": gw["url"],
            "running": gw["running"],
            "pid": (gw.get("gateway") or {}).get("pid"),
            "uptime_s": (gw.get("gateway") or {}).get("uptime_s"),
            "matches_cli": gw["running"] and not gw["mismatches"] and "gateway" in gw,
            "mismatches": gw["mismatches"],
            "findings": gw["findings"],
            "auth": tok.to_json(),
        },
        "agents": agents,
        "providers": providers,
        "failures_last_hour": failures,
        "spend": spend,
        "recent_failures": recent,
        "stuck_runs": _stuck(paths),
        "predicts": prediction.to_json(),
        "environment": [f.to_json() for f in environment_findings(snap, environ, prediction, cwd)],
        "state": {
            "redis": redis_url.host,
            "database": db_url.host or str(paths.state_db),
            "shared": "redis" if redis_url.url else str(paths.shared_db),
            "findings": state_findings,
        },
        "observability": observability,
    }
    if include_findings:
        from clawgate.diagnose.run import run_doctor

        run = run_doctor(
            paths,
            prediction.environ,
            check_gateway=True,
            cwd=cwd,
            cli_environ=environ,
            prediction=prediction,
            gateway_status=gw,
        )
        out["findings"] = [f.to_json() for f in run.findings]
    return out


def _health(h: Any) -> dict[str, Any]:
    if h is None:
        return {"state": "ok"}
    return {
        "state": h.state,
        "until": h.until,
        "since": h.first_ts,
        "first_failure": {
            "status": h.first_status,
            "owner": h.first_owner,
            "code": h.first_code,
            "message": h.first_message,
        },
    }


def _stuck(paths: Paths) -> list[dict[str, Any]]:
    try:
        from clawgate.agents.doctor import stuck_runs
    except ImportError:
        return []
    return stuck_runs(paths)
