"""Running the gateway: the first run on a fresh machine (done-when 1), bind safety, background start/stop/status,
the service unit (no secret in it) and the logs (JSON lines, no secret, request events)."""

from __future__ import annotations

import json
import os
import signal
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.support.timing import limit

from clawgate.emulator import EmulatorThread

from .conftest import (
    CANARY,
    GROQ_WRONG_KEY,
    TOKEN,
    base_config,
    base_dotenv,
    free_port,
    make_home,
    spawn_gateway,
    wait_until,
)


def clawgate_cmd() -> list[str]:
    """The README's command: the venv's `clawgate` console script (what scripts/run.sh execs)."""
    exe = Path(sys.executable).parent / "clawgate"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "clawgate"]


def test_first_run_on_a_fresh_machine(tmp_path: Path) -> None:
    """Done-when 1: no home, no config, no keys: it starts on loopback with SQLite state, says where it listens
    and how to add a provider."""
    home = tmp_path / "fresh" / ".clawgate"  # does not exist yet
    port = free_port()
    env = {
        k: v for k, v in os.environ.items() if not k.endswith("_API_KEY") and not k.startswith("CLAWGATE_")
    }
    env.update(CLAWGATE_HOME=str(home), HOME=str(tmp_path / "fresh"), PYTHONUNBUFFERED="1")
    out_path = tmp_path / "out.txt"
    with out_path.open("wb") as out:
        proc = subprocess.Popen(
            [*clawgate_cmd(), "gateway", "run", "--port", str(port)],
            env=env,
            cwd=str(tmp_path),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            url = f"http://127.0.0.1:{port}"

            def healthy() -> bool:
                assert proc.poll() is None, out_path.read_text()
                try:
                    return httpx.get(url + "/healthz", timeout=limit(2)).status_code == 200
                except httpx.HTTPError:
                    return False

            wait_until(healthy, 20, what="/healthz")
            text = wait_until(
                lambda: (t := out_path.read_text()) and "add one" in t.lower() and t, 10, what="the banner"
            )
            assert f"listening on {url}" in text
            assert f"OpenAI base_url: {url}/v1" in text and f"Anthropic base_url: {url}" in text
            # runnable as printed from any shell: names this gateway's home, and the file it writes
            assert f"CLAWGATE_HOME={home} clawgate env set OPENROUTER_API_KEY" in text
            assert str(home / ".env") in text.replace("~", str(tmp_path / "fresh"))
            assert f"CLAWGATE_HOME={home} clawgate config set agents.defaults.model.primary" in text
            assert f"check it: CLAWGATE_HOME={home} clawgate doctor" in text
            assert "auth: none (loopback only)" in text
            # the embedded defaults: SQLite state in the new home, private
            assert stat.S_IMODE(home.stat().st_mode) == 0o700
            db = home / "state.db"
            assert db.exists() and stat.S_IMODE(db.stat().st_mode) == 0o600
            assert db.read_bytes()[:16] == b"SQLite format 3\x00"
            pid = json.loads((home / "run" / "gateway.json").read_text())
            assert pid["pid"] == proc.pid and pid["url"] == url
            # with no provider configured a call says so, in the OpenAI envelope
            r = httpx.post(
                url + "/v1/chat/completions",
                json={"messages": [{"role": "user", "content": "hi"}]},
                timeout=limit(10),
            )
            assert r.status_code >= 400 and r.json()["error"]["owner"] in ("config", "provider_auth")
            assert r.json()["error"]["next_steps"]
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(limit(15))
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(limit(5))
    assert proc.returncode == 0
    assert not (home / "run" / "gateway.json").exists()  # the pidfile goes with the process
    assert "gateway stopped" in out_path.read_text()


def run_gateway_expecting_exit(home: Any, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "clawgate", "gateway", "run", *args],
        env=home.env(**env),
        capture_output=True,
        text=True,
        timeout=limit(30),
    )


@pytest.mark.parametrize("how", ["--host", "config"])
def test_refuses_a_non_loopback_bind_without_a_token(tmp_path: Path, how: str) -> None:
    home = make_home(tmp_path)
    port = str(free_port())
    if how == "config":
        home.config({"gateway": {"bind": "lan"}})
        res = run_gateway_expecting_exit(home, "--port", port)
    else:
        res = run_gateway_expecting_exit(home, "--host", "0.0.0.0", "--port", port)
    assert res.returncode != 0
    text = res.stdout + res.stderr
    assert "refusing to listen on 0.0.0.0" in text and "without a gateway token" in text
    assert f"CLAWGATE_HOME={home.path} clawgate doctor --generate-gateway-token" in text  # the way out
    assert "Traceback" not in text


