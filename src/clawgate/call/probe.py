"""Probes: the exact runtime plan, one minimal request per attempt (concurrently), through the executor.

A probe differs from a real call in one way only: it ignores health state (it exists to re-test a credential)
and records its results, so a passing probe clears a stale rejection just as a real success would. Only a probe's
own verdict is recorded: when one probe of a run raises, the others still in flight are cancelled (a cancelled try
leaves health alone) before the error goes on and the caller closes the connections under them.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Iterable
from typing import Any, TypeVar

from clawgate.auth.resolve import CredentialResolution
from clawgate.call.executor import CallRequest, TryResult
from clawgate.call.runtime import Runtime
from clawgate.dialects.internal import ChatRequest, Message, Part
from clawgate.plan.types import Attempt, Plan

PROBE_PROMPT = "Reply with the single word: ok"
T = TypeVar("T")


async def together(aws: Iterable[Awaitable[T]]) -> list[T]:
    """`asyncio.gather`, except that the first error (or a cancellation) cancels the rest and waits for them to
    finish before it goes on: no probe is left running against connections its caller is about to close."""
    tasks = [asyncio.ensure_future(a) for a in aws]
    try:
        return list(await asyncio.gather(*tasks))
    except BaseException:
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


def probe_request(agent: str | None) -> CallRequest:
    chat = ChatRequest(model="", messages=[Message("user", [Part("text", PROBE_PROMPT)])], max_tokens=16)
    return CallRequest(stream=False, chat=chat, purpose="probe", agent=agent, ignore_health=True)


def _single(plan: Plan, att: Attempt, cred_index: int | None = None) -> Plan:
    if cred_index is not None and att.credential is not None:
        cands = att.credential.candidates
        only = CredentialResolution(
            att.credential.provider,
            att.credential.agent,
            [cands[cred_index]],
            att.credential.checked,
            att.credential.optional,
            pinned=cands[cred_index].source,
        )
        att = dataclasses.replace(att, credential=only)
    return dataclasses.replace(plan, attempts=[att])


def _try_json(t: TryResult) -> dict[str, Any]:
    out = t.to_json()
    if t.failure is not None:
        out["next"] = t.failure.next_steps
    return out


async def probe_attempt(rt: Runtime, plan: Plan, att: Attempt, every_credential: bool) -> dict[str, Any]:
    if every_credential and att.credential is not None and att.error is None:
        idx = [i for i, c in enumerate(att.credential.candidates) if c.usable]
        if not idx:
            outcomes = [await rt.run(_single(plan, att), probe_request(plan.agent))]
        else:
            outcomes = await together(rt.run(_single(plan, att, i), probe_request(plan.agent)) for i in idx)
    else:
        outcomes = [await rt.run(_single(plan, att), probe_request(plan.agent))]
    tries = [t for o in outcomes for t in o.tries]
    served = next((t for o in outcomes if o.ok for t in reversed(o.tries) if t.ok), None)
    failed = [t for t in tries if t.failure is not None]
    # ok only when the attempt is served and no credential tried on the way was refused: a rejected key that a
    # later one covers for is still worth fixing (seed 003)
    result: dict[str, Any] = {"ok": served is not None and not failed, "served": served is not None}
    if served is not None:
        result.update(
            {
                "status": served.status,
                "latency_ms": round(served.latency_ms or 0, 1),
                "credential": served.cred.source if served.cred else None,
            }
        )
    if failed:
        f = failed[0].failure
        assert f is not None
        result.update({"owner": f.owner, "code": f.code, "message": f.message, "next": f.next_steps})
    else:
        result.update({"owner": None, "code": None})
    result["credentials"] = [_try_json(t) for t in tries]
    return result


async def probe_plan(
    rt: Runtime, plan: Plan, provider: str | None = None, every_credential: bool = False
) -> list[dict[str, Any] | None]:
    """One probe result per attempt of the plan (None for attempts filtered out by `provider`)."""

    async def one(att: Attempt) -> dict[str, Any] | None:
        if provider and att.provider != provider:
            return None
        return await probe_attempt(rt, plan, att, every_credential)

    return await together(one(a) for a in plan.attempts)
