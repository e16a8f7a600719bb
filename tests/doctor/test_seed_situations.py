"""Issue 5, item 1: each distinct failure in the five seeds, built for real, diagnosed by one `doctor --json`
run — the right code first among the error/warn findings — and the repaired setup yields no error.
Item 2: `doctor --fix` repairs the fixable ones and a second run is clean."""

from __future__ import annotations

import json

from tests.calls.conftest import BY_ID, call, chat, runtime, wire_home
from tests.doctor.conftest import running_gateway

OR = BY_ID["openrouter"]
GROQ = BY_ID["groq"]
QWEN = BY_ID["qwen"]
STALE_OR = "sk-or-v1-test-stale-0000000000000000000009"
STALE_GROQ = "gsk_teststale00000000000000000000000009"


def doctor(cli, *args):
    res = cli("doctor", "--json", *args)
    data = json.loads(res.out)
    serious = [f for f in data["findings"] if f["severity"] in ("error", "warn")]
    return res, data, serious


def first(cli, *args) -> str:
    _, _, serious = doctor(cli, *args)
    assert serious, "doctor found nothing"
    return serious[0]["code"]


def no_errors(cli, *args) -> None:
    res, data, _ = doctor(cli, *args)
    errors = [f for f in data["findings"] if f["severity"] == "error"]
    assert not errors and res.code == 0, errors


def healthy_or_home(home, emu, **extra):
    wire_home(
        home,
        emu,
        keys={OR.env: OR.key, GROQ.env: GROQ.key},
        model={"primary": "openrouter/moonshotai/kimi-k2.5", "fallbacks": ["groq/llama-3.3-70b-versatile"]},
        **extra,
    )


# --- seed 000: a "valid" DashScope key rejected with 401 ------------------------------------------------


def test_seed000_region_mismatch(home, emu, cli):
    home.config(
        {
            "models": {"providers": {"qwen": {"baseUrl": emu.base_url("dashscope", "cn")}}},
            "agents": {"defaults": {"model": "qwen/qwen-plus"}},
        }
    )
    home.dotenv(f"DASHSCOPE_API_KEY={QWEN.key}\n")  # an International key, sent to the China host
    res, _data, serious = doctor(cli, "--probe")
    assert res.code == 1 and serious[0]["code"] == "auth.region_mismatch", serious
    assert "region" in serious[0]["message"]
    home.config(
        {
            "models": {"providers": {"qwen": {"baseUrl": emu.base_url("dashscope", "intl")}}},
            "agents": {"defaults": {"model": "qwen/qwen-plus"}},
        }
    )
    no_errors(cli, "--probe")


def test_seed000_key_with_stray_characters(home, emu, cli):
    home.config(
        {
            "models": {"providers": {"qwen": {"baseUrl": emu.base_url("dashscope", "intl")}}},
            "agents": {"defaults": {"model": "qwen/qwen-plus"}},
        }
    )
    home.dotenv(f'DASHSCOPE_API_KEY="{QWEN.key[:8]} {QWEN.key[8:]}"\n')
    assert first(cli) == "auth.key_malformed"
    home.dotenv(f"DASHSCOPE_API_KEY={QWEN.key}\n")
    no_errors(cli, "--probe")


# --- seed 001: Token Plan without GET /models; a key only the daemon had ------------------------------------


def test_seed001_provider_without_models_endpoint(home, emu, cli):
    home.config(
        {
            "models": {
                "providers": {
                    "alibaba-token-plan": {
                        "baseUrl": emu.base_url("dashscope", "coding-intl"),
                        "apiKey": "${ALIBABA_TOKEN_PLAN_API_KEY}",
                        "api": "openai-completions",
                    }
                }
            },
            "agents": {"defaults": {"model": "alibaba-token-plan/qwen3.6-plus"}},
        }
    )
    home.dotenv("ALIBABA_TOKEN_PLAN_API_KEY=sk-sp-test-token-plan-000000001\n")
    assert first(cli) == "model.no_catalog"
    cli(
        "config",
        "set",
        "models.providers.alibaba-token-plan.models",
        '[{id: "qwen3.6-plus", contextWindow: 1000000}]',
    )
    no_errors(cli, "--probe")
    # and no path ever asked the provider for GET /models
    assert not [r for r in emu.requests if r.path.endswith("/models")]


