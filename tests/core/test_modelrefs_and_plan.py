"""Model refs (first `/`, aliases, pins) and plan construction with provenance."""

from __future__ import annotations

import pytest

from clawgate.catalog.modelrefs import ModelRefError, parse_ref
from clawgate.catalog.providers import build_catalog
from clawgate.config.schema import Config
from clawgate.plan.snapshot import Snapshot


def catalog(data=None):
    return build_catalog(Config.model_validate(data or {}))


def test_split_on_first_slash_and_lowercase_provider():
    r = parse_ref("OpenRouter/moonshotai/kimi-k2.5", catalog())
    assert (r.provider, r.model) == ("openrouter", "moonshotai/kimi-k2.5")


def test_provider_aliases():
    assert parse_ref("modelstudio/qwen-plus", catalog()).provider == "qwen"
    # kimi/… is Kimi Coding (Anthropic Messages on api.kimi.com), not Moonshot's platform
    kimi = catalog().get(parse_ref("kimi/kimi-for-coding", catalog()).provider)
    assert kimi is not None and kimi.id == "kimi"
    assert (kimi.api.value, kimi.base_url.value) == ("anthropic-messages", "https://api.kimi.com/coding")
    assert parse_ref("moonshot/kimi-k2.5", catalog()).provider == "moonshot"


def test_openrouter_bare_model_is_normalized():
    r = parse_ref("openrouter/auto", catalog())
    assert r.model == "openrouter/auto" and r.normalized_from == "auto"


def test_profile_pin_and_alias():
    r = parse_ref("fast@groq:work", catalog(), aliases={"fast": "groq/llama-3.1-8b-instant"})
    assert r.ref == "groq/llama-3.1-8b-instant" and r.profile == "groq:work" and r.via_alias == "fast"


def test_bare_catalog_model_and_errors():
    assert parse_ref("deepseek-chat", catalog()).provider == "deepseek"
    with pytest.raises(ModelRefError) as exc:
        parse_ref("llama-3.3-70b-versatil", catalog())
    assert "did you mean" in str(exc.value)
    # a first-party family takes any id of its own, listed or not; the provider decides whether it exists
    typo = parse_ref("deepseek-chatt", catalog())
    assert (typo.ref, typo.via_family) == ("deepseek/deepseek-chatt", "deepseek-*")
    with pytest.raises(ModelRefError):
        parse_ref("openai/", catalog())


def test_preset_override_keeps_unset_fields(home):
    home.config({"models": {"providers": {"openrouter": {"baseUrl": "https://proxy.example/api/v1"}}}})
    snap = Snapshot.load()
    view = snap.catalog.get("openrouter")
    assert view.base_url.value == "https://proxy.example/api/v1"
    assert view.base_url.source == "config:models.providers.openrouter.baseUrl"
    assert view.base_url.shadows == (("preset:openrouter", "https://openrouter.ai/api/v1"),)
    assert view.env_vars == ("OPENROUTER_API_KEY",) and view.api.source == "preset:openrouter"


def test_replace_mode_hides_presets(home):
    home.config({"models": {"mode": "replace", "providers": {"local": {"baseUrl": "http://127.0.0.1:9/v1"}}}})
    snap = Snapshot.load()
    assert list(snap.catalog.providers) == ["local"]


def test_agent_object_model_replaces_fallbacks_string_keeps_them(home):
    home.config(
        {
            "agents": {
                "defaults": {
                    "model": {"primary": "openai/gpt-4o", "fallbacks": ["groq/llama-3.3-70b-versatile"]}
                },
                "list": [
                    {"id": "a", "model": "openrouter/openrouter/auto"},
                    {"id": "b", "model": {"primary": "deepseek/deepseek-chat", "fallbacks": []}},
                ],
            }
        }
    )
    snap = Snapshot.load()
    a = snap.plan("a")
    assert [x.ref for x in a.attempts] == ["openrouter/openrouter/auto", "groq/llama-3.3-70b-versatile"]
    assert a.attempts[1].ref_from == "agents.defaults.model.fallbacks[0]"
    b = snap.plan("b")
    assert [x.ref for x in b.attempts] == ["deepseek/deepseek-chat"]
    assert b.model.source == "agents.list[1].model.primary"


