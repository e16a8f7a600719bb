"""Each seed situation built in a temporary CLAWGATE_HOME, checked through the real CLI (issue 2, items 2 and 5)."""

from __future__ import annotations

import json

OR_KEY_ENV = "sk-or-v1-test-envkey-0000000000000000000000000000000000000001"
OR_KEY_PROFILE = "sk-or-v1-test-stale-profile-00000000000000000000000000000002"
GROQ_KEY = "gsk_testkey0000000000000000000000000000000000000003"


def codes(result) -> list[str]:
    return [f["code"] for f in result.json()["findings"]]


def finding(result, code: str) -> dict:
    return next(f for f in result.json()["findings"] if f["code"] == code)


def test_trailing_newline_in_dotenv_is_stripped_and_reported(home, cli):
    home.config({"agents": {"defaults": {"model": "openrouter/moonshotai/kimi-k2.5"}}})
    home.dotenv(f'OPENROUTER_API_KEY="{OR_KEY_ENV}\n"\n')
    status = cli("models", "status", "--json")
    assert status.code == 0
    att = status.json()["attempts"][0]
    assert att["status"] == "ok"
    assert att["credential"]["source"] == "env:OPENROUTER_API_KEY"
    assert att["credential"]["origin"].endswith(".env:1")
    issue = att["credential"]["issues"][0]
    assert issue["code"] == "auth.key_malformed" and "trailing newline" in issue["reason"]
    doc = cli("doctor", "--json")
    f = finding(doc, "auth.key_malformed")
    assert f["severity"] == "warn" and "trailing newline" in f["message"]
    assert doc.code == 0


def test_key_wrapped_in_quotes_is_unusable(home, cli):
    home.config({"agents": {"defaults": {"model": "openrouter/moonshotai/kimi-k2.5"}}})
    home.dotenv(f"OPENROUTER_API_KEY='\"{OR_KEY_ENV}\"'\n")
    status = cli("models", "status", "--json")
    att = status.json()["attempts"][0]
    assert att["status"] == "no_credential"
    assert att["credential"]["source"] == "none"
    assert "quotes" in att["credential"]["shadowed"][0]["unusable"]
    assert status.code == 1
    doc = cli("doctor", "--json")
    assert doc.code == 1
    first_error = next(f for f in doc.json()["findings"] if f["severity"] == "error")
    assert first_error["code"] == "auth.key_malformed"
    assert "auth.missing_credential" in codes(doc)


def test_unresolved_reference_is_no_credential_never_ok(home, cli):
    home.config(
        {
            "models": {"providers": {"openrouter": {"apiKey": "${OPENROUTER_API_KEY}"}}},
            "agents": {"defaults": {"model": "openrouter/openrouter/auto"}},
        }
    )
    status = cli("models", "status", "--json")
    data = status.json()
    att = data["attempts"][0]
    assert att["status"] == "no_credential"
    assert att["credential"]["source"] == "none"
    assert next(f["code"] for f in data["findings"]) == "env.unresolved_ref"
    assert status.code == 1
    doc = cli("doctor", "--json")
    assert doc.code == 1
    ordered = codes(doc)
    # the cause (unset variable) comes before the symptom (no credential)
    assert ordered.index("env.unresolved_ref") < ordered.index("auth.missing_credential")
    assert "OPENROUTER_API_KEY" in finding(doc, "env.unresolved_ref")["message"]


