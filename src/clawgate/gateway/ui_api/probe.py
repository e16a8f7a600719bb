"""The Providers view's Probe button: the CLI's probe, run in the gateway's own runtime."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from typing import TYPE_CHECKING, Any

from clawgate.errors import ClawgateError

if TYPE_CHECKING:
    from clawgate.gateway.app import GatewayApp

PROBE_TIMEOUT = 120.0


async def probe(gw: GatewayApp, provider: str, agent: str | None) -> dict[str, Any]:
    """The probe `clawgate models status --probe --probe-provider P --probe-all` runs, in the gateway's own
    runtime (executor, health, attempt log): every attempt on `provider` of every agent's plan (or one agent's),
    every usable credential, deduplicated by (model ref, credential)."""
    from clawgate.call.probe import probe_plan, together
    from clawgate.catalog.presets import canonical_provider_id

    rt = gw.rt
    snap = rt.snapshot
    pid = canonical_provider_id(provider)
    agent_ids = [snap.agent(agent).id] if agent else [a.id for a in snap.agents()]
    seen: set[tuple[str, str]] = set()
    jobs: list[tuple[str, Any, Any]] = []
    for aid in agent_ids:
        plan = rt.plan(aid)
        for att in plan.attempts:
            if att.provider != pid:
                continue
            fps = (
                ",".join(c.fingerprint or c.source for c in att.credential.candidates)
                if att.credential
                else ""
            )
            if (att.ref, fps) in seen:
                continue
            seen.add((att.ref, fps))
            jobs.append((aid, att, dataclasses.replace(plan, attempts=[att])))
    if not jobs:
        raise ClawgateError(
            f"no agent's plan uses provider {pid!r}, so there is nothing to probe",
            code="request.invalid",
            owner="request",
            next_steps=["clawgate models status --all-agents"],
        )
    async with asyncio.timeout(PROBE_TIMEOUT):
        results = await together(probe_plan(rt, p, pid, True) for _, _, p in jobs)
    out = []
    for (aid, att, _), res in zip(jobs, results, strict=True):
        r = res[0] or {}
        out.append({"agent": aid, "ref": att.ref, "role": att.role, **r})
    return {
        "provider": pid,
        "ok": all(r.get("ok") for r in out),
        "results": out,
        "at": time.time(),
        "cli": f"clawgate models status --probe --probe-provider {pid} --probe-all",
    }
