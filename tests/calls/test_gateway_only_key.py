"""A key the CLI knows only by the running gateway's fingerprint (`environment.GatewayOnly`): the plan shows it
as the winner with the `.env` line it beats as shadowed, and nothing the CLI runs — a call or a probe — sends
it or the line it beats (the gateway's key is not here; the file's is not what the gateway uses)."""

from __future__ import annotations

import asyncio

import pytest
from tests.calls.conftest import BY_ID, call, chat, wire_home

from clawgate.call.probe import probe_plan
from clawgate.call.runtime import Runtime
from clawgate.environment import GatewayOnly
from clawgate.paths import Paths
from clawgate.redaction import fingerprint

OR = BY_ID["openrouter"]
THEIRS = fingerprint("sk-or-v1-test-DOCKER-8888888888888888")
REF = "openrouter/openrouter/auto"


@pytest.mark.parametrize("api_key", [None, "${OPENROUTER_API_KEY}"], ids=["env", "config-ref"])
def test_a_gateway_only_key_wins_and_is_never_sent(api_key, home, emu):
    wire_home(home, emu, keys={OR.env: OR.key})  # the home .env has a good key; the gateway's beats it
    if api_key:
        home.config(
            {
                "models": {
                    "providers": {"openrouter": {"baseUrl": emu.base_url("openrouter"), "apiKey": api_key}}
                }
            }
        )
    environ = {
        **home.env(),
        OR.env: GatewayOnly(THEIRS, "process environment of the running gateway (pid 7)"),
    }
    rt = Runtime(Paths.discover(environ), environ, cwd=None)
    try:
        plan = rt.plan(None, REF)
        cred = plan.attempts[0].credential
        assert cred is not None and cred.winner is not None
        assert (cred.winner.fingerprint, cred.winner.origin) == (
            THEIRS,
            "process environment of the running gateway (pid 7)",
        )
        shadowed = [(c.fingerprint, c.usable) for c in cred.shadowed if c.duplicate_of is None]
        assert shadowed == [(fingerprint(OR.key), False)]  # the .env line it beats, once
        assert cred.distinct_usable() == []

        done = call(rt, plan, chat(), emu)
        f = done.failure
        assert f is not None and f.code == "auth.missing_credential" and not f.sent
        assert THEIRS in f.message and "cannot read" in f.message
        res = asyncio.run(probe_plan(rt, plan, every_credential=True))[0]
        assert res is not None and res["ok"] is False and "cannot test" in res["message"]
        assert emu.requests == []  # neither the gateway's key (not here) nor the .env one it beats
    finally:
        rt.close()
