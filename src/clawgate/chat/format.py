"""The text both chat surfaces show: error lines (owner, code, next), the footer, token counts, plans."""

from __future__ import annotations

from typing import Any

from clawgate.chat.client import next_list


def error_line(err: dict[str, Any]) -> str:
    """`provider_auth auth.rejected — <message> · next: <first next step>` (never empty)."""
    owner = err.get("owner") or "runtime"
    code = err.get("code") or "error"
    message = str(err.get("message") or "").strip() or "the run failed without a message"
    steps = next_list(err)
    line = f"{owner} {code} — {message}"
    if steps:
        line += f" · next: {steps[0]}"
    return line


def short_count(n: Any) -> str:
    """1834 → 1.8k, 2000000 → 2.0m, 128000 → 128k; unknown → ?."""
    if n is None or isinstance(n, bool):
        return "?"
    try:
        v = float(n)
    except (TypeError, ValueError):
        return "?"
    if v >= 1_000_000:
        return f"{v / 1_000_000:.1f}m"
    if v >= 100_000:
        return f"{v / 1000:.0f}k"
    if v >= 1000:
        return f"{v / 1000:.1f}k"
    return str(int(v))


def session_label(session: dict[str, Any] | None) -> str:
    if not session:
        return "-"
    title = (session.get("title") or "").strip()
    if title:
        return title if len(title) <= 32 else title[:31] + "…"
    sid = str(session.get("id") or "-")
    return sid if len(sid) <= 10 else sid[:10]


def model_label(session: dict[str, Any] | None, override: dict[str, Any] | None = None) -> str:
    m = override or (session or {}).get("model") or {}
    ref = m.get("ref") or (session or {}).get("model_pin") or "?"
    src = m.get("from")
    return f"{ref} ({src})" if src else str(ref)


def footer_text(
    agent: str, session: dict[str, Any] | None, state: str, model: dict[str, Any] | None = None
) -> str:
    """`agent main | session s_8f3a… | openrouter/auto (agents.list[0].model) | tokens 1.8k/2.0m | gateway connected`."""
    tokens = (session or {}).get("tokens") or {}
    return " | ".join(
        [
            f"agent {agent or '?'}",
            f"session {session_label(session)}",
            model_label(session, model),
            f"tokens {short_count(tokens.get('used'))}/{short_count(tokens.get('context_window'))}",
            f"gateway {state}",
        ]
    )


def plan_lines(plan: dict[str, Any]) -> list[str]:
    """A `models status --json` plan as plain lines (what `/status` shows)."""
    if not isinstance(plan, dict):
        return [str(plan)]
    out: list[str] = []
    m = plan.get("model") or {}
    agent = plan.get("agent") or "?"
    src = f" ({plan['agent_from']})" if plan.get("agent_from") else ""
    out.append(f"agent {agent}{src}")
    if m.get("ref"):
        out.append(f"model {m.get('ref')} from {m.get('from') or '?'}")
        for s in m.get("shadows") or []:
            out.append(f"  shadows {s.get('from')} = {s.get('ref')}")
    if m.get("fallback_shadows"):
        won = [str(a.get("ref")) for a in plan.get("attempts") or [] if a.get("role") == "fallback"]
        out.append(f"fallbacks [{', '.join(won)}] from {m.get('fallbacks_from') or '?'}")
        for s in m["fallback_shadows"]:
            out.append(f"  shadows {s.get('from')} = [{', '.join(map(str, s.get('refs') or []))}]")
    else:
        out.append(
            "no model configured · next: clawgate config set agents.defaults.model.primary PROVIDER/MODEL"
        )
    for i, a in enumerate(plan.get("attempts") or [], 1):
        status = a.get("status")
        out.append(
            f" {i}. {a.get('ref')} ({a.get('role', '?')}, from {a.get('from', '?')})"
            + (f"  {status}" if status else "")
        )
        health = a.get("health") if isinstance(a.get("health"), dict) else {}
        if health.get("sendable") is False:  # the executor would answer without sending
            out.append(f"    {health.get('message')}")
            out.extend(f"    next: {n}" for n in health.get("next") or [])
        if a.get("error"):
            e = a["error"]
            out.append(f"    {e.get('message', e)}")
            for n in next_list(e) if isinstance(e, dict) else []:
                out.append(f"    next: {n}")
        if a.get("api") or a.get("base_url"):
            out.append(f"    {a.get('api', '?')}  {a.get('base_url', '?')}")
        cred = a.get("credential") or {}
        if cred:
            if cred.get("source") in (None, "none"):
                out.append(f"    credential: {cred.get('note') or 'no usable credential'}")
            else:
                inh = f" (inherited from {cred['inherited_from']})" if cred.get("inherited_from") else ""
                out.append(
                    f"    credential: {cred.get('source')} {cred.get('fingerprint') or ''}{inh}".rstrip()
                )
                for s in cred.get("shadowed") or []:
                    out.append(f"      shadowed: {s.get('source')} {s.get('fingerprint') or ''}".rstrip())
    for f in plan.get("findings") or []:
        out.append(f"! {f.get('severity', '')} {f.get('code', '')}: {f.get('message', '')}")
    return out


def run_summary(ev: dict[str, Any]) -> str | None:
    """A one-line description of the non-text events (queued, tool calls, subagents); None for the rest."""
    t = ev.get("type")
    if t == "run.queued":
        return f"queued behind the active run (position {ev.get('position', '?')})"
    if t == "tool_call":
        return f"tool call {ev.get('name')}({_short(ev.get('arguments'))})"
    if t == "subagent.started":
        model = ev.get("model")
        ref = model.get("ref") if isinstance(model, dict) else model
        return f"subagent {ev.get('child_run_id')} started (agent {ev.get('agent')}, {ref})"
    if t == "subagent.finished":
        line = f"subagent {ev.get('child_run_id')} {ev.get('status')}"
        if isinstance(ev.get("error"), dict):
            line += ": " + error_line(ev["error"])
        return line
    return None


def _short(v: Any, n: int = 80) -> str:
    import json

    text = v if isinstance(v, str) else json.dumps(v, default=str)
    return text if len(text) <= n else text[: n - 1] + "…"
