"""The executor's own hook points, through the real executor against the emulator (no gateway): a try ends (in
call/records.py, where every try is recorded), a failover, a move to the next credential, a health window opened
before the first byte and after it (a stream that fails midway), and the auxiliary calls counted under their
own operation (embeddings)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from tests.support.timing import limit

from clawgate.call.runtime import Runtime
from clawgate.call.types import CallRequest, Policy
from clawgate.dialects.internal import ChatRequest, Message, Part
from clawgate.emulator import EmulatorThread
from clawgate.failures import Failure
from clawgate.observability.metrics import Metrics
from clawgate.observability.observer import Observer
from clawgate.paths import Paths
from clawgate.redaction import fingerprint

from .e2e import ANTHROPIC_KEY, GROQ_KEY_1, GROQ_KEY_2, OPENAI_KEY, profiles
from .test_metrics import value


@pytest.fixture
def observed(home: Any, emu: EmulatorThread) -> Any:
    home.config(
        {
            "models": {
                "providers": {p: {"baseUrl": emu.base_url(p)} for p in ("openai", "anthropic", "groq")}
            },
            "agents": {
                "defaults": {
                    "model": {"primary": "openai/gpt-4o-mini", "fallbacks": ["anthropic/claude-sonnet-4-5"]}
                }
            },
            "auth": {"order": {"groq": ["groq:first", "groq:second"]}},
        }
    )
    home.dotenv(f"OPENAI_API_KEY={OPENAI_KEY}\nANTHROPIC_API_KEY={ANTHROPIC_KEY}\n")
    home.profiles("main", profiles())
    rt = Runtime(Paths.discover(home.env()), home.env(), cwd=None, persist=False)
    rt.executor.policy = Policy(backoff_base=0.01, backoff_cap=0.05)
    m = Metrics()
    rt.executor.obs = Observer(m, None)
    try:
        yield rt, m
    finally:
        rt.close()


def _chat(stream: bool = False) -> CallRequest:
    req = ChatRequest(
        model="", messages=[Message("user", [Part("text", "hello")])], stream=stream, max_tokens=64
    )
    return CallRequest(stream=stream, chat=req, purpose="infer")


def _run(rt: Runtime, model: str | None, req: CallRequest) -> tuple[Any, list[Any]]:
    """Run one call to its end (a stream consumed); (outcome, the stream's items)."""

    async def go() -> tuple[Any, list[Any]]:
        try:
            out = await rt.run(rt.plan(None, model), req)
            items = [item async for item in out] if out.ok and req.stream else []
            return out, items
        finally:
            await rt.aclose()

    return asyncio.run(go())


def test_a_failover_and_the_cooldown_before_it(observed: Any, emu: EmulatorThread) -> None:
    rt, m = observed
    emu.add_fault("rate_limit", dialect="openai", model="gpt-4o-mini", retry_after=0, times=3)
    out, _ = _run(rt, None, _chat())  # the default: gpt-4o-mini, then Anthropic
    assert out.ok and out.attempt.provider == "anthropic", out.failure
    owner = {
        "clawgate_owner": "rate_limit",
        "error_type": "rate_limit.exceeded",
        "gen_ai_provider_name": "openai",
    }
    assert value(m, "clawgate_failovers_total", **owner) == 1
    assert value(m, "clawgate_upstream_failures_total", **owner) == 3
    assert value(m, "clawgate_health_cooldowns_total", clawgate_health_state="cooling", **owner) == 1
    assert value(m, "clawgate_credential_moves_total") == 0
    ok = {"gen_ai_operation_name": "chat", "gen_ai_provider_name": "anthropic", "error_type": ""}
    assert value(m, "gen_ai_client_operation_duration_seconds_count", **ok) == 1


def test_a_move_to_the_next_credential(observed: Any, emu: EmulatorThread) -> None:
    rt, m = observed
    emu.add_fault("wrong_key", dialect="groq", key=GROQ_KEY_1, times=1)
    out, _ = _run(rt, "groq/llama-3.3-70b-versatile", _chat())
    assert out.ok and out.cred.fingerprint == fingerprint(GROQ_KEY_2)
    owner = {"clawgate_owner": "provider_auth", "error_type": "auth.rejected", "gen_ai_provider_name": "groq"}
    assert value(m, "clawgate_credential_moves_total", **owner) == 1
    assert value(m, "clawgate_health_cooldowns_total", clawgate_health_state="rejected", **owner) == 1
    assert value(m, "clawgate_failovers_total") == 0


def test_a_stream_that_fails_after_its_first_event_opens_a_window_and_counts_it(
    observed: Any, emu: EmulatorThread
) -> None:
    """The failure reaches the client in the stream (no failover after the first byte), and health like any
    other: the window it opens is a cooldown like one opened before the first byte."""
    rt, m = observed
    # chunks apart, so the error arrives after the first event has been read (not in the same read)
    gap = int(limit(0.1) * 1000)
    # Anthropic's in-band error is an overload (overloaded_error), which cools the key down
    emu.add_fault("inband_error", dialect="anthropic", after=2, chunk_delay_ms=gap, times=1)
    out, items = _run(rt, "anthropic/claude-sonnet-4-5", _chat(stream=True))
    assert out.ok  # the stream started
    [failure] = [i for i in items if isinstance(i, Failure)]
    rec = rt.health.get("anthropic", out.cred.fingerprint, "claude-sonnet-4-5")
    assert rec is not None and rec.state == "cooling", failure  # health took it
    labels = {
        "clawgate_owner": failure.owner,
        "error_type": failure.code,
        "gen_ai_provider_name": "anthropic",
    }
    assert value(m, "clawgate_health_cooldowns_total", clawgate_health_state=rec.state, **labels) == 1
    assert value(m, "clawgate_upstream_failures_total", **labels) == 1
    dur = {"gen_ai_provider_name": "anthropic", "error_type": failure.code}
    assert value(m, "gen_ai_client_operation_duration_seconds_count", **dur) == 1
    assert value(m, "clawgate_failovers_total") == 0


def test_embeddings_are_counted_under_their_own_operation(observed: Any) -> None:
    rt, m = observed
    req = CallRequest(
        client_api="openai-completions",
        raw={"model": "openai/text-embedding-3-small", "input": ["one two three", "four"]},
        purpose="embeddings",
        endpoint="embeddings",
    )
    out, _ = _run(rt, "openai/text-embedding-3-small", req)
    assert out.ok, out.failure
    emb = {"gen_ai_operation_name": "embeddings", "gen_ai_provider_name": "openai"}
    assert value(m, "gen_ai_client_operation_duration_seconds_count", error_type="", **emb) == 1
    assert (
        value(m, "gen_ai_client_token_usage_sum", gen_ai_token_type="input", **emb)
        == out.usage.input_tokens
        > 0
    )
    assert value(m, "gen_ai_client_operation_duration_seconds_count", gen_ai_operation_name="chat") == 0


def test_every_auxiliary_endpoint_has_its_operation() -> None:
    from clawgate.call.bodies import ENDPOINTS
    from clawgate.gateway.app import AUX_ENDPOINTS
    from clawgate.observability import names as n

    assert set(n.PATH_OPERATIONS) == set(AUX_ENDPOINTS)
    assert set(n.ENDPOINT_OPERATIONS) == set(ENDPOINTS)
    assert n.operation(None) == "chat" and n.operation("embeddings") == "embeddings"
