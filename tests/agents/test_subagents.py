"""Done-when 2: a subagent for another agent id resolves credentials through the same resolver — the main agent's
profile (provenance says inherited), or its own profile when it has one; a wrong subagent key is reported to the
parent run with `provider_auth`. Plus: model precedence, the `spawn_subagent` tool, /stop reaching subagents."""

from __future__ import annotations

import json
import threading
from typing import Any

import httpx
from tests.support.timing import limit
from websockets.sync.client import connect

from .conftest import (
    HELPER_PROFILE_KEY,
    MAIN_PROFILE_KEY,
    OPENAI_KEY,
    WRONG_KEY,
    agent_config,
    profiles,
    wait_until,
)


def _spawn(gw: Any, run_id: str, **body: Any) -> httpx.Response:
    return httpx.post(f"{gw.url}/api/runs/{run_id}/subagents", json=body, timeout=limit(20))


def _parent(gw: Any) -> tuple[str, str]:
    sid = gw.session()["id"]
    out = gw.post(sid, "echo: parent")
    assert out["run"]["status"] == "completed", out
    return sid, out["run"]["id"]


def test_subagent_for_another_agent_uses_the_main_agents_profile_and_says_so(home, emu, gateway):
    home.config(agent_config(emu))
    home.profiles("main", profiles(MAIN_PROFILE_KEY))  # no env key: profiles only; helper has none
    gw = gateway()
    _, rid = _parent(gw)
    r = _spawn(gw, rid, prompt="echo: from the helper", agent="helper")
    assert r.status_code == 200, r.text
    child = r.json()["run"]
    assert child["agent"] == "helper" and child["parent_run_id"] == rid and child["status"] == "completed"
    assert child["credential"]["source"] == "profile:openai:default"
    assert child["credential"]["inherited_from"] == "agent:main"
    assert r.json()["message"]["content"] == "from the helper"
    assert emu.last_request.key == MAIN_PROFILE_KEY
    parent = gw.run(rid)
    assert parent["subagents"][0]["run_id"] == child["id"]
    assert parent["subagents"][0]["credential"]["inherited_from"] == "agent:main"


def test_subagent_with_its_own_profile_uses_that_one(home, emu, gateway):
    home.config(agent_config(emu))
    home.profiles("main", profiles(MAIN_PROFILE_KEY))
    home.profiles("helper", profiles(HELPER_PROFILE_KEY, name="helper"))
    gw = gateway()
    _, rid = _parent(gw)
    assert emu.last_request.key == MAIN_PROFILE_KEY
    child = _spawn(gw, rid, prompt="echo: hi", agent="helper").json()["run"]
    assert child["credential"]["source"] == "profile:openai:helper"
    assert "inherited_from" not in child["credential"]
    assert emu.last_request.key == HELPER_PROFILE_KEY


def test_a_wrong_subagent_key_is_reported_to_the_parent_with_provider_auth(home, emu, gateway):
    home.config(agent_config(emu))
    home.profiles("main", profiles(MAIN_PROFILE_KEY))
    home.profiles("helper", profiles(WRONG_KEY, name="helper"))
    gw = gateway()
    sid, rid = _parent(gw)  # the main agent works
    with connect(gw.url.replace("http", "ws") + "/ws", open_timeout=limit(5)) as ws:
        ws.send(json.dumps({"type": "connect", "client": "test"}))
        assert json.loads(ws.recv(5))["type"] == "connected"
        ws.send(json.dumps({"type": "subscribe", "session_id": sid}))
        assert json.loads(ws.recv(5))["type"] == "subscribed"
        r = _spawn(gw, rid, prompt="echo: hi", agent="helper")
        assert r.status_code == 200, r.text
        child = r.json()["run"]
        assert child["status"] == "error"
        assert (child["error"]["owner"], child["error"]["code"]) == ("provider_auth", "auth.rejected")
        assert r.json()["message"]["status"] == "error"
        frames = [json.loads(ws.recv(5)) for _ in range(2)]
    assert [f["type"] for f in frames] == ["subagent.started", "subagent.finished"]
    assert all(f["run_id"] == rid and f["session_id"] == sid for f in frames)
    assert frames[0]["agent"] == "helper" and frames[0]["child_run_id"] == child["id"]
    fin = frames[1]
    assert fin["status"] == "error" and fin["error"]["owner"] == "provider_auth"
    assert fin["error"]["next"]
    parent = gw.run(rid)
    assert parent["subagents"][-1]["status"] == "error"
    assert parent["subagents"][-1]["error"]["owner"] == "provider_auth"
    assert emu.last_request.key == WRONG_KEY and emu.last_request.status == 401


