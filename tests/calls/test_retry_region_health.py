"""Retry-after honoured, no retries for 401/400/quota (item 4); DashScope region mismatch (item 3);
changing a rejected key clears health without a restart (item 6); cooldowns keep the first failure."""

from __future__ import annotations

import json

import pytest
from tests.calls.conftest import BY_ID, CN_KEY, call, chat, runtime, wire_home


def test_retry_after_is_honoured(home, emu):
    wire_home(home, emu, model="openai/gpt-4o")
    emu.add_fault("rate_limit", dialect="openai", retry_after=1, times=1)
    rt = runtime(home)
    done = call(rt, rt.plan(), chat(), emu)
    assert done.outcome.ok
    reqs = emu.requests_for(dialect="openai")
    assert [r.status for r in reqs] == [429, 200]
    assert reqs[1].t_arrival - reqs[0].t_arrival >= 1.0


def test_retry_after_ms_wins_over_seconds(home, emu):
    wire_home(home, emu, model="openai/gpt-4o")
    emu.add_fault("rate_limit", dialect="openai", retry_after=30, retry_after_ms=300, times=1)
    rt = runtime(home)
    done = call(rt, rt.plan(), chat(), emu)
    assert done.outcome.ok
    reqs = emu.requests_for(dialect="openai")
    assert 0.3 <= reqs[1].t_arrival - reqs[0].t_arrival < 5


def test_retry_after_longer_than_the_bound_is_not_waited_for(home, emu):
    wire_home(home, emu, model="openai/gpt-4o", extra={"gateway": {"maxRetryWaitSeconds": 1}})
    emu.add_fault("rate_limit", dialect="openai", retry_after=60, times=1)
    rt = runtime(home, max_retry_wait=1)
    done = call(rt, rt.plan(), chat(), emu)
    assert done.failure.code == "rate_limit.exceeded" and done.failure.retry_after == 60
    assert len(emu.requests) == 1


@pytest.mark.parametrize(
    "fault,code",
    [
        ("wrong_key", "auth.rejected"),
        ("billing", "access.billing"),
        ("unknown_model", "model.unknown"),
        ("context_length", "context.exceeded"),
        ("forbidden", "access.forbidden"),
    ],
)
def test_non_retryable_failures_are_sent_once(fault, code, home, emu):
    wire_home(home, emu, model="openai/gpt-4o")
    emu.add_fault(fault, dialect="openai", times=None)
    rt = runtime(home)
    done = call(rt, rt.plan(), chat(), emu)
    assert done.failure.code == code
    assert len(emu.requests) == 1


def test_overload_is_retried_with_backoff(home, emu):
    wire_home(home, emu, model="anthropic/claude-sonnet-4-5")
    emu.add_fault("overloaded", dialect="anthropic", times=2)
    rt = runtime(home)
    done = call(rt, rt.plan(), chat(), emu)
    assert done.outcome.ok and [r.status for r in emu.requests] == [529, 529, 200]


def test_dashscope_intl_key_on_cn_host_names_the_region(home, emu):
    p = BY_ID["qwen"]
    home.config(
        {
            "models": {"providers": {"qwen": {"baseUrl": emu.base_url("dashscope", "cn")}}},
            "agents": {"defaults": {"model": "qwen/qwen-plus"}},
        }
    )
    home.dotenv(f"DASHSCOPE_API_KEY={p.key}\n")  # an intl key
    rt = runtime(home)
    done = call(rt, rt.plan(), chat(), emu)
    f = done.failure
    assert f.owner == "provider_auth"
    assert "another region or plan" in f.message and "127.0.0.1" in f.message
    # with the cn key the same host works
    home.dotenv(f"DASHSCOPE_API_KEY={CN_KEY}\n")
    rt = runtime(home)
    assert call(rt, rt.plan(), chat(), emu).outcome.ok


def test_changing_a_rejected_key_clears_health_without_restart(home, emu):
    p = BY_ID["openai"]
    wire_home(home, emu, keys={p.env: "sk-test-openai-wrong-0000000000009"}, model="openai/gpt-4o")
    rt = runtime(home, persist=True)
    try:
        import asyncio

        async def one():
            return await rt.run(rt.plan(), chat())

        first = asyncio.run(one())
        assert first.failure.code == "auth.rejected" and len(emu.requests) == 1
        second = asyncio.run(one())  # the rejected key is not sent again while it is known bad
        assert second.failure.code == "auth.rejected" and "earlier" in second.failure.message
        assert "first failure" in second.failure.message and len(emu.requests) == 1
        home.dotenv(f"{p.env}={p.key}\n")  # the user fixes the key; the same runtime picks it up
        assert rt.refresh() is True
        third = asyncio.run(one())
        assert third.ok and len(emu.requests) == 2
    finally:
        rt.close()


def test_cooldown_keeps_its_first_failure(home, emu):
    wire_home(home, emu, model="groq/llama-3.3-70b-versatile")
    emu.add_fault("rate_limit", dialect="groq", retry_after=30, times=None)
    rt = runtime(home, max_retry_wait=0)
    import asyncio

    async def go():
        a = await rt.run(rt.plan(), chat())
        b = await rt.run(rt.plan(), chat())
        await rt.aclose()
        return a, b

    a, b = asyncio.run(go())
    assert a.failure.code == "rate_limit.exceeded"
    # the refusal keeps the owner and code of the failure that started the cooldown (not a code of its own)
    assert (b.failure.owner, b.failure.code) == ("rate_limit", "rate_limit.exceeded")
    assert (
        not b.tries[-1].sent and "cooling down" in b.failure.message and "first failure" in b.failure.message
    )
    assert "429" in b.failure.message and len(emu.requests) == 1
    rec = rt.health.records()[0]
    assert rec.first_code == "rate_limit.exceeded" and rec.first_status == 429


def test_a_rate_limit_after_waiting_says_how_long_clawgate_already_waited(home, emu):
    """F4: the 429 a client gets after clawgate's own retry-after waits says so (gateway.maxRetryWaitSeconds)."""
    wire_home(home, emu, model="openai/gpt-4o")
    emu.add_fault("rate_limit", dialect="openai", retry_after=0.3, times=None)
    rt = runtime(home, max_retry_wait=1, retries_rate_limit=2)
    done = call(rt, rt.plan(), chat(), emu)
    assert done.failure.code == "rate_limit.exceeded" and len(emu.requests) == 3
    assert "(clawgate already waited 0.6 s on retry-after before answering)" in done.failure.message, (
        done.failure.message
    )


def test_waits_are_whole_seconds_in_a_body_and_one_decimal_in_words():
    """F4: `retry_after` as HTTP's retry-after (whole seconds, rounded up); a message's wait at most one decimal,
    never shorter than the real one."""
    from clawgate.dialects.envelope import clawgate_fields
    from clawgate.failures import failure
    from clawgate.failures.classify.steps import next_steps
    from clawgate.gateway.errors import error_response

    f = failure("rate_limit.exceeded", "limited", provider="openai", retry_after=0.8148338794708252)
    assert clawgate_fields(f)["retry_after"] == 1
    _, headers, body = error_response(f, "openai-completions")
    assert json.loads(body)["error"]["retry_after"] == 1 and (b"retry-after", b"1") in headers
    assert next_steps("rate_limit.exceeded", "openai", retry_after=0.989886)[0] == "wait 1s and retry"
    assert next_steps("rate_limit.exceeded", "openai", retry_after=0.8148)[0] == "wait 0.9s and retry"
