"""What clients see when something fails, decided once: the owner of a failure survives a cached refusal, retry
headers only on retryable errors, a provider's rejection never reads like the client's own key is wrong, a
permanent 429 costs one upstream call, `health clear` reaches a running gateway, the gateway token has one
vocabulary, and a bad header is the request's fault."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from clawgate.emulator import EmulatorThread

from .conftest import (
    ANTHROPIC_KEY,
    TOKEN,
    Gateway,
    base_config,
    base_dotenv,
    gateway_for,
    run_cli,
)

CHAT = {"messages": [{"role": "user", "content": "hi"}]}
WRONG_ANTHROPIC = "sk-ant-api03-test-gw-WRONG-0001"


def post(gw: Gateway, model: str, path: str = "/v1/chat/completions", **extra: Any) -> httpx.Response:
    body: dict[str, Any] = {"model": model, **CHAT}
    if path == "/v1/messages":
        body["max_tokens"] = 16
    return httpx.post(gw.url + path, json=body, headers=gw.headers(**extra), timeout=20)


@pytest.fixture(scope="module")
def gw(emulator: EmulatorThread, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    dotenv = base_dotenv().replace(ANTHROPIC_KEY, WRONG_ANTHROPIC)
    cfg = base_config(emulator)
    cfg["gateway"]["auth"] = {"exemptLoopback": False}
    with gateway_for(tmp_path_factory.mktemp("decisions"), cfg, dotenv) as g:
        yield g


def test_after_a_5xx_the_next_call_keeps_owner_upstream_not_429(gw: Gateway, emu: EmulatorThread) -> None:
    emu.add_fault("server_error", dialect="openai", model="gpt-5xx-test", times=None)
    first = post(gw, "openai/gpt-5xx-test")
    assert first.status_code == 502 and first.json()["error"]["owner"] == "upstream", first.text
    sent = len(emu.requests)
    second = post(gw, "openai/gpt-5xx-test")
    err = second.json()["error"]
    assert second.status_code != 429, second.text
    assert (err["owner"], err["code"]) == ("upstream", "upstream.server_error"), err
    assert second.headers["x-clawgate-owner"] == "upstream"
    assert len(emu.requests) == sent  # refused from the health state: not sent again


def test_a_repeated_provider_key_rejection_has_no_retry_after(gw: Gateway, emu: EmulatorThread) -> None:
    answers = [post(gw, "anthropic/claude-sonnet-4-5", "/v1/messages") for _ in range(3)]
    for r in answers:
        assert r.status_code == 424, r.text  # clawgate's credential: not a 5xx (clients retry every 5xx)
        assert r.headers["x-should-retry"] == "false"
        assert "retry-after" not in r.headers and "retry-after-ms" not in r.headers, dict(r.headers)
        assert "retry_after" not in r.json()["error"]
    assert len(emu.requests_for(dialect="anthropic")) == 1  # the later ones were refused without sending


def test_a_provider_rejection_never_reads_like_the_clients_key_is_wrong(
    gw: Gateway, emu: EmulatorThread
) -> None:
    r = post(gw, "anthropic/claude-sonnet-4-5", "/v1/messages")
    err = r.json()["error"]
    message = err["message"].lower()
    # Claude Code printed "Invalid API key · Fix external API key" for a message quoting `invalid x-api-key`
    assert "x-api-key" not in message and "invalid api key" not in message, err["message"]
    assert "gateway token" in message or "your key for clawgate" in message, err["message"]
    assert err["owner"] == "provider_auth" and err["provider"] == "anthropic"
    assert err.get("provider_message") == "invalid x-api-key", err  # the provider's own words, apart


def test_non_utf8_agent_header_is_a_400(gw: Gateway, emu: EmulatorThread) -> None:
    r = httpx.post(
        gw.url + "/v1/chat/completions",
        json={"model": "openai/gpt-4o", **CHAT},
        headers=[("Authorization", f"Bearer {TOKEN}"), ("x-clawgate-agent", b"\xff\xfemain")],  # type: ignore[list-item]
        timeout=10,
    )
    assert r.status_code == 400, r.text
    err = r.json()["error"]
    assert err["owner"] == "request" and "x-clawgate-agent" in err["message"]
    assert emu.requests == []


@pytest.mark.parametrize(
    ("token", "code"), [(None, "gateway.token_missing"), ("nope", "gateway.token_mismatch")]
)
def test_the_gateway_token_has_one_vocabulary(gw: Gateway, token: str | None, code: str) -> None:
    from clawgate.failures import CODES

    headers = {"Authorization": f"Bearer {token}"} if token else {}
    r = httpx.post(
        gw.url + "/v1/chat/completions", json={"model": "openai/gpt-4o", **CHAT}, headers=headers, timeout=10
    )
    assert r.status_code == 401
    err = r.json()["error"]
    assert err["code"] == code and code in CODES
    assert r.headers["x-clawgate-code"] == code


def test_a_permanent_429_costs_one_upstream_call(emulator: EmulatorThread, tmp_path: Path) -> None:
    """OpenRouter's `free-models-per-day` 429 is a daily quota: retrying in place or soon cannot help."""
    emulator.reset()
    cfg = base_config(emulator)
    cfg["gateway"]["maxRetryWaitSeconds"] = 30  # the gateway would wait the 1 s retry-after in place
    with gateway_for(tmp_path, cfg) as g:
        emulator.add_fault("rate_limit", dialect="openrouter", times=None)
        answers = [post(g, "openrouter/moonshotai/kimi-k2.5") for _ in range(3)]  # a client and its retries
        sent = emulator.requests_for(dialect="openrouter")
    emulator.reset()
    assert len(sent) == 1, [r.status for r in sent]
    for r in answers:
        err = r.json()["error"]
        assert r.status_code == 429 and err["owner"] == "rate_limit", r.text
        assert r.headers["x-should-retry"] == "false"
        assert "retry-after" not in r.headers


def test_health_clear_reaches_a_running_gateway_at_once(emulator: EmulatorThread, tmp_path: Path) -> None:
    emulator.reset()
    dotenv = base_dotenv().replace(ANTHROPIC_KEY, WRONG_ANTHROPIC)
    with gateway_for(tmp_path, base_config(emulator), dotenv) as g:
        first = post(g, "anthropic/claude-sonnet-4-5", "/v1/messages")
        assert first.json()["error"]["code"] == "auth.rejected"
        refused = post(g, "anthropic/claude-sonnet-4-5", "/v1/messages")
        assert refused.status_code == 424
        assert len(emulator.requests_for(dialect="anthropic")) == 1  # the key is known to be rejected
        res = run_cli(g.home, "health", "clear", "--json")
        assert res.returncode == 0, res.stderr
        again = post(g, "anthropic/claude-sonnet-4-5", "/v1/messages")
        assert again.status_code == 424
        # the very next call was sent: the running gateway forgot the rejection when the CLI cleared it
        assert len(emulator.requests_for(dialect="anthropic")) == 2
    emulator.reset()
