"""History is trimmed to the model's context window before sending (~4 chars/token unless usage is known); a
`context` failure says how large the request was."""

from __future__ import annotations

import time

from clawgate.agents.context import describe_request, fit, reply_reserve
from clawgate.failures import Failure
from clawgate.store.base import MessageRecord

from .conftest import OPENAI_KEY, agent_config


def _m(i: int, role: str, chars: int, **kw: object) -> MessageRecord:
    return MessageRecord(f"m{i}", "s", i, role, "x" * chars, "complete", time.time(), **kw)  # type: ignore[arg-type]


def test_fit_keeps_everything_that_fits_or_when_the_window_is_unknown():
    history = [_m(1, "user", 40), _m(2, "assistant", 40)]
    assert fit(history, None).messages == history
    out = fit(history, 1000)
    assert not isinstance(out, Failure) and out.messages == history and out.dropped == 0
    assert out.tokens == 2 * (10 + 4)


def test_fit_drops_the_oldest_and_starts_at_a_user_message():
    history = [_m(i, "user" if i % 2 else "assistant", 400) for i in range(1, 9)]  # 8 × 104 tokens
    out = fit(history, 400, ref="openai/tiny")  # budget 300
    assert not isinstance(out, Failure)
    assert [m.id for m in out.messages] == ["m7", "m8"] and out.dropped == 6
    assert out.tokens == 208 <= 400 - reply_reserve(400)
    assert "openai/tiny" in out.notes[0] and "400 tokens" in out.notes[0]


def test_fit_never_keeps_a_tool_result_without_its_call():
    history = [
        _m(1, "user", 200),
        _m(2, "assistant", 0, tool_calls=[{"id": "c1", "name": "spawn_subagent", "arguments": "{}"}]),
        _m(3, "tool", 400, tool_call_id="c1"),
        _m(4, "user", 40),
    ]
    out = fit(history, 160)  # budget 120: m4 (14) + m3 (104) fit, the call (m2) does not
    assert not isinstance(out, Failure)
    assert out.messages[0].role == "user" and [m.id for m in out.messages] == ["m4"]


def test_known_usage_counts_instead_of_the_estimate():
    history = [_m(1, "user", 40), _m(2, "assistant", 40), _m(3, "user", 40)]
    assert not isinstance(out := fit(history, 400), Failure) and out.dropped == 0
    out = fit(history, 400, known={"m2": 5000})
    assert not isinstance(out, Failure) and [m.id for m in out.messages] == ["m3"]


def test_a_request_that_cannot_fit_is_a_context_failure_saying_how_large():
    f = fit([_m(1, "user", 4000)], 400, ref="openai/tiny")
    assert isinstance(f, Failure)
    assert (f.owner, f.code) == ("context", "context.exceeded")
    assert "about 1004 tokens" in f.message and "context window is 400 tokens" in f.message
    assert "nothing was sent" in f.message and f.next_steps


def test_a_providers_context_failure_gets_the_request_size():
    fitted = fit([_m(1, "user", 400)], 128000)
    assert not isinstance(fitted, Failure)
    f = Failure(owner="context", code="context.exceeded", message="openai rejected the request as too long")
    assert "this request: 1 message(s), about 104 tokens" in describe_request(f, fitted).message


def test_trimming_end_to_end(home, emu, gateway):
    home.config(agent_config(emu))
    home.dotenv(f"OPENAI_API_KEY={OPENAI_KEY}\n")
    gw = gateway()
    sid = gw.session(model="openai/tiny")["id"]  # contextWindow 400 in the config
    assert gw.show(sid)["session"]["tokens"]["context_window"] == 400
    for i in range(2):
        assert gw.post(sid, f"echo: {i}" + "a" * 400)["run"]["status"] == "completed"
    events = gw.stream(sid, "echo: third")
    notice = next(e for e in events if e["type"] == "notice")
    # 106 + 105 tokens per exchange (the replies' reported usage), budget 300: the first exchange is left out
    assert "left out 2 older message(s)" in notice["text"]
    assert events[-1]["status"] == "completed"
    sent = emu.last_request.body["messages"]
    assert [m["content"][:8] for m in sent] == ["echo: 1a", "1aaaaaaa", "echo: th"]
    # everything is still in the session; only what is sent is trimmed
    assert len(gw.show(sid)["messages"]) == 6

    before = len(emu.requests)
    events = gw.stream(sid, "x" * 2000)
    err = next(e for e in events if e["type"] == "run.error")
    assert (err["owner"], err["code"]) == ("context", "context.exceeded")
    assert "about 504 tokens" in err["message"] and "openai/tiny" in err["message"]
    assert len(emu.requests) == before  # nothing was sent

    sid2 = gw.session(model="openai/fault-context_length")["id"]
    err = next(e for e in gw.stream(sid2, "hello") if e["type"] == "run.error")
    assert err["owner"] == "context" and "this request: 1 message(s)" in err["message"]
