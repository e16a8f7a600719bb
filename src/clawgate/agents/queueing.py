"""What happens to a message posted to a session: a slash command is answered at once; anything else is written
(durably, before any model call) and run — at once, queued behind the session's active run (in this process or
another, agents/coordination.py), or interrupting it. A run that ends frees the session and starts the next
queued one; `/stop` cancels the active run wherever it runs; shutdown abandons what never started."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from typing import TYPE_CHECKING

from clawgate.agents import commands
from clawgate.agents.errors import RequestError, ShuttingDown
from clawgate.agents.runs import Run
from clawgate.agents.state import Posted, SessionState, new_id
from clawgate.store.base import MessageRecord, RunRecord, StoreUnavailable

if TYPE_CHECKING:
    from clawgate.agents.sessions import SessionManager

TITLE_CHARS = 60


async def post(
    mgr: SessionManager,
    session_id: str,
    content: str,
    mode: str | None = None,
    tools: bool = False,
    trigger: str = "user",
    model: str | None = None,
    model_from: str = "request",
) -> Posted:
    """Handle one message: a slash command is answered at once; anything else is written, then run (or
    queued behind the active run, or interrupting it)."""
    state = await mgr.get(session_id)
    cmd = commands.parse(content)
    if cmd is not None:
        return await commands.handle(mgr, state, *cmd)
    if mgr.draining:
        raise ShuttingDown(
            "the gateway is shutting down; the message was not taken",
            next_steps=["send it again once the gateway is back"],
        )
    if mode not in (None, "queue", "interrupt"):
        raise RequestError(f"mode must be 'queue' or 'interrupt', not {mode!r}")
    rec = state.rec
    if rec.title is None:
        rec.title = " ".join(content.split())[:TITLE_CHARS] or None
    rec.updated_at = time.time()
    mgr.store.save_session(rec)
    msg = mgr.add_message(state, role="user", content=content, status="complete")
    run = new_run(mgr, state, msg, trigger=trigger, tools=tools, model=model, model_from=model_from)
    msg.run_id = run.id
    mgr.store.save_message(msg)
    try:
        await mgr.durable()  # the message is on disk before any model call
    except StoreUnavailable as exc:
        _not_taken(mgr, state, run, msg, exc)
        raise
    await _schedule(mgr, state, run, mode or mgr.busy_mode())
    return Posted(state, run, msg)


def _not_taken(
    mgr: SessionManager, state: SessionState, run: Run, msg: MessageRecord, exc: StoreUnavailable
) -> None:
    """The store could not commit the message: it is not acknowledged (503) and never run. Its records,
    written once the store is back, say so (an error, not a run left queued)."""
    error = {"owner": "runtime", "code": exc.code, "message": exc.message, "next": list(exc.next_steps)}
    mgr.runs.pop(run.id, None)
    run.rec.status, run.rec.ended_at, run.rec.error = "error", time.time(), error
    mgr.save_run(run.rec)
    msg.status, msg.error = "error", error
    mgr.store.save_message(msg)
    state.history = [m for m in state.history if m.id != msg.id]
    run.done.set()


def new_run(
    mgr: SessionManager,
    state: SessionState,
    msg: MessageRecord | None,
    *,
    trigger: str,
    tools: bool = False,
    model: str | None = None,
    model_from: str = "request",
    parent: Run | None = None,
) -> Run:
    """A queued run for `msg` (recorded; in `mgr.runs` until it ends)."""
    rec = RunRecord(
        id=new_id("r"),
        session_id=state.id,
        agent=state.rec.agent,
        status="queued",
        created_at=time.time(),
        parent_run_id=parent.id if parent else None,
        trigger=trigger,
        message_id=msg.id if msg else None,
        worker=mgr.coord.worker,
    )
    run = Run(
        mgr,
        state,
        rec,
        model=model,
        model_from=model_from,
        subagent=parent is not None,
        tools=tools,
        parent=parent,
    )
    mgr.runs[run.id] = run
    mgr.save_run(rec)
    return run


async def _schedule(mgr: SessionManager, state: SessionState, run: Run, mode: str) -> None:
    if state.active is None and not state.queue and await mgr.coord.claim(state.id, run.id):
        start(state, run)
        return
    remote = None if state.active is not None else await mgr.coord.remote_run(state.id)
    behind = state.active.id if state.active is not None else remote
    if mode == "interrupt":
        state.queue.appendleft(run)
        mgr.emit(state.id, "notice", run.id, text=f"interrupting run {behind} for the new message")
        if state.active is not None:
            state.active.cancel("interrupt")
        else:
            mgr.coord.request_stop(state.id, "interrupt")
    else:
        state.queue.append(run)
        mgr.emit(state.id, "run.queued", run.id, position=len(state.queue), behind=behind)
    if state.active is None:
        mgr.coord.wait_for(state.id)  # the session is another process's: start when it lets go


async def on_free(mgr: SessionManager, session_id: str) -> None:
    """A session this process has queued messages for may be free: take it and start the first."""
    state = mgr._states.get(session_id)
    if state is None or not state.queue or mgr.draining:
        mgr.coord.waiting.discard(session_id)
        return
    if state.active is not None or not await mgr.coord.claim(session_id, state.queue[0].id):
        return
    if state.active is None and state.queue:
        mgr.coord.waiting.discard(session_id)
        start(state, state.queue.popleft())


def on_stop(mgr: SessionManager, session_id: str, reason: str) -> None:
    """Another process asks to stop the run this one executes for the session."""
    state = mgr._states.get(session_id)
    if state is not None and state.active is not None:
        state.active.cancel(reason)


def start(state: SessionState, run: Run) -> None:
    state.active = run
    run.start()


def run_finished(mgr: SessionManager, run: Run) -> None:
    """Called by a run as it ends: free the session, start the next queued run."""
    mgr.runs.pop(run.id, None)
    state = run.state
    usage = run.rec.usage
    if usage and run.rec.status == "completed":
        state.rec.tokens_used = (usage.get("input_tokens") or 0) + (usage.get("output_tokens") or 0)
    state.rec.updated_at = time.time()
    mgr.store.save_session(state.rec)
    keep = mgr.rt.snapshot.config.sessions.keep_messages
    if len(state.history) > keep:
        drop = len(state.history) - keep
        del state.history[:drop]
        mgr.store.trim_messages(state.id, keep)
    if state.active is run:
        state.active = None
        if state.queue and not mgr.draining:
            nxt = state.queue.popleft()
            start(state, nxt)
            mgr.coord.spawn(mgr.coord.claim(state.id, nxt.id))  # renew: the lease is ours already
        else:
            mgr.coord.spawn(mgr.coord.release(state.id))
    if not run.children:
        mgr._subagent_slots.pop(run.id, None)
    if run.parent is not None:
        from clawgate.agents.subagents import report

        report(mgr, run)


async def stop(mgr: SessionManager, session_id: str, wait: float = 10.0) -> str | None:
    """Cancel the active run and its subagents (the upstream requests close); the run id, or None."""
    state = await mgr.get(session_id)
    run = state.active
    if run is None:
        return await _stop_elsewhere(mgr, session_id, wait)
    if not run.cancel("stop"):
        return None
    await run.wait(wait)
    return run.id


async def _stop_elsewhere(mgr: SessionManager, session_id: str, wait: float) -> str | None:
    """The session's run is another process's: ask it to stop, and wait for the run's end event."""
    run_id = await mgr.coord.remote_run(session_id)
    if run_id is None:
        return None
    with mgr.bus.subscribe([session_id]) as sub:
        mgr.coord.request_stop(session_id, "stop")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait
        while (left := deadline - loop.time()) > 0:
            ev = await sub.get(timeout=left)
            if ev is None and sub.closed:
                break
            if ev is not None and ev.get("run_id") == run_id and ev["type"] == "run.finished":
                break
    return run_id


async def aclose(mgr: SessionManager, wait: float = 5.0) -> None:
    """Cancel every run (the replies so far are kept, marked interrupted)."""
    mgr.draining = True
    mgr.coord.waiting.clear()
    runs = list(mgr.runs.values())
    for run in runs:
        if run.task is None:
            _abandon(mgr, run)
        else:
            run.cancel("shutdown")
    for run in runs:
        await run.wait(wait)
    await mgr.coord.close()


def _abandon(mgr: SessionManager, run: Run) -> None:
    """A queued run that will never start."""
    run.state.queue = deque(r for r in run.state.queue if r is not run)
    run.rec.status = "interrupted"
    run.rec.ended_at = time.time()
    run.rec.error = {
        "owner": "runtime",
        "code": "runtime.interrupted",
        "message": "the gateway shut down before this queued message was answered",
        "next": ["send the message again"],
    }
    mgr.save_run(run.rec)
    mgr.emit(run.session_id, "run.finished", run.id, status="interrupted", usage=None, ref=None)
    run.done.set()
    mgr.runs.pop(run.id, None)
