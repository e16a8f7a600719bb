"""Every attempt of a plan skipped from the health state: the answer names each one and why (each first error
stays visible), and it never suggests adding a fallback the plan already has."""

from __future__ import annotations

from tests.calls.conftest import call, chat, runtime, wire_home

MODEL = {"primary": "openrouter/openrouter/auto", "fallbacks": ["anthropic/claude-sonnet-4-5"]}


def test_all_attempts_cooling_down_names_each_and_keeps_the_fallback(home, emu):
    wire_home(home, emu, model=MODEL)
    emu.add_fault("rate_limit", dialect="openrouter", retry_after=120, times=None)
    emu.add_fault("overloaded", dialect="anthropic", times=None)
    rt = runtime(home, persist=True)
    try:
        for _ in range(2):  # the failures that open both health windows
            call(rt, rt.plan(), chat(), emu)
        sent = len(emu.requests)
        done = call(rt, rt.plan(), chat(), emu)
    finally:
        rt.close()
    f = done.failure
    assert f is not None and not f.sent and len(emu.requests) == sent, f  # nothing sent: both skipped
    assert f.message.startswith("not sent:") and "openrouter" in f.message
    assert "anthropic/claude-sonnet-4-5" in f.message and "cooling down" in f.message, f.message
    assert f.message.count("first failure") == 2, f.message  # each skipped attempt's first error
    assert not any("add a fallback model" in s for s in f.next_steps), f.next_steps
    assert "clawgate health list" in f.next_steps
    assert any(s.startswith("clawgate health clear --provider anthropic") for s in f.next_steps), f.next_steps


def test_without_a_fallback_the_step_to_add_one_stays(home, emu):
    wire_home(home, emu, model={"primary": "openrouter/openrouter/auto", "fallbacks": []})
    emu.add_fault("rate_limit", dialect="openrouter", retry_after=120, times=None)
    rt = runtime(home, persist=True)
    try:
        call(rt, rt.plan(), chat(), emu)
        done = call(rt, rt.plan(), chat(), emu)
    finally:
        rt.close()
    f = done.failure
    assert f is not None and not f.sent
    assert any("add a fallback model" in s for s in f.next_steps), f.next_steps
