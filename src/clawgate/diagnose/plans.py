"""Every plan a real call can take: each agent's main plan, its subagents' plan and each cron job's plan.

Doctor checks all of them like the main plan, so a subagent or cron model with no credential is an error too.
"""

from __future__ import annotations

from dataclasses import dataclass

from clawgate.plan.snapshot import Snapshot
from clawgate.plan.types import Plan


@dataclass(frozen=True)
class PlanUse:
    agent: str
    role: str  # "main" | "subagent" | "cron:<job id>"
    plan: Plan


def plans_to_check(snap: Snapshot, agent: str | None = None) -> list[PlanUse]:
    """The main plan of each agent (or of `agent`), then subagent and cron plans that differ from it."""
    agents = [snap.agent(agent)] if agent else snap.agents()
    out: list[PlanUse] = []
    seen: set[tuple[str, tuple[str, ...]]] = set()

    def add(aid: str, role: str, plan: Plan) -> None:
        key = (aid, tuple(a.ref for a in plan.attempts))
        if key not in seen or role == "main":
            seen.add(key)
            out.append(PlanUse(aid, role, plan))

    for info in agents:
        add(info.id, "main", snap.plan(info.id))
    for info in agents:
        add(info.id, "subagent", snap.plan(info.id, subagent=True))
    ids = {a.id for a in agents}
    for i, job in enumerate(snap.config.cron.jobs):
        if not job.enabled:
            continue
        aid = snap.agent(job.agent).id
        if aid not in ids:
            continue
        plan = (
            snap.plan(aid, model=job.model, model_from=f"cron.jobs[{i}].model")
            if job.model
            else snap.plan(aid)
        )
        add(aid, f"cron:{job.id}", plan)
    return out
