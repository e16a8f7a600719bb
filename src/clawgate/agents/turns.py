"""A run's model turns: the request built from the session's history (re-read from the store, fitted to the
model's window), the call through the one executor, the stream read into the reply (written every
FLUSH_INTERVAL, so a crash loses at most that much), and the `spawn_subagent` tool calls answered between
turns (at most MAX_TOOL_ROUNDS). The run's lifecycle around them — start, cancel, the status it ends with — is
agents/runs.py."""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import TYPE_CHECKING, Any

import orjson

from clawgate.agents.context import describe_request, fit
from clawgate.agents.state import cred_json, new_id
from clawgate.call.executor import CallOutcome, CallRequest
from clawgate.call.skipped import skipped
from clawgate.call.skipped import to_json as skipped_json
from clawgate.dialects.internal import ChatRequest, Message, Part, StreamEvent, Tool, ToolCall, Usage
from clawgate.errors import ClawgateError
from clawgate.failures import Failure
from clawgate.plan.types import Attempt
from clawgate.store.base import MessageRecord

if TYPE_CHECKING:
    from clawgate.agents.runs import Run

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


class RunFailed(Exception):
    def __init__(self, failure: Failure) -> None:
        super().__init__(failure.message)
        self.failure = failure


async def run_turns(run: Run) -> None:
    """The run's turns until the model answers without a tool call to make (the reply is `run.reply`);
    RunFailed when a call or the request fails."""
    await _Turns(run).loop()


