"""Fill in an Explanation's likely causes, checked against the local setup when there is one, and its next commands."""

from __future__ import annotations

from typing import Any

from clawgate.diagnose.explain.catalogue import cause_table
from clawgate.diagnose.explain.context import make_context
from clawgate.diagnose.explain.model import UNKNOWN, Cause, Explanation
from clawgate.envsteps import dedupe
from clawgate.failures.describe import COOLDOWN_NEXT

_ORDER = {True: 0, None: 1, False: 2}  # causes that hold first, then the unknown ones


def check_causes(ex: Explanation, snap: Any = None, agent: str | None = None) -> Explanation:
    """Fill in `ex.causes` (checked against `snap` when given) and the next commands; returns `ex`."""
    ctx = make_context(ex, snap, agent)
    ex.causes = _prior_causes(ex, ctx.agent)
    if snap is not None:
        checks = {entry.id: entry.check for entry in cause_table(ex)}
        for c in ex.causes:
            chk = checks.get(c.id)
            if chk is None or c.holds is not None:
                continue
            try:
                c.holds, c.evidence, c.next_steps = chk(ctx)
            except Exception as exc:  # one failing check must not hide the others
                c.holds, c.evidence = None, f"could not check: {type(exc).__name__}"
        ex.causes.sort(key=lambda c: _ORDER[c.holds])
        ex.checked = {"config": snap.loaded.display, "agent": ctx.agent}
    pid = ex.provider or UNKNOWN
    steps: list[str] = []
    for c in ex.causes:
        if c.holds:
            steps.extend(c.next_steps)
    steps.extend(s.replace("{agent}", ctx.agent) for s in ex.next_steps)
    if snap is None:
        steps.append("clawgate doctor")
    ex.next_steps = dedupe([s.replace(UNKNOWN, pid) if ex.provider else s for s in steps])
    return ex


def _prior_causes(ex: Explanation, agent: str) -> list[Cause]:
    """The causes to check, unchecked: the catalogue's for this failure, plus what the text itself shows."""
    p = ex.provider or "the provider"
    out = [Cause(entry.id, entry.text.format(p=p, a=agent)) for entry in cause_table(ex)]
    if ex.code == "health.cooling" and ex.detail and ex.detail.startswith("reason="):
        reason = ex.detail.split("=", 1)[1]
        out.insert(
            0,
            Cause(
                "health.first_failure",
                f"the cooldown was started by a {reason!r} failure: explain that failure, not the cooldown",
                True,
                f"the log line says {ex.detail}",
                list(COOLDOWN_NEXT),
            ),
        )
    if ex.detail and ex.detail.endswith("+cooldown"):
        out.append(
            Cause(
                "health.cooling",
                "this failure started a cooldown; it ends by itself but comes back until the cause is fixed",
                True,
                "the text mentions a cooldown after this failure",
            )
        )
    if ex.owner == "provider_auth" and ex.status == 401:
        out.append(
            Cause(
                "gateway_auth.client_token",
                "the 401 came from a gateway in between (a client token), not from the provider",
                None,
                "clawgate's own gateway never answers a provider rejection with 401 (it uses 424)",
            )
        )
    return out
