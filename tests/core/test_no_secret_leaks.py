"""Every command, fed a canary key through every source, never prints it (issue 2, item 4)."""

from __future__ import annotations

import json

CANARY = "sk-test-CANARY-9f8e7d6c5b4a39281706f5e4d3c2b1a0"
CANARY_CORE = "CANARY-9f8e7d6c5b4a"
GROQ_CANARY = "gsk_testCANARYgroq000000000000001"


def _no_canary(res) -> None:
    blob = res.out + res.err
    assert CANARY_CORE not in blob, blob
    assert "CANARYgroq000000000" not in blob, blob


def test_every_command_hides_the_canary(home, cli, monkeypatch):
    home.config(
        {
            "env": {"vars": {"DEEPSEEK_API_KEY": CANARY}},
            "models": {
                "providers": {
                    "openai": {"apiKey": CANARY},
                    "custom": {
                        "baseUrl": "https://llm.example/v1",
                        "headers": {"Authorization": f"Bearer {CANARY}"},
                        "models": [{"id": "m1"}],
                    },
                }
            },
            "agents": {
                "defaults": {
                    "model": {
                        "primary": "openai/gpt-4o",
                        "fallbacks": ["groq/llama-3.3-70b-versatile", "custom/m1", "deepseek/deepseek-chat"],
                    }
                }
            },
            "gateway": {"auth": {"mode": "token", "token": CANARY}},
        }
    )
    home.dotenv(f"GROQ_API_KEY={GROQ_CANARY}\nOPENROUTER_API_KEY= {CANARY}\n")
    home.dotenv(f"ANTHROPIC_API_KEY='\"{CANARY}\"'\n", cwd=True)
    monkeypatch.setenv("MOONSHOT_API_KEY", CANARY + " ")
    home.profiles(
        "main",
        {
            "version": 1,
            "profiles": {
                "openrouter:default": {"type": "api_key", "provider": "openrouter", "key": CANARY},
                "groq:bad": {"type": "api_key", "provider": "groq", "apiKey": CANARY},
            },
        },
    )
    commands = [
        ["config", "get"],
        ["config", "get", "--json"],
        ["config", "get", "models.providers.openai.apiKey"],
        ["config", "get", "models.providers.custom.headers", "--json"],
        ["config", "get", "env", "--json"],
        ["config", "path"],
        ["config", "validate"],
        ["models", "list", "--all"],
        ["models", "list", "--json"],
        ["models", "status"],
        ["models", "status", "--json"],
        ["models", "status", "--all-agents", "--json"],
        ["auth", "list"],
        ["auth", "list", "--json"],
        ["env"],
        ["env", "--all", "--json"],
        ["secrets", "audit"],
        ["secrets", "audit", "--json", "--check"],
        ["doctor"],
        ["doctor", "--json"],
        ["config", "set", "models.providers.groq.apiKey", CANARY],
        ["config", "set", "models.providers.groq.apiKey", CANARY, "--json"],
        ["config", "unset", "models.providers.groq.apiKey"],
    ]
    for args in commands:
        res = cli(*args)
        assert res.code in (0, 1), (args, res.err)
        _no_canary(res)
    for key_input in (CANARY, f"Bearer {CANARY}", f'"{CANARY}"', f"{CANARY} extra"):
        res = cli("auth", "add", "openrouter", "--profile", "openrouter:canary", input=key_input)
        _no_canary(res)
        res = cli("auth", "add", "openrouter", "--profile", "openrouter:canary", "--json", input=key_input)
        _no_canary(res)
    res = cli("auth", "remove", "openrouter:canary")
    _no_canary(res)
    # an invalid config that contains the canary: the error must not echo it
    (home.path / "clawgate.json").write_text(
        json.dumps({"models": {"providers": {"openai": {"apiKey": CANARY, "bad": 1}}}})
    )
    for args in (["config", "validate"], ["doctor", "--json"], ["models", "status"]):
        res = cli(*args)
        _no_canary(res)
    # logs and crash reports written under the home never contain it either
    for path in home.path.rglob("*.log"):
        assert CANARY_CORE not in path.read_text(errors="replace")
