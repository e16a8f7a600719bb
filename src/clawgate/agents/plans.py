"""What a session's model is: the plan for a pinned model (refused when it cannot resolve at all) and a
session's JSON with its effective model and context window."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from clawgate.agents.errors import RequestError
from clawgate.agents.state import SessionState
from clawgate.call.runtime import Runtime
from clawgate.errors import ClawgateError
from clawgate.plan.types import Plan


def check_model(rt: Runtime, agent: str, ref: str) -> Plan:
    """The plan for a pinned model; a model that cannot be resolved at all is refused."""
    plan = rt.plan(agent, ref, model_from="session.model_pin")
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


def session_json(
    state: SessionState, plan_for_session: Callable[[SessionState], Plan], message_count: int | None = None
) -> dict[str, Any]:
    rec = state.rec
    model: dict[str, Any] = {"ref": None, "from": None}
    window = None
    try:
        plan = plan_for_session(state)
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
