"""The seven failures measured with two gateways on one home (issue 13), each against 2–3 gateway processes on
Redis + PostgreSQL (homes of their own, as on two machines) and on one SQLite home with `--workers 2`."""

from __future__ import annotations

import threading
import time
from typing import Any

import httpx
import orjson
import websockets.sync.client as ws_client
from tests.support.cluster import TOKEN, Cluster, sse
from tests.support.ports import wait_until

SLOW = "openai/fault-slow_chunks-gap150-chunks30"


def _post(proc: Any, sid: str, content: str, **body: Any) -> dict[str, Any]:
    r = proc.client.post(f"/api/sessions/{sid}/messages", json={"content": content, "stream": False, **body})
    assert r.status_code == 200, r.text
    return r.json()


def test_seq_is_unique_and_every_posted_message_reaches_the_next_call(make_cluster: Any, emu: Any) -> None:
    c: Cluster = make_cluster()
    a, b = c.procs[0], c.procs[1]
    sid = a.client.post("/api/sessions", json={}).json()["id"]
    _post(a, sid, "echo: one")
    _post(b, sid, "echo: two")  # the other process, which has never seen this session
    _post(a, sid, "echo: three")  # A must see what was posted through B
    sent = [m["content"] for m in emu.last_request.body["messages"]]
    assert sent == ["echo: one", "one", "echo: two", "two", "echo: three"], sent
    # posted at the same moment through both: the store hands out the seqs, so none collide
    errors: list[BaseException] = []

    def post(proc: Any, n: int) -> None:
        try:
            for i in range(3):
                _post(proc, sid, f"echo: p{n}-{i}")
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=post, args=(p, i)) for i, p in enumerate((a, b))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    for proc in (a, b):
        msgs = proc.client.get(f"/api/sessions/{sid}").json()["messages"]
        seqs = [m["seq"] for m in msgs]
        shape = [(m["seq"], m["role"], m["content"], m["status"]) for m in msgs]
        assert len(msgs) == 18 and len(set(seqs)) == 18 and seqs == sorted(seqs), shape
        # every question is answered right after it: one run at a time per session, across processes
        asked = [m["content"][6:] for m in msgs if m["role"] == "user"]
        replied = [m["content"] for m in msgs if m["role"] == "assistant"]
        assert asked == replied, shape


def test_a_login_code_minted_on_one_process_works_on_another(make_cluster: Any) -> None:
    c: Cluster = make_cluster()
    a, b = c.procs[0], c.procs[1]
    code = a.client.post("/api/ui/login-codes").json()["code"]
    browser = {"Authorization": ""}  # no token: what a browser sends
    r = b.client.get(
        f"/ui/login?code={code}", headers=browser
    )  # redeemed on the process that did not mint it
    assert r.status_code == 303 and r.headers["location"] == "/", r.headers
    cookie = r.cookies.get("clawgate_ui")
    assert cookie
    # the browser session is valid on every process; the code was used up on all of them
    for proc in (a, b):
        s = proc.client.get("/api/ui/session", headers={**browser, "cookie": f"clawgate_ui={cookie}"})
        assert s.status_code == 200 and s.json()["via"] == "cookie", s.text
    again = a.client.get(f"/ui/login?code={code}", headers={"Authorization": ""})
    assert again.headers["location"] == "/?login=expired"


def test_lockouts_are_shared_and_keyed_on_the_client_behind_the_proxy(make_cluster: Any) -> None:
    c: Cluster = make_cluster(
        gateway={
            "auth": {"exemptLoopback": False, "trustedProxies": ["127.0.0.1"], "maxFailuresPerMinute": 5}
        }
    )
    a, b = c.procs[0], c.procs[1]
    bad = {"Authorization": "Bearer wrong-token", "x-forwarded-for": "203.0.113.5"}
    for _ in range(5):
        assert a.client.get("/v1/models", headers=bad).status_code == 401
    good_same_client = {"Authorization": f"Bearer {TOKEN}", "x-forwarded-for": "203.0.113.5"}

    def locked_on_b() -> bool:
        r = b.client.get("/v1/models", headers=good_same_client)
        return r.status_code == 429 and r.json()["error"]["code"] == "gateway.locked_out"

    wait_until(locked_on_b, timeout=5, what="the lockout learned on A to refuse on B")
    # another client behind the same proxy is not locked out, on either process
    other = {"Authorization": f"Bearer {TOKEN}", "x-forwarded-for": "198.51.100.7"}
    assert a.client.get("/v1/models", headers=other).status_code == 200
    assert b.client.get("/v1/models", headers=other).status_code == 200


