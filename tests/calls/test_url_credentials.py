"""Credentials in a provider's baseUrl (`http://user:pass@host/v1`).

A URL's password is refused by the config schema (a `${VAR}` that expands to one is a config failure of that
attempt: nothing is sent) and shown only masked."""

from __future__ import annotations

import json

from tests.calls.conftest import call, chat, runtime, wire_home

PASSWORD = "SuperSecretPw123456"


def _userinfo_url(emu, dialect: str = "deepseek") -> str:
    return emu.base_url(dialect).replace("://", f"://admin:{PASSWORD}@", 1)


def test_config_refuses_a_password_in_base_url(home, emu, cli):
    wire_home(home, emu)
    url = _userinfo_url(emu)
    res = cli("config", "set", "models.providers.deepseek.baseUrl", url)
    assert res.code == 2
    text = res.out + res.err
    assert PASSWORD not in text
    assert "models.providers.deepseek.baseUrl" in text and "admin:****@" in text
    assert "DEEPSEEK_API_KEY" in text
    # the next commands run as printed: the URL without user:password@, and where the key goes instead
    assert f"next: clawgate config set models.providers.deepseek.baseUrl {emu.base_url('deepseek')}" in text
    assert "next: clawgate env set DEEPSEEK_API_KEY" in text
    assert PASSWORD not in (home.path / "clawgate.json").read_text()

    # a hand-edited file with one is refused the same way, by every command that loads it
    cfg = json.loads((home.path / "clawgate.json").read_text())
    cfg["models"]["providers"]["deepseek"]["baseUrl"] = url
    home.config(cfg)
    res = cli("config", "validate", "--json")
    assert res.code != 0 and PASSWORD not in res.out + res.err
    err = json.loads(res.out)["error"]
    assert err["code"] == "config.invalid_value"
    assert err["evidence"]["first"]["key"] == "models.providers.deepseek.baseUrl"
    fixed = cli("config", "set", "models.providers.deepseek.baseUrl", emu.base_url("deepseek"))
    assert fixed.code == 0, fixed.err


def test_a_password_from_a_variable_is_a_config_failure_nothing_sent(home, emu, cli):
    wire_home(
        home,
        emu,
        model={"primary": "deepseek/deepseek-chat", "fallbacks": ["openai/gpt-4o"]},
    )
    cfg = json.loads((home.path / "clawgate.json").read_text())
    cfg["models"]["providers"]["deepseek"]["baseUrl"] = "${DEEPSEEK_URL}"
    home.config(cfg)
    env = (home.path / ".env").read_text() + f"DEEPSEEK_URL={_userinfo_url(emu)}\n"
    home.dotenv(env)

    rt = runtime(home)
    plan = rt.plan()
    err = plan.attempts[0].error
    assert err is not None and err["code"] == "config.invalid_value" and err["owner"] == "config"
    assert PASSWORD not in err["message"] and "admin:****@" in err["message"]
    assert err["next"] == ["clawgate env set DEEPSEEK_URL", "clawgate env set DEEPSEEK_API_KEY"]
    done = call(rt, plan, chat(), emu)
    assert done.outcome.ok and done.outcome.attempt.provider == "openai"  # the fallback serves
    assert [r.dialect for r in emu.requests] == ["openai"]  # nothing went to deepseek

    for args in (("models", "status", "--json"), ("status", "--json"), ("models", "list", "--json")):
        res = cli(*args)
        assert PASSWORD not in res.out + res.err, args
    shown = cli("models", "status", "--json").json()["attempts"][0]
    assert shown["base_url"].startswith("http://admin:****@")
    assert shown["error"]["code"] == "config.invalid_value"


def test_mask_url_hides_passwords_and_lone_user_names():
    from clawgate.redaction import mask_url

    assert mask_url(f"http://admin:{PASSWORD}@h:1/v1") == "http://admin:****@h:1/v1"
    assert mask_url("https://tok-0123456789@h/v1") == "https://****@h/v1"
    assert mask_url("https://h/v1?x=a@b") == "https://h/v1?x=a@b"
