"""Subscription credentials against the emulator: its OAuth servers, the ChatGPT backend, Anthropic's rules for
subscription tokens, Copilot's token exchange. Homes point each provider and its OAuth endpoints there."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.support.emulator import running_emulator
from tests.support.env import scrub_env
from tests.support.gateway import GATEWAY_SCRUB, GwHome, make_home

from clawgate.auth.oauth.broker import BROKER
from clawgate.emulator import EmulatorThread

SETUP_TOKEN = "sk-ant-oat01-test-setup-token-000000000001"
OPENAI_KEY = "sk-test-oauth-suite-openai-000000001"
NVIDIA_KEY = "nvapi-test-oauth-suite-00000000000001"
EMU_KEYS = {"anthropic": [SETUP_TOKEN], "openai": [OPENAI_KEY, NVIDIA_KEY]}


@pytest.fixture(scope="module")
def emulator() -> Iterator[EmulatorThread]:
    with running_emulator(EMU_KEYS) as emu:
        yield emu


@pytest.fixture
def emu(emulator: EmulatorThread) -> EmulatorThread:
    emulator.reset()
    emulator.oauth.refresh_delay = 0.0
    emulator.oauth.device_interval = 0
    BROKER.forget()  # in-process callers (the cli fixture, Runtime) start without cached tokens
    return emulator


@pytest.fixture(autouse=True)
def _scrub(monkeypatch: pytest.MonkeyPatch) -> None:
    scrub_env(
        monkeypatch, (*GATEWAY_SCRUB, "COPILOT_GITHUB_TOKEN", "GH_TOKEN", "GITHUB_TOKEN", "NVIDIA_API_KEY")
    )


def providers(emu: EmulatorThread) -> dict[str, Any]:
    """Every subscription provider pointed at the emulator, OAuth endpoints included."""
    oauth = emu.url + "/oauth"
    return {
        "openai-codex": {
            "baseUrl": emu.url + "/chatgpt/backend-api",
            "oauth": {
                "tokenUrl": f"{oauth}/openai/oauth/token",
                "authorizeUrl": f"{oauth}/openai/oauth/authorize",
            },
        },
        "anthropic": {
            "baseUrl": emu.base_url("anthropic"),
            "oauth": {
                "tokenUrl": f"{oauth}/anthropic/v1/oauth/token",
                "authorizeUrl": f"{oauth}/anthropic/oauth/authorize",
            },
        },
        "github-copilot": {
            "oauth": {
                "deviceCodeUrl": f"{oauth}/github/login/device/code",
                "tokenUrl": f"{oauth}/github/login/oauth/access_token",
                "exchangeUrl": f"{oauth}/github/copilot_internal/v2/token",
            }
        },
    }


def codex_profile(
    emu: EmulatorThread, expires_in: float = 3600, account: str = "acct_test_0001"
) -> dict[str, Any]:
    tok = emu.oauth.issue("openai", account=account, expires_in=expires_in)
    return {
        "type": "oauth",
        "provider": "openai-codex",
        "access": tok["access_token"],
        "refresh": tok["refresh_token"],
        "expires": tok["expires_ms"],
        "accountId": account,
        "displayName": "Test ChatGPT",
        "chatgptPlanType": "plus",
    }


def write_home(base: Path, emu: EmulatorThread, profiles: dict[str, Any], **config: Any) -> GwHome:
    home = make_home(base)
    cfg: dict[str, Any] = {
        "models": {"providers": providers(emu)},
        "agents": {"defaults": {"model": {"primary": "openai-codex/gpt-5.4", "fallbacks": []}}},
        "gateway": {"reloadIntervalSeconds": 0.2, "maxRetryWaitSeconds": 0},
    }
    cfg.update(config)
    home.config(cfg)
    store = home.path / "agents" / "main" / "auth-profiles.json"
    store.parent.mkdir(parents=True, mode=0o700)
    store.write_text(json.dumps({"version": 1, "profiles": profiles}, indent=2))
    store.chmod(0o600)
    return home


def stored(home: GwHome, profile: str, agent: str = "main") -> dict[str, Any]:
    data = json.loads((home.path / "agents" / agent / "auth-profiles.json").read_text())
    return data["profiles"][profile]  # type: ignore[no-any-return]
