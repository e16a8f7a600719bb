"""The control UI's failure view shows the owner and code the executor decided, and decides none of its own: a
refusal made from the health state is grouped under the failure that started that state (the UI used to guess it
from the credential's last sent failure, which may be another model's)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from clawgate.call.executor import CallRequest
from clawgate.call.runtime import Runtime
from clawgate.dialects.internal import ChatRequest, Message, Part
from clawgate.emulator import EmulatorThread
from clawgate.gateway.app import GatewayApp
from clawgate.gateway.ui_api.failures import failures
from clawgate.paths import Paths

from .conftest import OPENAI_KEY, make_home


def _chat() -> CallRequest:
    req = ChatRequest(model="", messages=[Message("user", [Part("text", "hi")])], max_tokens=8)
    return CallRequest(chat=req, purpose="request")


def test_a_refusal_is_grouped_under_the_failure_that_started_it(emu: EmulatorThread, tmp_path: Path) -> None:
    home = make_home(tmp_path)
    home.config({"models": {"providers": {"openai": {"baseUrl": emu.base_url("openai")}}}})
    home.dotenv(f"OPENAI_API_KEY={OPENAI_KEY}\n")
    emu.add_fault("server_error", dialect="openai", model="gpt-a", times=None)
    emu.add_fault("rate_limit", dialect="openai", model="gpt-b", times=None, retry_after=60)
    env = home.env()
    rt = Runtime(Paths.discover(env), env, cwd=None, persist=False)
    rt.executor.policy.retries_transient = 0
    rt.executor.policy.max_retry_wait = 0

    async def go() -> None:
        try:
            for model in ("openai/gpt-a", "openai/gpt-b", "openai/gpt-a"):  # the last one: refused, cooling
                out = await rt.run(rt.plan(None, model), _chat())
                assert not out.ok
        finally:
            await rt.aclose()

    asyncio.run(go())
    rt.store.flush()
    groups = {(g["owner"], g["code"]): g for g in failures(GatewayApp(rt))["groups"]}
    assert ("upstream", "upstream.server_error") in groups, groups.keys()
    server = groups[("upstream", "upstream.server_error")]
    assert server["count"] == 2, server  # the 500 and the refusal it caused
    limited = groups[("rate_limit", "rate_limit.exceeded")]
    assert limited["count"] == 1, limited
    rt.close()
