"""`clawgate status`: one view of gateway, agents, providers (credential, fingerprint, health with its first
failure), recent failures by owner and stuck runs — built from the same resolver, store and gateway status.

A provider's health is the executor's own verdict (call/health.py `HealthRegistry.verdict`) for its winning key
and each model the agents use it with: a window that has ended, or a record for another model, refuses nothing
and shows as the last failure, with its model."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from clawgate import __version__
from clawgate.call.health import ANY_MODEL, HealthRegistry
from clawgate.paths import Paths
from clawgate.plan.snapshot import Snapshot
from clawgate.redaction import mask_url
from clawgate.store.base import HealthRecord


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
    agents = []
    used: dict[str, dict[str, None]] = {}  # provider -> the models the agents use it with, in plan order
    for info in snap.agents():
        plan = snap.plan(info.id)
        for att in plan.attempts:
            if att.provider:
                used.setdefault(att.provider, {})[att.model] = None
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
    now = time.time()
    for pid, models in used.items():
        view = snap.catalog.get(pid)
        if view is None:
            continue
        res = snap.credentials(view, main)
        w = res.winner
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
                "health": provider_health(
                    health, pid, w.fingerprint if w else None, list(models), now, view.base_url.value
                ),
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


RECENT_SECONDS = 3600.0  # an allowed key's last failure is shown this long (the "failures last hour" window)


def provider_health(
    records: list[HealthRecord],
    provider: str,
    fingerprint: str | None,
    models: list[str],
    now: float,
    base_url: str | None = None,
) -> dict[str, Any]:
    """The executor's verdict for (provider, key) on each of `models` at `base_url`: the first refusal's record,
    else "ok" with the key's most recent failure (any model, its window ended or not) when it is recent."""
    if not fingerprint:
        return {"state": "ok"}
    mine = [r for r in records if r.provider == provider and r.fingerprint == fingerprint]
    registry = HealthRegistry(clock=lambda: now)
    for r in mine:
        registry.apply(r)
    for model in models:
        verdict = registry.verdict(provider, fingerprint, model, base_url)
        if not verdict.allowed and verdict.record is not None:
            return {"state": verdict.record.state, **_record(verdict.record)}
    recent = [r for r in mine if (r.last_ts or r.first_ts or 0.0) >= now - RECENT_SECONDS]
    if not recent:
        return {"state": "ok"}
    last = max(recent, key=lambda r: r.last_ts or r.first_ts or 0.0)
    return {"state": "ok", "last_failure": {"state": last.state, "time": last.last_ts, **_record(last)}}


def _record(r: HealthRecord) -> dict[str, Any]:
    return {
        "model": None if r.model == ANY_MODEL else r.model,  # None: every model of the key
        "until": r.until,
        "since": r.first_ts,
        "first_failure": {
            "status": r.first_status,
            "owner": r.first_owner,
            "code": r.first_code,
            "message": r.first_message,
        },
    }


def _stuck(paths: Paths) -> list[dict[str, Any]]:
    try:
        from clawgate.agents.doctor import stuck_runs
    except ImportError:
        return []
    return stuck_runs(paths)