def test_refuses_token_mode_without_a_token(tmp_path: Path) -> None:
    home = make_home(tmp_path)
    home.config({"gateway": {"auth": {"mode": "token"}}})
    res = run_gateway_expecting_exit(home, "--port", str(free_port()))
    assert res.returncode != 0
    assert "cannot start" in res.stderr and "CLAWGATE_GATEWAY_TOKEN" in res.stderr
    home.config({"gateway": {"auth": {"token": "${CG_TEST_UNSET_TOKEN}"}}})
    res = run_gateway_expecting_exit(home, "--port", str(free_port()))
    assert res.returncode != 0 and "CG_TEST_UNSET_TOKEN" in res.stderr


def test_port_in_use_is_a_clear_error(tmp_path: Path) -> None:
    home = make_home(tmp_path)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        port = s.getsockname()[1]
        res = run_gateway_expecting_exit(home, "--port", str(port))
    assert res.returncode != 0
    assert f"cannot listen on 127.0.0.1:{port}" in res.stderr and "gateway status" in res.stderr


def test_token_from_config_secretref(tmp_path: Path, emulator: EmulatorThread) -> None:
    home = make_home(tmp_path)
    cfg = base_config(emulator)
    cfg["gateway"]["auth"] = {"token": {"source": "env", "provider": "default", "id": "MY_GW_TOKEN"}}
    home.config(cfg)
    home.dotenv(base_dotenv(token=None) + "MY_GW_TOKEN=gw-test-secretref-token-01\n")
    g = spawn_gateway(home, token="gw-test-secretref-token-01")
    try:
        assert g.status()["auth"]["source"] == "config:gateway.auth.token"
        r = httpx.get(g.url + "/api/status", headers={"x-api-key": "gw-test-other"}, timeout=limit(5))
        assert r.status_code == 401
    finally:
        g.stop()


