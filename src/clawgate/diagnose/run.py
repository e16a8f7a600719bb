"""One doctor run: offline findings, health, optional probes and the running gateway, in one ordered list."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from clawgate.diagnose.clients import client_findings
from clawgate.diagnose.findings import Finding, order
from clawgate.diagnose.live import all_providers_rejected, gateway_findings, health_findings, probe_findings
from clawgate.diagnose.oauth import oauth_status_findings
from clawgate.diagnose.offline import config_error_findings, offline_findings
from clawgate.diagnose.prediction import ServicePrediction
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


def load_health(paths: Paths, environ: dict[str, str] | None = None) -> list[HealthRecord]:
    """Health as every gateway process sees it: the durable records, with the shared state's on top."""
    from clawgate.store import StoreUnavailable, open_existing

    by_key: dict[tuple[str, str, str], HealthRecord] = {}
    store = open_existing(paths, environ)
    if store is not None:
        try:
            by_key = {r.key: r for r in store.load_health()}
        except StoreUnavailable:
            pass
        finally:
            store.close()
    for rec in _shared_health(paths, environ):
        by_key[rec.key] = rec
    return list(by_key.values())


def _shared_health(paths: Paths, environ: dict[str, str] | None) -> list[HealthRecord]:
    from clawgate.call.health import HealthRegistry
    from clawgate.call.health_shared import SharedHealth
    from clawgate.state.config import open_shared

    try:
        snap = Snapshot.load(paths, environ, cwd=Path.cwd())
    except ClawgateError:
        return []
    if not snap.config.state.redis and not paths.shared_db.exists():
        return []

    async def go() -> list[HealthRecord]:
        shared = open_shared(paths, snap)
        try:
            reg = HealthRegistry()
            await SharedHealth(reg, shared, "doctor").start()
            return reg.records()
        finally:
            await shared.close()

    try:
        return asyncio.run(go())
    except (ClawgateError, OSError):
        return []


def run_doctor(
    paths: Paths,
    environ: dict[str, str],
    agent: str | None = None,
    probe: bool = False,
    check_gateway: bool = True,
    cwd: Path | None = None,
    connectivity: bool = True,
    cli_environ: dict[str, str] | None = None,
    prediction: ServicePrediction | None = None,
    gateway_status: dict[str, Any] | None = None,
) -> DoctorRun:
    """Doctor predicts the gateway service. `environ` is the service's process environment (the gateway passes
    its own; a CLI passes its prediction, see `doctor_for_cli`); plans never read `cwd`'s .env (the gateway
    does not). With `cli_environ` and `prediction`, where this CLI's own environment differs is reported too
    (env.cwd_only, env.shell_only, env.gateway_only), the cause replacing its symptom."""
    from clawgate.diagnose.connectivity import proxy_findings
    from clawgate.diagnose.service_env import environment_findings, settle

    meta: dict[str, Any] = {"config": str(paths.config), "home": str(paths.home), "probe": probe}
    if prediction is not None:
        meta["predicts"] = prediction.to_json()
    try:
        snap = Snapshot.load(paths, environ, cwd=None)
    except ClawgateError as exc:
        if exc.code in ("config.parse_error", "config.invalid_value"):
            return DoctorRun(order(config_error_findings(exc)), meta)
        raise
    agent_ids = [snap.agent(agent).id] if agent else [a.id for a in snap.agents()]
    findings = offline_findings(snap, agent)
    causes = environment_findings(snap, cli_environ, prediction, cwd, agent)
    findings = settle(findings, causes)
    if connectivity:
        findings.extend(proxy_findings(snap, agent))
    findings.extend(oauth_status_findings(snap, agent_ids))
    health = load_health(paths, environ)
    if probe:
        findings.extend(_probe(paths, environ, agent_ids))
        health = load_health(paths, environ)  # the probes just updated it
    from_health = health_findings(snap, health, agent_ids)
    findings = _without_probe_duplicates(findings, from_health)
    findings.extend(from_health)
    findings.extend(all_providers_rejected(findings, snap))
    running: bool | None = None
    if check_gateway:
        if gateway_status is None:
            from clawgate.diagnose.prediction import gateway_status_for

            gateway_status = gateway_status_for(paths, cli_environ if cli_environ is not None else environ)
        if gateway_status is not None:
            meta["gateway"] = {"url": gateway_status["url"], "running": gateway_status["running"]}
            running = bool(gateway_status["running"])
            findings.extend(gateway_findings(gateway_status, snap))
    findings.extend(state_findings(snap, gateway_status if check_gateway else None))
    if connectivity:
        findings.extend(observability_findings(snap, gateway_status if check_gateway else None))
    findings.extend(stuck_run_findings(paths, snap, running))
    findings.extend(client_findings(paths, snap, environ))
    return DoctorRun(order(findings), meta, snap, health)


