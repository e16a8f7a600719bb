"""A placeholder key: one classification (auth/keycheck.py) for the runtime, doctor and `env set`; a real key that
happens to contain `XxXx` or `your-` is sent."""

from __future__ import annotations

from tests.calls.conftest import call, chat, runtime, wire_home

PLACEHOLDER = "sk-xxxxxxxxxxxxxxxx"
REAL_LOOKING = "sk-test-openai-9aXxXxQ2-your-b7c0d1e2f3a4b5c6d7e8"  # not the emulator's key: it is rejected


def test_a_placeholder_key_is_auth_key_malformed_for_the_runtime_as_for_doctor(home, emu, cli):
    wire_home(home, emu, keys={"OPENAI_API_KEY": PLACEHOLDER}, model="openai/gpt-4o")
    rt = runtime(home)
    done = call(rt, rt.plan(), chat(), emu)
    f = done.outcome.failure
    assert (f.owner, f.code) == ("provider_auth", "auth.key_malformed"), (f.code, f.message)
    assert "env:OPENAI_API_KEY" in f.message and "placeholder" in f.message and PLACEHOLDER not in f.message
    assert f.next_steps[0] == "clawgate env set OPENAI_API_KEY"
    assert emu.requests == []  # nothing was sent
    findings = cli("doctor", "--json", "--no-gateway").json()["findings"]
    assert "auth.key_malformed" in {x["code"] for x in findings}, findings


def test_a_real_key_with_a_placeholder_word_inside_is_sent(home, emu):
    wire_home(home, emu, keys={"OPENAI_API_KEY": REAL_LOOKING}, model="openai/gpt-4o")
    rt = runtime(home, retries_transient=0)
    done = call(rt, rt.plan(), chat(), emu)
    assert [r.key for r in emu.requests] == [REAL_LOOKING]
    assert done.outcome.failure.code == "auth.rejected"  # the provider's verdict, not clawgate's guess


def test_env_set_warns_of_a_key_it_stores_but_will_not_send(home, cli):
    res = cli("env", "set", "OPENAI_API_KEY", input=PLACEHOLDER)
    assert res.code == 0
    assert (
        "warning:" in res.out and "auth.key_malformed" in res.out and "will not send it to openai" in res.out
    )
    res = cli("env", "set", "OPENAI_API_KEY", "--json", input=REAL_LOOKING)
    assert res.code == 0 and res.json()["warnings"] == []
    res = cli("env", "set", "SOME_SETTING", input="xxxx")  # not a key variable: no key check
    assert res.code == 0 and "warning:" not in res.out
