"""Sessions over HTTP: create/list/show, one active run per session with a queue (or interrupt mode), slash
commands answered before any model call, errors with owner and next, and the gateway token."""

from __future__ import annotations

import threading
from typing import Any

import httpx
from tests.support.timing import limit

from .conftest import OPENAI_KEY, TOKEN, agent_config, sse_events, wait_until

SLOW = "openai/fault-slow_chunks-gap120-chunks10"  # 1.2 s: time to post a second message


def _setup(home: Any, emu: Any, **extra: Any) -> None:
    home.config(agent_config(emu, **extra))
    home.dotenv(f"OPENAI_API_KEY={OPENAI_KEY}\n")


def _stream(gw: Any, sid: str, content: str, into: list[Any], **body: Any) -> threading.Thread:
    def go() -> None:
        with httpx.stream(
            "POST",
            f"{gw.url}/api/sessions/{sid}/messages",
            json={"content": content, **body},
            timeout=limit(30),
        ) as r:
            for ev in sse_events(r.iter_lines()):
                into.append(ev)  # visible to the test thread as it arrives

    t = threading.Thread(target=go, daemon=True)
    t.start()
    return t


def test_create_list_show_and_the_session_shape(home, emu, gateway):
    _setup(home, emu)
    gw = gateway()
    s = gw.session(title="first")
    for key in (
        "id",
        "agent",
        "title",
        "model_pin",
        "created_at",
        "updated_at",
        "active_run_id",
        "queued",
        "message_count",
        "model",
        "tokens",
    ):
        assert key in s
    assert s["id"].startswith("s_") and s["agent"] == "main" and s["queued"] == 0
    assert s["model"] == {"ref": "openai/gpt-4o", "from": "agents.defaults.model.primary"}
    assert s["tokens"] == {"used": None, "context_window": 128000}
    h = gw.session(agent="helper", model="openai/gpt-4o-mini")
    assert h["agent"] == "helper" and h["model"] == {"ref": "openai/gpt-4o-mini", "from": "session.model_pin"}
    out = gw.post(s["id"], "echo: hi")
    run, msg = out["run"], out["message"]
    for key in (
        "id",
        "session_id",
        "agent",
        "parent_run_id",
        "status",
        "limit",
        "created_at",
        "started_at",
        "ended_at",
        "last_activity_at",
        "ref",
        "credential",
        "usage",
        "error",
    ):
        assert key in run
    assert run["credential"]["source"] == "env:OPENAI_API_KEY" and OPENAI_KEY not in str(run)
    assert run["usage"]["output_tokens"] >= 1
    assert (msg["role"], msg["content"], msg["status"], msg["run_id"]) == (
        "assistant",
        "hi",
        "complete",
        run["id"],
    )
    listed = httpx.get(f"{gw.url}/api/sessions", timeout=limit(5)).json()["sessions"]
    assert [x["id"] for x in listed] == [s["id"], h["id"]]  # newest activity first
    assert listed[0]["message_count"] == 2 and listed[0]["tokens"]["used"] >= 1
    assert [
        x["id"] for x in httpx.get(f"{gw.url}/api/sessions?agent=helper", timeout=limit(5)).json()["sessions"]
    ] == [h["id"]]
    assert gw.run(run["id"])["status"] == "completed"


def test_errors_name_owner_and_next(home, emu, gateway):
    _setup(home, emu)
    gw = gateway()
    c = gw.client()
    r = c.get("/api/sessions/s_nope")
    assert (
        r.status_code == 404
        and r.json()["error"]["owner"] == "request"
        and r.headers["x-clawgate-owner"] == "request"
    )
    assert c.post("/api/sessions", json={"agent": "nobody"}).status_code == 404
    assert c.post("/api/sessions", json={"model": "nosuch/model"}).status_code == 400
    sid = gw.session()["id"]
    for body in ({}, {"content": ""}, {"content": "x", "mode": "later"}, {"content": "x", "stream": "yes"}):
        r = c.post(f"/api/sessions/{sid}/messages", json=body)
        assert r.status_code == 400 and r.json()["error"]["code"] == "request.invalid", body
    assert c.post(f"/api/sessions/{sid}/messages", content=b"{not json").status_code == 400
    assert c.get("/api/runs/r_nope").status_code == 404