def test_seed001_reference_to_a_variable_clawgate_cannot_see(home, emu, cli):
    home.config(
        {
            "models": {
                "providers": {
                    "alibaba-token-plan": {
                        "baseUrl": emu.base_url("dashscope", "coding-intl"),
                        "apiKey": "${ALIBABA_CLOUD_API_KEY}",
                        "models": [{"id": "qwen3.6-plus"}],
                    }
                }
            },
            "agents": {"defaults": {"model": "alibaba-token-plan/qwen3.6-plus"}},
        }
    )
    assert first(cli) == "env.unresolved_ref"
    home.dotenv("ALIBABA_CLOUD_API_KEY=sk-sp-test-token-plan-000000001\n")
    no_errors(cli, "--probe")


# --- seed 002: TUI 401 "Missing Authentication header" ---------------------------------------------------


def test_seed002_cli_and_gateway_use_different_homes(home, emu, cli, tmp_path, monkeypatch):
    healthy_or_home(home, emu)
    other = tmp_path / "other-home"
    other.mkdir(mode=0o700)
    with running_gateway(home) as url:
        monkeypatch.setenv("CLAWGATE_GATEWAY_URL", url)
        monkeypatch.setenv("CLAWGATE_HOME", str(other))
        (other / "clawgate.json").write_text(
            json.dumps({"agents": {"defaults": {"model": "ollama/llama3.2"}}})
        )
        assert first(cli) == "gateway.config_mismatch"
        monkeypatch.setenv("CLAWGATE_HOME", str(home.path))
        no_errors(cli)


def test_seed002_key_only_in_the_shell_not_in_the_gateway(home, emu, cli, monkeypatch):
    wire_home(
        home,
        emu,
        keys={GROQ.env: GROQ.key},
        model={"primary": "openrouter/moonshotai/kimi-k2.5", "fallbacks": ["groq/llama-3.3-70b-versatile"]},
    )
    with running_gateway(home) as url:  # started without OPENROUTER_API_KEY anywhere it reads
        monkeypatch.setenv("CLAWGATE_GATEWAY_URL", url)
        monkeypatch.setenv(OR.env, OR.key)  # the user's shell has it
        assert first(cli) == "env.shell_only"
        healthy_or_home(home, emu)  # the fix: put it in ~/.clawgate/.env (the gateway reloads by itself)
        monkeypatch.delenv(OR.env)
        import time

        from tests.support.timing import limit

        deadline = time.monotonic() + limit(10)
        while True:
            _res, data, _ = doctor(cli)
            if not [f for f in data["findings"] if f["severity"] == "error"] or time.monotonic() > deadline:
                break
            time.sleep(0.2)  # polling the gateway's hot reload, bounded by the deadline
        no_errors(cli)


# --- seed 003: per-agent override, stale profile, duplicate .env line, plaintext keys, 401 everywhere -------


def test_seed003_agent_override_shadows_default(home, emu, cli):
    healthy_or_home(home, emu)
    cli("config", "set", "agents.list", '[{id: "main", model: "groq/llama-3.3-70b-versatile"}]')
    cli("config", "set", "agents.defaults.model.primary", "openrouter/moonshotai/kimi-k2.5")
    res, data, serious = doctor(cli)
    assert serious[0]["code"] == "model.override_shadows_default" and res.code == 0
    fixed = cli("doctor", "--fix", "--yes", "--json")
    assert json.loads(fixed.out)["fixes_applied"]
    _, data, serious = doctor(cli)
    assert not serious and data["ok"]


def test_seed003_stale_profile_shadows_valid_env_key(home, emu, cli):
    healthy_or_home(home, emu)
    home.profiles(
        "main",
        {
            "version": 1,
            "profiles": {
                "openrouter:default": {"type": "api_key", "provider": "openrouter", "key": STALE_OR}
            },
        },
    )
    assert first(cli) == "auth.shadowed_credential"  # offline: a different key shadows the env one
    res, data, serious = doctor(cli, "--probe")
    assert res.code == 1 and serious[0]["code"] == "auth.rejected"
    assert "profile:openrouter:default" in serious[0]["message"]
    fixed = json.loads(cli("doctor", "--fix", "--yes", "--json").out)
    assert any("remove profile openrouter:default" in f["description"] for f in fixed["fixes_applied"])
    _, data, serious = doctor(cli, "--probe")
    assert not serious and data["ok"]


