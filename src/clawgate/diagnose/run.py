"""One doctor run: offline findings, health, optional probes and the running gateway, in one ordered list."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from clawgate.diagnose.findings import Finding, order
from clawgate.diagnose.live import all_providers_rejected, gateway_findings, health_findings, probe_findings
from clawgate.diagnose.oauth import oauth_status_findings
from clawgate.diagnose.offline import config_error_findings, offline_findings
from clawgate.diagnose.runs import stuck_run_findings
from clawgate.errors import ClawgateError
from clawgate.paths import Paths
from clawgate.plan.snapshot import Snapshot
from clawgate.store.base import HealthRecord


@dataclass
class DoctorRun:
    findings: list[Finding]
    meta: dict[str, Any]
    snapshot: Snapshot | None = None
    health: list[HealthRecord] = field(default_factory=list)


def load_health(paths: Paths) -> list[HealthRecord]:
    if not paths.state_db.exists():
        return []
    from clawgate.store import open_store

    store = open_store(str(paths.state_db))
    try:
        return store.load_health()
    finally:
        store.close()


def run_doctor(
    paths: Paths,
    environ: dict[str, str],
    agent: str | None = None,
    probe: bool = False,
    check_gateway: bool = True,
    cwd: Path | None = None,
    connectivity: bool = True,
) -> DoctorRun:
    """Doctor predicts the gateway service: it plans without `cwd`'s .env (the gateway never reads it) and
    reports where `cwd` (this CLI's directory, when given) holds variables the plans need."""
    from clawgate.diagnose.connectivity import proxy_findings
    from clawgate.diagnose.service_env import cwd_findings

    meta: dict[str, Any] = {"config": str(paths.config), "home": str(paths.home), "probe": probe}
    try:
        snap = Snapshot.load(paths, environ, cwd=None)
    except ClawgateError as exc:
        if exc.code in ("config.parse_error", "config.invalid_value"):
            return DoctorRun(order(config_error_findings(exc)), meta)
        raise
    agent_ids = [snap.agent(agent).id] if agent else [a.id for a in snap.agents()]
    findings = offline_findings(snap, agent)
    moved = cwd_findings(snap, cwd, agent)
    only_here = {f.subject["variable"] for f in moved if f.severity == "error"}
    if only_here:  # the cause (a key the gateway cannot see) replaces its symptom (no credential)
        findings = [
            f
            for f in findings
            if not (f.code == "auth.missing_credential" and f.evidence.get("variable") in only_here)
        ]
    findings.extend(moved)
    if connectivity:
        findings.extend(proxy_findings(snap, agent))
    findings.extend(oauth_status_findings(snap, agent_ids))
    health = load_health(paths)
    if probe:
        findings.extend(_probe(paths, environ, agent_ids))
        health = load_health(paths)  # the probes just updated it
    findings.extend(health_findings(snap, health, agent_ids))
    findings.extend(all_providers_rejected(findings, snap))
    running: bool | None = None
    if check_gateway:
        from clawgate.gateway.lifecycle import address_for, status
        from clawgate.gateway.token import resolve_gateway_token

        st = status(paths, address_for(snap), resolve_gateway_token(snap).value)
        meta["gateway"] = {"url": st["url"], "running": st["running"]}
        running = bool(st["running"])
        findings.extend(gateway_findings(st, snap, environ))
    findings.extend(stuck_run_findings(paths, snap, running))
    return DoctorRun(order(findings), meta, snap, health)


def _probe(paths: Paths, environ: dict[str, str], agent_ids: list[str]) -> list[Finding]:
    from clawgate.call.probe import probe_plan
    from clawgate.call.runtime import Runtime
    from clawgate.cli.models_cmd import plan_json

    rt = Runtime(paths, environ, cwd=None)
    results: list[tuple[str, dict[str, Any], dict[str, Any]]] = []

    def key(att: Any) -> tuple[str, str]:
        winner = att.credential.winner if att.credential else None
        return att.ref, (winner.fingerprint or "") if winner else ""

    async def go() -> None:
        try:
            seen: set[tuple[str, str]] = set()
            for aid in agent_ids:
                plan = rt.plan(aid)
                data = plan_json(rt.snapshot, plan)
                todo = [
                    (att, row)
                    for att, row in zip(plan.attempts, data["attempts"], strict=True)
                    if key(att) not in seen
                ]
                for att, _ in todo:
                    seen.add(key(att))
                from dataclasses import replace

                sub = replace(plan, attempts=[a for a, _ in todo])
                res = await probe_plan(rt, sub, every_credential=True)
                for (_att, row), r in zip(todo, res, strict=True):
                    if r is not None:
                        results.append((aid, row, r))
        finally:
            await rt.aclose()

    try:
        asyncio.run(go())
    finally:
        rt.close()
    return probe_findings(results)
