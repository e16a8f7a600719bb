"""The WebSocket at /ws: the first frame must be `connect` with the gateway token (anything else: close 1008 with a
reason code); then run events for the sessions the client follows."""

from __future__ import annotations

import json
from typing import Any

import pytest
from tests.support.timing import limit
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from clawgate import __version__

from .conftest import OPENAI_KEY, TOKEN, agent_config


def _ws(gw: Any) -> Any:
    return connect(gw.url.replace("http://", "ws://") + "/ws", open_timeout=limit(5), close_timeout=limit(2))


def _closed_with(ws: Any) -> tuple[int, str]:
    with pytest.raises(ConnectionClosed) as info:
        ws.recv(5)
    rcvd = info.value.rcvd
    assert rcvd is not None
    return rcvd.code, rcvd.reason


def _frames_until(ws: Any, kind: str, limit: int = 200) -> list[dict[str, Any]]:
    out = []
    for _ in range(limit):
        f = json.loads(ws.recv(10))
        out.append(f)
        if f["type"] == kind:
            return out
    raise AssertionError(f"no {kind} frame in {limit} frames")


@pytest.fixture
def token_gw(home, emu, gateway):
    home.config(agent_config(emu))
    home.dotenv(f"OPENAI_API_KEY={OPENAI_KEY}\nCLAWGATE_GATEWAY_TOKEN={TOKEN}\n")
    return gateway(TOKEN)


@pytest.mark.parametrize(
    ("first", "reason"),
    [
        ('{"type": "ping"}', "CONNECT_REQUIRED"),
        ("hello", "CONNECT_REQUIRED"),
        ('["connect"]', "CONNECT_REQUIRED"),
        ('{"type": "connect", "client": "tui"}', "gateway.token_missing"),
        ('{"type": "connect", "token": "not-the-token"}', "gateway.token_mismatch"),
    ],
)
def test_anything_but_a_valid_connect_first_closes_1008_with_a_reason(token_gw, first, reason):
    with _ws(token_gw) as ws:
        ws.send(first)
        assert _closed_with(ws) == (1008, reason)


def test_silence_closes_with_connect_required(token_gw, monkeypatch):
    import clawgate.gateway.ws as wsmod

    monkeypatch.setattr(wsmod, "CONNECT_TIMEOUT", 0.3)
    with _ws(token_gw) as ws:
        assert _closed_with(ws) == (1008, "CONNECT_REQUIRED")


def test_connect_then_sessions_and_run_events(token_gw, emu):
    gw = token_gw
    with _ws(gw) as ws:
        ws.send(json.dumps({"type": "connect", "token": TOKEN, "client": "tui"}))
        hello = json.loads(ws.recv(5))
        assert hello == {"type": "connected", "version": __version__, "agent": "main", "client": "tui"}
        ws.send(json.dumps({"type": "ping"}))
        assert json.loads(ws.recv(5)) == {"type": "pong"}
        ws.send(json.dumps({"type": "new"}))
        new = json.loads(ws.recv(5))
        assert new["type"] == "session.new" and new["session"]["agent"] == "main"
        sid = new["session_id"]
        ws.send(json.dumps({"type": "send", "session_id": sid, "content": "echo: over the socket"}))
        frames = _frames_until(ws, "run.finished")
        assert frames[0]["type"] == "run.started" and frames[0]["model"]["ref"] == "openai/gpt-4o"
        assert "".join(f["text"] for f in frames if f["type"] == "token") == "over the socket"
        assert frames[-1]["status"] == "completed" and all(f["session_id"] == sid for f in frames)
        # slash commands work here too; /new follows the new session
        ws.send(json.dumps({"type": "send", "session_id": sid, "content": "/new"}))
        new2 = json.loads(ws.recv(5))
        assert new2["type"] == "session.new" and new2["previous"] == sid
        ws.send(json.dumps({"type": "send", "session_id": new2["session_id"], "content": "/status"}))
        status = json.loads(ws.recv(5))
        assert status["type"] == "session.status" and status["plan"]["model"]["ref"] == "openai/gpt-4o"
        # errors are frames, not a closed socket
        ws.send(json.dumps({"type": "subscribe", "session_id": "s_nope"}))
        err = json.loads(ws.recv(5))
        assert err["type"] == "error" and err["code"] == "request.not_found" and err["owner"] == "request"
        ws.send(json.dumps({"type": "dance"}))
        assert json.loads(ws.recv(5))["type"] == "error"
        ws.send(json.dumps({"type": "stop", "session_id": sid}))
        assert json.loads(ws.recv(5))["stopped"] is None


