"""A network failure in doctor: its cooldown keeps the failure's owner, a failure whose cooldown has ended is still
reported (with when and what), and the next step is the command that can find it — never a circular one."""

from __future__ import annotations

import json
import socket
import time

from tests.calls.conftest import BY_ID, wire_home

from clawgate.call.health import HealthRegistry
from clawgate.failures import failure
from clawgate.redaction import fingerprint
from clawgate.store import open_store

PROBE = "clawgate models status --probe --probe-provider openai"


def _closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def _connect_failure(home, at: float) -> None:
    """What the executor records when openai refuses the connection at time `at` (the real registry and store)."""
    store = open_store(str(home.path / "state.db"))
    try:
        reg = HealthRegistry(store, clock=lambda: at)
        fail = failure("network.connect", "openai (127.0.0.1) refused the connection", provider="openai")
        assert reg.on_failure(fail, fingerprint(BY_ID["openai"].key), "gpt-4o") is not None
        store.flush()
    finally:
        store.close()


def _doctor(cli, *args: str) -> list[dict]:
    res = cli("doctor", "--json", "--no-gateway", *args)
    return json.loads(res.out)["findings"]


def _about_openai(findings: list[dict], code: str) -> list[dict]:
    return [f for f in findings if f["code"] == code and f["subject"].get("provider") == "openai"]


def test_a_cooldown_keeps_the_owner_of_the_network_failure_that_started_it(home, emu, cli):
    wire_home(home, emu, model="openai/gpt-4o")
    _connect_failure(home, time.time())
    [f] = _about_openai(_doctor(cli), "health.cooling")
    assert f["owner"] == "network", f
    assert f["evidence"]["first_failure"]["code"] == "network.connect"
    assert f["next"] == [f"{PROBE} --agent main"], f
    assert "None" not in f["message"], f["message"]


def test_a_network_failure_whose_cooldown_ended_is_still_reported_then_forgotten(home, emu, cli):
    wire_home(home, emu, model="openai/gpt-4o")
    _connect_failure(home, time.time() - 60)  # its 2 s window ended long ago
    findings = _doctor(cli)
    assert not _about_openai(findings, "health.cooling")
    [f] = _about_openai(findings, "health.recent_failure")
    assert (f["severity"], f["owner"]) == ("warn", "network"), f
    assert "network.connect" in f["message"] and "ago" in f["message"], f["message"]
    assert f["next"] == [f"{PROBE} --agent main"], f
    # an hour-old failure is history, not a finding
    home.path.joinpath("state.db").unlink()
    for extra in ("-wal", "-shm"):
        home.path.joinpath("state.db" + extra).unlink(missing_ok=True)
    _connect_failure(home, time.time() - 3600)
    assert not _about_openai(_doctor(cli), "health.recent_failure")


def test_the_probe_finds_an_unreachable_provider_and_does_not_send_you_back_to_doctor(home, emu, cli):
    wire_home(home, emu, model="openai/gpt-4o")
    cfg = json.loads((home.path / "clawgate.json").read_text())
    cfg["models"]["providers"]["openai"]["baseUrl"] = f"http://127.0.0.1:{_closed_port()}/v1"
    home.config(cfg)
    [f] = _about_openai(_doctor(cli, "--probe"), "provider.unreachable")
    assert f["owner"] == "network", f
    assert f["next"] and not any(n.startswith("clawgate doctor") or "--probe" in n for n in f["next"]), f
    assert "clawgate config get models.providers.openai.baseUrl" in f["next"], f
    assert PROBE in (f["hint"] or ""), f  # the check once it is fixed


def test_models_status_probe_says_a_retried_failure_once_and_health_list_shows_no_none(home, emu, cli):
    """F4: one ✗ line for one credential however often it was retried ("(3 tries)"), no circular next step,
    and a network failure (no HTTP status) is not `network None network.connect`."""
    wire_home(home, emu, model="openai/gpt-4o")
    cfg = json.loads((home.path / "clawgate.json").read_text())
    cfg["models"]["providers"]["openai"]["baseUrl"] = f"http://127.0.0.1:{_closed_port()}/v1"
    home.config(cfg)
    res = cli("models", "status", "--probe", "--probe-provider", "openai")
    crosses = [ln for ln in res.out.splitlines() if "✗" in ln]
    assert len(crosses) == 1, res.out
    assert "network.connect (3 tries)" in crosses[0], crosses[0]
    nexts = [ln.strip() for ln in res.out.splitlines() if ln.strip().startswith("next:")]
    assert nexts and not any("--probe" in n for n in nexts), nexts
    listed = cli("health", "list").out
    assert "network.connect" in listed and "None" not in listed, listed
