"""The session manager: sessions and their messages (in the durable store, written before and while a run
streams; the store assigns each message its `seq`, and a run re-reads the history from it, so messages posted
through another process are in it), one active run per session across processes (a lease, agents/coordination.py)
with a queue behind it (or interrupt mode), slash commands before any model call, subagents, and the events
every surface (SSE, WebSocket, cron) reads."""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict, deque
from typing import Any

from clawgate.agents import commands
from clawgate.agents.coordination import Coordinator
from clawgate.agents.errors import NotFound, RequestError, ShuttingDown
from clawgate.agents.events import Event, EventBus, make
from clawgate.agents.plans import check_model, session_json
from clawgate.agents.runs import Run, new_id
from clawgate.agents.state import Posted, SessionState, history_for, message_json, run_json
from clawgate.call.runtime import Runtime
from clawgate.plan.types import Plan
from clawgate.store.base import MessageRecord, RunRecord, SessionRecord, Store, StoreUnavailable

MAX_CACHED_SESSIONS = 512
TITLE_CHARS = 60
DURABLE_SECONDS = (
    10.0  # a write not committed by then: the store's engine is away (503, nothing acknowledged)
)


def store_unavailable(store: Store) -> StoreUnavailable:
    st = store.status()
    return StoreUnavailable(
        f"the sessions database ({st.get('engine')} at {st.get('host') or st.get('path')}) is unreachable "
        f"({st.get('error') or 'writes are not being committed'}); model calls keep working",
        next_steps=["clawgate doctor", "retry once the database is back"],
    )


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

    # -- persistence helpers --------------------------------------------------------------------------

    async def durable(self, timeout: float = DURABLE_SECONDS) -> None:
        """Wait until every write so far is committed; StoreUnavailable when the store's engine is away (the
        writes stay queued and are committed when it is back, but nothing is acknowledged before that)."""
        if not self.store.available:
            raise store_unavailable(self.store)
        # shielded: a cancelled waiter must not cancel the store's future under its writer thread
        try:
            async with asyncio.timeout(timeout):
                await asyncio.shield(asyncio.wrap_future(self.store.barrier()))
        except TimeoutError:
            raise store_unavailable(self.store) from None

    async def refresh(self, state: SessionState) -> None:
        """Re-read the session's messages from the store (what other processes wrote included).

        The store's rows are the truth, except for the messages this process adds (`state.own`): it alone
        writes them, so its object is never older than its row (a streaming reply grows between flushes) and
        stays in the history, in the row's place. The read sees only the writes submitted before this
        refresh's barrier: a message added while the refresh waits is not missing from the store but not yet
        committed, so it is kept (at the end, where the store will put it); one of ours that was there before
        and is missing now was deleted (trimmed)."""
        submitted = {m.id for m in state.history}  # written before the barrier durable() submits next
        await self.durable()
        msgs = await asyncio.to_thread(self.store.list_messages, state.id)
        runs = await asyncio.to_thread(self.store.list_runs, state.id)
        # the history as it is now: it may have grown (or been rebuilt by another refresh) during the reads
        own = {m.id: m for m in state.history if m.id in state.own}
        history = []
        for m in msgs:
            mine = own.pop(m.id, None)
            if mine is not None:
                mine.seq = m.seq
                m = mine
            history.append(m)
        history += [m for m in own.values() if m.id not in submitted]  # not committed yet
        state.history = history
        state.own.intersection_update(m.id for m in history)
        state.queued_elsewhere = {
            r.message_id for r in runs if r.status == "queued" and r.message_id and r.id not in self.runs
        }

    def save_run(self, rec: RunRecord) -> None:
        self.store.save_run(rec)

    def add_message(
        self, state: SessionState, *, role: str, content: str, status: str, **kw: Any
    ) -> MessageRecord:
        now = time.time()
        msg = MessageRecord(
            id=new_id("m"),
            session_id=state.id,
            seq=0,  # the store assigns the next seq of the session
            role=role,
            content=content,
            status=status,
            created_at=now,
            updated_at=now,
            **kw,
        )
        state.history.append(msg)
        state.own.add(msg.id)
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
                    state.history.append(m)
                self.store.move_to_end(state.id, m.id)  # another process may have added messages meanwhile
                return

    def message_text(self, state: SessionState, message_id: str | None) -> str | None:
        for m in state.history:
            if m.id == message_id:
                return m.content
        return None

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
        try:
            await self.durable()  # the message is on disk before any model call
        except StoreUnavailable as exc:
            self._not_taken(state, run, msg, exc)
            raise
        await self._schedule(state, run, mode or self.busy_mode())
        return Posted(state, run, msg)

    def _not_taken(self, state: SessionState, run: Run, msg: MessageRecord, exc: StoreUnavailable) -> None:
        """The store could not commit the message: it is not acknowledged (503) and never run. Its records,
        written once the store is back, say so (an error, not a run left queued)."""
        error = {"owner": "runtime", "code": exc.code, "message": exc.message, "next": list(exc.next_steps)}
        self.runs.pop(run.id, None)
        run.rec.status, run.rec.ended_at, run.rec.error = "error", time.time(), error
        self.save_run(run.rec)
        msg.status, msg.error = "error", error
        self.store.save_message(msg)
        state.history = [m for m in state.history if m.id != msg.id]
        run.done.set()

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
            worker=self.coord.worker,
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

    async def _schedule(self, state: SessionState, run: Run, mode: str) -> None:
        if state.active is None and not state.queue and await self.coord.claim(state.id, run.id):
            self._start(state, run)
            return
        remote = None if state.active is not None else await self.coord.remote_run(state.id)
        behind = state.active.id if state.active is not None else remote
        if mode == "interrupt":
            state.queue.appendleft(run)
            self.emit(state.id, "notice", run.id, text=f"interrupting run {behind} for the new message")
            if state.active is not None:
                state.active.cancel("interrupt")
            else:
                self.coord.request_stop(state.id, "interrupt")
        else:
            state.queue.append(run)
            self.emit(state.id, "run.queued", run.id, position=len(state.queue), behind=behind)
        if state.active is None:
            self.coord.wait_for(state.id)  # the session is another process's: start when it lets go

    async def _on_free(self, session_id: str) -> None:
        """A session this process has queued messages for may be free: take it and start the first."""
        state = self._states.get(session_id)
        if state is None or not state.queue or self.draining:
            self.coord.waiting.discard(session_id)
            return
        if state.active is not None or not await self.coord.claim(session_id, state.queue[0].id):
            return
        if state.active is None and state.queue:
            self.coord.waiting.discard(session_id)
            self._start(state, state.queue.popleft())

    def _on_stop(self, session_id: str, reason: str) -> None:
        state = self._states.get(session_id)
        if state is not None and state.active is not None:
            state.active.cancel(reason)

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
                self.coord.spawn(self.coord.claim(state.id, nxt.id))  # renew: the lease is ours already
            else:
                self.coord.spawn(self.coord.release(state.id))
        if not run.children:
            self._subagent_slots.pop(run.id, None)
        if run.parent is not None:
            from clawgate.agents.subagents import report

            report(self, run)

    async def stop(self, session_id: str, wait: float = 10.0) -> str | None:
        """Cancel the active run and its subagents (the upstream requests close); the run id, or None."""
        state = await self.get(session_id)
        run = state.active
        if run is None:
            return await self._stop_elsewhere(session_id, wait)
        if not run.cancel("stop"):
            return None
        await run.wait(wait)
        return run.id

    async def _stop_elsewhere(self, session_id: str, wait: float) -> str | None:
        """The session's run is another process's: ask it to stop, and wait for the run's end event."""
        run_id = await self.coord.remote_run(session_id)
        if run_id is None:
            return None
        with self.bus.subscribe([session_id]) as sub:
            self.coord.request_stop(session_id, "stop")
            loop = asyncio.get_running_loop()
            deadline = loop.time() + wait
            while (left := deadline - loop.time()) > 0:
                ev = await sub.get(timeout=left)
                if ev is None and sub.closed:
                    break
                if ev is not None and ev.get("run_id") == run_id and ev["type"] == "run.finished":
                    break
        return run_id

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
        self.draining = True
        self.coord.waiting.clear()
        runs = list(self.runs.values())
        for run in runs:
            if run.task is None:
                self._abandon(run)
            else:
                run.cancel("shutdown")
        for run in runs:
            await run.wait(wait)
        await self.coord.close()

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
