"""The session manager: sessions and their messages (in the durable store, written before and while a run
streams; the store assigns each message its `seq`, and a run re-reads the history from it, so messages posted
through another process are in it), one active run per session across processes (a lease, agents/coordination.py)
with a queue behind it (or interrupt mode), slash commands before any model call, subagents, and the events
every surface (SSE, WebSocket, cron) reads.

`SessionManager` is what the surfaces call; it owns the state (the cached sessions, this process's runs) and
delegates the history against the store to agents/history.py and what a posted message does — run, queue,
interrupt, stop, shutdown — to agents/queueing.py."""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from typing import Any

from clawgate.agents import history, queueing
from clawgate.agents.coordination import Coordinator
from clawgate.agents.errors import NotFound
from clawgate.agents.events import Event, EventBus, make
from clawgate.agents.history import DURABLE_SECONDS, store_unavailable
from clawgate.agents.plans import check_model, session_json
from clawgate.agents.queueing import TITLE_CHARS
from clawgate.agents.runs import Run
from clawgate.agents.state import Posted, SessionState, history_for, message_json, new_id, run_json
from clawgate.call.runtime import Runtime
from clawgate.plan.types import Plan
from clawgate.store.base import MessageRecord, RunRecord, SessionRecord

__all__ = ["DURABLE_SECONDS", "MAX_CACHED_SESSIONS", "TITLE_CHARS", "SessionManager", "store_unavailable"]

MAX_CACHED_SESSIONS = 512


