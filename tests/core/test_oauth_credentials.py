"""OAuth profiles in the one credential order: today's OpenClaw fields are accepted, an expired access token
with a refresh token is still usable (it is renewed before the call), a ChatGPT token is not offered to
api.openai.com, and the plan shows where a subscription call really goes."""

from __future__ import annotations

import time

from clawgate.plan.snapshot import Snapshot

FUTURE = 4102444800000


def _oauth(provider: str, **extra: object) -> dict:
    return {
        "type": "oauth",
        "provider": provider,
        "access": "oauth-test-access-core-000000000001",
        "refresh": "oauth-test-refresh-core-00000000001",
        "expires": FUTURE,
        **extra,
    }


def test_todays_profile_fields_are_accepted(home):
    home.profiles(
        "main",
        {
            "version": 1,
            "profiles": {
                "openai-codex:work": _oauth(
                    "openai-codex",
                    displayName="Work",
                    copyToAgents=False,
                    clientId="app_test_client",
                    chatgptPlanType="team",
                    accountId="acct_test_core",
                ),
                "zai:default": {
                    "type": "api_key",
                    "provider": "zai",
                    "key": "zai-test-core-0001",
                    "displayName": "Z",
                },
            },
        },
    )
    store = Snapshot.load().store("main")
    assert store.problems == []
    prof = store.profiles["openai-codex:work"]
    assert (prof.display_name, prof.plan_type, prof.client_id, prof.account_id) == (
        "Work",
        "team",
        "app_test_client",
        "acct_test_core",
    )
    assert prof.extra_fields == ("copyToAgents",)


def test_a_wrongly_typed_new_field_is_still_reported(home):
    home.profiles(
        "main", {"version": 1, "profiles": {"x:default": _oauth("openai-codex", copyToAgents="no")}}
    )
    store = Snapshot.load().store("main")
    assert store.profiles["x:default"].error_field == "copyToAgents"


def test_expired_access_token_with_a_refresh_token_stays_usable(home):
    past = int(time.time() * 1000) - 60_000
    home.config({"agents": {"defaults": {"model": "openai-codex/gpt-5.4"}}})
    home.profiles(
        "main", {"version": 1, "profiles": {"openai-codex:default": _oauth("openai-codex", expires=past)}}
    )
    cred = Snapshot.load().plan().attempts[0].credential
    assert cred.winner is not None and cred.winner.refreshable and not cred.winner.issues
    no_refresh = _oauth("openai-codex", expires=past)
    del no_refresh["refresh"]
    home.profiles("main", {"version": 1, "profiles": {"openai-codex:default": no_refresh}})
    cred = Snapshot.load().plan().attempts[0].credential
    assert cred.winner is None
    assert cred.candidates[0].fatal_reason == "the token has expired and has no refresh token"


def test_a_chatgpt_token_is_not_offered_to_api_openai_com(home):
    home.config({"agents": {"defaults": {"model": "openai/gpt-5"}}})
    home.profiles("main", {"version": 1, "profiles": {"openai:default": _oauth("openai")}})
    att = Snapshot.load().plan().attempts[0]
    assert att.credential.winner is None  # it was "ok" and went to /v1/chat/completions without an account id
    assert "openai-codex/<model>" in att.credential.candidates[0].fatal_reason


def test_the_plan_shows_the_chatgpt_backend(home):
    home.config({"agents": {"defaults": {"model": "openai-codex/gpt-5.4"}}})
    home.profiles("main", {"version": 1, "profiles": {"openai-codex:default": _oauth("openai-codex")}})
    att = Snapshot.load().plan().attempts[0].to_json()
    assert (att["api"], att["api_kind"], att["base_url"]) == (
        "openai-responses",
        "openai-codex-responses",
        "https://chatgpt.com/backend-api",
    )
    assert att["credential"]["kind"] == "oauth"