def test_variable_only_in_the_shell_of_the_cli_is_not_the_gateway_environment(home, cli, monkeypatch):
    """A value only in this shell's environment is not the gateway service's (`gateway start` and the unit
    give it a defined environment): `models status` shows the service's plan and names the variable."""
    home.config(
        {
            "models": {"providers": {"openrouter": {"apiKey": "${OPENROUTER_API_KEY}"}}},
            "agents": {"defaults": {"model": "openrouter/openrouter/auto"}},
        }
    )
    monkeypatch.setenv("OPENROUTER_API_KEY", OR_KEY_ENV)
    data = cli("models", "status", "--json").json()
    assert data["attempts"][0]["credential"]["source"] == "none"
    assert data["predicts"]["basis"] == "service"
    shell = [f for f in data["findings"] if f["code"] == "env.shell_only"]
    assert shell and shell[0]["severity"] == "error" and "OPENROUTER_API_KEY" in shell[0]["message"]
    assert OR_KEY_ENV not in json.dumps(data)
    # listed in env.passThrough, `gateway start` hands it over: the prediction follows
    cli("config", "set", "env.passThrough", '["OPENROUTER_API_KEY"]')
    att = cli("models", "status", "--json").json()["attempts"][0]
    assert att["credential"]["origin"] == "process environment"


def test_stored_profile_shadows_a_different_env_key(home, cli):
    home.config({"agents": {"defaults": {"model": "openrouter/moonshotai/kimi-k2.5"}}})
    home.dotenv(f"OPENROUTER_API_KEY={OR_KEY_ENV}\n")
    home.profiles(
        "main",
        {
            "version": 1,
            "profiles": {
                "openrouter:default": {"type": "api_key", "provider": "openrouter", "key": OR_KEY_PROFILE}
            },
        },
    )
    data = cli("models", "status", "--json").json()
    cred = data["attempts"][0]["credential"]
    assert cred["source"] == "profile:openrouter:default"
    shadowed = cred["shadowed"][0]
    assert shadowed["source"] == "env:OPENROUTER_API_KEY"
    assert cred["fingerprint"] != shadowed["fingerprint"]
    assert cred["fingerprint"].startswith("sk-or-v1…") and shadowed["fingerprint"].startswith("sk-or-v1…")
    doc = cli("doctor", "--json")
    f = finding(doc, "auth.shadowed_credential")
    assert cred["fingerprint"] in f["message"] and shadowed["fingerprint"] in f["message"]
    assert any("auth remove openrouter:default" in n for n in f["next"])


def test_agent_model_shadows_default_and_config_set_warns(home, cli):
    home.config({"agents": {"list": [{"id": "main", "model": "openrouter/moonshotai/kimi-k2.5"}]}})
    home.dotenv(f"OPENROUTER_API_KEY={OR_KEY_ENV}\nOPENAI_API_KEY=sk-test-openai-000000000000000000001\n")
    res = cli("config", "set", "agents.defaults.model.primary", "openai/gpt-4o", "--json")
    assert res.code == 0
    out = res.json()
    assert out["warnings"], out
    w = out["warnings"][0]
    assert w["winner"] == {"from": "agents.list[0].model", "ref": "openrouter/moonshotai/kimi-k2.5"}
    assert "clawgate config unset 'agents.list[0].model'" in w["next"]
    human = cli("config", "set", "agents.defaults.model.primary", "openai/gpt-4o")
    assert "shadowed" in human.out
    status = cli("models", "status", "--agent", "main", "--json").json()
    assert status["model"]["from"] == "agents.list[0].model"
    assert status["model"]["shadows"] == [{"from": "agents.defaults.model.primary", "ref": "openai/gpt-4o"}]
    doc = cli("doctor", "--json")
    assert "model.override_shadows_default" in codes(doc)
    # unsetting the override lets the default through
    cli("config", "unset", "agents.list[0].model")
    status = cli("models", "status", "--agent", "main", "--json").json()
    model = {k: status["model"][k] for k in ("ref", "from", "shadows")}
    assert model == {"ref": "openai/gpt-4o", "from": "agents.defaults.model.primary", "shadows": []}


