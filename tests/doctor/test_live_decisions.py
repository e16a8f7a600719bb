"""Doctor reports what the executor decided, and its stuck-run check reads runs through the Store."""

from __future__ import annotations

import json
import time

from tests.calls.conftest import BY_ID, wire_home

from clawgate.diagnose.live import health_findings
from clawgate.plan.snapshot import Snapshot
from clawgate.redaction import fingerprint
from clawgate.store import HealthRecord, RunRecord, SessionRecord, open_store

QWEN = BY_ID["qwen"]
MOONSHOT = BY_ID["moonshot"]


def test_doctor_keeps_the_code_the_classifier_recorded(home, emu):
    """A rejection the classifier recorded as `auth.rejected` is not relabelled as a region mismatch."""
    wire_home(home, emu, model={"primary": "qwen/qwen-plus", "fallbacks": ["moonshot/kimi-k2.5"]})
    snap = Snapshot.load(environ=home.env())
    records = [
        HealthRecord(
            provider=p.id,
            fingerprint=fingerprint(p.key),
            model="*",
            state="rejected",
            until=time.time() + 60,
            first_ts=time.time(),
            first_status=401,
            first_owner="provider_auth",
            first_code=code,
            first_message="Invalid Authentication",
            count=1,
        )
        for p, code in ((QWEN, "auth.rejected"), (MOONSHOT, "auth.region_mismatch"))
    ]
    found = {f.subject["provider"]: f.code for f in health_findings(snap, records, ["main"])}
    assert found == {"qwen": "auth.rejected", "moonshot": "auth.region_mismatch"}, found


def _run(store, run_id: str, status: str, silent_for: float) -> None:
    now = time.time()
    store.save_session(SessionRecord(id=f"s-{run_id}", agent="main", created_at=now, updated_at=now))
    store.save_run(
        RunRecord(
            id=run_id,
            session_id=f"s-{run_id}",
            agent="main",
            status=status,
            created_at=now - silent_for - 1,
            started_at=now - silent_for - 1,
            last_activity_at=now - silent_for,
            ref="openai/gpt-4o",
        )
    )


def test_doctor_reports_a_stuck_run(home, emu, cli):
    wire_home(home, emu, model="openai/gpt-4o")
    store = open_store(str(home.path / "state.db"))
    try:
        _run(store, "run-stuck", "running", silent_for=3600)  # far past the 120 s idle limit
        _run(store, "run-fresh", "running", silent_for=1)
        _run(store, "run-done", "completed", silent_for=3600)
        store.flush()
    finally:
        store.close()
    res = cli("doctor", "--json")
    data = json.loads(res.out)
    stuck = [f for f in data["findings"] if f["code"] == "session.stuck_run"]
    assert [f["subject"]["run"] for f in stuck] == ["run-stuck"], data["findings"]
    f = stuck[0]
    assert f["owner"] == "runtime" and f["subject"]["session"] == "s-run-stuck"
    assert "120" in f["message"] and "idle" in f["message"]
    assert f["next"], f
