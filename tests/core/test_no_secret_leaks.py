"""Every command, fed a canary key through every source, never prints it (issue 2, item 4).

The canaries are deliberately *not* shaped like a provider key (no `sk-`/`gsk_` prefix, a `~` that the
`Bearer …` pattern does not match): the redactor's fallback regex for key shapes cannot hide them, so only
secret registration keeps them out of the output, and the test fails when registration is switched off
(`test_the_canary_test_fails_without_secret_registration`, or by hand: `CLAWGATE_TEST_NO_REGISTRATION=1`)."""

from __future__ import annotations

import json
import os

import pytest
from tests.support.emulator import running_emulator

from clawgate import redaction

CANARY = "cgtest~CANARY~9f8e7d6c5b4a39281706f5e4d3c2b1a0"
CANARY_CORE = "CANARY~9f8e7d6c5b4a"
GROQ_CANARY = "cgtest~CANARYgroq~000000000000001"
TENANT_CANARY = "cgtest~CANARYtenant~0000000000001"  # a secret inside a baseUrl, through ${VAR}
_SHAPES = [CANARY, GROQ_CANARY, TENANT_CANARY, f"Bearer {CANARY}"]


class Leak(AssertionError):
    """A canary reached the output."""


def _no_canary(res) -> None:
    blob = res.out + res.err
    if CANARY_CORE in blob or "CANARYgroq~000000000" in blob or "CANARYtenant~" in blob:
        raise Leak(blob)


def switch_off_registration(monkeypatch: pytest.MonkeyPatch) -> None:
    """Secret registration off: nothing registered so far, nothing registered from now on."""
    monkeypatch.setattr(redaction.REDACTOR, "_secrets", {})
    monkeypatch.setattr(redaction.REDACTOR, "_pattern", None)
    monkeypatch.setattr(redaction.REDACTOR, "_memo", {})
    monkeypatch.setattr(redaction.Redactor, "register", lambda self, secret: None)


def test_the_canaries_are_not_shaped_like_keys():
    for text in _SHAPES:  # only registration can hide them
        assert redaction._KEY_SHAPES.search(text) is None, text


def test_every_command_hides_the_canary(home, cli, monkeypatch):
    if os.environ.get("CLAWGATE_TEST_NO_REGISTRATION") == "1":
        switch_off_registration(monkeypatch)
    _every_command(home, cli, monkeypatch)


def test_the_canary_test_fails_without_secret_registration(home, cli, monkeypatch):
    switch_off_registration(monkeypatch)
    with pytest.raises(Leak):
        _every_command(home, cli, monkeypatch)


def _every_command(home, cli, monkeypatch):
    # a provider that echoes the whole key back in its error (some proxies and self-hosted servers do)
    with running_emulator({}) as emu:
        emu.add_fault(
            "custom",
            status=401,
            times=None,
            body={"error": {"message": f"Incorrect API key provided: {CANARY}", "code": "invalid_api_key"}},
        )
        _commands(home, cli, monkeypatch, emu.base_url("openai"))


def _commands(home, cli, monkeypatch, echo_url):
    home.config(
        {
            "env": {"vars": {"DEEPSEEK_API_KEY": CANARY}},
            "models": {
                "providers": {
                    "openai": {"apiKey": CANARY, "baseUrl": echo_url},
                    "tenant": {
                        "baseUrl": "https://llm.example/t/${TENANT_SECRET}/v1",
                        "api": "openai-completions",
                        "models": [{"id": "m2"}],
                    },
                    "custom": {
                        "baseUrl": "https://llm.example/v1",
                        "auth": "none",  # the header is its credential (else refused: it would replace the key)
                        "headers": {"Authorization": f"Bearer {CANARY}"},
                        "models": [{"id": "m1"}],
                    },
                }
            },
            "agents": {
                "defaults": {
                    "model": {
                        "primary": "openai/gpt-4o",
                        "fallbacks": [
                            "groq/llama-3.3-70b-versatile",
                            "custom/m1",
                            "deepseek/deepseek-chat",
                            "tenant/m2",
                        ],
                    }
                }
            },
            "gateway": {"auth": {"mode": "token", "token": CANARY}},
        }
    )
    home.dotenv(f"GROQ_API_KEY={GROQ_CANARY}\nOPENROUTER_API_KEY= {CANARY}\nTENANT_SECRET={TENANT_CANARY}\n")
    home.dotenv(f"ANTHROPIC_API_KEY='\"{CANARY}\"'\n", cwd=True)
    monkeypatch.setenv("MOONSHOT_API_KEY", CANARY + " ")
    home.profiles(
        "main",
        {
            "version": 1,
            "profiles": {
                "openrouter:default": {"type": "api_key", "provider": "openrouter", "key": CANARY},
                "groq:bad": {"type": "api_key", "provider": "groq", "apiKey": CANARY},
            },
        },
    )
    commands = [
        ["config", "get"],
        ["config", "get", "--json"],
        ["config", "get", "models.providers.openai.apiKey"],
        ["config", "get", "models.providers.custom.headers", "--json"],
        ["config", "get", "env", "--json"],
        ["config", "path"],
        ["config", "validate"],
        ["models", "list", "--all"],
        ["models", "list", "--json"],
        ["models", "status"],
        ["models", "status", "--json"],
        ["models", "status", "--all-agents", "--json"],
        ["auth", "list"],
        ["auth", "list", "--json"],
        ["env"],
        ["env", "--all", "--json"],
        ["secrets", "audit"],
        ["secrets", "audit", "--json", "--check"],
        ["doctor"],
        ["doctor", "--json"],
        ["config", "set", "models.providers.groq.apiKey", CANARY],
        ["config", "set", "models.providers.groq.apiKey", CANARY, "--json"],
        ["config", "unset", "models.providers.groq.apiKey"],
        ["infer", "hi", "--model", "openai/gpt-4o"],
        ["infer", "hi", "--model", "openai/gpt-4o", "--json"],
        ["infer", "hi", "--model", "openai/gpt-4o", "--stream"],
    ]
    for args in commands:
        res = cli(*args)
        assert res.code in (0, 1), (args, res.err)
        _no_canary(res)
    for key_input in (CANARY, f"Bearer {CANARY}", f'"{CANARY}"', f"{CANARY} extra"):
        res = cli("auth", "add", "openrouter", "--profile", "openrouter:canary", input=key_input)
        _no_canary(res)
        res = cli("auth", "add", "openrouter", "--profile", "openrouter:canary", "--json", input=key_input)
        _no_canary(res)
    res = cli("auth", "remove", "openrouter:canary")
    _no_canary(res)
    # an invalid config that contains the canary: the error must not echo it
    (home.path / "clawgate.json").write_text(
        json.dumps({"models": {"providers": {"openai": {"apiKey": CANARY, "bad": 1}}}})
    )
    for args in (["config", "validate"], ["doctor", "--json"], ["models", "status"]):
        res = cli(*args)
        _no_canary(res)
    # logs and crash reports written under the home never contain it either
    for path in home.path.rglob("*.log"):
        if CANARY_CORE in path.read_text(errors="replace"):
            raise Leak(str(path))