def test_subagent_model_precedence(home, emu, gateway):
    cfg = agent_config(emu)
    cfg["agents"]["defaults"]["subagents"] = {"model": "openai/gpt-4o-mini"}
    cfg["agents"]["list"][1]["subagents"] = {"model": "groq/llama-3.3-70b-versatile"}
    home.config(cfg)
    home.dotenv(f"OPENAI_API_KEY={OPENAI_KEY}\nGROQ_API_KEY=gsk_test_agents_groq_0000000000001\n")
    gw = gateway()
    _, rid = _parent(gw)
    cases = [
        ({"agent": "main"}, "openai/gpt-4o-mini", "agents.defaults.subagents.model"),
        ({"agent": "helper"}, "groq/llama-3.3-70b-versatile", "agents.list[1].subagents.model"),
        ({"agent": "helper", "model": "openai/gpt-4.1"}, "openai/gpt-4.1", "spawn.model"),
    ]
    for body, ref, source in cases:
        child = _spawn(gw, rid, prompt="echo: x", **body).json()["run"]
        assert (child["ref"], child["model_from"], child["status"]) == (ref, source, "completed"), child


def test_subagent_falls_back_to_the_agents_own_model_and_is_one_level(home, emu, gateway):
    home.config(agent_config(emu))
    home.dotenv(f"OPENAI_API_KEY={OPENAI_KEY}\n")
    gw = gateway()
    _, rid = _parent(gw)
    child = _spawn(gw, rid, prompt="echo: x").json()["run"]
    assert (child["ref"], child["model_from"]) == ("openai/gpt-4o", "agents.defaults.model.primary")
    r = _spawn(gw, child["id"], prompt="echo: deeper")
    assert r.status_code == 400 and r.json()["error"]["owner"] == "request"
    assert _spawn(gw, "r_nope", prompt="x").status_code == 404
    r = _spawn(gw, rid, prompt="x", agent="nobody")
    assert r.status_code == 404 and "nobody" in r.json()["error"]["message"]


def test_the_model_calls_spawn_subagent_and_gets_the_result_back(home, emu, gateway):
    home.config(agent_config(emu))
    home.dotenv(f"OPENAI_API_KEY={OPENAI_KEY}\n")
    gw = gateway()
    sid = gw.session()["id"]
    events = gw.stream(sid, "call_tool: research this", tools=True)
    types = [e["type"] for e in events]
    assert types[0] == "run.started" and types[-1] == "run.finished", types
    call = next(e for e in events if e["type"] == "tool_call")
    assert call["name"] == "spawn_subagent"
    started = next(e for e in events if e["type"] == "subagent.started")
    finished = next(e for e in events if e["type"] == "subagent.finished")
    assert types.index("tool_call") < types.index("subagent.started") < types.index("subagent.finished")
    assert finished["status"] == "completed" and started["child_run_id"] == finished["child_run_id"]
    assert events[-1]["status"] == "completed"
    reqs = emu.requests_for("openai", path_suffix="/chat/completions")
    assert len(reqs) == 3  # the parent's call, the subagent's, the parent's with the tool result
    assert "tools" in reqs[0].body and "tools" not in reqs[1].body
    last = reqs[2].body["messages"]
    assert last[-1]["role"] == "tool" and last[-1]["content"] == "emulated reply from openai model gpt-4o"
    assert last[-2]["tool_calls"][0]["function"]["name"] == "spawn_subagent"
    shown = gw.show(sid)
    roles = [(m["role"], m["status"]) for m in shown["messages"]]
    assert roles == [
        ("user", "complete"),
        ("assistant", "complete"),
        ("tool", "complete"),
        ("assistant", "complete"),
    ]
    assert shown["runs"][-1]["subagents"][0]["status"] == "completed"


