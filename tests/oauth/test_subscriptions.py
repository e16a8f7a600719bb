"""Subscriptions serve real calls: a ChatGPT (Codex) OAuth profile and an Anthropic setup-token through the
gateway with the official SDKs; an expired token refreshed once for ten waiting calls (and once across two
processes); a refused refresh in the provider's words; Copilot's token exchange."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import anthropic
import httpx
import openai
from tests.support.gateway import run_cli, running_gateway

from clawgate.emulator import EmulatorThread

from .conftest import SETUP_TOKEN, codex_profile, stored, write_home

IDENTITY = "You are Claude Code, Anthropic's official CLI for Claude."


def _oa(gw) -> openai.OpenAI:
    return openai.OpenAI(base_url=gw.url + "/v1", api_key="unused", max_retries=0, timeout=30)


def test_codex_oauth_profile_serves_sdk_calls(tmp_path: Path, emu: EmulatorThread) -> None:
    home = write_home(tmp_path, emu, {"openai-codex:default": codex_profile(emu, account="acct_codex_7")})
    with running_gateway(home) as gw:
        client = _oa(gw)
        resp = client.responses.create(model="openai-codex/gpt-5.4", input="echo: hello from codex")
        assert resp.output_text == "hello from codex"  # a non-stream call, answered from the forced stream
        with client.responses.stream(model="openai-codex/gpt-5.4", input="echo: streamed") as stream:
            assert stream.get_final_response().output_text == "streamed"
        chat = client.chat.completions.create(
            model="openai-codex/gpt-5.4", messages=[{"role": "user", "content": "echo: via chat"}]
        )
        assert chat.choices[0].message.content == "via chat"
    reqs = emu.requests_for("chatgpt")
    assert len(reqs) == 3 and {r.path for r in reqs} == {"/chatgpt/backend-api/codex/responses"}
    for r in reqs:
        assert r.status == 200 and r.header("chatgpt-account-id") == "acct_codex_7"
        assert r.header("OpenAI-Beta") == "responses=experimental" and r.header("originator") == "clawgate"
        assert r.body["store"] is False and r.body["stream"] is True and r.body["instructions"]
        assert r.header("Authorization") == f"Bearer {stored(home, 'openai-codex:default')['access']}"
    assert not emu.requests_for("openai")  # never api.openai.com with a ChatGPT token


def test_anthropic_setup_token_serves_sdk_calls(tmp_path: Path, emu: EmulatorThread) -> None:
    token = {"type": "token", "provider": "anthropic", "token": SETUP_TOKEN}
    home = write_home(
        tmp_path,
        emu,
        {"anthropic:default": token},
        agents={"defaults": {"model": {"primary": "anthropic/claude-sonnet-4-5", "fallbacks": []}}},
    )
    with running_gateway(home) as gw:
        client = anthropic.Anthropic(base_url=gw.url, api_key="unused", max_retries=0, timeout=30)
        msg = client.messages.create(
            model="anthropic/claude-sonnet-4-5",
            max_tokens=64,
            system="Be brief.",
            messages=[{"role": "user", "content": "echo: hi claude"}],
        )
        assert msg.content[0].text == "hi claude"
        chat = _oa(gw).chat.completions.create(
            model="anthropic/claude-sonnet-4-5",
            messages=[{"role": "user", "content": "echo: from openai sdk"}],
        )
        assert chat.choices[0].message.content == "from openai sdk"
    reqs = emu.requests_for("anthropic")
    assert [r.status for r in reqs] == [200, 200]
    for r in reqs:
        assert r.header("x-api-key") is None and r.header("Authorization") == f"Bearer {SETUP_TOKEN}"
        assert "oauth-2025-04-20" in (r.header("anthropic-beta") or "")
        assert r.body["system"][0]["text"] == IDENTITY
    assert reqs[0].body["system"][1] == {"type": "text", "text": "Be brief."}  # the caller's prompt, kept


def test_expired_token_is_refreshed_once_while_ten_calls_wait(tmp_path: Path, emu: EmulatorThread) -> None:
    old = codex_profile(emu, expires_in=-60)
    home = write_home(tmp_path, emu, {"openai-codex:default": old})
    emu.oauth.refresh_delay = 0.5  # all ten calls arrive while the one refresh is in flight
    with running_gateway(home) as gw:
        client = _oa(gw)

        def call(i: int) -> str:
            r = client.responses.create(model="openai-codex/gpt-5.4", input=f"echo: call {i}")
            return r.output_text

        with ThreadPoolExecutor(10) as pool:
            assert sorted(pool.map(call, range(10))) == sorted(f"call {i}" for i in range(10))
    assert emu.oauth.refresh_count("openai") == 1
    new = stored(home, "openai-codex:default")
    assert new["access"] != old["access"] and new["refresh"] != old["refresh"]
    assert new["expires"] > time.time() * 1000 + 30 * 60 * 1000
    assert {r.header("Authorization") for r in emu.requests_for("chatgpt")} == {f"Bearer {new['access']}"}
    doctor = run_cli(home, "doctor", "--json", "--no-gateway")
    assert doctor.returncode == 0, doctor.stdout + doctor.stderr
    status = next(f for f in json.loads(doctor.stdout)["findings"] if f["code"] == "auth.oauth_status")
    assert status["evidence"]["expires"] == new["expires"] and status["evidence"]["refreshable"] is True
    assert status["evidence"]["expires_at"] in status["message"]


def test_two_processes_refresh_once(tmp_path: Path, emu: EmulatorThread) -> None:
    """The refresh lock holds across processes: the second finds the token the first one wrote."""
    home = write_home(tmp_path, emu, {"openai-codex:default": codex_profile(emu, expires_in=-60)})
    emu.oauth.refresh_delay = 1.0
    cmd = [sys.executable, "-m", "clawgate", "infer", "--json", "echo: from a process"]
    procs = [
        subprocess.Popen(
            cmd, env=home.env(), cwd=str(home.path), stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        for _ in range(2)
    ]
    outs = [p.communicate(timeout=60) for p in procs]
    for p, (out, err) in zip(procs, outs, strict=True):
        assert p.returncode == 0, out.decode() + err.decode()
        assert "from a process" in out.decode()
    assert emu.oauth.refresh_count("openai") == 1


def test_refused_refresh_is_reported_in_the_providers_words(tmp_path: Path, emu: EmulatorThread) -> None:
    home = write_home(tmp_path, emu, {"openai-codex:default": codex_profile(emu, expires_in=-60)})
    words = "Your refresh token has been revoked. Please sign in again."
    emu.oauth.fail_next_refresh(
        "openai",
        401,
        {"error": {"message": words, "type": "invalid_request_error", "code": "refresh_token_invalidated"}},
    )
    with running_gateway(home) as gw:
        r = httpx.post(
            gw.url + "/v1/responses", json={"model": "openai-codex/gpt-5.4", "input": "hi"}, timeout=30
        )
    # provider_auth: a 424, never a 5xx every client would retry
    assert r.status_code == 424 and r.headers["x-clawgate-code"] == "auth.oauth_refresh_failed"
    body = r.json()
    assert words in json.dumps(body) and "clawgate auth login openai-codex" in json.dumps(body)
    assert not emu.requests_for("chatgpt")  # nothing was sent with the dead token


def test_copilot_token_exchange_serves_calls(tmp_path: Path, emu: EmulatorThread) -> None:
    github = emu.oauth.issue("github")["access_token"]
    home = write_home(
        tmp_path,
        emu,
        {},
        agents={"defaults": {"model": {"primary": "github-copilot/gpt-4.1", "fallbacks": []}}},
    )
    with running_gateway(home, extra_env={"COPILOT_GITHUB_TOKEN": github}) as gw:
        client = _oa(gw)
        for i in range(3):
            out = client.chat.completions.create(
                model="github-copilot/gpt-4.1", messages=[{"role": "user", "content": f"echo: copilot {i}"}]
            )
            assert out.choices[0].message.content == f"copilot {i}"
    assert emu.oauth.exchange_count() == 1  # exchanged once, reused until shortly before it expires
    reqs = emu.requests_for("copilot")
    assert [r.path for r in reqs] == ["/copilot/chat/completions"] * 3
    assert all(
        r.header("Editor-Version") and r.header("Copilot-Integration-Id") == "vscode-chat" for r in reqs
    )
    assert all(
        r.header("Authorization") != f"Bearer {github}" for r in reqs
    )  # the exchanged token, not GitHub's