def test_a_provider_failure_is_a_run_error_with_owner_never_an_empty_bubble(home, emu, gateway):
    home.config(agent_config(emu))
    home.dotenv("OPENAI_API_KEY=sk-test-agents-not-a-known-key-00001\n")
    gw = gateway()
    sid = gw.session()["id"]
    events = gw.stream(sid, "hello")
    assert [e["type"] for e in events] == ["run.started", "run.error", "run.finished"]
    err = events[1]
    assert (
        (err["owner"], err["code"]) == ("provider_auth", "auth.rejected") and err["message"] and err["next"]
    )
    assert events[2]["status"] == "error"
    reply = gw.show(sid)["messages"][-1]
    assert reply["status"] == "error" and reply["error"]["owner"] == "provider_auth"


def test_the_gateway_token_is_required(home, emu, gateway):
    home.config(agent_config(emu))
    home.dotenv(f"OPENAI_API_KEY={OPENAI_KEY}\nCLAWGATE_GATEWAY_TOKEN={TOKEN}\n")
    gw = gateway(TOKEN)
    r = httpx.get(f"{gw.url}/api/sessions", timeout=limit(5))
    assert r.status_code == 401 and r.json()["error"]["code"] == "gateway.token_missing"
    assert r.json()["error"]["owner"] == "gateway_auth"
    r = httpx.post(f"{gw.url}/api/sessions", headers={"Authorization": "Bearer wrong"}, timeout=limit(5))
    assert r.status_code == 401 and r.json()["error"]["code"] == "gateway.token_mismatch"
    assert (
        httpx.get(f"{gw.url}/api/sessions", headers={"x-api-key": TOKEN}, timeout=limit(5)).status_code == 200
    )


def test_messages_posted_during_a_run_are_queued_and_answered_in_order(home, emu, gateway):
    _setup(home, emu)
    gw = gateway()
    sid = gw.session(model=SLOW)["id"]
    first: list[Any] = []
    second: list[Any] = []
    t1 = _stream(gw, sid, "one", first)
    wait_until(lambda: gw.active_run(sid), what="the first run")
    t2 = _stream(gw, sid, "two", second)
    t1.join(limit(20))
    t2.join(limit(20))
    assert second[0]["type"] == "run.queued" and second[0]["position"] == 1
    assert second[0]["behind"] == first[0]["run_id"]
    assert first[-1]["status"] == "completed" and second[-1]["status"] == "completed"
    shown = gw.show(sid)
    assert [(m["role"], m["content"][:3]) for m in shown["messages"]] == [
        ("user", "one"),
        ("assistant", "emu"),
        ("user", "two"),
        ("assistant", "emu"),
    ]
    runs = shown["runs"]
    assert runs[0]["ended_at"] <= runs[1]["started_at"]  # one active run at a time
    # the second call saw the first exchange complete, and not itself twice
    reqs = emu.requests_for("openai")
    assert [m["content"][:3] for m in reqs[1].body["messages"]] == ["one", "emu", "two"]


def test_interrupt_mode_stops_the_active_run_for_the_new_message(home, emu, gateway):
    _setup(home, emu)
    gw = gateway()
    sid = gw.session(model="openai/fault-hang-after1")["id"]
    first: list[Any] = []
    t1 = _stream(gw, sid, "one", first)
    old = wait_until(lambda: gw.active_run(sid), what="the first run")
    wait_until(lambda: emu.requests_for("openai", model="fault-hang-after1"), what="upstream")
    gw.post(sid, "/model openai/gpt-4o")
    out = gw.post(sid, "echo: two", mode="interrupt")
    t1.join(limit(10))
    assert first[-1]["status"] == "stopped"
    assert gw.run(old)["error"]["message"].startswith("interrupted by a newer message")
    assert out["message"]["content"] == "two"
    assert emu.requests_for("openai", model="fault-hang-after1")[-1].client_disconnected