def test_a_subscriber_sees_runs_started_elsewhere(token_gw):
    gw = token_gw
    sid = gw.session()["id"]
    with _ws(gw) as ws:
        ws.send(json.dumps({"type": "connect", "token": TOKEN}))
        assert json.loads(ws.recv(5))["type"] == "connected"
        ws.send(json.dumps({"type": "subscribe", "session_id": sid}))
        sub = json.loads(ws.recv(5))
        assert sub["type"] == "subscribed" and sub["session"]["id"] == sid
        gw.post(sid, "echo: via http")  # posted over HTTP, watched over the socket
        frames = _frames_until(ws, "run.finished")
        assert "".join(f["text"] for f in frames if f["type"] == "token") == "via http"


def test_no_token_needed_when_auth_is_off(home, emu, gateway):
    home.config(agent_config(emu))
    home.dotenv(f"OPENAI_API_KEY={OPENAI_KEY}\n")
    gw = gateway()
    with _ws(gw) as ws:
        ws.send(json.dumps({"type": "connect"}))
        assert json.loads(ws.recv(5))["type"] == "connected"


def test_clawgate_gateway_run_upgrades_to_the_websocket(home, emu, gateway_process):
    """`clawgate gateway run` makes uvicorn's websockets protocol only on the first upgrade (server.py): the
    socket still connects and answers."""
    home.config(agent_config(emu))
    home.dotenv(f"OPENAI_API_KEY={OPENAI_KEY}\nCLAWGATE_GATEWAY_TOKEN={TOKEN}\n")
    gw = gateway_process(TOKEN)
    with _ws(gw) as ws:
        ws.send(json.dumps({"type": "connect", "token": TOKEN, "client": "tui"}))
        assert json.loads(ws.recv(5))["type"] == "connected"
        ws.send(json.dumps({"type": "ping"}))
        assert json.loads(ws.recv(5)) == {"type": "pong"}


def test_status_says_not_sent_for_a_rejected_key(home, emu, gateway):
    """/status shows what a call would do now (call/readiness.py): a rejected key is not "ok"."""
    from clawgate.chat.format import plan_lines

    from .conftest import WRONG_KEY

    home.config(agent_config(emu))
    home.dotenv(f"OPENAI_API_KEY={WRONG_KEY}\nCLAWGATE_GATEWAY_TOKEN={TOKEN}\n")
    gw = gateway(TOKEN)
    with _ws(gw) as ws:
        ws.send(json.dumps({"type": "connect", "token": TOKEN}))
        assert json.loads(ws.recv(5))["type"] == "connected"
        ws.send(json.dumps({"type": "new"}))
        sid = json.loads(ws.recv(5))["session_id"]
        ws.send(json.dumps({"type": "send", "session_id": sid, "content": "echo: hi"}))
        assert _frames_until(ws, "run.finished")[-1]["status"] != "completed"
        ws.send(json.dumps({"type": "send", "session_id": sid, "content": "/status"}))
        status = _frames_until(ws, "session.status")[-1]
    first = status["plan"]["attempts"][0]
    assert first["status"] == "rejected" and first["health"]["sendable"] is False
    lines = plan_lines(status["plan"])
    assert any(line.strip().startswith("1. openai/gpt-4o") and line.endswith("rejected") for line in lines)
    assert any("next: clawgate health clear --provider openai" in line for line in lines)
