"""Slash commands, handled before any model call in every surface (never queued behind a run):
`/new [model]`, `/stop`, `/model REF[@profile]` (no argument clears the pin), `/status`."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from clawgate.agents.events import make
from clawgate.agents.state import Posted, SessionState
from clawgate.errors import ClawgateError

if TYPE_CHECKING:
    from clawgate.agents.sessions import SessionManager

COMMANDS = ("/new", "/stop", "/model", "/status")
_CMD = re.compile(r"^(/[a-z][a-z_-]*)(?:\s+(.*))?$", re.S)


def parse(content: str) -> tuple[str, str] | None:
    """(command, argument) when `content` is a slash command; None for ordinary text (a path like /etc/hosts is
    text). An unknown `/word` is still a command: it is answered with the list, never sent to the model."""
    m = _CMD.match(content.strip())
    if m is None:
        return None
    return m.group(1), (m.group(2) or "").strip()


async def handle(mgr: SessionManager, state: SessionState, name: str, arg: str) -> Posted:
    out = Posted(state, command=name)

    def emit(type_: str, run_id: str | None = None, also: tuple[str, ...] = (), **fields: Any) -> None:
        ev = make(type_, fields.pop("session_id", state.id), run_id, **fields)
        mgr.bus.publish(ev, also=also)
        out.events.append(ev)

    if name == "/new":
        new = await mgr.create_session(state.rec.agent, model=arg or None)
        out.session = new
        # on the new session, and to whoever follows the old one
        emit(
            "session.new",
            session_id=new.id,
            also=(state.id,),
            session=mgr.session_json(new),
            previous=state.id,
        )
    elif name == "/stop":
        stopped = await mgr.stop(state.id)
        if stopped:
            emit("notice", stopped, text=f"stopped run {stopped}", stopped=stopped)
        else:
            emit("notice", None, text="nothing to stop: no run is active in this session", stopped=None)
    elif name == "/model":
        if arg:
            try:
                plan = mgr.check_model(state.rec.agent, arg)
            except ClawgateError as exc:
                emit("notice", None, text=f"not pinned: {exc.message}", error=_error(exc))
                return out
            state.rec.model_pin = arg
            mgr.store.save_session(state.rec)
            att = plan.attempts[0] if plan.attempts else None
            cred = att.credential.winner if att and att.credential else None
            who = f" with {cred.source} ({cred.fingerprint})" if cred else ""
            emit("notice", None, text=f"model pinned to {arg} for this session{who}", model_pin=arg)
        else:
            state.rec.model_pin = None
            mgr.store.save_session(state.rec)
            plan = mgr.plan_for_session(state)
            emit(
                "notice",
                None,
                text=f"model pin cleared: {plan.model.ref} from {plan.model.source}",
                model_pin=None,
            )
    elif name == "/status":
        emit("session.status", plan=status_plan(mgr, state), session=mgr.session_json(state))
    else:
        emit("notice", None, text=f"unknown command {name} (commands: {', '.join(COMMANDS)})")
    await mgr.durable()  # a pin that was confirmed survives a crash
    return out


def status_plan(mgr: SessionManager, state: SessionState) -> dict[str, Any]:
    """The session's plan as `clawgate models status --json` shows it (attempt status and health included)."""
    from clawgate.call.readiness import readiness

    plan = mgr.plan_for_session(state)
    data = plan.to_json()
    for att, row in zip(plan.attempts, data["attempts"], strict=True):
        ready = readiness(att, mgr.rt.health)
        row["status"] = ready.status
        row["health"] = ready.health_json()
    data["model_pin"] = state.rec.model_pin
    return data


def _error(exc: ClawgateError) -> dict[str, Any]:
    return {"owner": exc.owner, "code": exc.code, "message": exc.message, "next": list(exc.next_steps)}