class _Turns:
    def __init__(self, run: Run) -> None:
        self.run = run
        self._flush_at = 0.0
        self._noted_trim = False

    async def loop(self) -> None:
        run = self.run
        assert run.plan is not None
        rounds = 0
        while True:
            offer = [SPAWN_TOOL] if (run.tools and not run.subagent and rounds < MAX_TOOL_ROUNDS) else []
            await run.mgr.refresh(run.state)  # what other processes wrote to this session is in the history
            chat = self._request(offer)
            req = CallRequest(
                stream=True,
                chat=chat,
                purpose=run.purpose,
                agent=run.rec.agent,
                session_id=run.session_id,
                run_id=run.id,
            )
            outcome = await run.mgr.rt.run(run.plan, req)
            run.touch()
            self._note_attempt(outcome)
            if not outcome.ok:
                assert outcome.failure is not None
                raise RunFailed(describe_request(outcome.failure, run.fitted))
            calls = await self._consume(outcome)
            if not calls or not offer:
                if calls and run.reply is not None:
                    run.reply.tool_calls = calls
                return
            await self._answer_tools(calls)
            rounds += 1

    def _request(self, tools: list[Tool]) -> ChatRequest:
        run = self.run
        assert run.plan is not None and run.reply is not None
        att = run.plan.attempts[0] if run.plan.attempts else None
        window = att.model_info.info.context_window if att and att.model_info else None
        history = run.mgr.history_for(run.state, exclude={run.reply.id})
        fitted = fit(history, window, run.rec.ref, known=run.state.known_tokens)
        if isinstance(fitted, Failure):
            raise RunFailed(fitted)
        run.fitted = fitted
        if fitted.dropped and not self._noted_trim:
            self._noted_trim = True
            run.emit("notice", text="; ".join(fitted.notes))
        return ChatRequest(
            model="",
            messages=[to_internal(m) for m in fitted.messages],
            tools=list(tools),
            stream=True,
        )

    def _note_attempt(self, outcome: CallOutcome) -> None:
        run = self.run
        att: Attempt | None = outcome.attempt
        cred = outcome.cred
        if att is None and outcome.tries:
            att, cred = outcome.tries[-1].attempt, outcome.tries[-1].cred
        if att is not None:
            run.rec.ref = att.ref
            run.rec.model_from = (
                att.ref_from
            )  # the served model's own source (a fallback's, after a fallback)
        if outcome.ok:
            gone = skipped(outcome)
            if gone:  # what was skipped on the way, and why (a later turn served directly keeps it)
                run.rec.fallback = [skipped_json(t) for t in gone]
        if cred is not None:
            run.rec.credential = cred_json(cred)
        if run.reply is not None:
            run.reply.ref = run.rec.ref

    async def _consume(self, outcome: CallOutcome) -> list[dict[str, Any]]:
        run = self.run
        loop = asyncio.get_running_loop()
        calls: dict[int, dict[str, Any]] = {}
        got_usage = False
        reply = run.reply
        assert reply is not None
        self._flush_at = loop.time() + FLUSH_INTERVAL
        try:
            async for item in outcome:  # type: ignore[attr-defined]
                run.touch()
                if isinstance(item, Failure):
                    raise RunFailed(item)
                if not isinstance(item, StreamEvent):
                    continue
                if item.kind == "text" and item.text:
                    reply.content += item.text
                    run.emit("token", text=item.text)
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
        if run.usage.output_tokens is not None and not calls:
            run.state.known_tokens[reply.id] = run.usage.output_tokens
        return [calls[k] for k in sorted(calls)]

    def _add_usage(self, u: Usage) -> None:
        usage = self.run.usage
        if u.input_tokens is not None:
            usage.input_tokens = (usage.input_tokens or 0) + u.input_tokens
        if u.output_tokens is not None:
            usage.output_tokens = (usage.output_tokens or 0) + u.output_tokens

    def _flush(self) -> None:
        """Write the reply so far (and the run's activity time)."""
        run = self.run
        loop = asyncio.get_running_loop()
        self._flush_at = loop.time() + FLUSH_INTERVAL
        if run.reply is not None:
            run.reply.updated_at = time.time()
            run.mgr.store.save_message(run.reply)
        run.rec.last_activity_at = time.time()
        run.mgr.save_run(run.rec)

    async def _answer_tools(self, calls: list[dict[str, Any]]) -> None:
        """Record the tool-call turn, run each call (subagents), feed the results back as tool messages."""
        run = self.run
        reply = run.reply
        assert reply is not None
        reply.tool_calls = calls
        reply.status = "complete"
        reply.updated_at = time.time()
        run.mgr.store.save_message(reply)
        for call in calls:
            run.emit("tool_call", id=call["id"], name=call["name"], arguments=call["arguments"])
        for call in calls:
            content = await self._run_tool(call)
            run.mgr.add_message(
                run.state,
                role="tool",
                content=content,
                status="complete",
                run_id=run.id,
                tool_call_id=call["id"],
                name=call["name"],
            )
        run.new_reply()
        run.mgr.save_run(run.rec)

    async def _run_tool(self, call: dict[str, Any]) -> str:
        run = self.run
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
            prompt = run.mgr.message_text(run.state, run.rec.message_id) or ""
        agent = args.get("agent") if isinstance(args.get("agent"), str) else None
        model = args.get("model") if isinstance(args.get("model"), str) else None
        try:
            child = await run.mgr.spawn(run, prompt, agent=agent, model=model)
        except ClawgateError as exc:
            return f"error: {exc.code}: {exc.message}"
        if child.rec.status == "completed":
            return child.reply.content if child.reply is not None else ""
        err = child.rec.error or {}
        return (
            f"error: subagent {child.id} ({child.rec.agent}, {child.rec.ref}) ended {child.rec.status}: "
            f"{err.get('owner')} {err.get('code')}: {err.get('message')}"
        )


def to_internal(m: MessageRecord) -> Message:
    if m.role == "tool":
        return Message("tool", [Part("text", m.content)], tool_call_id=m.tool_call_id, name=m.name)
    parts = [Part("text", m.content)] if m.content else []
    calls = [ToolCall(c["id"], c.get("name", ""), c.get("arguments", "")) for c in (m.tool_calls or [])]
    role = m.role if m.role in ("user", "assistant", "system") else "user"
    return Message(role, parts, tool_calls=calls)  # type: ignore[arg-type]