def test_static_catalog_without_models_endpoint(home, cli):
    """Seed 001: a Token Plan host with no GET /models works from a static catalog, offline."""
    home.config(
        {
            "models": {
                "providers": {
                    "alibaba-token-plan": {
                        "baseUrl": "https://token-plan.ap-southeast-1.maas.aliyuncs.com/compatible-mode/v1",
                        "apiKey": "${ALIBABA_TOKEN_PLAN_API_KEY}",
                        "api": "openai-completions",
                        "models": [{"id": "qwen3.6-plus", "contextWindow": 1000000, "maxTokens": 65536}],
                    }
                }
            },
            "agents": {"defaults": {"model": "alibaba-token-plan/qwen3.6-plus"}},
        }
    )
    home.dotenv("ALIBABA_TOKEN_PLAN_API_KEY=sk-sp-test-0000000000000000000000001\n")
    data = cli("models", "status", "--json").json()
    att = data["attempts"][0]
    assert att["status"] == "ok" and att["catalog"] == "listed" and att["context_window"] == 1000000
    assert att["credential"]["source"] == "config:models.providers.alibaba-token-plan.apiKey"
    doc = cli("doctor", "--json")
    assert doc.code == 0, doc.out
    # a model the static catalog does not list is refused before any call
    cli("config", "set", "agents.defaults.model", "alibaba-token-plan/qwen-typo")
    doc = cli("doctor", "--json")
    assert doc.code == 1 and codes(doc)[0] == "model.unknown"
    # a custom provider without any static model and without /models is flagged
    cli("config", "unset", "models.providers.alibaba-token-plan.models")
    doc = cli("doctor", "--json")
    assert "model.no_catalog" in codes(doc)


def test_coding_plan_preset_host_is_known_without_models_endpoint(home, cli):
    home.config(
        {
            "models": {"providers": {"qwen": {"baseUrl": "https://coding-intl.dashscope.aliyuncs.com/v1"}}},
            "agents": {"defaults": {"model": "qwen/qwen3-coder-plus"}},
        }
    )
    home.dotenv("DASHSCOPE_API_KEY=sk-test-payg-0000000000000000000000001\n")
    doc = cli("doctor", "--json")
    f = finding(doc, "auth.key_provider_mismatch")
    assert "sk-sp-" in f["message"]


def test_variable_defined_twice_in_dotenv_reports_both_lines(home, cli):
    home.config({"agents": {"defaults": {"model": "openrouter/openrouter/auto"}}})
    home.dotenv(f"OPENROUTER_API_KEY={OR_KEY_PROFILE}\n# comment\nOTHER=1\nOPENROUTER_API_KEY={OR_KEY_ENV}\n")
    doc = cli("doctor", "--json")
    f = finding(doc, "env.duplicate_definition")
    lines = [d["line"] for d in f["evidence"]["definitions"]]
    assert lines == [1, 4]
    assert f["evidence"]["values_differ"] is True
    assert f["evidence"]["winner"].endswith(".env:4")
    env = cli("env", "--json").json()
    var = next(v for v in env["variables"] if v["name"] == "OPENROUTER_API_KEY")
    assert var["origin"].endswith(".env:4") and var["shadowed"][0]["origin"].endswith(".env:1")


def test_json5_syntax_error_names_file_line_column(home, cli):
    home.config('{\n  agents: {\n    defaults: { model: "openrouter/auto" \n  }\n')
    for args in (["config", "validate"], ["models", "status"], ["env"]):
        res = cli(*args)
        assert res.code == 2, (args, res)
        assert "clawgate.json:5:1" in res.err or "clawgate.json:4" in res.err, res.err
        assert "Traceback" not in res.err + res.out
    doc = cli("doctor", "--json")
    assert doc.code == 1
    f = doc.json()["findings"][0]
    assert f["code"] == "config.parse_error"
    assert f["evidence"]["location"]["line"] >= 4 and "column" in f["evidence"]["location"]


def test_unknown_key_did_you_mean(home, cli):
    home.config(
        '{\n  models: {\n    providers: {\n      openrouter: { baseURL: "https://x.example/v1" },\n    },\n  },\n}\n'
    )
    res = cli("config", "validate")
    assert res.code == 2
    assert "clawgate.json:4" in res.err and "did you mean 'baseUrl'" in res.err