def test_stop_cancels_the_run_and_its_subagents(home, emu, gateway):
    home.config(agent_config(emu))
    home.dotenv(f"OPENAI_API_KEY={OPENAI_KEY}\n")
    gw = gateway()
    sid = gw.session(model="openai/fault-hang-after1")["id"]
    parent_events: list[Any] = []
    tp = threading.Thread(target=lambda: parent_events.extend(gw.stream(sid, "hang")), daemon=True)
    tp.start()
    rid = wait_until(lambda: gw.active_run(sid), what="the parent run")
    spawned: list[httpx.Response] = []
    tc = threading.Thread(
        target=lambda: spawned.append(_spawn(gw, rid, prompt="hang too", model="openai/fault-hang")),
        daemon=True,
    )
    tc.start()
    wait_until(lambda: emu.requests_for("openai", model="fault-hang"), what="the subagent's upstream request")
    r = httpx.post(f"{gw.url}/api/sessions/{sid}/stop", timeout=limit(10))
    assert r.json() == {"stopped": rid}
    tc.join(limit(10))
    tp.join(limit(10))
    assert not tc.is_alive() and not tp.is_alive()
    child = spawned[0].json()["run"]
    assert child["status"] == "stopped"
    for model in ("fault-hang-after1", "fault-hang"):
        rec = wait_until(
            lambda m=model: [x for x in emu.requests_for("openai", model=m) if x.finished],
            what=f"{model} closed",
        )[-1]
        assert rec.client_disconnected
    assert parent_events[-1]["status"] == "stopped"
    assert gw.run(rid)["subagents"][0]["status"] == "stopped"


def test_a_subagent_that_falls_back_says_which_model_served_it_and_why_the_configured_one_was_skipped(
    home, emu, gateway
):
    cfg = agent_config(emu)
    cfg["agents"]["defaults"]["model"] = {"primary": "openai/gpt-4o", "fallbacks": ["openai/gpt-4o-mini"]}
    cfg["agents"]["defaults"]["subagents"] = {"model": "groq/llama-3.3-70b-versatile"}
    home.config(cfg)
    home.dotenv(f"OPENAI_API_KEY={OPENAI_KEY}\n")  # no groq key
    gw = gateway()
    _, rid = _parent(gw)
    child = _spawn(gw, rid, prompt="echo: x").json()["run"]
    assert child["status"] == "completed", child
    assert (child["ref"], child["model_from"]) == ("openai/gpt-4o-mini", "agents.defaults.model.fallbacks[0]")
    (skipped,) = child["fallback"]
    assert (
        skipped["ref"] == "groq/llama-3.3-70b-versatile"
        and skipped["from"] == "agents.defaults.subagents.model"
    )
    assert (skipped["owner"], skipped["code"]) == (
        "provider_auth",
        "auth.missing_credential",
    ) and not skipped["sent"]
    entry = gw.run(rid)["subagents"][-1]  # the parent's record says the same
    assert (
        entry["model_from"] == "agents.defaults.model.fallbacks[0]" and entry["fallback"] == child["fallback"]
    )
    assert gw.run(child["id"])["fallback"] == child["fallback"]  # kept in the store
    # a run served by its configured model has no fallback
    parent = gw.run(rid)
    assert parent["fallback"] is None and parent["model_from"] == "agents.defaults.model.primary"
