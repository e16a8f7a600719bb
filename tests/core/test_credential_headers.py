"""A configured header that carries a provider's credential is refused (it would replace the resolved key, and
the key would be blamed); with `auth: "none"` the header is the credential: sent alone, and named as such."""

from __future__ import annotations

import json

import pytest
from tests.support.emulator import running_emulator

HEADER_KEY = "sk-test-header-key-0001"
ENV_KEY = "sk-test-env-not-sent-0002"


@pytest.mark.parametrize(
    ("provider", "header", "value"),
    [
        ("openrouter", "Authorization", ""),
        ("openrouter", "Authorization", "Bearer sk-or-v1-test-OLD-0000"),
        ("anthropic", "x-api-key", "sk-ant-test-OLD-0000"),
    ],
)
def test_config_set_refuses_a_header_that_replaces_the_credential(home, cli, provider, header, value):
    home.config({})
    before = (home.path / "clawgate.json").read_text()
    key = f"models.providers.{provider}.headers.{header}"
    res = cli("config", "set", f"models.providers.{provider}.headers", json.dumps({header: value}), "--json")
    assert res.code == 2
    err = res.json()["error"]
    assert err["location"]["key"] == key
    assert key in err["message"] and "replace the credential" in err["message"]
    var = "OPENROUTER_API_KEY" if provider == "openrouter" else "ANTHROPIC_API_KEY"
    assert f"clawgate env set {var}" in err["next"]
    assert f"clawgate config unset {key}" in err["next"]
    assert (home.path / "clawgate.json").read_text() == before  # nothing written


def test_a_file_with_such_a_header_fails_validation_with_its_line(home, cli):
    home.config('{\n  models: { providers: {\n    openrouter: { headers: { Authorization: "" } } } }\n}\n')
    res = cli("config", "validate", "--json")
    assert res.code == 2
    loc = res.json()["error"]["location"]
    assert loc == {
        "file": str(home.path / "clawgate.json"),
        "line": 3,
        "key": "models.providers.openrouter.headers.Authorization",
    }
    doctor = cli("doctor", "--json")
    assert "config.plaintext_secret" not in doctor.out  # an empty value is no literal secret
    # x-api-key is not where an OpenAI-style provider sends its key: allowed (and masked, and reported)
    home.config({"models": {"providers": {"openrouter": {"headers": {"x-api-key": "sk-test-extra-0003"}}}}})
    assert cli("config", "validate").code == 0


def test_with_auth_none_the_header_is_the_credential_and_no_other_key_is_sent(home, cli):
    with running_emulator({"openai": [HEADER_KEY]}) as emu:
        home.config(
            {
                "models": {
                    "providers": {
                        "custom": {
                            "baseUrl": emu.base_url("openai"),
                            "auth": "none",
                            "headers": {"Authorization": f"Bearer {HEADER_KEY}"},
                            "models": [{"id": "gpt-4o"}],
                        }
                    }
                }
            }
        )
        home.dotenv(f"CUSTOM_API_KEY={ENV_KEY}\n")
        status = cli("models", "status", "--model", "custom/gpt-4o", "--json")
        assert status.code == 0, status.err
        assert ENV_KEY not in status.out and HEADER_KEY not in status.out
        cred = status.json()["attempts"][0]["credential"]
        assert cred["source"] == "none" and cred["fingerprint"] is None  # not env:CUSTOM_API_KEY
        assert cred["checked"] == [
            'models.providers.custom.headers.Authorization (the credential, sent as written: auth is "none")'
        ]
        res = cli("infer", "hi", "--model", "custom/gpt-4o", "--json")
        assert res.code == 0, res.err
        rec = emu.last_request
        assert rec is not None
        assert rec.headers.getall("authorization") == [f"Bearer {HEADER_KEY}"]
