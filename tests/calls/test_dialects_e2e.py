"""Every dialect end to end through the executor (issue 3, item 1): good keys stream and non-stream,
auth failures land on provider_auth with source and fingerprint, a missing key is refused before any
request, and nothing ever asks for GET /models."""

from __future__ import annotations

import pytest
from tests.calls.conftest import PROVIDERS, call, chat, reply_text, runtime, wire_home

from clawgate.redaction import fingerprint

IDS = [p.id for p in PROVIDERS]


def _no_models_calls(emu) -> None:
    assert not [r for r in emu.requests if r.path.rstrip("/").endswith("/models")], (
        "a call path requested /models"
    )


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "stream"])
@pytest.mark.parametrize("p", PROVIDERS, ids=IDS)
def test_good_key(p, stream, home, emu):
    wire_home(home, emu)
    rt = runtime(home)
    done = call(rt, rt.plan(None, f"{p.id}/{p.model}"), chat(stream=stream), emu)
    assert done.outcome.ok and done.failure is None, done.failure
    assert done.text == reply_text(p)
    rec = emu.last_request
    assert rec.dialect == p.dialect and rec.stream is stream and rec.model == p.model
    sent = rec.headers.get(p.auth_header, "")
    assert p.key in sent  # the exact key, and only through that dialect's header
    if p.auth_header == "x-api-key":
        assert "authorization" not in {k.lower() for k in rec.headers}
        assert rec.headers.get("anthropic-version") == "2023-06-01"
    if not stream:
        assert done.outcome.usage.output_tokens is not None
    _no_models_calls(emu)


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "stream"])
@pytest.mark.parametrize("p", PROVIDERS, ids=IDS)
def test_wrong_key_is_provider_auth_with_source_and_fingerprint(p, stream, home, emu):
    wrong = p.key[:-6] + "WRONG0"
    wire_home(home, emu, keys={p.env: wrong})
    rt = runtime(home)
    done = call(rt, rt.plan(None, f"{p.id}/{p.model}"), chat(stream=stream), emu)
    f = done.failure
    assert not done.outcome.ok and f is not None
    assert f.owner == "provider_auth" and f.code in ("auth.rejected", "auth.region_mismatch"), f
    assert f.credential_source == f"env:{p.env}"
    assert f.credential_fingerprint == fingerprint(wrong)
    assert wrong not in f.message and fingerprint(wrong) in f.message
    assert len(emu.requests) == 1  # an auth rejection is never retried with the same key
    _no_models_calls(emu)


@pytest.mark.parametrize("p", PROVIDERS, ids=IDS)
def test_missing_key_is_refused_before_any_request(p, home, emu):
    wire_home(home, emu, keys={})
    rt = runtime(home)
    done = call(rt, rt.plan(None, f"{p.id}/{p.model}"), chat(), emu)
    f = done.failure
    assert f is not None and f.owner == "provider_auth" and f.code == "auth.missing_credential"
    assert p.env in f.message and "nothing was sent" in f.message
    assert emu.requests == []


def test_unresolved_reference_is_refused_before_any_request(home, emu):
    wire_home(home, emu, keys={})
    cfg = {
        "models": {
            "providers": {
                "openrouter": {"baseUrl": emu.base_url("openrouter"), "apiKey": "${OPENROUTER_API_KEY}"}
            }
        }
    }
    home.config(cfg)
    rt = runtime(home)
    done = call(rt, rt.plan(None, "openrouter/openrouter/auto"), chat(), emu)
    assert done.failure.owner == "environment" and done.failure.code == "env.unresolved_ref"
    assert emu.requests == []
    # no empty Authorization header was ever built: nothing reached the wire at all


def test_fallback_to_next_provider_on_auth_failure(home, emu):
    wire_home(
        home,
        emu,
        keys={"OPENROUTER_API_KEY": "sk-or-v1-test-wrong-000000000000000", "GROQ_API_KEY": PROVIDERS[4].key},
        model={"primary": "openrouter/moonshotai/kimi-k2.5", "fallbacks": ["groq/llama-3.3-70b-versatile"]},
    )
    rt = runtime(home)
    done = call(rt, rt.plan(), chat(), emu)
    assert done.outcome.ok and done.outcome.attempt.ref == "groq/llama-3.3-70b-versatile"
    assert [t.ok for t in done.outcome.tries] == [False, True]
    assert done.outcome.tries[0].failure.code == "auth.rejected"


def test_request_errors_do_not_fall_back(home, emu):
    wire_home(
        home,
        emu,
        model={"primary": "openai/fault-context_length", "fallbacks": ["groq/llama-3.3-70b-versatile"]},
    )
    rt = runtime(home)
    done = call(rt, rt.plan(), chat(), emu)
    assert done.failure.owner == "context" and [r.dialect for r in emu.requests] == ["openai"]
