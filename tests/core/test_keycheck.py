"""Key hygiene rules: what is stripped, what makes a key unusable, which shapes belong to another provider."""

from __future__ import annotations

import pytest

from clawgate.auth.keycheck import check_key
from clawgate.catalog.presets import PRESETS_BY_ID

GOOD = "sk-or-v1-test-0123456789abcdef0123456789abcdef"


def test_clean_key_passes():
    res = check_key(GOOD, "openrouter")
    assert res.value == GOOD and res.issues == []


@pytest.mark.parametrize(
    "raw,what",
    [
        (GOOD + "\n", "trailing newline"),
        ("  " + GOOD, "leading space"),
        (GOOD + "\r\n", "trailing newline/carriage return"),
    ],
)
def test_surrounding_whitespace_is_stripped_and_reported(raw, what):
    res = check_key(raw, "openrouter")
    assert res.value == GOOD
    assert len(res.issues) == 1 and not res.issues[0].fatal and what in res.issues[0].reason


@pytest.mark.parametrize(
    "raw,reason",
    [
        (f'"{GOOD}"', "quotes"),
        (f"'{GOOD}'", "quotes"),
        (f"\u201c{GOOD}\u201d", "quotes"),
        (f"Bearer {GOOD}", "Bearer"),
        ("sk-or-v1-test-0123 456789abcdef", "whitespace inside"),
        ("\ufeff" + GOOD, "byte-order mark"),
        (GOOD[:10] + "\u200b" + GOOD[10:], "zero-width"),
        (GOOD[:10] + "é" + GOOD[10:], "non-ASCII"),
        ("sk-...", "placeholder"),
        ("sk-or-v1-…", "placeholder"),
        ("YOUR_API_KEY", "placeholder"),
        ("${OPENROUTER_API_KEY}", "placeholder"),
        ("   ", "empty"),
    ],
)
def test_unusable_keys_have_a_clear_reason(raw, reason):
    res = check_key(raw, "openrouter")
    assert res.value is None
    assert any(i.fatal and reason in i.reason for i in res.issues), res.issues


@pytest.mark.parametrize(
    "raw",
    [
        "sk-xxxx",
        "sk-XXXXXXXXXXXXXXXXXXXXXXXX",
        "sk-proj-xxxxxxxxxxxxxxxx",
        "sk-ant-api03-xxxxxxxx",
        "xxxxxxxxxxxx",
        "your-api-key",
        "your_openrouter_api_key_here",
        "sk-your-key-here",
        "<OPENROUTER_API_KEY>",
        "sk-<your-key>",
        "changeme",
        "replace-me",
        "placeholder",
        "sk-or-v1-...",
        "sk-1234...abcd",
        "null",
    ],
)
def test_placeholders_are_whole_values_of_a_typical_shape(raw):
    res = check_key(raw, "openrouter")
    assert res.value is None
    assert [(i.code, i.reason) for i in res.issues if i.fatal] == [
        ("auth.key_malformed", "looks like a placeholder, not a real key")
    ]


@pytest.mark.parametrize(
    "key",
    [
        "sk-or-v1-test-9aXxXxQ2b7c0d1e2f3a4b5c6d7e8f9a0",  # `XxXx` inside a random key
        "sk-or-v1-test-xxxx0123456789abcdef01234567",
        "sk-or-v1-test-your-Zk29fj3kd93kd0293kfj29dkkeo29",  # `your-` inside one
        "sk-or-v1-test-changeme0123456789abcdef012345",
        "sk-or-v1-test-placeholder0123456789abcdef0123",
    ],
)
def test_real_keys_that_contain_a_placeholder_word_are_sent(key):
    res = check_key(key, "openrouter")
    assert res.value == key and res.issues == []


@pytest.mark.parametrize(
    "key,provider,owner",
    [
        ("sk-ant-api03-test-000000000000000000000000", "openrouter", "anthropic"),
        ("gsk_test0000000000000000000000000000", "openai", "groq"),
        ("sk-or-v1-test-00000000000000000000000", "anthropic", "openrouter"),
        ("AIzaSyTest000000000000000000000000000", "openai", "gemini"),
    ],
)
def test_another_providers_key_shape_is_flagged(key, provider, owner):
    res = check_key(key, provider)
    assert res.value == key
    assert [i.code for i in res.issues] == ["auth.key_provider_mismatch"]
    assert owner in res.issues[0].reason


def test_generic_sk_keys_are_not_flagged():
    assert check_key("sk-test-000000000000000000000000", "deepseek").issues == []


def test_coding_plan_host_wants_sk_sp_keys():
    qwen = PRESETS_BY_ID["qwen"]
    host = qwen.host_for("https://coding-intl.dashscope.aliyuncs.com/v1")
    res = check_key("sk-test-payg-00000000000000000000", "qwen", qwen, host)
    assert res.value is not None and "sk-sp-" in res.issues[0].reason
    payg = qwen.host_for("https://dashscope.aliyuncs.com/compatible-mode/v1")
    res = check_key("sk-sp-test-0000000000000000000000", "qwen", qwen, payg)
    assert "Coding/Token Plan" in res.issues[0].reason
