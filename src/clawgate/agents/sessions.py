"""The session manager: sessions and their messages (SQLite, written before and while a run streams), one active
run per session with a queue behind it (or interrupt mode), slash commands before any model call, subagents, and
the events every surface (SSE, WebSocket, cron) reads."""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict, deque
from dataclasses import dataclass, field
from typing import Any

from clawgate.agents import commands
from clawgate.agents.errors import NotFound, RequestError, ShuttingDown
from clawgate.agents.events import Event, EventBus, make
from clawgate.agents.runs import Run, new_id
from clawgate.call.runtime import Runtime
from clawgate.errors import ClawgateError
from clawgate.plan.types import Plan
from clawgate.store.base import MessageRecord, RunRecord, SessionRecord

MAX_CACHED_SESSIONS = 512
DEFAULT_MAX_SUBAGENTS = 4
TITLE_CHARS = 60


@dataclass
class SessionState:
    """A session in memory: its record, its history (in `seq` order), the active run and the queue."""

    rec: SessionRecord
    history: list[MessageRecord] = field(default_factory=list)
    active: Run | None = None
    queue: deque[Run] = field(default_factory=deque)
    seq: int = 0
    known_tokens: dict[str, int] = field(default_factory=dict)  # reply id -> output tokens reported

    @property
    def id(self) -> str:
        return self.rec.id

    def queued_message_ids(self) -> set[str]:
        return {r.rec.message_id for r in self.queue if r.rec.message_id}


@dataclass
class Posted:
    """What posting a message did: a run was created (queued or started), or a command answered."""

    session: SessionState
    run: Run | None = None
    message: MessageRecord | None = None
    command: str | None = None
    events: list[Event] = field(default_factory=list)