def test_subagent_model_precedence(home):
    home.config(
        {
            "agents": {
                "defaults": {"model": "openai/gpt-4o", "subagents": {"model": "groq/llama-3.1-8b-instant"}},
                "list": [{"id": "main"}, {"id": "worker", "subagents": {"model": "deepseek/deepseek-chat"}}],
            }
        }
    )
    snap = Snapshot.load()
    main = snap.model_choice(snap.agent("main"), subagent=True)
    assert (main.ref, main.source) == ("groq/llama-3.1-8b-instant", "agents.defaults.subagents.model")
    worker = snap.model_choice(snap.agent("worker"), subagent=True)
    assert (worker.ref, worker.source) == ("deepseek/deepseek-chat", "agents.list[1].subagents.model")
    spawn = snap.model_choice(snap.agent("worker"), "openai/gpt-4o-mini", "spawn.model", subagent=True)
    assert (
        spawn.source == "spawn.model"
        and ("agents.list[1].subagents.model", "deepseek/deepseek-chat") in spawn.shadows
    )


def test_credential_order(home, monkeypatch):
    monkeypatch.setenv("OPENROUTER_API_KEY", "sk-or-v1-test-env-000000000000000000000001")
    home.config(
        {
            "models": {"providers": {"openrouter": {"apiKey": "${OR_FROM_CONFIG}"}}},
            "env": {"vars": {"OR_FROM_CONFIG": "sk-or-v1-test-cfg-000000000000000000000002"}},
            "auth": {"order": {"openrouter": ["openrouter:b", "openrouter:a"]}},
        }
    )
    home.profiles(
        "main",
        {
            "version": 1,
            "profiles": {
                "openrouter:a": {
                    "type": "api_key",
                    "provider": "openrouter",
                    "key": "sk-or-v1-test-a-00000000000000000000003",
                },
                "openrouter:b": {
                    "type": "api_key",
                    "provider": "openrouter",
                    "key": "sk-or-v1-test-b-00000000000000000000004",
                },
            },
        },
    )
    snap = Snapshot.load()
    res = snap.credentials(snap.catalog.get("openrouter"), "main")
    assert [c.source for c in res.candidates] == [
        "config:models.providers.openrouter.apiKey",
        "profile:openrouter:b",
        "profile:openrouter:a",
        "env:OPENROUTER_API_KEY",
    ]
    assert res.candidates[0].origin.endswith("env.vars.OR_FROM_CONFIG")
    pinned = snap.credentials(snap.catalog.get("openrouter"), "main", pin="openrouter:a")
    assert pinned.winner.source == "profile:openrouter:a" and len(pinned.distinct_usable()) == 1


def test_local_provider_needs_no_key(home):
    home.config({"agents": {"defaults": {"model": "ollama/llama3.2"}}})
    att = Snapshot.load().plan().attempts[0]
    assert att.ready and att.credential.winner is None and att.credential.optional


def test_subagent_model_fallbacks_are_used(home):
    """`agents.*.subagents.model.fallbacks` are the subagent's fallbacks (they were ignored)."""
    home.config(
        {
            "agents": {
                "defaults": {
                    "model": {"primary": "openai/gpt-4o", "fallbacks": ["deepseek/deepseek-chat"]},
                    "subagents": {
                        "model": {"primary": "groq/llama-3.1-8b-instant", "fallbacks": ["openai/gpt-4o-mini"]}
                    },
                },
                "list": [
                    {"id": "main"},
                    {
                        "id": "worker",
                        "subagents": {
                            "model": {"primary": "deepseek/deepseek-chat", "fallbacks": ["groq/x"]}
                        },
                    },
                ],
            }
        }
    )
    snap = Snapshot.load()
    main = snap.model_choice(snap.agent("main"), subagent=True)
    assert main.fallbacks == [("openai/gpt-4o-mini", "agents.defaults.subagents.model.fallbacks[0]")]
    worker = snap.model_choice(snap.agent("worker"), subagent=True)
    assert worker.fallbacks == [("groq/x", "agents.list[1].subagents.model.fallbacks[0]")]
    plan = snap.plan("main", subagent=True)
    assert [a.ref for a in plan.attempts] == ["groq/llama-3.1-8b-instant", "openai/gpt-4o-mini"]
    # the agent's own model (no subagent model): the agent's own fallbacks
    assert [a.ref for a in snap.plan("main").attempts] == ["openai/gpt-4o", "deepseek/deepseek-chat"]
