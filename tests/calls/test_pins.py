"""A credential pin (`ref@profile`, from the client's model string) is a pin, not a preference: it resolves to
that exact profile of that provider, or the call fails before anything is sent (`auth.pin_invalid`)."""

from __future__ import annotations

from tests.calls.conftest import BY_ID, call, chat, runtime, wire_home

OR = BY_ID["openrouter"]
GROQ = BY_ID["groq"]
WORK_OR_KEY = "sk-or-v1-test-work-profile-0000000001"
GROQ_WORK_KEY = "gsk_testworkprofile000000000000000001"


def _profiles(home) -> None:
    home.profiles(
        "main",
        {
            "version": 1,
            "profiles": {
                "openrouter:work": {"type": "api_key", "provider": "openrouter", "key": WORK_OR_KEY},
                "groq:work": {"type": "api_key", "provider": "groq", "key": GROQ_WORK_KEY},
            },
        },
    )


def _sent_keys(emu) -> list[str | None]:
    return [r.header("authorization") for r in emu.requests]


def test_pin_to_a_missing_profile_sends_nothing_and_names_the_pin(home, emu):
    wire_home(home, emu)  # OPENROUTER_API_KEY is set: the old code silently used it instead
    _profiles(home)
    rt = runtime(home)
    done = call(rt, rt.plan(None, f"openrouter/{OR.model}@openrouter:nosuch"), chat(), emu)
    f = done.failure
    assert f is not None and f.code == "auth.pin_invalid", f
    assert f.owner == "provider_auth"
    assert "openrouter:nosuch" in f.message
    assert "openrouter:work" in f.message  # the profiles that do exist for this provider
    assert emu.requests == []  # nothing was sent


def test_pin_to_another_providers_profile_never_sends_that_key(home, emu):
    wire_home(home, emu)
    _profiles(home)
    rt = runtime(home)
    done = call(rt, rt.plan(None, f"openrouter/{OR.model}@groq:work"), chat(), emu)
    f = done.failure
    assert f is not None and f.code == "auth.pin_invalid", f
    assert "groq:work" in f.message and "groq" in f.message and "openrouter" in f.message
    assert all(GROQ_WORK_KEY not in (k or "") for k in _sent_keys(emu))
    assert emu.requests == []


def test_a_valid_pin_sends_exactly_that_profile(home, emu):
    wire_home(home, emu)
    _profiles(home)
    emu_keys = emu.keys  # the emulator accepts only the suite's good key for openrouter
    assert WORK_OR_KEY not in emu_keys.get("openrouter", [])
    rt = runtime(home)
    done = call(rt, rt.plan(None, f"openrouter/{OR.model}@openrouter:work"), chat(), emu)
    # the pinned key is sent (and rejected by the emulator): no silent fallback to OPENROUTER_API_KEY
    assert _sent_keys(emu) == [f"Bearer {WORK_OR_KEY}"]
    assert done.failure is not None and done.failure.code == "auth.rejected"
    assert done.failure.credential_source == "profile:openrouter:work"
