"""A run: one model turn of a session (or a few, with tool calls), streamed through the one executor, and its
lifecycle: created queued, started as a task, cancelled (stop, interrupt, the watchdog's limits, shutdown), and
ended with a status — completed, error, stopped, timeout or interrupted — recorded with its owner and announced
once the store has it. The turns themselves (request, stream, reply flushes, tool calls) are agents/turns.py."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any

from clawgate import logs as log
from clawgate.agents.context import Fitted
from clawgate.agents.state import cred_json, new_id
from clawgate.agents.turns import (
    FLUSH_INTERVAL,
    MAX_TOOL_ROUNDS,
    SPAWN_TOOL,
    SPAWN_TOOL_NAME,
    RunFailed,
    run_turns,
    to_internal,
)
from clawgate.agents.watchdog import Limits, limits_for, timeout_failure, watch
from clawgate.dialects.internal import Usage
from clawgate.errors import ClawgateError
from clawgate.failures import OWNERS, Failure
from clawgate.plan.types import Plan
from clawgate.store.base import MessageRecord, RunRecord

if TYPE_CHECKING:
    from clawgate.agents.sessions import SessionManager
    from clawgate.agents.state import SessionState

__all__ = [  # what runs.py exported before the turns moved to agents/turns.py (imports keep working)
    "FLUSH_INTERVAL",
    "MAX_TOOL_ROUNDS",
    "SPAWN_TOOL",
    "SPAWN_TOOL_NAME",
    "Run",
    "RunFailed",
    "cred_json",
    "error_failure",
    "failure_json",
    "new_id",
    "to_internal",
]

_REPLY_STATUS = {
    "completed": "complete",
    "error": "error",
    "timeout": "error",
    "stopped": "stopped",
    "interrupted": "interrupted",
}


def failure_json(f: Failure) -> dict[str, Any]:
    out = f.to_json()
    out.pop("retryable", None)
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
            self.new_reply()
            mgr.save_run(rec)
            self.emit(
                "run.started",
                agent=rec.agent,
                model={"ref": rec.ref, "from": rec.model_from},
                credential=rec.credential,
                parent_run_id=rec.parent_run_id,
            )
            watchdog = loop.create_task(watch(self, self.limits))
            await run_turns(self)
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

    @property
    def purpose(self) -> str:
        if self.subagent:
            return "subagent"
        if self.rec.trigger.startswith("cron:"):
            return "cron"
        return "session"

    def new_reply(self) -> None:
        """A new, empty reply message (streaming) for the run's next turn."""
        self.reply = self.mgr.add_message(
            self.state,
            role="assistant",
            content="",
            status="streaming",
            run_id=self.id,
            ref=self.rec.ref,
        )
        self.rec.reply_id = self.reply.id

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
            self.new_reply()  # a run that failed before streaming still shows its error in the history
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
