"""The stuck-run watchdog: a run that received nothing for the idle limit, or that runs longer than the total
limit, is ended with a `runtime` error naming the limit that fired. No run can hold a session forever.

Limits: `agents.list[].idleTimeoutSeconds` → `agents.defaults.idleTimeoutSeconds` → 120 s for cloud providers,
300 s for local ones; `agents.list[].runTimeoutSeconds` → `agents.defaults.runTimeoutSeconds` → 900 s.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from clawgate.failures import Failure

IDLE_CLOUD = 120.0
IDLE_LOCAL = 300.0
TOTAL = 900.0


@dataclass(frozen=True)
class Limits:
    idle: float
    total: float
    idle_from: str
    total_from: str

    def to_json(self) -> dict[str, Any]:
        return {
            "idle": self.idle,
            "idle_from": self.idle_from,
            "total": self.total,
            "total_from": self.total_from,
        }


def limits_for(snap: Any, agent_id: str, local: bool) -> Limits:
    """The limits for a run of `agent_id` (on a local provider when `local`), with where each comes from."""
    d = snap.config.agents.defaults
    entry, path = None, None
    try:
        info = snap.agent(agent_id)
        entry, path = info.entry, info.path
    except Exception:  # an unknown agent fails elsewhere; its run still gets the defaults
        pass
    if entry is not None and entry.idle_timeout_seconds is not None:
        idle, idle_from = entry.idle_timeout_seconds, f"{path}.idleTimeoutSeconds"
    elif d.idle_timeout_seconds is not None:
        idle, idle_from = d.idle_timeout_seconds, "agents.defaults.idleTimeoutSeconds"
    else:
        idle, idle_from = (IDLE_LOCAL, "default (local provider)") if local else (IDLE_CLOUD, "default")
    if entry is not None and entry.run_timeout_seconds is not None:
        total, total_from = entry.run_timeout_seconds, f"{path}.runTimeoutSeconds"
    elif d.run_timeout_seconds is not None:
        total, total_from = d.run_timeout_seconds, "agents.defaults.runTimeoutSeconds"
    else:
        total, total_from = TOTAL, "default"
    return Limits(float(idle), float(total), idle_from, total_from)


class Watched(Protocol):
    """What the watchdog needs of a run: activity times on the loop's clock, and a way to end it."""

    started_mono: float
    last_activity_mono: float

    @property
    def finished(self) -> bool: ...

    def expire(self, limit: str) -> None: ...


async def watch(run: Watched, limits: Limits, clock: Callable[[], float] | None = None) -> str | None:
    """Sleep until a limit could fire, re-check, and end the run when one did. Returns the limit that fired."""
    now_fn = clock or asyncio.get_running_loop().time
    while not run.finished:
        now = now_fn()
        total_at = run.started_mono + limits.total
        idle_at = run.last_activity_mono + limits.idle
        if now >= total_at:
            run.expire("total")
            return "total"
        if now >= idle_at:
            run.expire("idle")
            return "idle"
        await asyncio.sleep(max(0.005, min(total_at, idle_at) - now))
    return None


def timeout_failure(limit: str, limits: Limits, ref: str | None, waited: float) -> Failure:
    if limit == "idle":
        return Failure(
            owner="runtime",
            code="runtime.idle_timeout",
            model=ref,
            message=f"the run received nothing from {ref or 'the provider'} for {waited:.1f} s (idle limit "
            f"{limits.idle:g} s, from {limits.idle_from}); the watchdog ended it and closed the upstream request",
            next_steps=[
                "send the message again, or /new for a fresh session",
                "clawgate health list",
                "raise the limit: clawgate config set agents.defaults.idleTimeoutSeconds 300",
            ],
        )
    return Failure(
        owner="runtime",
        code="runtime.total_timeout",
        model=ref,
        message=f"the run took longer than its total limit of {limits.total:g} s (from {limits.total_from}); "
        "the watchdog ended it and closed the upstream request",
        next_steps=[
            "ask for a shorter answer, or /new for a fresh session",
            "raise the limit: clawgate config set agents.defaults.runTimeoutSeconds 1800",
        ],
    )
