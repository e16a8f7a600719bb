"""Done-when 1: a stuck upstream (the emulator never sends the next chunk) ends the run by the watchdog; `/new`
during it starts a new session immediately; `/stop` cancels it and the upstream connection closes.

The watchdog limits under test are short, but scaled by the machine's measured slowness (`timing.limit`): a busy
machine must not let a limit fire before the first chunk that the test expects to see."""

from __future__ import annotations

import threading
import time
from typing import Any

import httpx
from tests.support.timing import limit

from .conftest import OPENAI_KEY, agent_config, wait_until


def _config(home: Any, emu: Any, **defaults: Any) -> None:
    home.config(
        agent_config(
            emu, agents={"defaults": {"model": "openai/gpt-4o", **defaults}, "list": [{"id": "main"}]}
        )
    )
    home.dotenv(f"OPENAI_API_KEY={OPENAI_KEY}\n")


def _upstream_closed(emu: Any, model: str) -> Any:
    recs = emu.requests_for("openai", model=model)
    return recs and recs[-1].finished and recs[-1]


def test_stuck_stream_is_ended_by_the_idle_watchdog_and_the_upstream_closes(home, emu, gateway):
    idle = round(limit(0.5), 1)
    _config(home, emu, idleTimeoutSeconds=idle)
    gw = gateway()
    for model in ("fault-hang-after1", "fault-hang"):  # stuck mid-stream, and before the first chunk
        sid = gw.session(model=f"openai/{model}")["id"]
        t0 = time.monotonic()
        events = gw.stream(sid, "hello")
        assert time.monotonic() - t0 < idle + limit(5)
        types = [e["type"] for e in events]
        assert types[0] == "run.started" and types[-2:] == ["run.error", "run.finished"], types
        err, fin = events[-2], events[-1]
        assert (err["owner"], err["code"]) == ("runtime", "runtime.idle_timeout")
        assert (
            f"idle limit {idle:g} s" in err["message"]
            and "agents.defaults.idleTimeoutSeconds" in err["message"]
        )
        assert err["next"]
        assert (fin["status"], fin["limit"]) == ("timeout", "idle")
        run = gw.run(fin["run_id"])
        assert (run["status"], run["limit"], run["error"]["code"]) == (
            "timeout",
            "idle",
            "runtime.idle_timeout",
        )
        rec = wait_until(lambda m=model: _upstream_closed(emu, m), what="the upstream request to end")
        assert rec.client_disconnected and rec.fault_kind == "hang"
        # the partial reply is kept, with the error (never an empty bubble without an owner)
        reply = gw.show(sid)["messages"][-1]
        assert reply["role"] == "assistant" and reply["status"] == "error"
        assert reply["error"]["owner"] == "runtime"
        if model == "fault-hang-after1":
            assert reply["content"]


def test_total_limit_ends_a_run_that_keeps_streaming(home, emu, gateway):
    total = round(limit(1.0), 1)
    # 30 chunks (the reply has only so many characters to split) spread over 3 × the limit
    model = f"fault-slow_chunks-gap{int(total * 100)}-chunks30"
    _config(home, emu, idleTimeoutSeconds=limit(5), runTimeoutSeconds=total)
    gw = gateway()
    sid = gw.session(model=f"openai/{model}")["id"]
    events = gw.stream(sid, "hello")
    fin = events[-1]
    assert (fin["type"], fin["status"], fin.get("limit")) == ("run.finished", "timeout", "total"), events
    err = events[-2]
    assert err["code"] == "runtime.total_timeout" and f"total limit of {total:g} s" in err["message"]
    assert sum(1 for e in events if e["type"] == "token") >= 2  # it was streaming, not idle
    wait_until(lambda: _upstream_closed(emu, model), what="upstream closed")


def _stuck(gw: Any, emu: Any, sid: str) -> tuple[threading.Thread, list[Any]]:
    """Post a message whose upstream hangs (in a thread: the SSE answer only ends with the run)."""
    events: list[Any] = []
    t = threading.Thread(target=lambda: events.extend(gw.stream(sid, "hang please")), daemon=True)
    t.start()
    wait_until(lambda: emu.requests_for("openai", model="fault-hang-after1"), what="the upstream request")
    wait_until(lambda: gw.active_run(sid), what="an active run")
    return t, events


def test_new_during_a_stuck_run_is_immediate_and_stop_closes_the_upstream(home, emu, gateway):
    _config(home, emu)  # default limits (120 s): only /stop ends this run
    gw = gateway()
    sid = gw.session(model="openai/fault-hang-after1")["id"]
    t, events = _stuck(gw, emu, sid)
    stuck_run = gw.active_run(sid)

    t0 = time.monotonic()
    r = httpx.post(
        f"{gw.url}/api/sessions/{sid}/messages", json={"content": "/new", "stream": False}, timeout=limit(5)
    )
    assert time.monotonic() - t0 < limit(2), "/new waited behind the stuck run"
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["command"] == "/new" and body["run"] is None
    new = body["events"][0]
    assert new["type"] == "session.new" and new["session"]["id"] != sid and new["previous"] == sid
    new_sid = new["session"]["id"]
    # the new session works at once, while the old run is still stuck
    assert gw.post(new_sid, "echo: fresh")["message"]["content"] == "fresh"
    assert gw.active_run(sid) == stuck_run

    # /new as a streamed message answers with the event and ends the stream
    evs = gw.stream(sid, "/new openai/gpt-4o")
    assert [e["type"] for e in evs] == ["session.new"] and evs[0]["session"]["model_pin"] == "openai/gpt-4o"

    # /stop cancels it; the upstream connection closes
    t0 = time.monotonic()
    stop = gw.stream(sid, "/stop")
    assert time.monotonic() - t0 < limit(5)
    assert stop[-1]["type"] == "notice" and stop[-1]["stopped"] == stuck_run
    rec = wait_until(lambda: _upstream_closed(emu, "fault-hang-after1"), what="the upstream request to end")
    assert rec.client_disconnected
    t.join(limit(5))
    assert not t.is_alive()
    assert events[-1]["type"] == "run.finished" and events[-1]["status"] == "stopped"
    run = gw.run(stuck_run)
    assert run["status"] == "stopped" and run["error"]["code"] == "runtime.cancelled"
    shown = gw.show(sid)
    assert shown["session"]["active_run_id"] is None
    assert shown["messages"][-1]["status"] == "stopped" and shown["messages"][-1]["content"]


def test_stop_endpoint_and_nothing_to_stop(home, emu, gateway):
    _config(home, emu)
    gw = gateway()
    sid = gw.session(model="openai/fault-hang-after1")["id"]
    r = httpx.post(f"{gw.url}/api/sessions/{sid}/stop", timeout=limit(5))
    assert r.json() == {"stopped": None}
    t, events = _stuck(gw, emu, sid)
    run_id = gw.active_run(sid)
    r = httpx.post(f"{gw.url}/api/sessions/{sid}/stop", timeout=limit(10))
    assert r.json() == {"stopped": run_id}
    assert wait_until(lambda: _upstream_closed(emu, "fault-hang-after1")).client_disconnected
    t.join(limit(5))
    assert events[-1]["status"] == "stopped"
