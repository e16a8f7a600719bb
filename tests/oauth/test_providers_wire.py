"""The new presets reach their own hosts in their own dialects (Kimi Coding on Anthropic Messages, not Moonshot),
`api: "ollama"` calls the host under /v1, and a bare env-name `apiKey` sends the variable's value."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

import pytest

from clawgate.call.executor import CallRequest
from clawgate.call.runtime import Runtime
from clawgate.dialects.internal import ChatRequest, Message, Part
from clawgate.emulator import EmulatorThread
from clawgate.paths import Paths

from .conftest import NVIDIA_KEY

CASES = [
    # ref, emulator mount, key variable, key, path the call must reach
    (
        "kimi/kimi-for-coding",
        "kimi",
        "KIMI_API_KEY",
        "sk-kimi-test-wire-0000000000001",
        "/kimi/coding/v1/messages",
    ),
    (
        "minimax/MiniMax-M2.7",
        "minimax",
        "MINIMAX_API_KEY",
        "sk-test-minimax-wire-0000001",
        "/minimax/anthropic/v1/messages",
    ),
    (
        "zai/glm-5.2",
        "zai",
        "ZAI_API_KEY",
        "zai-test-wire-00000000000000001",
        "/zai/api/paas/v4/chat/completions",
    ),
    ("xai/grok-4.3", "xai", "XAI_API_KEY", "xai-test-wire-000000000000000001", "/xai/v1/responses"),
    (
        "mistral/mistral-large-latest",
        "mistral",
        "MISTRAL_API_KEY",
        "mistral-test-wire-0000000001",
        "/mistral/v1/chat/completions",
    ),
    (
        "cerebras/zai-glm-4.7",
        "cerebras",
        "CEREBRAS_API_KEY",
        "csk-test-wire-00000000000000001",
        "/cerebras/v1/chat/completions",
    ),
    (
        "together/meta-llama/Llama-3.3-70B-Instruct-Turbo",
        "together",
        "TOGETHER_API_KEY",
        "tgp-test-wire-000000000000001",
        "/together/v1/chat/completions",
    ),
    (
        "opencode/glm-5.1",
        "opencode",
        "OPENCODE_API_KEY",
        "sk-test-opencode-wire-000001",
        "/opencode/zen/v1/chat/completions",
    ),
]


def _call(home: Path, env: dict[str, str], model: str) -> Any:
    rt = Runtime(Paths.discover(env), env)
    chat = ChatRequest(model="", messages=[Message("user", [Part("text", "echo: wire ok")])], max_tokens=16)

    async def go() -> Any:
        try:
            return await rt.run(rt.plan(None, model), CallRequest(chat=chat))
        finally:
            await rt.aclose()

    try:
        return asyncio.run(go())
    finally:
        rt.close()


def _home(tmp_path: Path, providers: dict[str, Any], dotenv: str = "") -> tuple[Path, dict[str, str]]:
    import json

    home = tmp_path / "cg"
    home.mkdir(mode=0o700, parents=True)
    (home / "clawgate.json").write_text(json.dumps({"models": {"providers": providers}}))
    (home / ".env").write_text(dotenv)
    env = {k: v for k, v in os.environ.items() if not k.endswith(("_API_KEY", "_TOKEN"))}
    env["CLAWGATE_HOME"] = str(home)
    return home, env


@pytest.mark.parametrize(("ref", "mount", "var", "key", "path"), CASES, ids=[c[1] for c in CASES])
def test_new_preset_reaches_its_host(tmp_path: Path, emu: EmulatorThread, ref, mount, var, key, path) -> None:
    provider = ref.split("/", 1)[0]
    _, env = _home(tmp_path, {provider: {"baseUrl": emu.base_url(mount)}}, f"{var}={key}\n")
    out = _call(tmp_path, env, ref)
    assert out.ok, out.failure and out.failure.to_json()
    assert out.result().text == "wire ok"
    rec = emu.requests_for(mount)[-1]
    assert rec.path == path and rec.key == key


def test_kimi_is_not_routed_to_moonshot(tmp_path: Path, emu: EmulatorThread) -> None:
    """`kimi/…` used to be an alias of Moonshot (OpenAI chat on api.moonshot.ai) and was reported ok."""
    from clawgate.plan.snapshot import Snapshot

    _, env = _home(tmp_path, {}, "KIMI_API_KEY=sk-kimi-test-route-00000000001\n")
    att = Snapshot.load(Paths.discover(env), env, cwd=False).plan(None, "kimi/kimi-for-coding").attempts[0]
    assert (att.provider, att.api, att.base_url) == (
        "kimi",
        "anthropic-messages",
        "https://api.kimi.com/coding",
    )
    assert att.credential.winner.source == "env:KIMI_API_KEY"


def test_ollama_api_kind_calls_the_host_under_v1(tmp_path: Path, emu: EmulatorThread) -> None:
    _, env = _home(tmp_path, {"ollama": {"baseUrl": emu.base_url("ollama"), "api": "ollama"}})
    out = _call(tmp_path, env, "ollama/llama3.3")
    assert out.ok, out.failure and out.failure.to_json()
    assert emu.requests_for("ollama")[-1].path == "/ollama/v1/chat/completions"
    # a base URL that already ends in /v1 is not given a second one
    _, env2 = _home(tmp_path / "b", {"ollama": {"baseUrl": emu.base_url("ollama") + "/v1", "api": "ollama"}})
    assert _call(tmp_path, env2, "ollama/llama3.3").ok
    assert emu.requests_for("ollama")[-1].path == "/ollama/v1/chat/completions"


def test_bare_env_name_api_key_is_a_reference(tmp_path: Path, emu: EmulatorThread) -> None:
    providers = {
        "nvidia": {
            "baseUrl": emu.base_url("openai"),
            "api": "openai-completions",
            "apiKey": "NVIDIA_API_KEY",
            "models": [{"id": "nvidia/nemotron-3-ultra-550b-a55b"}],
        }
    }
    _, env = _home(tmp_path, providers, f"NVIDIA_API_KEY={NVIDIA_KEY}\n")
    out = _call(tmp_path, env, "nvidia/nvidia/nemotron-3-ultra-550b-a55b")
    assert out.ok, out.failure and out.failure.to_json()
    rec = emu.requests_for("openai")[-1]
    assert rec.header("Authorization") == f"Bearer {NVIDIA_KEY}"  # not "Bearer NVIDIA_API_KEY"
    # unset, it is an unresolved reference (nothing is sent), named as such
    _, env2 = _home(tmp_path / "b", providers)
    missing = _call(tmp_path, env2, "nvidia/nvidia/nemotron-3-ultra-550b-a55b")
    assert not missing.ok and missing.failure.code == "env.unresolved_ref"
    assert "NVIDIA_API_KEY" in missing.failure.message
