"""Every plan a real call can take: each agent's main plan, its subagents' plan and each cron job's plan.

Doctor checks all of them like the main plan, so a subagent or cron model with no credential is an error too.
"""

from __future__ import annotations

from dataclasses import dataclass

from clawgate.config.schema import SecretRef
from clawgate.config.substitution import references
from clawgate.plan.snapshot import Snapshot
from clawgate.plan.types import Attempt, Plan


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


def vars_behind(snap: Snapshot, att: Attempt) -> set[str]:
    """The variables an attempt's credential candidates and base URL read."""
    names: set[str] = set()
    cred = att.credential
    if cred is None:
        return names
    for c in cred.candidates:
        if c.source.startswith("env:"):
            names.add(c.source[4:])
        if c.ref and "${" in c.ref:
            names.update(references(c.ref))
    if att.view is not None:
        names.update(att.view.env_vars)
        if isinstance(att.view.api_key, SecretRef) and att.view.api_key.source == "env":
            names.add(att.view.api_key.id)
        names.update(references(att.view.base_url.value or ""))
    return names


def needed_vars(snap: Snapshot, agent: str | None = None) -> set[str]:
    """Every variable some plan's credential or base URL reads."""
    names: set[str] = set()
    for use in plans_to_check(snap, agent):
        for att in use.plan.attempts:
            names.update(vars_behind(snap, att))
    return names
