"""Doctor's stuck-run check: runs the store still calls queued or running although nothing has reached them for
longer than their idle limit (the watchdog ends such a run at that limit, so one that outlived it was left
behind by a gateway that stopped, or the watchdog is not running). Read through the Store."""

from __future__ import annotations

import time
from typing import Any

from clawgate.diagnose.findings import Finding
from clawgate.paths import Paths
from clawgate.plan.snapshot import Snapshot
from clawgate.store.base import RunRecord


def _limits(snap: Snapshot | None, run: RunRecord) -> tuple[float, str]:
    from clawgate.agents.watchdog import IDLE_CLOUD, limits_for

    if snap is None:
        return IDLE_CLOUD, "the default"
    local = False
    if run.ref:
        view = snap.catalog.get(run.ref.split("/", 1)[0])
        local = bool(view and view.preset and view.preset.local)
    lim = limits_for(snap, run.agent, local)
    return lim.idle, lim.idle_from


def stuck_run_findings(
    paths: Paths, snap: Snapshot | None = None, gateway_running: bool | None = None, now: float | None = None
) -> list[Finding]:
    """One finding per run left queued/running past its idle limit."""
    if not paths.state_db.exists():
        return []
    from clawgate.store import open_store

    store = open_store(str(paths.state_db))
    try:
        runs = store.active_runs()
    finally:
        store.close()
    now = time.time() if now is None else now
    out: list[Finding] = []
    for run in runs:
        last = run.last_activity_at or run.started_at or run.created_at
        idle, idle_from = _limits(snap, run)
        silent = now - last
        if silent <= idle:
            continue
        if gateway_running is False:
            why = "no gateway is running: the one that ran it stopped without finishing it"
            nxt = ["clawgate gateway start   # marks runs left behind as interrupted"]
        else:
            why = "its watchdog should have ended it at the idle limit"
            nxt = [
                f"POST /api/runs/{run.id}/stop   # or: clawgate gateway restart",
                "clawgate logs --limit 50",
            ]
        out.append(
            Finding(
                "session.stuck_run",
                f"run {run.id} of session {run.session_id} (agent {run.agent}) is still {run.status} but "
                f"nothing reached it for {silent:.0f} s, past its idle limit of {idle:g} s ({idle_from}); {why}",
                subject={"run": run.id, "session": run.session_id, "agent": run.agent},
                evidence=_evidence(run, silent),
                next_steps=nxt,
            )
        )
    return out


def _evidence(run: RunRecord, silent: float) -> dict[str, Any]:
    return {
        "status": run.status,
        "ref": run.ref,
        "started_at": run.started_at,
        "last_activity_at": run.last_activity_at,
        "silent_s": round(silent, 1),
    }
