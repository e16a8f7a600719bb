"""Fixtures for the gateway tests: one provider emulator per worker, throwaway homes, and gateway
subprocesses (`python -m clawgate gateway run`) that are always stopped by their own handle.

The plumbing is in tests/support: the homes, `run_cli` and the launcher (`spawn_gateway`) in
tests.support.gateway, `free_port` and `wait_until` in tests.support.ports; they are re-exported here for the
suite's tests."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from tests.support.emulator import emulator_fixtures
from tests.support.env import scrub_env
from tests.support.gateway import GATEWAY_SCRUB, GatewayProcess, running_gateway
from tests.support.gateway import GwHome as GwHome
from tests.support.gateway import make_home as make_home
from tests.support.gateway import run_cli as run_cli
from tests.support.gateway import spawn_gateway as spawn_gateway
from tests.support.ports import free_port as free_port
from tests.support.ports import wait_until as wait_until

from clawgate.emulator import EmulatorThread

Gateway = GatewayProcess  # the suite's name for a running gateway subprocess

# Every key is fake. Each provider that a test drives into a credential-wide health state (rejected,
# blocked) gets its own key, so one test's failure never cools down another test's provider.
OPENAI_KEY = "sk-test-openai-gw-000000000001"
ANTHROPIC_KEY = "sk-ant-api03-test-gw-00000001"
OPENROUTER_KEY = "sk-or-v1-test-gw-0000000000000001"
GROQ_KEY = "gsk_test_gw_good_000000000001"
GROQ_WRONG_KEY = "gsk_test_gw_wrong_00000000001"
DEEPSEEK_KEY = "sk-test-deepseek-gw-000000001"
TOKEN = "gw-test-token-5b1e0c9a7d3f4e2a"
CANARY = "sk-test-CANARY-7f3a9c1e5b2d4f60"

EMU_KEYS = {
    "openai": [OPENAI_KEY],
    "anthropic": [ANTHROPIC_KEY],
    "openrouter": [OPENROUTER_KEY],
    "groq": [GROQ_KEY],
    "deepseek": [DEEPSEEK_KEY],
}


def provider_config(emu: EmulatorThread) -> dict[str, Any]:
    """`models.providers` pointing the presets used by the tests at the emulator."""
    return {
        name: {"baseUrl": emu.base_url(name)}
        for name in ("openai", "anthropic", "openrouter", "groq", "deepseek")
    }


def base_config(emu: EmulatorThread, **gateway: Any) -> dict[str, Any]:
    return {
        "models": {"providers": provider_config(emu)},
        "agents": {
            "defaults": {"model": {"primary": "openai/gpt-4o", "fallbacks": []}},
            "list": [
                {"id": "main", "default": True},
                {"id": "claude", "model": "anthropic/claude-sonnet-4-5"},
            ],
        },
        "gateway": {"reloadIntervalSeconds": 0.2, "maxRetryWaitSeconds": 0, **gateway},
    }


def base_dotenv(token: str | None = TOKEN, groq_key: str = GROQ_KEY) -> str:
    lines = [
        f"OPENAI_API_KEY={OPENAI_KEY}",
        f"ANTHROPIC_API_KEY={ANTHROPIC_KEY}",
        f"OPENROUTER_API_KEY={OPENROUTER_KEY}",
        f"GROQ_API_KEY={groq_key}",
        f"DEEPSEEK_API_KEY={DEEPSEEK_KEY}",
    ]
    if token:
        lines.append(f"CLAWGATE_GATEWAY_TOKEN={token}")
    return "\n".join(lines) + "\n"


@contextlib.contextmanager
def gateway_for(
    base: Path, config: dict[str, Any], dotenv: str | None = None, **options: Any
) -> Iterator[Gateway]:
    """A home in `base` with `config` and `dotenv` (default `base_dotenv()`), and a gateway with the test token
    running from it (`options` go to `spawn_gateway`); stopped by its handle when the block ends."""
    home = make_home(base)
    home.config(config)
    home.dotenv(base_dotenv() if dotenv is None else dotenv)
    with running_gateway(home, token=TOKEN, **options) as g:
        yield g


@dataclass
class CliResult:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def gcli(cli: Callable[..., Any], monkeypatch: pytest.MonkeyPatch) -> Callable[..., CliResult]:
    """`clawgate ARGS` in-process (no interpreter start-up) for a given home: `gcli(home, "gateway", ...)`."""

    def run(home: GwHome, *args: str) -> CliResult:
        monkeypatch.setenv("CLAWGATE_HOME", str(home.path))
        monkeypatch.chdir(home.path.parent)
        r = cli(*args)
        return CliResult(r.code, r.out, r.err)

    return run


emulator, emu = emulator_fixtures(EMU_KEYS)


@pytest.fixture(autouse=True)
def _scrub_env(monkeypatch: pytest.MonkeyPatch) -> None:
    scrub_env(monkeypatch, GATEWAY_SCRUB)