class SessionManager:
    def __init__(self, rt: Runtime, bus: EventBus | None = None, coord: Coordinator | None = None) -> None:
        self.rt = rt
        self.store = rt.store
        self.bus = bus or EventBus()
        self.coord = coord or Coordinator(rt.node, self.bus)
        self.coord.on_free = self._on_free
        self.coord.on_stop = self._on_stop
        self._states: OrderedDict[str, SessionState] = OrderedDict()
        self.runs: dict[str, Run] = {}  # active and queued runs (finished ones are read from the store)
        self.draining = False
        self._subagent_slots: dict[str, asyncio.Semaphore] = {}
        self._finished_parents: dict[str, Run] = {}  # finished runs with API-spawned subagents still going

    # -- events ---------------------------------------------------------------------------------------

    def emit(self, session_id: str, type_: str, run_id: str | None = None, **fields: Any) -> Event:
        ev = make(type_, session_id, run_id, **fields)
        self.bus.publish(ev)
        return ev

    # -- the history against the store (agents/history.py) --------------------------------------------

    async def durable(self, timeout: float = DURABLE_SECONDS) -> None:
        """Wait until every write so far is committed; StoreUnavailable when the store's engine is away (the
        writes stay queued and are committed when it is back, but nothing is acknowledged before that)."""
        await history.durable(self.store, timeout)

    async def refresh(self, state: SessionState) -> None:
        """Re-read the session's messages from the store (what other processes wrote included; the messages
        this process adds keep their objects: `history.refresh`)."""
        await history.refresh(self.store, state, self.runs)

    def save_run(self, rec: RunRecord) -> None:
        self.store.save_run(rec)

    def add_message(
        self, state: SessionState, *, role: str, content: str, status: str, **kw: Any
    ) -> MessageRecord:
        return history.add_message(self.store, state, role=role, content=content, status=status, **kw)

    def resequence(self, state: SessionState, message_id: str | None) -> None:
        """A queued message is answered now: move it after everything said while it waited."""
        history.resequence(self.store, state, message_id)

    def message_text(self, state: SessionState, message_id: str | None) -> str | None:
        return history.message_text(state, message_id)

    def history_for(self, state: SessionState, exclude: set[str]) -> list[MessageRecord]:
        return history_for(state, exclude)

    # -- sessions -------------------------------------------------------------------------------------

    def _cache(self, state: SessionState) -> SessionState:
        self._states[state.id] = state
        self._states.move_to_end(state.id)
        while len(self._states) > MAX_CACHED_SESSIONS:
            for sid, st in self._states.items():
                if st.active is None and not st.queue:
                    del self._states[sid]
                    break
            else:
                break
        return state

    async def create_session(
        self,
        agent: str | None = None,
        model: str | None = None,
        title: str | None = None,
        kind: str = "chat",
        parent_run_id: str | None = None,
    ) -> SessionState:
        snap = self.rt.snapshot
        info = snap.agent(agent)  # NotFoundError for an unknown agent
        if model:
            self.check_model(info.id, model)
        now = time.time()
        rec = SessionRecord(
            id=new_id("s"),
            agent=info.id,
            created_at=now,
            updated_at=now,
            title=title,
            model_pin=model or None,
            kind=kind,
            parent_run_id=parent_run_id,
        )
        self.store.save_session(rec)
        state = self._cache(SessionState(rec))
        await self.durable()  # a session that was announced survives a crash
        return state

    def check_model(self, agent: str, ref: str) -> Plan:
        """The plan for a pinned model; a model that cannot be resolved at all is refused."""
        return check_model(self.rt, agent, ref)

    async def get(self, session_id: str) -> SessionState:
        state = self._states.get(session_id)
        if state is not None:
            self._states.move_to_end(session_id)
            return state
        await self.durable()
        rec = await asyncio.to_thread(self.store.get_session, session_id)
        if rec is None:
            raise NotFound(
                f"no session {session_id!r}",
                next_steps=["GET /api/sessions to list sessions", "POST /api/sessions to create one"],
            )
        state = self._states.get(session_id)  # loaded meanwhile
        if state is not None:
            return state
        msgs = await asyncio.to_thread(self.store.list_messages, session_id)
        runs = await asyncio.to_thread(self.store.list_runs, session_id)
        state = SessionState(rec, history=msgs)
        for r in runs:
            out = (r.usage or {}).get("output_tokens")
            if r.reply_id and out is not None and r.status == "completed":
                state.known_tokens[r.reply_id] = int(out)
        return self._cache(state)

    def plan_for_session(self, state: SessionState) -> Plan:
        if state.rec.model_pin:
            return self.rt.plan(state.rec.agent, state.rec.model_pin, model_from="session.model_pin")
        return self.rt.plan(state.rec.agent)

    def plan_for(self, run: Run) -> Plan:
        agent = run.rec.agent
        if run.subagent:
            return self.rt.plan(agent, run.model, model_from="spawn.model", subagent=True)
        if run.model:
            return self.rt.plan(agent, run.model, model_from=run.model_from)
        return self.plan_for_session(run.state)

    def session_json(self, state: SessionState, message_count: int | None = None) -> dict[str, Any]:
        return session_json(state, self.plan_for_session, message_count)

    async def list_sessions(self, agent: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
        await self.durable()
        recs = await asyncio.to_thread(self.store.list_sessions, agent, limit)
        counts = await asyncio.to_thread(self.store.count_messages, [r.id for r in recs])
        out = []
        for rec in recs:
            state = self._states.get(rec.id)
            if state is None:
                state = SessionState(rec)
                out.append(self.session_json(state, counts.get(rec.id, 0)))
            else:
                out.append(self.session_json(state))
        return out

    async def show(self, session_id: str) -> dict[str, Any]:
        state = await self.get(session_id)
        await self.refresh(state)
        runs = await asyncio.to_thread(self.store.list_runs, session_id)
        live = {r.id: r for r in runs}
        for run in [state.active, *state.queue]:
            if run is not None:
                live[run.id] = run.rec
        return {
            "session": self.session_json(state),
            "messages": [message_json(m) for m in state.history],
            "runs": [run_json(r) for r in sorted(live.values(), key=lambda r: r.created_at)],
        }

    async def get_run(self, run_id: str) -> dict[str, Any]:
        run = self.runs.get(run_id)
        if run is not None:
            return run_json(run.rec)
        await self.durable()
        rec = await asyncio.to_thread(self.store.get_run, run_id)
        if rec is None:
            raise NotFound(f"no run {run_id!r}", next_steps=["GET /api/sessions/{id} lists a session's runs"])
        return run_json(rec)

    # -- messages and runs (agents/queueing.py) -------------------------------------------------------

    def busy_mode(self) -> str:
        return self.rt.snapshot.config.sessions.busy

    async def post(
        self,
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
        return await queueing.post(self, session_id, content, mode, tools, trigger, model, model_from)

    def _new_run(
        self,
        state: SessionState,
        msg: MessageRecord | None,
        *,
        trigger: str,
        tools: bool = False,
        model: str | None = None,
        model_from: str = "request",
        parent: Run | None = None,
    ) -> Run:
        return queueing.new_run(
            self, state, msg, trigger=trigger, tools=tools, model=model, model_from=model_from, parent=parent
        )

    async def _on_free(self, session_id: str) -> None:
        await queueing.on_free(self, session_id)

    def _on_stop(self, session_id: str, reason: str) -> None:
        queueing.on_stop(self, session_id, reason)

    def _start(self, state: SessionState, run: Run) -> None:
        queueing.start(state, run)

    def run_finished(self, run: Run) -> None:
        """Called by a run as it ends: free the session, start the next queued run."""
        queueing.run_finished(self, run)

    async def stop(self, session_id: str, wait: float = 10.0) -> str | None:
        """Cancel the active run and its subagents (the upstream requests close); the run id, or None."""
        return await queueing.stop(self, session_id, wait)

    # -- subagents ------------------------------------------------------------------------------------

    async def spawn(
        self, parent: Run, prompt: str, agent: str | None = None, model: str | None = None
    ) -> Run:
        """Run a subagent for `parent` to completion and report it to the parent (event + record)."""
        from clawgate.agents.subagents import spawn

        return await spawn(self, parent, prompt, agent=agent, model=model)

    async def spawn_for(
        self, run_id: str, prompt: str, agent: str | None = None, model: str | None = None
    ) -> Run:
        """`POST /api/runs/{id}/subagents`: the parent may be active or finished (its record is updated)."""
        from clawgate.agents.subagents import spawn_for

        return await spawn_for(self, run_id, prompt, agent=agent, model=model)

    def subagent_slots(self, parent: Run) -> asyncio.Semaphore:
        from clawgate.agents.subagents import slots

        return slots(self, parent)

    # -- shutdown -------------------------------------------------------------------------------------

    async def aclose(self, wait: float = 5.0) -> None:
        """Cancel every run (the replies so far are kept, marked interrupted)."""
        await queueing.aclose(self, wait)
