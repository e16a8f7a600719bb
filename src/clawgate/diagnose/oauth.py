"""OAuth subscription profiles in doctor: when each access token expires (and whether clawgate renews it
before use), read from the profile store, so a refresh made by any process shows its new expiry."""

from __future__ import annotations

import time

from clawgate.diagnose.findings import Finding
from clawgate.plan.snapshot import Snapshot


def _when(ms: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S %Z", time.localtime(ms / 1000))


def oauth_status_findings(snap: Snapshot, agent_ids: list[str]) -> list[Finding]:
    """One `auth.oauth_status` (info) per stored OAuth profile of these agents (and the main agent)."""
    out: list[Finding] = []
    now = time.time() * 1000
    for agent in sorted(set(agent_ids) | {snap.main_agent()}):
        store = snap.store(agent)
        for prof in store.profiles.values():
            if prof.type != "oauth" or prof.error or prof.expires is None:
                continue
            hours = (prof.expires - now) / 3_600_000
            state = f"in {hours:.1f} h" if hours >= 0 else f"{-hours:.1f} h ago"
            renew = (
                "renewed automatically before it expires"
                if prof.refresh_present
                else "no refresh token: sign in again before then"
            )
            who = (
                f" ({prof.display_name or prof.email or prof.account_id})"
                if (prof.display_name or prof.email or prof.account_id)
                else ""
            )
            out.append(
                Finding(
                    "auth.oauth_status",
                    f"profile:{prof.id}{who} ({prof.provider}, agent {agent}): access token expires "
                    f"{_when(prof.expires)} ({state}); {renew}",
                    severity="info",
                    subject={"agent": agent, "profile": prof.id, "provider": prof.provider},
                    evidence={
                        "expires": prof.expires,
                        "expires_at": _when(prof.expires),
                        "refreshable": prof.refresh_present,
                        "plan": prof.plan_type,
                        "file": store.display,
                    },
                    next_steps=[f"clawgate auth login {prof.provider} --agent {agent}"]
                    if not prof.refresh_present
                    else [],
                )
            )
    return out
