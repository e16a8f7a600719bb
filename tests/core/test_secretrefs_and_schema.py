"""SecretRefs (env, file, exec), ${VAR} escapes, and the strict schema's messages."""

from __future__ import annotations

import json

import pytest

from clawgate.config.schema import validate
from clawgate.errors import ConfigError
from clawgate.plan.snapshot import Snapshot


def test_secretref_sources(home, tmp_path):
    secrets = tmp_path / "secrets.json"
    secrets.write_text(json.dumps({"providers": {"groq": "gsk_testfile00000000000000000000000000001"}}))
    script = tmp_path / "getsecret.sh"
    script.write_text("#!/bin/sh\necho sk-test-exec-0000000000000000000000-$1\n")
    script.chmod(0o755)
    home.config(
        {
            "secrets": {
                "providers": {
                    "vault": {"source": "file", "path": str(secrets)},
                    "cmd": {"source": "exec", "command": str(script)},
                }
            },
            "models": {
                "providers": {
                    "groq": {"apiKey": {"source": "file", "provider": "vault", "id": "/providers/groq"}},
                    "deepseek": {"apiKey": {"source": "exec", "provider": "cmd", "id": "ds"}},
                    "openai": {"apiKey": {"source": "env", "id": "MY_OPENAI"}},
                }
            },
        }
    )
    snap = Snapshot.load(
        environ={"CLAWGATE_HOME": str(home.path), "MY_OPENAI": "sk-test-env-000000000000000001"}
    )
    groq = snap.credentials(snap.catalog.get("groq"), "main").winner
    assert groq.secret() == "gsk_testfile00000000000000000000000000001" and "#/providers/groq" in groq.origin
    ds = snap.credentials(snap.catalog.get("deepseek"), "main").winner
    assert ds.secret() == "sk-test-exec-0000000000000000000000-ds"
    oa = snap.credentials(snap.catalog.get("openai"), "main").winner
    assert oa.secret() == "sk-test-env-000000000000000001" and oa.ref == "env:default:MY_OPENAI"


def test_missing_secret_provider_is_unresolved(home):
    home.config(
        {"models": {"providers": {"groq": {"apiKey": {"source": "file", "provider": "nope", "id": "x"}}}}}
    )
    snap = Snapshot.load()
    res = snap.credentials(snap.catalog.get("groq"), "main")
    assert res.winner is None
    assert res.candidates[0].issues[0].code == "env.unresolved_ref"
    assert "secrets.providers.nope" in res.candidates[0].issues[0].reason


def test_dollar_dollar_escape_is_literal(home):
    home.config(
        {
            "models": {
                "providers": {
                    "custom": {"baseUrl": "https://h.example/v1", "headers": {"X-Template": "$${NOT_A_VAR}"}}
                }
            },
            "agents": {"defaults": {"model": "custom/m"}},
        }
    )
    att = Snapshot.load().plan().attempts[0]
    assert att.headers["x-template"] == "${NOT_A_VAR}"


@pytest.mark.parametrize(
    "data,needle",
    [
        ({"gateway": {"prot": 1}}, "did you mean 'port'"),
        ({"agents": {"defaults": {"modle": "x"}}}, "did you mean 'model'"),
        ({"env": {"shellenv": {"enabled": True}}}, "did you mean 'shellEnv'"),
        ({"models": {"mode": "append"}}, "models.mode"),
        ({"models": {"providers": {"X": {}}}}, "lowercase"),
        ({"agents": {"list": [{"id": "a"}, {"id": "A"}]}}, "appears twice"),
        ({"models": {"providers": {"p": {"api": "openai-chat"}}}}, "models.providers.p.api"),
    ],
)
def test_schema_errors_are_specific(data, needle):
    with pytest.raises(ConfigError) as exc:
        validate(data, "clawgate.json", json.dumps(data))
    assert needle in str(exc.value)


def test_env_inline_vars_are_accepted():
    cfg = validate({"env": {"OPENROUTER_API_KEY": "sk-x", "vars": {"B": "1"}}}, "c.json")
    assert cfg.env.all_vars() == {
        "OPENROUTER_API_KEY": ("sk-x", "env.OPENROUTER_API_KEY"),
        "B": ("1", "env.vars.B"),
    }
