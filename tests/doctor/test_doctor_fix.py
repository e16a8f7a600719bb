"""Issue 5, item 2: `doctor --fix` repairs the fixable seed situations (after showing them, with a backup) and
a second run is clean."""

from __future__ import annotations

import json

from tests.calls.conftest import BY_ID, wire_home

OR = BY_ID["openrouter"]
GROQ = BY_ID["groq"]
STALE_OR = "sk-or-v1-test-stale-0000000000000000000009"
STALE_GROQ = "gsk_teststale00000000000000000000000009"


def doctor(cli, *args):
    res = cli("doctor", "--json", "--no-gateway", *args)
    data = json.loads(res.out)
    return res, data, [f for f in data["findings"] if f["severity"] in ("error", "warn")]


def healthy(home, emu):
    wire_home(
        home,
        emu,
        keys={OR.env: OR.key, GROQ.env: GROQ.key},
        model={"primary": "openrouter/moonshotai/kimi-k2.5", "fallbacks": ["groq/llama-3.3-70b-versatile"]},
    )


def profiles(home, **keys):
    home.profiles(
        "main",
        {
            "version": 1,
            "profiles": {
                f"{p}:default": {"type": "api_key", "provider": p, "key": k} for p, k in keys.items()
            },
        },
    )


def test_fix_agent_override(home, emu, cli):
    healthy(home, emu)
    cli("config", "set", "agents.list", '[{id: "main", model: "groq/llama-3.3-70b-versatile"}]')
    fixed = json.loads(cli("doctor", "--fix", "--yes", "--json", "--no-gateway").out)
    assert fixed["fixes_applied"]
    _, data, serious = doctor(cli)
    assert not serious and data["ok"]


def test_fix_stale_profile(home, emu, cli):
    healthy(home, emu)
    profiles(home, openrouter=STALE_OR)
    res, _, serious = doctor(cli, "--probe")
    assert res.code == 1 and serious[0]["code"] == "auth.rejected"
    fixed = json.loads(cli("doctor", "--fix", "--yes", "--json", "--no-gateway").out)
    assert any("remove profile openrouter:default" in f["description"] for f in fixed["fixes_applied"])
    _, data, serious = doctor(cli, "--probe")
    assert not serious and data["ok"]


def test_fix_duplicate_line(home, emu, cli):
    healthy(home, emu)
    home.dotenv(f"{OR.env}={STALE_OR}\n{GROQ.env}={GROQ.key}\n{OR.env}={OR.key}\n")
    cli("doctor", "--fix", "--yes", "--no-gateway")
    _, _, serious = doctor(cli)
    assert not serious
    text = (home.path / ".env").read_text()
    assert text.count(OR.env) == 1 and OR.key in text


def test_fix_plaintext_key(home, emu, cli):
    wire_home(home, emu, keys={GROQ.env: GROQ.key}, model="openrouter/moonshotai/kimi-k2.5")
    cli("config", "set", "models.providers.openrouter.apiKey", OR.key)
    cli("doctor", "--fix", "--yes", "--no-gateway")
    _, _, serious = doctor(cli, "--probe")
    assert not serious, serious
    assert OR.key not in (home.path / "clawgate.json").read_text()
    assert f"{OR.env}={OR.key}" in (home.path / ".env").read_text()


def test_fix_every_provider_rejects(home, emu, cli):
    healthy(home, emu)
    profiles(home, openrouter=STALE_OR, groq=STALE_GROQ)
    _, _, serious = doctor(cli, "--probe")
    assert serious[0]["code"] == "auth.all_providers_rejected"
    cli("doctor", "--fix", "--yes", "--no-gateway")
    res, _, serious = doctor(cli, "--probe")
    assert res.code == 0 and not [f for f in serious if f["severity"] == "error"]