def test_seed003_variable_defined_twice(home, emu, cli):
    healthy_or_home(home, emu)
    home.dotenv(f"{OR.env}={STALE_OR}\n{GROQ.env}={GROQ.key}\n{OR.env}={OR.key}\n")
    assert first(cli) == "env.duplicate_definition"
    cli("doctor", "--fix", "--yes")
    _, _data, serious = doctor(cli)
    assert not serious
    assert (home.path / ".env").read_text().count(OR.env) == 1 and OR.key in (home.path / ".env").read_text()


def test_seed003_plaintext_key_in_config(home, emu, cli):
    wire_home(home, emu, keys={GROQ.env: GROQ.key}, model="openrouter/moonshotai/kimi-k2.5")
    cli("config", "set", "models.providers.openrouter.apiKey", OR.key)
    assert first(cli) == "config.plaintext_secret"
    cli("doctor", "--fix", "--yes")
    _, _data, serious = doctor(cli, "--probe")
    assert not serious, serious
    assert OR.key not in (home.path / "clawgate.json").read_text()
    assert f"{OR.env}={OR.key}" in (home.path / ".env").read_text()


def test_seed003_every_provider_rejects(home, emu, cli):
    healthy_or_home(home, emu)
    home.profiles(
        "main",
        {
            "version": 1,
            "profiles": {
                "openrouter:default": {"type": "api_key", "provider": "openrouter", "key": STALE_OR},
                "groq:default": {"type": "api_key", "provider": "groq", "key": STALE_GROQ},
            },
        },
    )
    _res, _data, serious = doctor(cli, "--probe")
    assert serious[0]["code"] == "auth.all_providers_rejected", [f["code"] for f in serious]
    assert "stored profile" in serious[0]["message"]
    cli("doctor", "--fix", "--yes")
    no_errors(cli, "--probe")


# --- seed 004: which layer gave the first error ------------------------------------------------------------


def test_seed004_no_api_key_for_provider(home, emu, cli):
    wire_home(home, emu, keys={}, model="anthropic/claude-sonnet-4-5")
    assert first(cli) == "auth.missing_credential"
    home.dotenv(f"ANTHROPIC_API_KEY={BY_ID['anthropic'].key}\n")
    no_errors(cli, "--probe")


def test_seed004_gateway_token_mismatch(home, emu, cli, monkeypatch):
    healthy_or_home(home, emu)
    with (home.path / ".env").open("a") as fh:
        fh.write("CLAWGATE_GATEWAY_TOKEN=gw-test-token-current-0001\n")
    with running_gateway(home) as url:
        monkeypatch.setenv("CLAWGATE_GATEWAY_URL", url)
        monkeypatch.setenv("CLAWGATE_GATEWAY_TOKEN", "gw-test-token-stale-0009")  # an old export in the shell
        assert first(cli) == "gateway.token_mismatch"
        monkeypatch.delenv("CLAWGATE_GATEWAY_TOKEN")
        no_errors(cli)


def test_seed004_cooldown_shows_the_first_failure(home, emu, cli):
    """ "all in cooldown": the first failure (a 401) comes first, not the cooldown it caused."""
    healthy_or_home(home, emu)
    home.dotenv(f"{OR.env}={STALE_OR}\n{GROQ.env}={GROQ.key}\n")
    rt = runtime(home, persist=True)
    done = call(rt, rt.plan(), chat(), emu)  # openrouter rejects, groq serves
    rt.close()
    assert done.outcome.ok
    _, _data, serious = doctor(cli)
    assert serious[0]["code"] == "auth.rejected"
    assert "first failure" in serious[0]["message"] and "401" in serious[0]["message"]
    home.dotenv(f"{OR.env}={OR.key}\n{GROQ.env}={GROQ.key}\n")
    no_errors(cli)


def test_seed004_container_env_overrides_the_file(home, emu, cli, monkeypatch):
    healthy_or_home(home, emu)
    monkeypatch.setenv(OR.env, STALE_OR)  # e.g. docker-compose's environment
    assert first(cli) == "env.process_override"
    monkeypatch.delenv(OR.env)
    _, _data, serious = doctor(cli)
    assert not serious
