"""Subagents: a run spawns a child run (an API call, or the `spawn_subagent` tool) in a session of its own.

The child's model: `spawn.model` → `agents.list[].subagents.model` → `agents.defaults.subagents.model` → the
agent's own model (the resolver's `model_choice(..., subagent=True)`). Its credentials come from the same resolver
for the child's agent id, which falls back to the main agent's profiles (provenance says `inherited_from`).
Nothing depends on a child process's environment: a subagent is a run in this process. One level only; the
child's end (and its failure, with the owner) is reported to the parent run as an event and in its record.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from clawgate.agents.errors import NotFound, RequestError, ShuttingDown
from clawgate.errors import ClawgateError

if TYPE_CHECKING:
    from clawgate.agents.runs import Run
    from clawgate.agents.sessions import SessionManager

TITLE_PROMPT_CHARS = 40
DEFAULT_MAX_SUBAGENTS = 4


async def spawn(
    mgr: SessionManager, parent: Run, prompt: str, agent: str | None = None, model: str | None = None
) -> Run:
    """Create the child run, run it to its end (bounded by its own watchdog), and return it."""
    if parent.subagent or parent.rec.parent_run_id is not None:
        raise RequestError(
            f"run {parent.id} is itself a subagent; subagents do not spawn subagents (one level)",
            next_steps=["spawn from the parent run instead"],
        )
    if not prompt or not prompt.strip():
        raise RequestError(
            "a subagent needs a prompt", next_steps=['POST /api/runs/{id}/subagents {"prompt": "…"}']
        )
    if mgr.draining:
        raise ShuttingDown("the gateway is shutting down; no subagent was started")
    child_agent = mgr.rt.snapshot.agent(agent or parent.rec.agent).id  # NotFoundError for an unknown id
    short = " ".join(prompt.split())[:TITLE_PROMPT_CHARS]
    state = await mgr.create_session(
        child_agent, title=f"subagent of {parent.id}: {short}", kind="subagent", parent_run_id=parent.id
    )
    msg = mgr.add_message(state, role="user", content=prompt, status="complete")
    child = mgr._new_run(state, msg, trigger="subagent", model=model, parent=parent)
    msg.run_id = child.id
    mgr.store.save_message(msg)
    await mgr.durable()
    parent.children[child.id] = child
    model_json: dict[str, Any] = {"ref": model, "from": "spawn.model" if model else None}
    try:
        plan = mgr.plan_for(child)
        model_json = {"ref": plan.model.ref, "from": plan.model.source}
    except ClawgateError:
        pass  # the run fails the same way and reports it
    mgr.emit(
        parent.session_id,
        "subagent.started",
        parent.id,
        child_run_id=child.id,
        child_session_id=state.id,
        agent=child_agent,
        model=model_json,
    )
    async with mgr.subagent_slots(parent):
        if parent.reason is not None:  # the parent was stopped while this one waited for a slot
            child.cancel(parent.reason)
        mgr._start(state, child)
        await child.done.wait()
    return child


def report(mgr: SessionManager, child: Run) -> None:
    """The child ended: tell the parent (event on the parent's session, entry in the parent's run record)."""
    parent = child.parent
    if parent is None:
        return
    rec = child.rec
    entry = {
        "run_id": rec.id,
        "session_id": rec.session_id,
        "agent": rec.agent,
        "status": rec.status,
        "ref": rec.ref,
        "model_from": rec.model_from,
        "credential": rec.credential,
        "fallback": rec.fallback,
        "error": rec.error,
    }
    parent.rec.subagents = [s for s in parent.rec.subagents if s.get("run_id") != rec.id] + [entry]
    mgr.save_run(parent.rec)
    parent.children.pop(rec.id, None)
    if parent.finished and not parent.children:
        mgr._subagent_slots.pop(parent.id, None)
    fields: dict[str, Any] = {
        "child_run_id": rec.id,
        "status": rec.status,
        "agent": rec.agent,
        "ref": rec.ref,
    }
    if rec.error and rec.status != "completed":
        fields["error"] = {k: rec.error.get(k) for k in ("owner", "code", "message", "next")}
    mgr.emit(parent.session_id, "subagent.finished", parent.id, **fields)
    if not parent.finished:
        parent.touch()


async def spawn_for(
    mgr: SessionManager, run_id: str, prompt: str, agent: str | None = None, model: str | None = None
) -> Run:
    """`POST /api/runs/{id}/subagents`: the parent may be active or finished (its record is updated)."""
    parent = mgr.runs.get(run_id) or mgr._finished_parents.get(run_id)
    if parent is None:
        await mgr.durable()
        rec = await asyncio.to_thread(mgr.store.get_run, run_id)
        if rec is None:
            raise NotFound(f"no run {run_id!r}", next_steps=["GET /api/sessions/{id} lists a session's runs"])
        state = await mgr.get(rec.session_id)
        parent = mgr.runs.get(run_id) or mgr._finished_parents.get(run_id)
        if parent is None:
            from clawgate.agents.runs import Run

            parent = Run(mgr, state, rec)
            parent.done.set()  # a finished run: only its record is updated
    if parent.finished:
        mgr._finished_parents[parent.id] = parent  # one record for every child reporting to it
    try:
        return await mgr.spawn(parent, prompt, agent=agent, model=model)
    finally:
        if parent.finished and not parent.children:
            mgr._finished_parents.pop(parent.id, None)
            mgr._subagent_slots.pop(parent.id, None)


def slots(mgr: SessionManager, parent: Run) -> asyncio.Semaphore:
    sem = mgr._subagent_slots.get(parent.id)
    if sem is None:
        snap = mgr.rt.snapshot
        n = None
        try:
            entry = snap.agent(parent.rec.agent).entry
            if entry is not None and entry.subagents is not None:
                n = entry.subagents.max_concurrent
        except ClawgateError:
            pass
        d = snap.config.agents.defaults.subagents
        n = n or (d.max_concurrent if d is not None else None) or DEFAULT_MAX_SUBAGENTS
        sem = mgr._subagent_slots[parent.id] = asyncio.Semaphore(n)
    return sem