class SessionManager:
    def __init__(self, rt: Runtime, bus: EventBus | None = None) -> None:
        self.rt = rt
        self.store = rt.store
        self.bus = bus or EventBus()
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

    # -- persistence helpers --------------------------------------------------------------------------

    async def durable(self) -> None:
        """Wait until every write so far is committed."""
        # shielded: a cancelled waiter must not cancel the store's future under its writer thread
        await asyncio.shield(asyncio.wrap_future(self.store.barrier()))

    def save_run(self, rec: RunRecord) -> None:
        self.store.save_run(rec)

    def add_message(
        self, state: SessionState, *, role: str, content: str, status: str, **kw: Any
    ) -> MessageRecord:
        state.seq += 1
        now = time.time()
        msg = MessageRecord(
            id=new_id("m"),
            session_id=state.id,
            seq=state.seq,
            role=role,
            content=content,
            status=status,
            created_at=now,
            updated_at=now,
            **kw,
        )
        state.history.append(msg)
        self.store.save_message(msg)
        return msg

    def resequence(self, state: SessionState, message_id: str | None) -> None:
        """A queued message is answered now: move it after everything said while it waited."""
        if message_id is None:
            return
        for i, m in enumerate(state.history):
            if m.id == message_id:
                if i != len(state.history) - 1:
                    state.history.pop(i)
                    state.seq += 1
                    m.seq = state.seq
                    state.history.append(m)
                    self.store.save_message(m)
                return

    def message_text(self, state: SessionState, message_id: str | None) -> str | None:
        for m in state.history:
            if m.id == message_id:
                return m.content
        return None

    def history_for(self, state: SessionState, exclude: set[str]) -> list[MessageRecord]:
        """What the model sees: said messages in order — not queued ones, not empty error bubbles; tool calls
        only with their results."""
        skip = exclude | state.queued_message_ids()
        msgs = [
            m
            for m in state.history
            if m.id not in skip
            and m.role in ("user", "assistant", "tool")
            and not (m.role == "assistant" and not m.content and not m.tool_calls)
        ]
        answered = {m.tool_call_id for m in msgs if m.role == "tool"}
        out: list[MessageRecord] = []
        offered: set[str] = set()
        for m in msgs:
            if m.role == "assistant" and m.tool_calls:
                calls = [c for c in m.tool_calls if c.get("id") in answered]
                offered.update(c["id"] for c in calls)
                if len(calls) != len(m.tool_calls):
                    if not calls and not m.content:
                        continue
                    m = MessageRecord(**{**m.__dict__, "tool_calls": calls or None})
            elif m.role == "tool" and m.tool_call_id not in offered:
                continue
            out.append(m)
        return out

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
        plan = self.rt.plan(agent, ref, model_from="session.model_pin")
        att = plan.attempts[0] if plan.attempts else None
        if att is not None and att.error and att.error.get("code") == "model.unknown":
            raise RequestError(att.error["message"], next_steps=list(att.error.get("next", [])))
        cred = att.credential if att is not None else None
        if att is not None and cred is not None and cred.pinned:
            pinned = next((c for c in cred.candidates if c.source == f"profile:{cred.pinned}"), None)
            if pinned is None or not pinned.usable:
                why = pinned.fatal_reason if pinned is not None else None
                raise RequestError(
                    f"profile {cred.pinned!r} cannot be used for {att.provider}: {why or 'no usable key'}",
                    next_steps=[f"clawgate auth list --agent {agent}", f"clawgate auth add {att.provider}"],
                )
        return plan

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
        state = SessionState(rec, history=msgs, seq=max((m.seq for m in msgs), default=0))
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
        rec = state.rec
        model: dict[str, Any] = {"ref": None, "from": None}
        window = None
        try:
            plan = self.plan_for_session(state)
            model = {"ref": plan.model.ref, "from": plan.model.source}
            att = plan.attempts[0] if plan.attempts else None
            window = att.model_info.info.context_window if att and att.model_info else None
        except ClawgateError as exc:
            model["error"] = exc.message
        return {
            "id": rec.id,
            "agent": rec.agent,
            "title": rec.title,
            "model_pin": rec.model_pin,
            "created_at": rec.created_at,
            "updated_at": rec.updated_at,
            "active_run_id": state.active.id if state.active else None,
            "queued": len(state.queue),
            "message_count": len(state.history) if message_count is None else message_count,
            "model": model,
            "tokens": {"used": rec.tokens_used, "context_window": window},
            "kind": rec.kind,
            "parent_run_id": rec.parent_run_id,
        }

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
        await self.durable()
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

    # -- messages and runs -------------------------------------------------------------------------------

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
        state = await self.get(session_id)
        cmd = commands.parse(content)
        if cmd is not None:
            return await commands.handle(self, state, *cmd)
        if self.draining:
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
        self.store.save_session(rec)
        msg = self.add_message(state, role="user", content=content, status="complete")
        run = self._new_run(state, msg, trigger=trigger, tools=tools, model=model, model_from=model_from)
        msg.run_id = run.id
        self.store.save_message(msg)
        await self.durable()  # the message is on disk before any model call
        self._schedule(state, run, mode or self.busy_mode())
        return Posted(state, run, msg)

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
        rec = RunRecord(
            id=new_id("r"),
            session_id=state.id,
            agent=state.rec.agent,
            status="queued",
            created_at=time.time(),
            parent_run_id=parent.id if parent else None,
            trigger=trigger,
            message_id=msg.id if msg else None,
        )
        run = Run(
            self,
            state,
            rec,
            model=model,
            model_from=model_from,
            subagent=parent is not None,
            tools=tools,
            parent=parent,
        )
        self.runs[run.id] = run
        self.save_run(rec)
        return run

    def _schedule(self, state: SessionState, run: Run, mode: str) -> None:
        if state.active is None:
            self._start(state, run)
            return
        if mode == "interrupt":
            state.queue.appendleft(run)
            active = state.active
            self.emit(state.id, "notice", run.id, text=f"interrupting run {active.id} for the new message")
            active.cancel("interrupt")
            return
        state.queue.append(run)
        self.emit(state.id, "run.queued", run.id, position=len(state.queue), behind=state.active.id)

    def _start(self, state: SessionState, run: Run) -> None:
        state.active = run
        run.start()

    def run_finished(self, run: Run) -> None:
        """Called by a run as it ends: free the session, start the next queued run."""
        self.runs.pop(run.id, None)
        state = run.state
        usage = run.rec.usage
        if usage and run.rec.status == "completed":
            state.rec.tokens_used = (usage.get("input_tokens") or 0) + (usage.get("output_tokens") or 0)
        state.rec.updated_at = time.time()
        self.store.save_session(state.rec)
        keep = self.rt.snapshot.config.sessions.keep_messages
        if len(state.history) > keep:
            drop = len(state.history) - keep
            del state.history[:drop]
            self.store.trim_messages(state.id, keep)
        if state.active is run:
            state.active = None
            if state.queue and not self.draining:
                nxt = state.queue.popleft()
                self._start(state, nxt)
        if not run.children:
            self._subagent_slots.pop(run.id, None)
        if run.parent is not None:
            from clawgate.agents.subagents import report

            report(self, run)

    async def stop(self, session_id: str, wait: float = 10.0) -> str | None:
        """Cancel the active run and its subagents (the upstream requests close); the run id, or None."""
        state = await self.get(session_id)
        run = state.active
        if run is None or not run.cancel("stop"):
            return None
        await run.wait(wait)
        return run.id

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
        parent = self.runs.get(run_id) or self._finished_parents.get(run_id)
        if parent is None:
            await self.durable()
            rec = await asyncio.to_thread(self.store.get_run, run_id)
            if rec is None:
                raise NotFound(
                    f"no run {run_id!r}", next_steps=["GET /api/sessions/{id} lists a session's runs"]
                )
            state = await self.get(rec.session_id)
            parent = self.runs.get(run_id) or self._finished_parents.get(run_id)
            if parent is None:
                parent = Run(self, state, rec)
                parent.done.set()  # a finished run: only its record is updated
        if parent.finished:
            self._finished_parents[parent.id] = parent  # one record for every child reporting to it
        try:
            return await self.spawn(parent, prompt, agent=agent, model=model)
        finally:
            if parent.finished and not parent.children:
                self._finished_parents.pop(parent.id, None)
                self._subagent_slots.pop(parent.id, None)

    def subagent_slots(self, parent: Run) -> asyncio.Semaphore:
        sem = self._subagent_slots.get(parent.id)
        if sem is None:
            snap = self.rt.snapshot
            n = None
            try:
                entry = snap.agent(parent.rec.agent).entry
                if entry is not None and entry.subagents is not None:
                    n = entry.subagents.max_concurrent
            except ClawgateError:
                pass
            d = snap.config.agents.defaults.subagents
            n = n or (d.max_concurrent if d is not None else None) or DEFAULT_MAX_SUBAGENTS
            sem = self._subagent_slots[parent.id] = asyncio.Semaphore(n)
        return sem

    # -- shutdown -------------------------------------------------------------------------------------

    async def aclose(self, wait: float = 5.0) -> None:
        """Cancel every run (the replies so far are kept, marked interrupted)."""
        self.draining = True
        runs = list(self.runs.values())
        for run in runs:
            if run.task is None:
                self._abandon(run)
            else:
                run.cancel("shutdown")
        for run in runs:
            await run.wait(wait)

    def _abandon(self, run: Run) -> None:
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
        self.save_run(run.rec)
        self.emit(run.session_id, "run.finished", run.id, status="interrupted", usage=None, ref=None)
        run.done.set()
        self.runs.pop(run.id, None)


def message_json(m: MessageRecord) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": m.id,
        "session_id": m.session_id,
        "role": m.role,
        "content": m.content,
        "run_id": m.run_id,
        "status": m.status,
        "created_at": m.created_at,
        "ref": m.ref,
        "error": m.error,
    }
    if m.tool_calls:
        out["tool_calls"] = m.tool_calls
    if m.tool_call_id:
        out["tool_call_id"] = m.tool_call_id
    return out


def run_json(r: RunRecord) -> dict[str, Any]:
    return {
        "id": r.id,
        "session_id": r.session_id,
        "agent": r.agent,
        "parent_run_id": r.parent_run_id,
        "status": r.status,
        "limit": r.limit,
        "created_at": r.created_at,
        "started_at": r.started_at,
        "ended_at": r.ended_at,
        "last_activity_at": r.last_activity_at,
        "ref": r.ref,
        "model_from": r.model_from,
        "credential": r.credential,
        "usage": r.usage,
        "error": r.error,
        "trigger": r.trigger,
        "message_id": r.message_id,
        "reply_id": r.reply_id,
        "subagents": r.subagents,
    }