def test_sessions_busy_interrupt_in_the_config(home, emu, gateway):
    _setup(home, emu, sessions={"busy": "interrupt"})
    gw = gateway()
    sid = gw.session(model="openai/fault-hang-after1")["id"]
    first: list[Any] = []
    t1 = _stream(gw, sid, "one", first)
    wait_until(lambda: emu.requests_for("openai", model="fault-hang-after1"), what="upstream")
    wait_until(lambda: gw.active_run(sid), what="the first run")
    second: list[Any] = []
    t2 = _stream(gw, sid, "two", second)
    try:
        t1.join(limit(10))
        assert first[-1]["status"] == "stopped"
        wait_until(
            lambda: any(e["type"] == "notice" and "interrupting" in e["text"] for e in second), what="notice"
        )
    finally:
        gw.post(sid, "/stop")
        t2.join(limit(10))
    assert second[-1]["status"] == "stopped"


def test_slash_commands(home, emu, gateway):
    _setup(home, emu)
    gw = gateway()
    sid = gw.session()["id"]
    pin = gw.post(sid, "/model openai/gpt-4o-mini")
    assert pin["command"] == "/model" and pin["run"] is None
    assert pin["events"][0]["type"] == "notice" and "pinned to openai/gpt-4o-mini" in pin["events"][0]["text"]
    assert pin["session"]["model"] == {"ref": "openai/gpt-4o-mini", "from": "session.model_pin"}
    assert gw.post(sid, "hello")["run"]["ref"] == "openai/gpt-4o-mini"
    status = gw.post(sid, "/status")["events"][0]
    assert status["type"] == "session.status"
    plan = status["plan"]
    assert plan["model"]["ref"] == "openai/gpt-4o-mini" and plan["model"]["from"] == "session.model_pin"
    att = plan["attempts"][0]
    assert att["status"] == "ok" and att["credential"]["source"] == "env:OPENAI_API_KEY" and "health" in att
    bad = gw.post(sid, "/model nosuch/model")["events"][0]
    assert bad["text"].startswith("not pinned") and bad["error"]["owner"] == "request"
    cleared = gw.post(sid, "/model")
    assert (
        cleared["session"]["model_pin"] is None
        and "agents.defaults.model.primary" in cleared["events"][0]["text"]
    )
    unknown = gw.post(sid, "/frobnicate now")["events"][0]
    assert unknown["type"] == "notice" and "/new" in unknown["text"]
    # a path is text, not a command; nothing but real messages reached the model
    assert gw.post(sid, "echo: /etc/hosts is a file")["message"]["content"] == "/etc/hosts is a file"
    assert len(emu.requests_for("openai")) == 2
    new = gw.post(sid, "/new openai/gpt-4o-mini")["events"][0]
    assert new["type"] == "session.new" and new["session"]["model_pin"] == "openai/gpt-4o-mini"
    assert new["session"]["agent"] == "main" and new["session"]["message_count"] == 0
    profile_pin = gw.post(new["session"]["id"], "/model openai/gpt-4o@openai:nosuch")["events"][0]
    assert profile_pin["text"].startswith("not pinned") and "openai:nosuch" in profile_pin["text"]


def test_a_streamed_reply_is_tokens_then_finished_with_usage(home, emu, gateway):
    _setup(home, emu)
    gw = gateway()
    sid = gw.session()["id"]
    events = gw.stream(sid, "echo: one two three")
    assert all(e["session_id"] == sid for e in events)
    run_id = events[0]["run_id"]
    assert all(e["run_id"] == run_id for e in events)
    started = events[0]
    assert started["agent"] == "main" and started["model"] == {
        "ref": "openai/gpt-4o",
        "from": "agents.defaults.model.primary",
    }
    assert started["credential"]["source"] == "env:OPENAI_API_KEY"
    assert "".join(e["text"] for e in events if e["type"] == "token") == "one two three"
    fin = events[-1]
    assert fin["type"] == "run.finished" and fin["status"] == "completed" and fin["ref"] == "openai/gpt-4o"
    assert fin["usage"]["input_tokens"] >= 1
