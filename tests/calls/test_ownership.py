"""One ownership decision: a refusal made from the health state keeps the owner and code of the failure that
started it, and the executor moves on by the classifier's fields (next credential, fallback), not by its own
code lists."""

from __future__ import annotations

import asyncio

import pytest
from tests.calls.conftest import BY_ID, call, chat, runtime, wire_home
from tests.support.emulator import running_emulator
from tests.support.ports import free_port

OPENAI = BY_ID["openai"]


def test_after_a_5xx_the_next_call_in_the_same_runtime_keeps_the_owner(home, emu):
    wire_home(home, emu, model="openai/gpt-4o")
    emu.add_fault("server_error", dialect="openai", times=None)
    rt = runtime(home, retries_transient=0)

    async def two() -> tuple:
        try:
            a = await rt.run(rt.plan(), chat())
            b = await rt.run(rt.plan(), chat())
            return a, b
        finally:
            await rt.aclose()

    a, b = asyncio.run(two())
    assert a.failure.code == "upstream.server_error"
    assert len(emu.requests) == 1  # the second call was refused from the health state, not sent
    assert not b.tries[-1].sent
    assert (b.failure.owner, b.failure.code) == ("upstream", "upstream.server_error"), b.failure
    assert b.failure.code != "health.cooling"
    assert "cooling" in b.failure.message or "not sent" in b.failure.message


def test_after_a_network_failure_the_next_call_keeps_owner_network(home):
    port = free_port()  # nothing listens there: connection refused
    home.config(
        {
            "models": {"providers": {"openai": {"baseUrl": f"http://127.0.0.1:{port}/v1"}}},
            "agents": {"defaults": {"model": "openai/gpt-4o"}},
        }
    )
    home.dotenv(f"OPENAI_API_KEY={OPENAI.key}\n")
    rt = runtime(home, retries_transient=0)

    async def two() -> tuple:
        try:
            return await rt.run(rt.plan(), chat()), await rt.run(rt.plan(), chat())
        finally:
            await rt.aclose()

    a, b = asyncio.run(two())
    assert (a.failure.owner, a.failure.code) == ("network", "network.connect")
    assert not b.tries[-1].sent
    assert (b.failure.owner, b.failure.code) == ("network", "network.connect"), b.failure


SPENT = "sk-test-openai-spent-account-000000001"


@pytest.mark.parametrize("fault", ["billing", "rate_limit"])
def test_an_account_failure_moves_on_to_the_next_distinct_key(home, fault):
    """A second key (another account) is tried when the classifier says another credential may work."""
    with running_emulator({"openai": [SPENT, OPENAI.key]}) as emu:
        home.config(
            {
                "models": {
                    "providers": {"openai": {"baseUrl": emu.base_url("openai"), "apiKey": "${WORK_KEY}"}}
                },
                "agents": {"defaults": {"model": "openai/gpt-4o"}},
            }
        )
        home.dotenv(f"WORK_KEY={SPENT}\nOPENAI_API_KEY={OPENAI.key}\n")
        emu.add_fault(fault, dialect="openai", key=SPENT, times=None, retry_after=60)
        rt = runtime(home)
        done = call(rt, rt.plan(), chat(), emu)
        assert done.outcome.ok, done.failure
        assert [r.key for r in emu.requests] == [SPENT, OPENAI.key]
