"""A `config set` the schema refuses: the error names the key and the value, says nothing was written and gives
the corrected command — never a line of a file that was not written; a union's other branch adds no noise."""

from __future__ import annotations

import shlex

import pytest

NINE_LINES = """{
  // nine lines
  gateway: {
    port: 18900,
  },
  agents: {
    defaults: { model: { primary: "openai/gpt-4o" } },
  },
}
"""


@pytest.fixture
def nine(home):
    path = home.config(NINE_LINES)
    assert len(NINE_LINES.splitlines()) == 9
    return path


def _refused(cli, *args: str) -> dict:
    res = cli("config", "set", *args, "--json")
    assert res.code == 2, res.out
    return res.json()["error"]


def test_a_wrong_type_names_the_key_and_value_and_writes_nothing(nine, cli):
    err = _refused(cli, "gateway.port", "notanumber")
    msg = err["message"]
    assert msg.startswith('config set gateway.port "notanumber" refused, nothing was written: gateway.port: ')
    assert "clawgate.json:" not in msg and "clawgate.json:" not in " ".join(err["evidence"]["errors"])
    assert not any(n.startswith("edit ") for n in err["next"])
    assert err["next"][0] == "clawgate config set gateway.port <INTEGER>"
    assert nine.read_text() == NINE_LINES  # nothing written
    assert cli("config", "validate").code == 0
    human = cli("config", "set", "gateway.port", "notanumber")
    assert "refused, nothing was written" in human.err and ":10:" not in human.err


def test_a_typo_in_a_key_is_the_one_message_and_the_fix_runs(nine, cli):
    err = _refused(cli, "agents.defaults.model.primry", "openai/gpt-4o-mini")
    assert err["evidence"]["errors"] == [
        "agents.defaults.model.primry: unknown key (did you mean 'primary'?); allowed here: primary, fallbacks"
    ]
    assert "Input should be a valid string" not in err["message"]  # the `model: "ref"` branch is noise
    fix = err["next"][0]
    assert fix == "clawgate config set agents.defaults.model.primary openai/gpt-4o-mini"
    assert cli(*shlex.split(fix)[1:]).code == 0
    assert cli("config", "get", "agents.defaults.model.primary").out.strip() == "openai/gpt-4o-mini"


def test_fallbacks_as_a_string_suggest_the_list(nine, cli):
    err = _refused(cli, "agents.defaults.model.fallbacks", "groq/llama-3.3-70b-versatile")
    assert err["evidence"]["errors"] == ["agents.defaults.model.fallbacks: Input should be a valid list"]
    fix = err["next"][0]
    assert fix == """clawgate config set agents.defaults.model.fallbacks '["groq/llama-3.3-70b-versatile"]'"""
    assert cli(*shlex.split(fix)[1:]).code == 0
    assert cli("models", "fallbacks", "list", "--plain").out.split() == ["groq/llama-3.3-70b-versatile"]


def test_an_invalid_file_on_disk_still_gets_its_line(home, cli):
    home.config('{\n  gateway: {\n    port: "x",\n  },\n}\n')
    res = cli("config", "validate")
    assert res.code == 2 and "clawgate.json:3: gateway.port" in res.err