def test_background_start_status_stop(gcli: Any, emulator: EmulatorThread, tmp_path: Path) -> None:
    home = make_home(tmp_path)
    port = free_port()
    home.config(base_config(emulator, port=port, drainSeconds=2))
    home.dotenv(base_dotenv())
    started_pid: int | None = None
    try:
        res = gcli(home, "gateway", "start", "--json")
        assert res.returncode == 0, res.stdout + res.stderr
        data = json.loads(res.stdout)
        started_pid = int(data["pid"])
        assert data["already_running"] is False and data["url"] == f"http://127.0.0.1:{port}"
        assert httpx.get(data["url"] + "/healthz", timeout=limit(5)).status_code == 200
        pidfile = json.loads((home.path / "run" / "gateway.json").read_text())
        assert pidfile["pid"] == started_pid and pidfile["home"] == str(home.path)
        # a second start finds it
        again = json.loads(gcli(home, "gateway", "start", "--json").stdout)
        assert again["already_running"] is True and again["pid"] == started_pid
        st = gcli(home, "gateway", "status", "--json")
        assert st.returncode == 0, st.stdout
        assert json.loads(st.stdout)["gateway"]["pid"] == started_pid
        # restart: a new process from the same home
        res = gcli(home, "gateway", "restart")
        assert res.returncode == 0, res.stdout + res.stderr
        new_pid = int(json.loads((home.path / "run" / "gateway.json").read_text())["pid"])
        assert new_pid != started_pid
        with pytest.raises(ProcessLookupError):
            os.kill(started_pid, 0)
        started_pid = new_pid
        # a request, so the logs have one
        r = httpx.post(
            data["url"] + "/v1/chat/completions",
            json={"model": "openai/gpt-4o", "messages": [{"role": "user", "content": "hi"}]},
            headers={"Authorization": f"Bearer {TOKEN}"},
            timeout=limit(10),
        )
        assert r.status_code == 200
        t0 = time.monotonic()
        stop = gcli(home, "gateway", "stop", "--json")
        elapsed = time.monotonic() - t0
        assert stop.returncode == 0, stop.stdout + stop.stderr
        out = json.loads(stop.stdout)
        assert out["was_running"] is True and out["killed"] is False
        assert elapsed < 2 + limit(5)  # within the drain bound (drainSeconds 2), generously
        with pytest.raises(ProcessLookupError):
            os.kill(started_pid, 0)
        started_pid = None
        assert not (home.path / "run" / "gateway.json").exists()
        st = gcli(home, "gateway", "status", "--json")
        assert st.returncode == 3 and json.loads(st.stdout)["running"] is False
        assert json.loads(gcli(home, "gateway", "stop", "--json").stdout)["was_running"] is False
        assert (home.path / "logs" / "gateway.out").exists()
        assert stat.S_IMODE((home.path / "logs" / "gateway.out").stat().st_mode) == 0o600
    finally:
        if started_pid is not None:
            try:
                os.kill(started_pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def test_status_follows_the_pidfile_when_started_on_another_port(
    gcli: Any, emulator: EmulatorThread, tmp_path: Path
) -> None:
    home = make_home(tmp_path)
    home.config(base_config(emulator, port=free_port()))
    home.dotenv(base_dotenv())
    g = spawn_gateway(home, token=TOKEN)  # --port <another free port>
    try:
        res = gcli(home, "gateway", "status", "--json")
        data = json.loads(res.stdout)
        assert data["running"] is True and data["gateway"]["pid"] == g.proc.pid
        assert [f["code"] for f in data["findings"]] == ["gateway.address_differs"]
        assert res.returncode == 0  # a warning, not an error
    finally:
        g.stop()


def test_install_print_holds_no_secret(gcli: Any, tmp_path: Path) -> None:
    home = make_home(tmp_path)
    home.config(
        {
            "models": {"providers": {"openai": {"apiKey": CANARY}}},
            "gateway": {"auth": {"token": "gw-test-CANARY-token-999"}, "drainSeconds": 7},
        }
    )
    home.dotenv(f"OPENAI_API_KEY={CANARY}\nCLAWGATE_GATEWAY_TOKEN={TOKEN}\n")
    res = gcli(home, "gateway", "install", "--print")
    assert res.returncode == 0, res.stderr
    unit = res.stdout
    for secret in (CANARY, TOKEN, "gw-test-CANARY-token-999", "CANARY"):
        assert secret not in unit
    assert f"Environment=CLAWGATE_HOME={home.path}" in unit
    assert "gateway run" in unit and "ExecStart=" in unit
    assert "KillSignal=SIGTERM" in unit and "TimeoutStopSec=22" in unit  # drain (7) + margin
    target = tmp_path / "unit" / "clawgate.service"
    res = gcli(home, "gateway", "install", "--path", str(target))
    assert res.returncode == 0
    assert target.read_text() == unit
    assert CANARY not in target.read_text()


def test_logs_are_json_lines_with_request_events_and_no_secret(
    gcli: Any, emulator: EmulatorThread, tmp_path: Path
) -> None:
    home = make_home(tmp_path)
    cfg = base_config(emulator)
    # a literal key in the config, and the canary as a provider key that the provider rejects
    cfg["models"]["providers"]["canaryco"] = {
        "baseUrl": emulator.base_url("groq"),
        "api": "openai-completions",
        "apiKey": CANARY,
    }
    home.config(cfg)
    home.dotenv(base_dotenv() + f"GROQ_API_KEY={GROQ_WRONG_KEY}\n")
    g = spawn_gateway(home, token=TOKEN, quiet=False)
    try:
        with g.client() as c:
            ok = c.post(
                "/v1/chat/completions",
                json={"model": "openai/gpt-4o", "messages": [{"role": "user", "content": "hi"}]},
            )
            assert ok.status_code == 200
            bad = c.post(
                "/v1/chat/completions",
                json={"model": "canaryco/m", "messages": [{"role": "user", "content": "hi"}]},
            )
            assert bad.status_code == 424 and CANARY not in bad.text
            assert bad.json()["error"]["credential"]["fingerprint"]
            c.post("/v1/chat/completions", content=b"{broken")
        # a broken edit whose parse error quotes the line holding the canary
        text = json.dumps(cfg, indent=2).replace(f'"apiKey": "{CANARY}"', f'"apiKey": "{CANARY}" oops')
        home.config(text)
        wait_until(lambda: g.status()["reload"]["error"], 10, what="the reload error")
        log = home.path / "logs" / "gateway.log"

        def events() -> list[dict[str, Any]]:
            lines = log.read_text().splitlines()
            return [json.loads(line) for line in lines]  # every line is one JSON object

        wait_until(
            lambda: (
                {"config.rejected"} <= {e["event"] for e in events()}
                and sum(e["event"] == "request" for e in events()) >= 3
            ),
            10,
            what="the request and config events in the log",
        )
        for e in events():
            assert {"ts", "level", "event"} <= set(e)
        assert stat.S_IMODE(log.stat().st_mode) == 0o600
        requests = [e for e in events() if e["event"] == "request"]
        assert {(e["status"], e["owner"], e["ref"]) for e in requests} >= {
            (200, None, "openai/gpt-4o"),
            (424, "provider_auth", "canaryco/m"),
            (400, "request", None),
        }
        assert all(
            (e["path"] == "/v1/chat/completions" and e["call_id"]) or e["status"] == 400 for e in requests
        )
        res = gcli(home, "logs", "--json", "--limit", "100")
        assert res.returncode == 0
        printed = [json.loads(line) for line in res.stdout.splitlines()]
        # the gateway's own log, in order, merged with the executor's record of every call (`event: call`)
        assert [e["event"] for e in printed if e["event"] != "call"] == [e["event"] for e in events()][-100:]
        assert {e["ref"] for e in printed if e["event"] == "call"} >= {"openai/gpt-4o", "canaryco/m"}
        assert any(e["event"] == "request" and e["status"] == 424 for e in printed)
        human = gcli(home, "logs", "--limit", "5")
        assert human.returncode == 0 and "config.rejected" in human.stdout
    finally:
        g.stop()
    everything = log.read_text() + g.output()
    everything += gcli(home, "logs", "--json", "--limit", "1000").stdout
    assert CANARY not in everything
    assert TOKEN not in everything
    assert GROQ_WRONG_KEY not in everything


def test_start_does_not_mistake_another_gateway_for_its_own(
    gcli: Any, emulator: EmulatorThread, tmp_path: Path
) -> None:
    """Home B's config names the port home A's gateway already listens on: `gateway start` from B must fail
    (its own process cannot bind), not report A's gateway as started."""
    a = make_home(tmp_path, "home-a")
    a.config(base_config(emulator))
    a.dotenv(base_dotenv())
    g = spawn_gateway(a, token=TOKEN)
    try:
        b = make_home(tmp_path, "home-b")
        b.config({"gateway": {"port": g.port}})
        res = gcli(b, "gateway", "start", "--json")
        assert res.returncode != 0, res.stdout
        err = json.loads(res.stdout)["error"]
        assert err["code"] == "gateway.config_mismatch" and "another CLAWGATE_HOME" in err["message"]
        assert not (b.path / "run" / "gateway.json").exists()
        assert g.proc.poll() is None  # A is untouched
    finally:
        g.stop()


@pytest.mark.parametrize("verb", ["start", "restart"])
def test_the_fix_suggested_for_a_port_held_by_another_home_works(
    verb: str, emulator: EmulatorThread, tmp_path: Path
) -> None:
    """Issue 15: home A's gateway runs on a port; home B's CLI (configured for that port) is asked to
    start/restart its gateway. It fails with next commands which, run as printed in a shell, end with B's own
    gateway serving (on a free port) and A untouched. Both are stopped by their handles."""
    from tests.support.terminal import Terminal

    from clawgate.diagnose.commands import is_runnable

    a = make_home(tmp_path, "home-a")
    a.config(base_config(emulator))
    a.dotenv(base_dotenv())
    g = spawn_gateway(a, token=TOKEN)
    b = make_home(tmp_path, "home-b")
    b.config({**base_config(emulator), "gateway": {"port": g.port}})
    b.dotenv(base_dotenv())
    term = Terminal(b.env(), b.path.parent, tmp_path / "terminal")
    b_pid: int | None = None
    try:
        res = term.clawgate("gateway", verb, "--json") if verb == "start" else term.clawgate("gateway", verb)
        assert res.code != 0
        if verb == "start":
            steps = json.loads(res.out)["error"]["next"]
        else:
            steps = [line.split("next: ", 1)[1] for line in res.err.splitlines() if "next: " in line]
        assert steps and all(is_runnable(s) for s in steps), steps
        for step in steps:
            ran = term.run(step)
            assert ran.code == 0, (step, ran.out, ran.err)
        pidfile = json.loads((b.path / "run" / "gateway.json").read_text())
        b_pid = int(pidfile["pid"])
        b_url = pidfile["url"].replace("0.0.0.0", "127.0.0.1")
        assert b_url != g.url
        health = httpx.get(b_url + "/healthz", timeout=5).json()
        ours = httpx.get(g.url + "/healthz", timeout=5).json()
        assert health["home_id"] != ours["home_id"]  # B serves from its own home, A from its own
        assert g.proc.poll() is None
        st = term.clawgate("gateway", "status", "--json")
        assert st.code == 0 and json.loads(st.out)["gateway"]["pid"] == b_pid
        assert term.clawgate("gateway", "stop", "--json").code == 0
        b_pid = None
    finally:
        if b_pid is not None:
            try:
                os.kill(b_pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        g.stop()
