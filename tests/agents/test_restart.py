"""Done-when 5: the messages of a session survive a gateway restart — kill -9 included — with nothing lost but the
reply that was in flight, which is marked interrupted (a real `clawgate gateway run` subprocess)."""

from __future__ import annotations

import sqlite3
import threading
from typing import Any

import httpx
from tests.support.timing import limit

from .conftest import OPENAI_KEY, TOKEN, agent_config, sse_events, wait_until

SLOW = "openai/fault-slow_chunks-gap150-chunks40"


def _db_rows(home: Any, sql: str, args: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(f"file:{home.path / 'state.db'}?mode=ro", uri=True, timeout=limit(5))
    try:
        return conn.execute(sql, args).fetchall()
    finally:
        conn.close()


def _stream_in_thread(gw: Any, sid: str, content: str) -> tuple[threading.Thread, list[Any]]:
    events: list[Any] = []

    def go() -> None:
        try:
            with httpx.stream(
                "POST",
                f"{gw.url}/api/sessions/{sid}/messages",
                json={"content": content},
                headers=gw.headers(),
                timeout=limit(30),
            ) as r:
                for ev in sse_events(r.iter_lines()):
                    events.append(ev)  # visible to the test thread as it arrives
        except httpx.HTTPError as exc:  # the gateway was killed under it
            events.append({"type": "transport_error", "error": str(exc)})

    t = threading.Thread(target=go, daemon=True)
    t.start()
    return t, events


def test_a_session_survives_kill_9_and_only_the_reply_in_flight_is_marked_interrupted(
    home, emu, gateway_process
):
    home.config(agent_config(emu))
    home.dotenv(f"OPENAI_API_KEY={OPENAI_KEY}\nCLAWGATE_GATEWAY_TOKEN={TOKEN}\n")
    gw = gateway_process(TOKEN)
    c = httpx.Client(base_url=gw.url, headers=gw.headers(), timeout=limit(20))
    assert httpx.post(gw.url + "/api/sessions", json={}).status_code == 401  # the token is required
    sid = c.post("/api/sessions", json={"title": "survivor"}).json()["id"]
    first = c.post(
        f"/api/sessions/{sid}/messages", json={"content": "echo: first answer", "stream": False}
    ).json()
    assert first["message"]["status"] == "complete"
    pinned = c.post(
        f"/api/sessions/{sid}/messages", json={"content": f"/model {SLOW}", "stream": False}
    ).json()
    assert pinned["events"][0]["model_pin"] == SLOW

    t2, ev2 = _stream_in_thread(gw, sid, "second question")
    # the reply in flight reaches the disk as it streams (not only at the end)
    wait_until(
        lambda: _db_rows(home, "SELECT content FROM messages WHERE status = 'streaming' AND content != ''"),
        what="a partial reply on disk",
    )
    t3, ev3 = _stream_in_thread(gw, sid, "third question, queued")
    wait_until(lambda: ev2 and ev3, what="both clients to have their first event")
    wait_until(
        lambda: _db_rows(home, "SELECT id FROM runs WHERE status = 'queued'"), what="a queued run on disk"
    )
    gw.kill()
    t2.join(limit(10))
    t3.join(limit(10))
    assert ev2[0]["type"] == "run.started" and ev2[-1]["type"] != "run.finished"  # cut by the kill
    assert ev3[0]["type"] == "run.queued"

    gw2 = gateway_process(TOKEN)
    c2 = httpx.Client(base_url=gw2.url, headers=gw2.headers(), timeout=limit(20))
    shown = c2.get(f"/api/sessions/{sid}").json()
    msgs = shown["messages"]
    assert [(m["role"], m["status"]) for m in msgs] == [
        ("user", "complete"),
        ("assistant", "complete"),
        ("user", "complete"),
        ("assistant", "interrupted"),
        ("user", "complete"),
    ]
    assert [msgs[0]["content"], msgs[1]["content"], msgs[2]["content"], msgs[4]["content"]] == [
        "echo: first answer",
        "first answer",
        "second question",
        "third question, queued",
    ]
    partial = msgs[3]
    full = "emulated reply from openai model fault-slow_chunks-gap150-chunks40"
    assert partial["content"] and full.startswith(partial["content"]) and partial["content"] != full
    assert partial["error"]["code"] == "runtime.interrupted" and partial["error"]["owner"] == "runtime"
    runs = {r["id"]: r for r in shown["runs"]}
    assert [r["status"] for r in shown["runs"]] == ["completed", "interrupted", "interrupted"]
    assert runs[partial["run_id"]]["error"]["code"] == "runtime.interrupted"
    assert shown["session"]["model_pin"] == SLOW and shown["session"]["title"] == "survivor"
    assert shown["session"]["active_run_id"] is None and shown["session"]["queued"] == 0

    # the conversation goes on, with everything that survived in its history
    c2.post(f"/api/sessions/{sid}/messages", json={"content": "/model", "stream": False})
    after = c2.post(
        f"/api/sessions/{sid}/messages", json={"content": "echo: still here", "stream": False}
    ).json()
    assert after["message"]["content"] == "still here"
    sent = emu.last_request.body["messages"]
    assert [m["content"] for m in sent] == [
        "echo: first answer",
        "first answer",
        "second question",
        partial["content"],
        "third question, queued",
        "echo: still here",
    ]


def test_sigterm_drains_then_marks_the_reply_in_flight_interrupted(home, emu, gateway_process):
    cfg = agent_config(emu)
    cfg["gateway"]["drainSeconds"] = 0.6
    home.config(cfg)
    home.dotenv(f"OPENAI_API_KEY={OPENAI_KEY}\n")
    gw = gateway_process()
    sid = httpx.post(
        gw.url + "/api/sessions", json={"model": "openai/fault-hang-after1"}, timeout=limit(5)
    ).json()["id"]
    t, events = _stream_in_thread(gw, sid, "hang on")
    wait_until(lambda: emu.requests_for("openai", model="fault-hang-after1"), what="the upstream request")
    assert gw.stop() == 0
    t.join(limit(10))
    assert events[-1]["type"] == "run.finished" and events[-1]["status"] == "interrupted"
    gw2 = gateway_process()
    shown = httpx.get(f"{gw2.url}/api/sessions/{sid}", timeout=limit(5)).json()
    assert [m["status"] for m in shown["messages"]] == ["complete", "interrupted"]
    assert shown["runs"][0]["status"] == "interrupted"
