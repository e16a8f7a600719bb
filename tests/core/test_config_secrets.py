"""Literal secrets in the config: `config get` shows them as fingerprints (a URL: only its password), and doctor's
`config.plaintext_secret` (so `secrets audit`) names the same ones — one decision for both."""

from __future__ import annotations

from clawgate.redaction import fingerprint

PG_PW = "pgSECRETpw-test"
REDIS_PW = "rdSECRETpw-test"
HONEY = "hcSECRET-test-team"
CUSTOM_TOKEN = "tokSECRET-test-1234"
CUSTOM_KEY = "keySECRET-test-5678"
AUTHZ = "Bearer azSECRET-test-9012"


def _config(home) -> None:
    home.config(
        {
            "state": {
                "database": f"postgresql://u:{PG_PW}@127.0.0.1:5499/cg",
                "redis": f"redis://:{REDIS_PW}@127.0.0.1:6390/0",
            },
            "observability": {
                "otlp": {"endpoint": "http://127.0.0.1:4318", "headers": {"x-honeycomb-team": HONEY}}
            },
            "models": {
                "providers": {
                    "custom": {
                        "baseUrl": "http://127.0.0.1:9/v1",
                        "auth": "none",
                        "headers": {
                            "X-Custom-Token": CUSTOM_TOKEN,
                            "foo-key": CUSTOM_KEY,
                            "authorization": AUTHZ,
                            "X-Title": "my app",
                            "X-Empty-Token": "",
                        },
                        "models": [{"id": "m1"}],
                    }
                }
            },
        }
    )


SECRETS = (PG_PW, REDIS_PW, HONEY, CUSTOM_TOKEN, CUSTOM_KEY, AUTHZ)


def test_config_get_shows_fingerprints_and_keeps_urls_readable(home, cli):
    _config(home)
    for args in (["config", "get"], ["config", "get", "--json"], ["config", "get", "state"]):
        res = cli(*args)
        assert res.code == 0, res.err
        for s in SECRETS:
            assert s not in res.out, (args, s)
    data = cli("config", "get", "--json").json()
    assert data["state"]["database"] == f"postgresql://u:<secret {fingerprint(PG_PW)}>@127.0.0.1:5499/cg"
    assert data["state"]["redis"] == f"redis://:<secret {fingerprint(REDIS_PW)}>@127.0.0.1:6390/0"
    assert data["observability"]["otlp"]["headers"]["x-honeycomb-team"] == f"<secret {fingerprint(HONEY)}>"
    headers = data["models"]["providers"]["custom"]["headers"]
    assert headers["X-Custom-Token"] == f"<secret {fingerprint(CUSTOM_TOKEN)}>"
    assert headers["foo-key"] == f"<secret {fingerprint(CUSTOM_KEY)}>"
    assert headers["authorization"] == f"<secret {fingerprint(AUTHZ)}>"
    assert headers["X-Title"] == "my app"  # not a credential: shown as written
    res = cli("config", "get", "state.redis")
    assert res.out.strip() == f"redis://:<secret {fingerprint(REDIS_PW)}>@127.0.0.1:6390/0"


def test_doctor_reports_the_same_literal_secrets(home, cli):
    _config(home)
    res = cli("secrets", "audit", "--json")
    items = res.json()["items"]
    paths = {i["subject"]["path"] for i in items if i["code"] == "config.plaintext_secret"}
    assert paths == {
        "state.database",
        "state.redis",
        "observability.otlp.headers.x-honeycomb-team",
        "models.providers.custom.headers.X-Custom-Token",
        "models.providers.custom.headers.foo-key",
        "models.providers.custom.headers.authorization",
    }  # not X-Title, and not the empty X-Empty-Token
    for s in SECRETS:
        assert s not in res.out


def test_secrets_move_takes_a_state_url_whole(home, cli):
    _config(home)
    res = cli("secrets", "move", "state.database", "--json")
    assert res.code == 0, res.err
    assert res.json()["variable"] == "CLAWGATE_DATABASE_URL"
    assert (
        f"CLAWGATE_DATABASE_URL=postgresql://u:{PG_PW}@127.0.0.1:5499/cg" in (home.path / ".env").read_text()
    )
    assert cli("config", "get", "state.database").out.strip() == "${CLAWGATE_DATABASE_URL}"
    audit = cli("secrets", "audit", "--json").json()["items"]
    assert "state.database" not in {i["subject"].get("path") for i in audit}
