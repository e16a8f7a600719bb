"""The "put this key in the .env" next step is `clawgate env set NAME`, for whichever home the command runs with,
runnable as printed, and listed once."""

from __future__ import annotations

import re
from pathlib import Path

from clawgate.envsteps import dedupe

SRC = Path(__file__).resolve().parents[2] / "src" / "clawgate"
OPENAI_401 = (
    'openai.AuthenticationError: Error code: 401 - {"error": {"message": "Incorrect API key provided: '
    'sk-test...", "type": "invalid_request_error", "code": "invalid_api_key"}}'
)
KEY = "sk-test-env-steps-0000000001"


def test_explain_names_env_set_once_and_it_runs_as_printed(home, cli):
    home.config({"agents": {"defaults": {"model": {"primary": "openai/gpt-4o"}}}})
    data = cli("explain", "--json", OPENAI_401).json()
    steps = data["next"]
    assert "clawgate env set OPENAI_API_KEY" in steps
    assert not any(".clawgate/.env" in s or ">>" in s for s in steps), steps
    assert len([s for s in steps if s.startswith("clawgate auth add openai")]) == 1, steps
    res = cli(*["clawgate", "env", "set", "OPENAI_API_KEY"][1:], input=KEY + "\n")
    assert res.code == 0, res.err
    assert (home.path / ".env").read_text() == f"OPENAI_API_KEY={KEY}\n"  # this home's, not ~/.clawgate
    status = cli("models", "status", "--json").json()
    assert status["attempts"][0]["credential"]["source"] == "env:OPENAI_API_KEY"


def test_a_missing_credential_failure_says_env_set(home, cli):
    home.config({"agents": {"defaults": {"model": {"primary": "openai/gpt-4o"}}}})
    res = cli("infer", "hi", "--json")
    assert res.code != 0
    assert "clawgate env set OPENAI_API_KEY" in res.out + res.err
    assert ".clawgate/.env" not in res.out + res.err


def test_an_unset_state_variable_says_env_set(home, cli):
    home.config({"state": {"redis": "${CG_TEST_REDIS_URL}"}})
    data = cli("doctor", "--json").json()
    found = [f for f in data["findings"] if f["code"] == "env.unresolved_ref" and f["subject"].get("key")]
    assert found and "clawgate env set CG_TEST_REDIS_URL" in found[0]["next"], found


def test_dedupe_keeps_the_more_specific_command():
    steps = [
        "clawgate auth add openai --agent main",
        "clawgate doctor",
        "clawgate auth add openai",
        "clawgate doctor",
    ]
    assert dedupe(steps) == ["clawgate auth add openai --agent main", "clawgate doctor"]


def test_no_echo_into_a_fixed_env_file_is_left_in_the_code():
    pattern = re.compile(r">>\s*~/\.clawgate/\.env|echo '[A-Z_]+=")
    hits = [
        f"{p.relative_to(SRC)}:{n}"
        for p in SRC.rglob("*")
        if p.suffix in (".py", ".js")
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if pattern.search(line) and p.name != "envsteps.py"
    ]
    assert not hits, hits


def test_env_set_strips_surrounding_whitespace_and_shows_the_fingerprint_status_shows(home, cli):
    home.config({"agents": {"defaults": {"model": {"primary": "openrouter/openrouter/auto"}}}})
    res = cli("env", "set", "OPENROUTER_API_KEY", "--json", input=f"  {KEY}  \n")
    assert res.code == 0, res.err
    out = res.json()
    assert out["stripped"] == "leading space and trailing space"
    assert (home.path / ".env").read_text() == f"OPENROUTER_API_KEY={KEY}\n"
    status = cli("models", "status", "--json").json()
    assert status["attempts"][0]["credential"]["fingerprint"] == out["fingerprint"]
    doctor = cli("doctor", "--json").json()
    assert not [f for f in doctor["findings"] if f["code"] == "auth.key_malformed"]
    text = cli("env", "set", "OPENROUTER_API_KEY", input=f"{KEY}\t\n")
    assert "trailing tab removed from the value" in text.out
