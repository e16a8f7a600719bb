"""Probes of keys only the running gateway has: asked of that gateway (`POST /api/ui/probe`, the Probe button's
endpoint: the same probe, in the gateway's own runtime), since this CLI cannot read the value.

An attempt whose winning credential is `gateway_only` (see `environment.GatewayOnly`) is never sent from here;
its local probe result says it cannot test the key. When the running gateway answers with a probe of the same
model ref, that result replaces the local one (`by: "gateway"`); otherwise the local "cannot test" stays.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from clawgate.diagnose.prediction import ServicePrediction
from clawgate.errors import ClawgateError
from clawgate.paths import Paths
from clawgate.plan.types import Attempt, Plan

_WAIT = 125.0  # s: the gateway's probe gives up after 120 (gateway/ui_api/probe.py, not imported: a cycle)


def gateway_only(att: Attempt) -> bool:
    winner = att.credential.winner if att.credential else None
    return winner is not None and winner.gateway_only


def _target(paths: Paths, cli_environ: Mapping[str, str]) -> tuple[str, str | None] | None:
    from clawgate.gateway.lifecycle import target_for
    from clawgate.plan.snapshot import Snapshot

    try:
        url, token, _ = target_for(Snapshot.load(paths, cli_environ, cwd=None))
    except ClawgateError:
        return None
    return url, token


def by_gateway(
    paths: Paths,
    cli_environ: Mapping[str, str],
    prediction: ServicePrediction,
    plan: Plan,
    results: list[dict[str, Any] | None],
) -> list[dict[str, Any] | None]:
    """`results` (one per attempt of `plan`) with each gateway-only attempt's probe made by the running
    gateway where it can be."""
    todo = [i for i, (a, r) in enumerate(zip(plan.attempts, results, strict=True)) if r and gateway_only(a)]
    if not todo or prediction.basis != "gateway" or not prediction.gateway_url:
        return results
    target = _target(paths, cli_environ)
    if target is None:
        return results
    from clawgate.gateway.lifecycle import http_json

    url, token = prediction.gateway_url, target[1]
    answers: dict[str, Any] = {}
    out = list(results)
    for i in todo:
        att = plan.attempts[i]
        if att.provider not in answers:
            body = {"provider": att.provider, "agent": plan.agent}
            code, data = http_json("POST", url + "/api/ui/probe", token, body, timeout=_WAIT)
            answers[att.provider] = data if code == 200 and isinstance(data, dict) else None
        data = answers[att.provider]
        rows = (data or {}).get("results") or []
        theirs = next((r for r in rows if isinstance(r, dict) and r.get("ref") == att.ref), None)
        if theirs is None:
            continue
        row = {k: v for k, v in theirs.items() if k not in ("agent", "ref", "role")}
        out[i] = {**row, "by": "gateway", "gateway": {"url": url, "pid": prediction.gateway_pid}}
    return out
