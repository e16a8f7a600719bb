"""Seed 003 and "a probe that passes means the real call passes" (issue 3, item 2)."""

from __future__ import annotations

import asyncio
import json

import pytest
from tests.calls.conftest import BY_ID, call, chat, runtime, wire_home

from clawgate.call.probe import probe_plan

STALE = "sk-or-v1-test-stale-profile-000000000009"


def _probe(rt, plan):
    async def go():
        try:
            return await probe_plan(rt, plan)
        finally:
            await rt.aclose()

    return asyncio.run(go())


def test_stale_profile_and_valid_env_key(home, emu, cli):
    p = BY_ID["openrouter"]
    wire_home(home, emu, keys={p.env: p.key}, model="openrouter/moonshotai/kimi-k2.5")
    home.profiles(
        "main",
        {
            "version": 1,
            "profiles": {"openrouter:default": {"type": "api_key", "provider": "openrouter", "key": STALE}},
        },
    )
    rt = runtime(home)
    plan = rt.plan()
    assert plan.attempts[0].credential.winner.source == "profile:openrouter:default"
    done = call(rt, plan, chat(), emu)
    assert done.outcome.ok and done.outcome.cred.source == "env:OPENROUTER_API_KEY"
    assert [(t.cred.source, t.ok) for t in done.outcome.tries] == [
        ("profile:openrouter:default", False),
        ("env:OPENROUTER_API_KEY", True),
    ]
    assert [r.key for r in emu.requests] == [STALE, p.key]
    # the CLI probe shows the stale profile as rejected, and the env key as the one that serves
    res = cli("models", "status", "--probe", "--json")
    assert res.code == 1  # a rejected credential on the way is worth fixing
    probe = json.loads(res.out)["attempts"][0]["probe"]
    assert probe["served"] is True and probe["credential"] == "env:OPENROUTER_API_KEY"
    creds = {c["credential"]["source"]: c for c in probe["credentials"]}
    assert creds["profile:openrouter:default"]["code"] == "auth.rejected"
    assert creds["profile:openrouter:default"]["owner"] == "provider_auth"
    assert creds["env:OPENROUTER_API_KEY"]["ok"] is True
    human = cli("models", "status", "--probe")
    assert "auth.rejected" in human.out and "✓ env:OPENROUTER_API_KEY" in human.out


SCENARIOS = {
    "good": ({"OPENAI_API_KEY": BY_ID["openai"].key}, "openai/gpt-4o"),
    "wrong": ({"OPENAI_API_KEY": "sk-test-openai-wrong-00000000000001"}, "openai/gpt-4o"),
    "missing": ({}, "openai/gpt-4o"),
    "billing": ({"OPENAI_API_KEY": BY_ID["openai"].key}, "openai/fault-billing"),
    "context": ({"OPENAI_API_KEY": BY_ID["openai"].key}, "openai/fault-context_length"),
    "unknown_model": ({"OPENAI_API_KEY": BY_ID["openai"].key}, "openai/fault-unknown_model"),
    "overloaded": ({"OPENAI_API_KEY": BY_ID["openai"].key}, "openai/fault-overloaded"),
}


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_probe_and_real_call_agree(name, home, emu):
    keys, model = SCENARIOS[name]
    wire_home(home, emu, keys=keys, model=model)
    rt = runtime(home, retries_transient=0)
    real = call(rt, rt.plan(), chat(), emu)
    rt2 = runtime(home, retries_transient=0)
    probe = _probe(rt2, rt2.plan())[0]
    assert probe["served"] == real.outcome.ok
    if not real.outcome.ok:
        assert (probe["owner"], probe["code"]) == (real.failure.owner, real.failure.code)
