"""Done-when 3: a cron job runs on schedule against the emulator, records success and failure with owners, and a
rejected key does not produce a retry storm (emulator log count). Plus scheduling on a fake clock and the CLI."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from tests.support.timing import limit

from clawgate.agents.cron import CronScheduler
from clawgate.agents.sessions import SessionManager
from clawgate.call.runtime import Runtime
from clawgate.paths import Paths

from .conftest import GROQ_KEY, OPENAI_KEY, agent_config, wait_until

EVERY_SECOND = "* * * * * */1"  # croniter: a sixth field is seconds
GROQ_WRONG = "gsk_test_agents_wrong_000000000001"


def _history(gw: Any, job: str) -> list[dict[str, Any]]:
    r = httpx.get(f"{gw.url}/api/cron/history", params={"job": job, "limit": 100}, timeout=limit(5))
    assert r.status_code == 200, r.text
    return list(reversed(r.json()["history"]))  # oldest first


def _job(gw: Any, job: str) -> dict[str, Any]:
    jobs = httpx.get(f"{gw.url}/api/cron", timeout=limit(5)).json()["jobs"]
    return next(j for j in jobs if j["id"] == job)


def test_a_job_runs_on_schedule_and_records_success(home, emu, gateway, cli):
    home.config(
        agent_config(emu, cron={"jobs": [{"id": "tick", "prompt": "echo: tick", "schedule": EVERY_SECOND}]})
    )
    home.dotenv(f"OPENAI_API_KEY={OPENAI_KEY}\n")
    gw = gateway()
    oks = wait_until(
        lambda: (
            [h for h in _history(gw, "tick") if h["status"] == "ok"][:2]
            if len([h for h in _history(gw, "tick") if h["status"] == "ok"]) >= 2
            else None
        ),
        timeout=8,
        what="two scheduled runs",
    )
    assert oks[1]["ts"] - oks[0]["ts"] >= 0.5  # two occurrences, not a burst
    for h in oks:
        assert (h["trigger"], h["via"], h["owner"], h["ref"]) == (
            "schedule",
            "gateway",
            None,
            "openai/gpt-4o",
        )
        run = gw.run(h["run_id"])
        assert run["trigger"] == "cron:tick" and run["status"] == "completed"
    # one session per job, titled cron:<id>, holding every run's messages
    assert oks[0]["session_id"] == oks[1]["session_id"]
    session = gw.show(oks[0]["session_id"])
    assert session["session"]["title"] == "cron:tick" and session["session"]["kind"] == "cron"
    assert [m["content"] for m in session["messages"][:2]] == ["echo: tick", "tick"]
    out = cli("cron", "history", "tick", "--json")
    assert out.code == 0, out.err
    assert sum(1 for h in out.json()["history"] if h["status"] == "ok") >= 2


def test_a_rejected_key_is_recorded_with_its_owner_and_not_retried_into_a_storm(home, emu, gateway, cli):
    job = {
        "id": "report",
        "prompt": "hello",
        "schedule": EVERY_SECOND,
        "model": "groq/llama-3.3-70b-versatile",
    }
    home.config(agent_config(emu, cron={"jobs": [job]}))
    home.dotenv(f"OPENAI_API_KEY={OPENAI_KEY}\nGROQ_API_KEY={GROQ_WRONG}\n")
    gw = gateway()
    # three occurrences skipped after the failure: the scheduler kept firing, the provider was not called again
    wait_until(lambda: _job(gw, "report")["skips"] >= 3, timeout=10, what="three skipped occurrences")
    assert len(emu.requests_for("groq")) == 1  # one request per health window (rejected keys: 60 s)
    hist = _history(gw, "report")
    first = hist[0]
    assert first["status"] == "error"
    assert (first["owner"], first["code"]) == ("provider_auth", "auth.rejected")
    assert GROQ_WRONG not in (first["message"] or "") and "#" in first["message"]  # fingerprints only
    skipped = [h for h in hist if h["status"] == "skipped" and h["code"] == "auth.rejected"]
    assert len(skipped) == 1  # recorded once per health window, however often the schedule fires
    assert skipped[0]["owner"] == "provider_auth" and skipped[0]["next"]
    assert "no request is made" in skipped[0]["message"]
    out = cli("cron", "history", "report")
    assert out.code == 0 and "provider_auth auth.rejected" in out.out


def test_a_delay_job_runs_once_after_start(home, emu, gateway):
    home.config(
        agent_config(emu, cron={"jobs": [{"id": "hello", "prompt": "echo: started", "delaySeconds": 0.2}]})
    )
    home.dotenv(f"OPENAI_API_KEY={OPENAI_KEY}\n")
    gw = gateway()
    hist = wait_until(lambda: _history(gw, "hello"), timeout=8, what="the delayed run")
    assert hist[0]["status"] == "ok" and hist[0]["trigger"] == "delay"
    job = wait_until(
        lambda: (j := _job(gw, "hello"))["next_at"] is None and not j["running"] and j, what="done"
    )
    assert job["fires"] == 1
    assert len(emu.requests_for("openai")) == 1


def test_cron_run_goes_through_the_gateway_when_it_runs_else_locally(home, emu, gateway, cli, monkeypatch):
    jobs = [
        {"id": "now", "prompt": "echo: manual", "schedule": "0 0 1 1 *"},
        {"id": "bad", "prompt": "x", "schedule": "0 0 1 1 *", "model": "groq/llama-3.3-70b-versatile"},
    ]
    home.config(agent_config(emu, cron={"jobs": jobs}))
    home.dotenv(f"OPENAI_API_KEY={OPENAI_KEY}\nGROQ_API_KEY={GROQ_WRONG}\n")
    listed = cli("cron", "list", "--json")
    assert listed.code == 0, listed.err
    body = listed.json()
    assert body["via"] == "config" and [j["id"] for j in body["jobs"]] == ["now", "bad"]
    assert body["jobs"][0]["next_at"] is not None and body["jobs"][0]["last"] is None

    local = cli("cron", "run", "now")
    assert local.code == 0, local.err
    assert "locally (no gateway running at" in local.out and "ok" in local.out
    failed = cli("cron", "run", "bad", "--json")
    assert failed.code == 1
    rec = failed.json()["record"]
    assert failed.json()["via"] == "local" and (rec["owner"], rec["code"]) == (
        "provider_auth",
        "auth.rejected",
    )
    assert cli("cron", "run", "nope").code != 0

    gw = gateway()
    monkeypatch.setenv("CLAWGATE_GATEWAY_URL", gw.url)
    remote = cli("cron", "run", "now", "--json")
    assert remote.code == 0, remote.err
    assert remote.json()["via"] == "gateway" and remote.json()["record"]["via"] == "gateway"
    text = cli("cron", "run", "now")
    assert f"through the gateway at {gw.url}" in text.out or f"gateway at {gw.url}" in text.out
    hist = cli("cron", "history", "--json").json()["history"]
    assert {h["via"] for h in hist} == {"local", "gateway"}
    assert cli("cron", "list", "--json").json()["via"] == "gateway"


def test_scheduling_on_a_fake_clock_fires_once_per_occurrence(home):
    home.config(
        {
            "agents": {"defaults": {"model": "openai/gpt-4o"}},
            "cron": {
                "jobs": [
                    {"id": "ten", "prompt": "x", "schedule": "* * * * * */10"},
                    {"id": "once", "prompt": "y", "delaySeconds": 25},
                    {"id": "off", "prompt": "z", "schedule": "* * * * *", "enabled": False},
                    {"id": "broken", "prompt": "z", "schedule": "every tuesday"},
                ]
            },
        }
    )
    env = home.env()
    rt = Runtime(Paths.discover(env), env, cwd=None, persist=False)
    now = [1_000_000.0]
    fired: list[tuple[str, str, float]] = []

    async def go() -> None:
        sched = CronScheduler(SessionManager(rt), clock=lambda: now[0])
        sched.started_at = now[0]

        async def fake_run(job_id: str, trigger: str = "manual") -> None:
            fired.append((job_id, trigger, now[0]))

        sched.run_job = fake_run  # type: ignore[method-assign]
        for t in (0, 3, 9.99, 10, 10, 10.5, 19, 20, 25, 26, 30, 40):
            now[0] = 1_000_000.0 + t
            sched.tick()
            await asyncio.sleep(0)
        listed = {j["id"]: j for j in sched.list_json()}
        assert listed["broken"]["problem"] and listed["off"]["next_at"] is None
        assert listed["once"]["next_at"] is None and listed["once"]["fires"] == 1

    try:
        asyncio.run(go())
    finally:
        rt.close()
    assert [(j, round(t - 1_000_000.0, 2)) for j, _, t in fired] == [
        ("ten", 10),
        ("ten", 20),
        ("once", 25),
        ("ten", 30),
        ("ten", 40),
    ]
    assert {trig for j, trig, _ in fired if j == "once"} == {"delay"}


def test_a_groq_job_with_a_good_key_is_not_skipped(home, emu, gateway):
    job = {"id": "g", "prompt": "echo: ok", "delaySeconds": 0, "model": "groq/llama-3.3-70b-versatile"}
    home.config(agent_config(emu, cron={"jobs": [job]}))
    home.dotenv(f"GROQ_API_KEY={GROQ_KEY}\n")
    gw = gateway()
    hist = wait_until(lambda: _history(gw, "g"), what="the run")
    assert hist[0]["status"] == "ok" and hist[0]["ref"] == "groq/llama-3.3-70b-versatile"


def test_the_gateway_process_starts_cron_by_itself(home, emu, gateway_process):
    home.config(agent_config(emu, cron={"jobs": [{"id": "boot", "prompt": "echo: up", "delaySeconds": 0}]}))
    home.dotenv(f"OPENAI_API_KEY={OPENAI_KEY}\n")
    gw = gateway_process()
    # nothing but /healthz has been asked of it: the job runs on its own
    wait_until(lambda: emu.requests_for("openai"), what="the delayed job's request")
    hist = wait_until(lambda: _history(gw, "boot"), what="its record")
    assert hist[0]["status"] == "ok" and hist[0]["via"] == "gateway"
