"""A run: one model turn of a session, streamed through the one executor. It writes the reply as it streams
(so a crash loses at most the last flush interval), emits events, answers `spawn_subagent` tool calls, and ends
with a status — completed, error, stopped, timeout (the watchdog) or interrupted — recorded with its owner."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from typing import TYPE_CHECKING, Any

import orjson

from clawgate import logs as log
from clawgate.agents.context import Fitted, describe_request, fit
from clawgate.agents.watchdog import Limits, limits_for, timeout_failure, watch
from clawgate.call.executor import CallOutcome, CallRequest
from clawgate.dialects.internal import ChatRequest, Message, Part, StreamEvent, Tool, ToolCall, Usage
from clawgate.errors import ClawgateError
from clawgate.failures import OWNERS, Failure
from clawgate.plan.types import Attempt, Plan
from clawgate.store.base import MessageRecord, RunRecord

if TYPE_CHECKING:
    from clawgate.agents.sessions import SessionManager
    from clawgate.agents.state import SessionState

FLUSH_INTERVAL = 0.25  # seconds between writes of a streaming reply
MAX_TOOL_ROUNDS = 2  # model → tool results → model, at most this many times per run
SPAWN_TOOL_NAME = "spawn_subagent"
SPAWN_TOOL = Tool(
    name=SPAWN_TOOL_NAME,
    description="Delegate a task to a subagent (another agent id and/or model) and get its answer back.",
    parameters={
        "type": "object",
        "properties": {
            "prompt": {"type": "string", "description": "What the subagent should do."},
            "agent": {"type": "string", "description": "Agent id (default: this agent)."},
            "model": {"type": "string", "description": "Model ref PROVIDER/MODEL (default: configured)."},
        },
        "required": ["prompt"],
    },
)
_REPLY_STATUS = {
    "completed": "complete",
    "error": "error",
    "timeout": "error",
    "stopped": "stopped",
    "interrupted": "interrupted",
}


def new_id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:20]}"


class RunFailed(Exception):
    def __init__(self, failure: Failure) -> None:
        super().__init__(failure.message)
        self.failure = failure


def failure_json(f: Failure) -> dict[str, Any]:
    out = f.to_json()
    out.pop("retryable", None)
    return out


def cred_json(cred: Any) -> dict[str, Any] | None:
    if cred is None:
        return None
    out = {"source": cred.source, "fingerprint": cred.fingerprint}
    if getattr(cred, "inherited_from", None):
        out["inherited_from"] = f"agent:{cred.inherited_from}"
    return out


def error_failure(exc: ClawgateError) -> Failure:
    owner = exc.owner if exc.owner in OWNERS else "request"
    return Failure(owner=owner, code=exc.code, message=exc.message, next_steps=list(exc.next_steps))


class Run:
    """One run. Created queued; `start()` makes its task; `cancel(reason)` ends it (stop | interrupt | idle |
    total | shutdown)."""

    def __init__(
        self,
        mgr: SessionManager,
        state: SessionState,
        rec: RunRecord,
        *,
        model: str | None = None,
        model_from: str = "request",
        subagent: bool = False,
        tools: bool = False,
        parent: Run | None = None,
    ) -> None:
        self.mgr = mgr
        self.state = state
        self.rec = rec
        self.model = model
        self.model_from = model_from
        self.subagent = subagent
        self.tools = tools
        self.parent = parent
        self.task: asyncio.Task[None] | None = None
        self.reason: str | None = None
        self.done = asyncio.Event()
        self.children: dict[str, Run] = {}
        self.started_mono = 0.0
        self.last_activity_mono = 0.0
        self.limits: Limits | None = None
        self.plan: Plan | None = None
        self.reply: MessageRecord | None = None
        self.fitted: Fitted | None = None
        self.usage = Usage()
        self._flush_at = 0.0
        self._noted_trim = False

    # -- identity and control -------------------------------------------------------------------------

    @property
    def id(self) -> str:
        return self.rec.id

    @property
    def session_id(self) -> str:
        return self.rec.session_id

    @property
    def finished(self) -> bool:
        return self.done.is_set()

    def start(self) -> asyncio.Task[None]:
        self.task = asyncio.get_running_loop().create_task(self._execute(), name=f"run {self.id}")
        self.task.add_done_callback(self._task_done)
        if self.reason is not None:  # cancelled while it waited to start
            self.task.cancel()
        return self.task

    def _task_done(self, task: asyncio.Task[None]) -> None:
        if self.finished:
            return
        # cancelled before its first step: it still ends, with a status and an event
        stopped = self.reason in ("stop", "interrupt")
        self._finish(
            "stopped" if stopped else "interrupted",
            Failure(
                owner="runtime",
                code="runtime.cancelled" if stopped else "runtime.interrupted",
                message="stopped before it started"
                if stopped
                else "the gateway shut down before this run started",
            ),
        )

    def cancel(self, reason: str) -> bool:
        """End the run (and its subagents); False when it already finished."""
        if self.finished:
            return False
        if self.reason is None:
            self.reason = reason
        for child in list(self.children.values()):
            child.cancel(reason)
        if self.task is not None:
            self.task.cancel()
        return True

    def expire(self, limit: str) -> None:
        self.cancel(limit)

    def touch(self) -> None:
        """Something arrived: the idle clock restarts (a parent waiting on its subagent counts as busy)."""
        self.last_activity_mono = asyncio.get_running_loop().time()
        self.rec.last_activity_at = time.time()
        if self.parent is not None and not self.parent.finished:
            self.parent.touch()

    async def wait(self, timeout: float | None = None) -> bool:
        try:
            async with asyncio.timeout(timeout):
                await self.done.wait()
        except TimeoutError:
            return False
        return True

    # -- the run ----------------------------------------------------------------------------------------

    def emit(self, type_: str, **fields: Any) -> None:
        self.mgr.emit(self.session_id, type_, self.id, **fields)

    async def _execute(self) -> None:
        mgr, rec = self.mgr, self.rec
        loop = asyncio.get_running_loop()
        self.started_mono = self.last_activity_mono = loop.time()
        rec.status = "running"
        rec.started_at = rec.last_activity_at = time.time()
        status, failure = "completed", None
        watchdog: asyncio.Task[Any] | None = None
        mgr.resequence(self.state, rec.message_id)
        try:
            self.plan = plan = mgr.plan_for(self)
            att = plan.attempts[0] if plan.attempts else None
            rec.ref = att.ref if att else plan.model.ref
            rec.model_from = plan.model.source
            rec.credential = cred_json(att.credential.winner if att and att.credential else None)
            local = bool(att and att.view and att.view.preset and att.view.preset.local)
            self.limits = limits_for(mgr.rt.snapshot, rec.agent, local)
            self._new_reply()
            mgr.save_run(rec)
            self.emit(
                "run.started",
                agent=rec.agent,
                model={"ref": rec.ref, "from": rec.model_from},
                credential=rec.credential,
                parent_run_id=rec.parent_run_id,
            )
            watchdog = loop.create_task(watch(self, self.limits))
            await self._turns()
        except RunFailed as exc:
            status, failure = "error", exc.failure
        except asyncio.CancelledError:
            reason = self.reason
            if self.task is not None and reason is not None:
                self.task.uncancel()  # our own cancellation, handled here
            if reason in ("idle", "total"):
                status = "timeout"
                rec.limit = reason
                assert self.limits is not None
                waited = loop.time() - (self.last_activity_mono if reason == "idle" else self.started_mono)
                failure = timeout_failure(reason, self.limits, rec.ref, waited)
            elif reason in ("stop", "interrupt"):
                status = "stopped"
                failure = Failure(
                    owner="runtime",
                    code="runtime.cancelled",
                    model=rec.ref,
                    message="stopped by /stop; the upstream request was closed"
                    if reason == "stop"
                    else "interrupted by a newer message (sessions.busy: interrupt); the upstream request "
                    "was closed",
                )
            else:
                status = "interrupted"
                failure = Failure(
                    owner="runtime",
                    code="runtime.interrupted",
                    model=rec.ref,
                    message="the gateway shut down while this run was in flight; the reply so far is kept",
                    next_steps=["send the message again"],
                )
        except ClawgateError as exc:
            status, failure = "error", error_failure(exc)
        except Exception as exc:  # a bug of ours: the run still ends, with an owner
            log.event(
                "agents.run_failed", f"{type(exc).__name__}: {exc}", level=40, exc_info=True, run=self.id
            )
            status = "error"
            failure = Failure(
                owner="runtime",
                code="runtime.internal",
                message=f"clawgate failed while running this turn ({type(exc).__name__}); this is a clawgate bug",
                next_steps=["clawgate logs --limit 20", "send the message again"],
            )
        finally:
            if watchdog is not None:
                watchdog.cancel()
            for child in list(self.children.values()):
                child.cancel(self.reason or "stop")
            self._record_end(status, failure)
            try:
                # what the end event announces is in the store first: a client that saw it may go on through
                # another process, which reads the session from the store
                await self.mgr.durable()
            except (ClawgateError, asyncio.CancelledError):
                pass  # the store is away (the writes wait) or the gateway is going down: announce anyway
            self._announce(status, failure)

    async def _turns(self) -> None:
        assert self.plan is not None
        rounds = 0
        while True:
            offer = [SPAWN_TOOL] if (self.tools and not self.subagent and rounds < MAX_TOOL_ROUNDS) else []
            await self.mgr.refresh(self.state)  # what other processes wrote to this session is in the history
            chat = self._request(offer)
            req = CallRequest(
                stream=True,
                chat=chat,
                purpose=self.purpose,
                agent=self.rec.agent,
                session_id=self.session_id,
                run_id=self.id,
            )
            outcome = await self.mgr.rt.run(self.plan, req)
            self.touch()
            self._note_attempt(outcome)
            if not outcome.ok:
                assert outcome.failure is not None
                raise RunFailed(describe_request(outcome.failure, self.fitted))
            calls = await self._consume(outcome)
            if not calls or not offer:
                if calls and self.reply is not None:
                    self.reply.tool_calls = calls
                return
            await self._answer_tools(calls)
            rounds += 1

    @property
    def purpose(self) -> str:
        if self.subagent:
            return "subagent"
        if self.rec.trigger.startswith("cron:"):
            return "cron"
        return "session"

    def _request(self, tools: list[Tool]) -> ChatRequest:
        assert self.plan is not None and self.reply is not None
        att = self.plan.attempts[0] if self.plan.attempts else None
        window = att.model_info.info.context_window if att and att.model_info else None
        history = self.mgr.history_for(self.state, exclude={self.reply.id})
        fitted = fit(history, window, self.rec.ref, known=self.state.known_tokens)
        if isinstance(fitted, Failure):
            raise RunFailed(fitted)
        self.fitted = fitted
        if fitted.dropped and not self._noted_trim:
            self._noted_trim = True
            self.emit("notice", text="; ".join(fitted.notes))
        return ChatRequest(
            model="",
            messages=[to_internal(m) for m in fitted.messages],
            tools=list(tools),
            stream=True,
        )

    def _note_attempt(self, outcome: CallOutcome) -> None:
        att: Attempt | None = outcome.attempt
        cred = outcome.cred
        if att is None and outcome.tries:
            att, cred = outcome.tries[-1].attempt, outcome.tries[-1].cred
        if att is not None:
            self.rec.ref = att.ref
        if cred is not None:
            self.rec.credential = cred_json(cred)
        if self.reply is not None:
            self.reply.ref = self.rec.ref

    async def _consume(self, outcome: CallOutcome) -> list[dict[str, Any]]:
        loop = asyncio.get_running_loop()
        calls: dict[int, dict[str, Any]] = {}
        got_usage = False
        reply = self.reply
        assert reply is not None
        self._flush_at = loop.time() + FLUSH_INTERVAL
        try:
            async for item in outcome:  # type: ignore[attr-defined]
                self.touch()
                if isinstance(item, Failure):
                    raise RunFailed(item)
                if not isinstance(item, StreamEvent):
                    continue
                if item.kind == "text" and item.text:
                    reply.content += item.text
                    self.emit("token", text=item.text)
                    if loop.time() >= self._flush_at:
                        self._flush()
                elif item.kind == "tool_call":
                    calls[item.index] = {
                        "id": item.id or new_id("call"),
                        "name": item.name or "",
                        "arguments": "",
                    }
                elif item.kind == "tool_args":
                    calls.setdefault(item.index, {"id": new_id("call"), "name": "", "arguments": ""})
                    calls[item.index]["arguments"] += item.text
                elif item.kind == "usage" and item.usage is not None:
                    got_usage = True
                    self._add_usage(item.usage)
        finally:
            with contextlib.suppress(Exception):
                await outcome.aclose()  # type: ignore[attr-defined]
        if not got_usage:
            self._add_usage(outcome.usage)
        if self.usage.output_tokens is not None and not calls:
            self.state.known_tokens[reply.id] = self.usage.output_tokens
        return [calls[k] for k in sorted(calls)]

    def _add_usage(self, u: Usage) -> None:
        if u.input_tokens is not None:
            self.usage.input_tokens = (self.usage.input_tokens or 0) + u.input_tokens
        if u.output_tokens is not None:
            self.usage.output_tokens = (self.usage.output_tokens or 0) + u.output_tokens

    def _flush(self) -> None:
        """Write the reply so far (and the run's activity time)."""
        loop = asyncio.get_running_loop()
        self._flush_at = loop.time() + FLUSH_INTERVAL
        if self.reply is not None:
            self.reply.updated_at = time.time()
            self.mgr.store.save_message(self.reply)
        self.rec.last_activity_at = time.time()
        self.mgr.save_run(self.rec)

    def _new_reply(self) -> None:
        self.reply = self.mgr.add_message(
            self.state,
            role="assistant",
            content="",
            status="streaming",
            run_id=self.id,
            ref=self.rec.ref,
        )
        self.rec.reply_id = self.reply.id

    async def _answer_tools(self, calls: list[dict[str, Any]]) -> None:
        """Record the tool-call turn, run each call (subagents), feed the results back as tool messages."""
        reply = self.reply
        assert reply is not None
        reply.tool_calls = calls
        reply.status = "complete"
        reply.updated_at = time.time()
        self.mgr.store.save_message(reply)
        for call in calls:
            self.emit("tool_call", id=call["id"], name=call["name"], arguments=call["arguments"])
        for call in calls:
            content = await self._run_tool(call)
            self.mgr.add_message(
                self.state,
                role="tool",
                content=content,
                status="complete",
                run_id=self.id,
                tool_call_id=call["id"],
                name=call["name"],
            )
        self._new_reply()
        self.mgr.save_run(self.rec)

    async def _run_tool(self, call: dict[str, Any]) -> str:
        if call["name"] != SPAWN_TOOL_NAME:
            return f"error: unknown tool {call['name']!r} (available: {SPAWN_TOOL_NAME})"
        try:
            args = orjson.loads(call["arguments"] or "{}")
        except orjson.JSONDecodeError:
            args = {}
        if not isinstance(args, dict):
            args = {}
        prompt = args.get("prompt") if isinstance(args.get("prompt"), str) else None
        if not prompt:
            # no prompt given: delegate the question this run answers
            prompt = self.mgr.message_text(self.state, self.rec.message_id) or ""
        agent = args.get("agent") if isinstance(args.get("agent"), str) else None
        model = args.get("model") if isinstance(args.get("model"), str) else None
        try:
            child = await self.mgr.spawn(self, prompt, agent=agent, model=model)
        except ClawgateError as exc:
            return f"error: {exc.code}: {exc.message}"
        if child.rec.status == "completed":
            return child.reply.content if child.reply is not None else ""
        err = child.rec.error or {}
        return (
            f"error: subagent {child.id} ({child.rec.agent}, {child.rec.ref}) ended {child.rec.status}: "
            f"{err.get('owner')} {err.get('code')}: {err.get('message')}"
        )

    def _finish(self, status: str, failure: Failure | None) -> None:
        self._record_end(status, failure)
        self._announce(status, failure)

    def _record_end(self, status: str, failure: Failure | None) -> None:
        rec, now = self.rec, time.time()
        rec.status = status
        rec.ended_at = now
        if failure is not None:
            rec.error = failure_json(failure)
        if self.usage.input_tokens is not None or self.usage.output_tokens is not None:
            rec.usage = {"input_tokens": self.usage.input_tokens, "output_tokens": self.usage.output_tokens}
        if self.reply is None and failure is not None:
            self._new_reply()  # a run that failed before streaming still shows its error in the history
        reply = self.reply
        if reply is not None:
            reply.status = _REPLY_STATUS[status]
            reply.error = rec.error if failure is not None else None
            reply.ref = rec.ref
            reply.updated_at = now
            self.mgr.store.save_message(reply)
        self.mgr.save_run(rec)

    def _announce(self, status: str, failure: Failure | None) -> None:
        rec = self.rec
        if failure is not None and status in ("error", "timeout"):
            err = rec.error or {}
            self.emit("run.error", **{k: err.get(k) for k in ("owner", "code", "message", "next")})
        # the credential that served the call (after a failover, not the one run.started announced)
        finished: dict[str, Any] = {
            "status": status,
            "usage": rec.usage,
            "ref": rec.ref,
            "credential": rec.credential,
        }
        if rec.limit:
            finished["limit"] = rec.limit
        if failure is not None and status not in ("error", "timeout"):
            finished["error"] = rec.error
        self.emit("run.finished", **finished)
        self.done.set()
        self.mgr.run_finished(self)


def to_internal(m: MessageRecord) -> Message:
    if m.role == "tool":
        return Message("tool", [Part("text", m.content)], tool_call_id=m.tool_call_id, name=m.name)
    parts = [Part("text", m.content)] if m.content else []
    calls = [ToolCall(c["id"], c.get("name", ""), c.get("arguments", "")) for c in (m.tool_calls or [])]
    role = m.role if m.role in ("user", "assistant", "system") else "user"
    return Message(role, parts, tool_calls=calls)  # type: ignore[arg-type]