def test_stop_and_events_cross_processes(make_cluster: Any, emu: Any) -> None:
    c: Cluster = make_cluster()
    a, b = c.procs[0], c.procs[1]
    sid = a.client.post("/api/sessions", json={"model": SLOW}).json()["id"]
    events: list[dict[str, Any]] = []
    url = b.url.replace("http", "ws") + "/ws"
    ready = threading.Event()

    def follow() -> None:
        with ws_client.connect(url, open_timeout=20) as sock:
            sock.send(orjson.dumps({"type": "connect", "token": TOKEN}).decode())
            sock.recv(20)
            sock.send(orjson.dumps({"type": "subscribe", "session_id": sid}).decode())
            sock.recv(20)
            ready.set()
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                ev = orjson.loads(sock.recv(60))
                events.append(ev)
                if ev.get("type") == "run.finished":
                    return

    t = threading.Thread(target=follow, daemon=True)
    t.start()
    assert ready.wait(30)
    got: list[dict[str, Any]] = []

    def run() -> None:
        with a.client.stream("POST", f"/api/sessions/{sid}/messages", json={"content": "long one"}) as r:
            got.extend(sse(r.iter_lines()))

    runner = threading.Thread(target=run, daemon=True)
    runner.start()
    wait_until(lambda: any(e.get("type") == "token" for e in events), timeout=20, what="tokens relayed")
    stopped = b.client.post(f"/api/sessions/{sid}/stop").json()["stopped"]  # /stop through the other process
    runner.join(30)
    t.join(30)
    assert stopped and got[-1]["type"] == "run.finished" and got[-1]["status"] == "stopped"
    assert events[-1]["type"] == "run.finished" and events[-1]["status"] == "stopped"
    runs = a.client.get(f"/api/sessions/{sid}").json()["runs"]
    assert [r["status"] for r in runs] == ["stopped"] and runs[0]["id"] == stopped


def test_a_new_process_never_marks_a_live_run_interrupted(make_cluster: Any) -> None:
    c: Cluster = make_cluster()
    a = c.procs[0]
    sid = a.client.post("/api/sessions", json={"model": SLOW}).json()["id"]
    got: list[dict[str, Any]] = []

    def run() -> None:
        with a.client.stream("POST", f"/api/sessions/{sid}/messages", json={"content": "long one"}) as r:
            for ev in sse(r.iter_lines()):
                got.append(ev)

    runner = threading.Thread(target=run, daemon=True)
    runner.start()
    wait_until(lambda: any(e["type"] == "token" for e in got), timeout=20, what="the run streaming")
    third = c.add_process()  # recovers at start-up (and every few seconds), while A streams
    runner.join(60)
    assert got[-1]["type"] == "run.finished" and got[-1]["status"] == "completed", got[-3:]
    shown = httpx.get(f"{third.url}/api/sessions/{sid}", headers=c.headers(), timeout=10).json()
    assert [r["status"] for r in shown["runs"]] == ["completed"]
    assert shown["messages"][-1]["status"] == "complete"


def test_the_pidfile_knows_every_process(make_cluster: Any) -> None:
    c: Cluster = make_cluster()
    if c.kind == "sqlite-workers":
        data = c.pidfile()
        workers = data["gateways"][0]["workers"]
        assert sorted(workers) == sorted(p.pid for p in c.procs)
        c.add_process()  # a second gateway on the same home, started by hand
        data = c.pidfile()
        assert len(data["gateways"]) == 2
        out = c.cli("gateway", "status", "--json")
        listed = orjson.loads(out.stdout)["gateways"]
        assert len(listed) == 2 and sorted(listed[0]["workers"]) == sorted(workers)
        stop = c.cli("gateway", "stop", "--json")
        assert orjson.loads(stop.stdout)["was_running"] is True
        wait_until(lambda: all(gw.proc.poll() is not None for gw in c.gws), timeout=30, what="all stopped")
        assert not (c.homes[0].path / "run" / "gateway.json").exists()
    else:
        for home, proc in zip(c.homes, c.procs, strict=True):
            assert c.pidfile(home)["pid"] == proc.gw.proc.pid  # type: ignore[union-attr]


