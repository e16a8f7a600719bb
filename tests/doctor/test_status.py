"""Issue 5, item 5: `status --all` holds no secret and fits a screen for 3 agents and 5 providers."""

from __future__ import annotations

import json
import time

from tests.calls.conftest import BY_ID, call, chat, runtime, wire_home

CANARY = "CANARY7f3e9a1b2c"


def test_status_all_has_no_secret_and_fits_a_screen(home, emu, cli):
    keys = {
        "OPENROUTER_API_KEY": f"sk-or-v1-test-{CANARY}-000000000001",
        "GROQ_API_KEY": f"gsk_test{CANARY}00000000000000001",
        "OPENAI_API_KEY": f"sk-test-{CANARY}-openai-0000000001",
        "DEEPSEEK_API_KEY": f"sk-test-{CANARY}-deepseek-000000001",
        "ANTHROPIC_API_KEY": f"sk-ant-api03-test-{CANARY}-0000001",
    }
    wire_home(
        home,
        emu,
        keys=keys,
        extra={
            "agents": {
                "defaults": {
                    "model": {
                        "primary": "openrouter/moonshotai/kimi-k2.5",
                        "fallbacks": ["groq/llama-3.3-70b-versatile"],
                    }
                },
                "list": [
                    {"id": "main", "default": True},
                    {"id": "coder", "model": "deepseek/deepseek-chat"},
                    {
                        "id": "writer",
                        "model": {"primary": "anthropic/claude-sonnet-4-5", "fallbacks": ["openai/gpt-4o"]},
                    },
                ],
            }
        },
    )
    # some history: a rejected key (the emulator only knows the real test keys) and a success
    rt = runtime(home, persist=True)
    call(rt, rt.plan("coder"), chat(), emu)
    rt.close()
    res = cli("status", "--all")
    assert res.code == 0, res.err
    assert CANARY not in res.out + res.err
    lines = res.out.rstrip("\n").splitlines()
    assert len(lines) <= 50, "\n".join(lines)
    assert sum(1 for line in lines if line.startswith("agent ")) == 3
    assert sum(1 for line in lines if line.startswith("provider ")) == 5
    assert "deepseek" in res.out and "rejected" in res.out  # the rejected key shows with its first failure
    data = json.loads(cli("status", "--all", "--json").out)
    assert CANARY not in json.dumps(data)
    prov = {p["id"]: p for p in data["providers"]}
    assert prov["deepseek"]["health"]["state"] == "rejected"
    assert prov["deepseek"]["health"]["first_failure"]["status"] == 401
    assert data["failures_last_hour"] == {"provider_auth": 2}  # deepseek, then the groq fallback
    assert {a["id"] for a in data["agents"]} == {"main", "coder", "writer"}
    assert BY_ID["openai"].key not in res.out


def test_status_of_a_fresh_home_names_the_missing_model_and_the_command(home, cli):
    res = cli("status")
    assert res.code == 0, res.err
    agent = next(line for line in res.out.splitlines() if line.startswith("agent "))
    assert "None" not in agent, agent
    assert "no model" in agent and "clawgate config set agents.defaults.model.primary" in agent, agent


def _record_failure(home, code: str, model: str, at: float, status: int | None = None) -> None:
    """What the executor does on a failure of `model` at time `at`: the health registry's own record, written
    through the home's real SQLite store."""
    from clawgate.call.health import HealthRegistry
    from clawgate.failures import failure
    from clawgate.redaction import fingerprint
    from clawgate.store import open_store

    store = open_store(str(home.path / "state.db"))
    try:
        reg = HealthRegistry(store, clock=lambda: at)
        fail = failure(code, "emulated failure", provider="openai", model=model, status=status)
        assert reg.on_failure(fail, fingerprint(BY_ID["openai"].key), model) is not None
        store.flush()
    finally:
        store.close()


def _openai(cli) -> tuple[dict, str]:
    data = json.loads(cli("status", "--json").out)
    health = {p["id"]: p["health"] for p in data["providers"]}["openai"]
    line = next(ln for ln in cli("status").out.splitlines() if ln.startswith("provider  openai"))
    return health, line


def test_status_shows_the_executors_verdict_not_an_ended_or_other_models_window(home, emu, cli):
    """F1: a failure of another model, whose window has ended, refuses nothing: status says ok and shows it as
    the last failure with its model — not `cooling` for the provider."""
    wire_home(home, emu, model={"primary": "openai/gpt-4o"})
    _record_failure(home, "upstream.server_error", "fault-server_error", time.time() - 40, status=500)
    health, line = _openai(cli)
    assert health["state"] == "ok", health
    last = health["last_failure"]
    assert last["model"] == "fault-server_error" and last["state"] == "cooling", last
    assert last["until"] < time.time() and last["first_failure"]["code"] == "upstream.server_error"
    assert "cooling since" not in line and " ok " in line + " ", line
    assert "on fault-server_error" in line and "cooling ended" in line, line


def test_status_shows_a_refusal_of_a_model_the_agent_uses_with_that_model(home, emu, cli):
    """A window still open on the agent's own model is what the executor refuses: status says so, with the
    model, and a network failure's missing HTTP status is left out (not `None`)."""
    wire_home(home, emu, model={"primary": "openai/gpt-4o"})
    _record_failure(home, "network.connect", "gpt-4o", time.time())
    health, line = _openai(cli)
    assert health["state"] == "cooling" and health["model"] == "gpt-4o", health
    assert health["until"] > time.time()
    assert "cooling on gpt-4o since" in line and "(first: network network.connect:" in line, line
    assert "None" not in line, line