def test_profile_with_apikey_field_is_a_clear_error(home, cli):
    home.config({"agents": {"defaults": {"model": "openrouter/openrouter/auto"}}})
    path = home.profiles(
        "main",
        {
            "version": 1,
            "profiles": {
                "openrouter:default": {"type": "api_key", "provider": "openrouter", "apiKey": OR_KEY_PROFILE}
            },
        },
    )
    doc = cli("doctor", "--json")
    assert doc.code == 1
    f = finding(doc, "auth.profile_invalid")
    assert str(path).replace(str(home.path.parent), "") in f["message"].replace(str(home.path.parent), "")
    assert "openrouter:default" in f["message"] and "'apiKey'" in f["message"] and "'key'" in f["message"]
    assert f["evidence"]["field"] == "apiKey"
    status = cli("models", "status", "--json").json()
    shadowed = status["attempts"][0]["credential"]["shadowed"]
    assert shadowed[0]["source"] == "profile:openrouter:default" and "apiKey" in shadowed[0]["unusable"]
    listing = cli("auth", "list", "--json").json()
    assert listing["agents"][0]["profiles"][0]["field"] == "apiKey"


def test_healthy_home_has_no_errors(home, cli):
    home.config(
        {
            "agents": {
                "defaults": {
                    "model": {
                        "primary": "openrouter/moonshotai/kimi-k2.5",
                        "fallbacks": ["groq/llama-3.3-70b-versatile"],
                    }
                },
                "list": [{"id": "main", "default": True}],
            },
        }
    )
    home.dotenv(f"OPENROUTER_API_KEY={OR_KEY_ENV}\nGROQ_API_KEY={GROQ_KEY}\n")
    doc = cli("doctor", "--json")
    assert doc.code == 0, doc.out
    assert not [f for f in doc.json()["findings"] if f["severity"] == "error"]
    status = cli("models", "status", "--json").json()
    assert [a["status"] for a in status["attempts"]] == ["ok", "ok"]
    assert [a["role"] for a in status["attempts"]] == ["primary", "fallback"]
    assert status["attempts"][1]["from"] == "agents.defaults.model.fallbacks[0]"


def test_fallback_without_credential_is_a_warning(home, cli):
    home.config(
        {
            "agents": {
                "defaults": {
                    "model": {
                        "primary": "openrouter/openrouter/auto",
                        "fallbacks": ["anthropic/claude-sonnet-4-5"],
                    }
                }
            }
        }
    )
    home.dotenv(f"OPENROUTER_API_KEY={OR_KEY_ENV}\n")
    doc = cli("doctor", "--json")
    assert doc.code == 0
    f = finding(doc, "fallback.not_ready")
    assert f["severity"] == "warn" and "anthropic" in f["message"]


def test_subagent_profile_falls_back_to_main_agent(home, cli):
    home.config(
        {
            "agents": {
                "defaults": {"model": "openrouter/openrouter/auto"},
                "list": [{"id": "main"}, {"id": "helper"}],
            }
        }
    )
    home.profiles(
        "main",
        {
            "version": 1,
            "profiles": {
                "openrouter:default": {"type": "api_key", "provider": "openrouter", "key": OR_KEY_PROFILE}
            },
        },
    )
    data = cli("models", "status", "--agent", "helper", "--json").json()
    cred = data["attempts"][0]["credential"]
    assert cred["source"] == "profile:openrouter:default"
    assert cred["inherited_from"] == "agent:main"


def test_config_file_round_trip_keeps_valid_json(home, cli):
    home.config({"gateway": {"port": 18789}})
    res = cli("config", "set", "gateway.port", "19000", "--json")
    assert res.json()["after"] == 19000
    assert json.loads((home.path / "clawgate.json").read_text())["gateway"]["port"] == 19000
    bad = cli("config", "set", "gateway.port", "not-a-port")
    assert bad.code == 2 and "gateway.port" in bad.err
    assert json.loads((home.path / "clawgate.json").read_text())["gateway"]["port"] == 19000