def test_each_cron_occurrence_fires_once(make_cluster: Any, emu: Any) -> None:
    c: Cluster = make_cluster(
        cron={"jobs": [{"id": "tick", "prompt": "echo: tick", "schedule": "* * * * * *"}]}
    )
    a = c.procs[0]

    def history() -> list[dict[str, Any]]:
        return a.client.get("/api/cron/history", params={"job": "tick", "limit": 100}).json()["history"]

    wait_until(lambda: len([h for h in history() if h["status"] == "ok"]) >= 4, timeout=30, what="4 firings")
    fired = [h for h in history() if h["status"] in ("ok", "error")]
    seconds = [int(h["ts"]) for h in fired]
    assert len(seconds) == len(set(seconds)), seconds  # never twice for one occurrence
    sessions = a.client.get("/api/sessions").json()["sessions"]
    assert len([s for s in sessions if s["title"] == "cron:tick"]) == 1
    upstream = [
        r for r in emu.requests if r.body and r.body.get("messages", [{}])[-1].get("content") == "echo: tick"
    ]
    assert len(upstream) == len(fired)


def _chat(proc: Any) -> httpx.Response:
    return proc.client.post(
        "/v1/chat/completions",
        json={"model": "openai/gpt-4o", "messages": [{"role": "user", "content": "hi"}]},
    )


def _cooling(proc: Any) -> bool:
    return any(h["state"] == "cooling" for h in proc.client.get("/api/status").json()["health"])


def test_a_cooldown_on_one_process_refuses_on_the_other_and_health_clear_reaches_all(
    make_cluster: Any, emu: Any
) -> None:
    c: Cluster = make_cluster()
    a, b = c.procs[0], c.procs[1]
    assert _chat(b).status_code == 200  # B has sent to this provider before: it is not a cold start
    emu.add_fault("rate_limit", dialect="openai", model="gpt-4o", retry_after=60, times=1)
    r = _chat(a)
    learned = time.monotonic()
    assert r.status_code == 429 and r.json()["error"]["owner"] == "rate_limit", r.text
    wait_until(lambda: _cooling(b), timeout=5, interval=0.02, what="the cooldown to reach B")
    took = time.monotonic() - learned
    print(f"[{c.kind}] cooldown learned on A refused on B after {took * 1000:.0f} ms")
    assert took < 1.0, f"the cooldown reached the other process after {took:.2f} s"
    sent = len(emu.requests)
    refused = _chat(b)
    err = refused.json()["error"]
    # a refusal keeps the code of the failure that started the state, and says it was not sent
    assert refused.status_code == 429 and err["code"] == "rate_limit.exceeded", refused.text
    assert err["message"].startswith("not sent") and "cooling down" in err["message"]
    assert len(emu.requests) == sent  # nothing reached the provider from B

    out = c.cli("health", "clear", "--json")
    assert out.returncode == 0 and orjson.loads(out.stdout)["cleared"] >= 1, out.stderr
    cleared = time.monotonic()
    for proc in (a, b):
        wait_until(lambda p=proc: not _cooling(p), timeout=5, interval=0.02, what="health clear to reach it")
    took = time.monotonic() - cleared
    print(f"[{c.kind}] health clear reached every process after {took * 1000:.0f} ms")
    assert took < 1.0, f"health clear reached every process after {took:.2f} s"
    for proc in (a, b):
        before = len(emu.requests)
        assert _chat(proc).status_code == 200
        assert len(emu.requests) == before + 1  # sent


def _response_id(r: httpx.Response, stream: bool) -> str:
    assert r.status_code == 200, r.text
    if not stream:
        return str(r.json()["id"])
    (done,) = [e for e in sse(iter(r.text.splitlines())) if e.get("type") == "response.completed"]
    return str(done["response"]["id"])


def test_a_conversation_continues_by_previous_response_id_on_another_process(
    make_cluster: Any, emu: Any
) -> None:
    """clawgate keeps the answers of a provider that keeps nothing (a chat provider here); the next turn may reach
    any process, at once: the answer is committed before its client has it."""
    providers = {
        "openai": {"baseUrl": emu.base_url("openai"), "models": [{"id": "gpt-4o", "contextWindow": 128000}]},
        "ochat": {
            "baseUrl": emu.base_url("openai"),
            "api": "openai-completions",
            "apiKey": "${OPENAI_API_KEY}",
        },
    }
    c: Cluster = make_cluster(models={"providers": providers})
    a, b = c.procs[0], c.procs[1]
    for stream in (False, True):
        first = a.client.post(
            "/v1/responses",
            json={"model": "ochat/gpt-4o", "input": f"echo: my name is Ada {stream}", "stream": stream},
        )
        rid = _response_id(first, stream)
        second = b.client.post(  # right away, to the other process
            "/v1/responses",
            json={"model": "ochat/gpt-4o", "previous_response_id": rid, "input": "echo: again"},
        )
        assert second.status_code == 200, second.text
        sent = [m["content"] for m in emu.last_request.body["messages"]]
        assert sent == [f"echo: my name is Ada {stream}", f"my name is Ada {stream}", "echo: again"], sent