def doctor_for_cli(
    paths: Paths,
    cli_environ: dict[str, str],
    agent: str | None = None,
    probe: bool = False,
    check_gateway: bool = True,
    cwd: Path | None = None,
) -> DoctorRun:
    """One doctor run from a CLI: predict the service (the running gateway's environment when one runs for
    this home, else what `gateway start` would give it), then diagnose that."""
    from clawgate.diagnose.prediction import gateway_status_for, predict_service

    status = gateway_status_for(paths, cli_environ) if check_gateway else None
    prediction = predict_service(paths, cli_environ, status, cwd=cwd)
    return run_doctor(
        paths,
        prediction.environ,
        agent,
        probe=probe,
        check_gateway=check_gateway,
        cwd=cwd,
        cli_environ=cli_environ,
        prediction=prediction,
        gateway_status=status,
    )


def state_findings(snap: Snapshot, gateway_status: dict[str, Any] | None) -> list[Finding]:
    """The configured Redis and PostgreSQL, checked from here — and what the running gateway reports."""
    from clawgate.state.report import check_engines

    rows = check_engines(snap)
    seen = {r["code"] for r in rows}
    gw = (gateway_status or {}).get("gateway") or {}
    rows += [f for f in gw.get("state_findings") or [] if f.get("code") not in seen]
    return _from_rows(rows)


def observability_findings(snap: Snapshot, gateway_status: dict[str, Any] | None) -> list[Finding]:
    """The configured OTLP endpoint, checked from here — and, when that answers, whether the running gateway's
    own exports fail (its environment may differ)."""
    from clawgate.observability.report import check_otlp, reported_findings

    rows = check_otlp(snap)
    if not rows:
        rows = reported_findings(gateway_status)
    return _from_rows(rows)


def _from_rows(rows: list[dict[str, Any]]) -> list[Finding]:
    return [
        Finding(
            r["code"],
            r["message"],
            severity=r["severity"],
            owner=r["owner"],
            subject=r.get("subject") or {},
            evidence=r.get("evidence") or {},
            next_steps=list(r.get("next") or []),
            hint=r.get("hint") or "",
        )
        for r in rows
    ]


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
                    if _probe_key(att) not in seen
                ]
                seen.update(_probe_key(att) for att, _ in todo)
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


_RECORDED = ("auth.rejected", "auth.region_mismatch", "access.billing", "access.forbidden", "health.cooling")


def _without_probe_duplicates(findings: list[Finding], from_health: list[Finding]) -> list[Finding]:
    """A probe's rejection is also in health (the executor recorded it, with its first failure and the fix
    for where the key lives): keep that one."""
    covered = {(f.subject.get("provider"), f.subject.get("source")) for f in from_health}
    return [
        f
        for f in findings
        if not (
            f.evidence.get("probe")
            and f.code in _RECORDED
            and (f.subject.get("provider"), f.subject.get("source")) in covered
        )
    ]


def _probe_key(att: Any) -> tuple[str, str]:
    """(ref, winning key's fingerprint): probing it once is enough, whichever agent it belongs to."""
    winner = att.credential.winner if att.credential else None
    return att.ref, (winner.fingerprint or "") if winner else ""
