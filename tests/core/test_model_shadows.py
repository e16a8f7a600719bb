"""An agent's own model or fallback list beating the default one: every command that writes the defaults says
so (the one check of plan/shadows.py), and `models status` and doctor show the fallbacks' provenance too."""

from __future__ import annotations

import json
import shlex

OPENAI_KEY = "sk-test-openai-shadow-000000000000000000001"
GROQ = "groq/llama-3.3-70b-versatile"


def _agents(home, *entries: dict, defaults: dict | None = None) -> None:
    home.config({"agents": {"defaults": {"model": defaults or {}}, "list": list(entries)}})
    home.dotenv(f"OPENAI_API_KEY={OPENAI_KEY}\n")


def test_models_set_warns_when_an_agent_overrides_the_default(home, cli):
    _agents(home, {"id": "main", "model": "openrouter/moonshotai/kimi-k2.5"})
    res = cli("models", "set", "openai/gpt-4o-mini", "--json")
    assert res.code == 0, res.err
    (w,) = res.json()["shadowed"]
    assert w["agent"] == "main"
    assert w["winner"] == {"from": "agents.list[0].model", "ref": "openrouter/moonshotai/kimi-k2.5"}
    assert w["next"][0] == "clawgate config unset 'agents.list[0].model'"
    human = cli("models", "set", "openai/gpt-4o-mini")
    assert "shadowed for agent main" in human.out
    assert "next: clawgate config unset 'agents.list[0].model'" in human.out
    # the same words as `config set` of the same key: one check
    same = cli("config", "set", "agents.defaults.model.primary", "openai/gpt-4o-mini", "--json").json()
    assert [x["message"] for x in same["warnings"]] == [w["message"]]


def test_models_set_is_quiet_when_nothing_overrides(home, cli):
    _agents(home, {"id": "main"})
    res = cli("models", "set", "openai/gpt-4o-mini", "--json")
    assert res.code == 0 and res.json()["shadowed"] == []
    assert "shadowed" not in cli("models", "set", "openai/gpt-4o").out


def test_fallbacks_commands_warn_when_an_agent_has_its_own_list(home, cli):
    _agents(home, {"id": "main", "model": {"fallbacks": []}}, defaults={"primary": "openai/gpt-4o"})
    res = cli("models", "fallbacks", "add", GROQ, "--json")
    assert res.code == 0, res.err
    (w,) = res.json()["shadowed"]
    assert w["winner"] == {"from": "agents.list[0].model.fallbacks", "refs": []}
    assert "clawgate config unset 'agents.list[0].model.fallbacks'" in w["next"]
    # the printed `config set` runs as printed: its value is the default list, quoted for the shell
    argv = shlex.split(w["next"][1])
    assert argv[:4] == ["clawgate", "config", "set", "agents.list[0].model.fallbacks"]
    assert json.loads(argv[4]) == [GROQ]
    human = cli("models", "fallbacks", "add", "openai/gpt-4o-mini")
    assert "agents.defaults.model.fallbacks is shadowed for agent main" in human.out
    removed = cli("models", "fallbacks", "remove", "openai/gpt-4o-mini", "--json").json()
    assert removed["shadowed"] and removed["shadowed"][0]["agent"] == "main"
    # a default list equal to the agent's shadows nothing
    assert cli("models", "fallbacks", "clear", "--json").json()["shadowed"] == []


def test_agent_empty_fallbacks_shadow_the_default_ones_in_status_and_doctor(home, cli):
    _agents(
        home,
        {"id": "main"},
        {"id": "coder", "model": {"primary": "openai/gpt-4o-mini"}},
        defaults={"primary": "openai/gpt-4o", "fallbacks": [GROQ]},
    )
    # the state doctor's own next step for the primary leads to
    assert cli("config", "unset", "agents.list[1].model.primary").code == 0
    assert cli("config", "set", "agents.list[1].model", "{fallbacks: []}").code == 0
    data = cli("models", "status", "--agent", "coder", "--json").json()
    model = data["model"]
    assert model["fallbacks_from"] == "agents.list[1].model.fallbacks"
    assert model["fallback_shadows"] == [{"from": "agents.defaults.model.fallbacks", "refs": [GROQ]}]
    assert [a["role"] for a in data["attempts"]] == ["primary"]
    human = cli("models", "status", "--agent", "coder").out
    assert "fallbacks [] " in human and f"shadows agents.defaults.model.fallbacks = [{GROQ}]" in human
    # the main agent inherits the default list: it shadows nothing and comes from the defaults
    main = cli("models", "status", "--agent", "main", "--json").json()["model"]
    assert main["fallbacks_from"] == "agents.defaults.model.fallbacks" and main["fallback_shadows"] == []
    doc = cli("doctor", "--json").json()
    over = [f for f in doc["findings"] if f["code"] == "model.override_shadows_default"]
    assert len(over) == 1 and over[0]["subject"]["agent"] == "coder", over
    assert over[0]["evidence"]["winner"] == {"from": "agents.list[1].model.fallbacks", "refs": []}
    assert over[0]["next"] == ["clawgate config unset 'agents.list[1].model.fallbacks'"]
    # following it lets the defaults through
    assert cli("config", "unset", "agents.list[1].model.fallbacks").code == 0
    data = cli("models", "status", "--agent", "coder", "--json").json()
    assert [a["ref"] for a in data["attempts"]] == ["openai/gpt-4o", GROQ]
    assert data["model"]["fallback_shadows"] == []
