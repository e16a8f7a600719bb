"""The agent runtime's records in memory — a session with its history, active run and queue; what posting
did — their ids and their JSON shapes. A leaf: it imports no other agents module at run time but events
(sessions, runs, commands, cron and the HTTP surface all import it, never the other way round)."""

from __future__ import annotations

import uuid
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from clawgate.agents.events import Event
from clawgate.store.base import MessageRecord, RunRecord, SessionRecord

if TYPE_CHECKING:
    from clawgate.agents.runs import Run


def new_id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:20]}"


@dataclass
class SessionState:
    """A session in memory: its record, its history (in `seq` order), the active run and the queue."""

    rec: SessionRecord
    history: list[MessageRecord] = field(default_factory=list)
    active: Run | None = None  # the run this process executes (the lease `run:<session>` is ours)
    queue: deque[Run] = field(default_factory=deque)
    known_tokens: dict[str, int] = field(default_factory=dict)  # reply id -> output tokens reported
    # user messages waiting in another process's queue (not said yet: the model must not see them)
    queued_elsewhere: set[str] = field(default_factory=set)
    # the messages this process added (and alone writes): a refresh keeps these objects, the store's rows
    # replace every other message
    own: set[str] = field(default_factory=set)

    @property
    def id(self) -> str:
        return self.rec.id

    def queued_message_ids(self) -> set[str]:
        return {r.rec.message_id for r in self.queue if r.rec.message_id} | self.queued_elsewhere


@dataclass
class Posted:
    """What posting a message did: a run was created (queued or started), or a command answered."""

    session: SessionState
    run: Run | None = None
    message: MessageRecord | None = None
    command: str | None = None
    events: list[Event] = field(default_factory=list)


def history_for(state: SessionState, exclude: set[str]) -> list[MessageRecord]:
    """What the model sees: said messages in order — not queued ones, not empty error bubbles; tool calls
    only with their results."""
    skip = exclude | state.queued_message_ids()
    msgs = [
        m
        for m in state.history
        if m.id not in skip
        and m.role in ("user", "assistant", "tool")
        and not (m.role == "user" and m.status == "error")  # not taken (the store was away)
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


def message_json(m: MessageRecord) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": m.id,
        "session_id": m.session_id,
        "seq": m.seq,
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
        "fallback": r.fallback,
    }


def cred_json(cred: Any) -> dict[str, Any] | None:
    if cred is None:
        return None
    out = {"source": cred.source, "fingerprint": cred.fingerprint}
    if getattr(cred, "inherited_from", None):
        out["inherited_from"] = f"agent:{cred.inherited_from}"
    return out
