"""Fixtures for the real agent CLIs (Claude Code, Codex CLI from npm, installed by scripts/npm-agents.sh into
tools/agents/node_modules): the installed binaries, the emulator, gateways in front of it, and a runner that
starts each CLI in a throwaway HOME with telemetry, auto-update and other network features off."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from tests.support.emulator import emulator_fixtures
from tests.support.env import scrub_env
from tests.support.gateway import GATEWAY_SCRUB, GatewayProcess, make_home, running_gateway
from tests.support.timing import limit

REPO = Path(__file__).resolve().parents[2]
AGENTS = REPO / "tools" / "agents"
OPENAI_KEY = "sk-test-openai-agents-000000001"
ANTHROPIC_KEY = "sk-ant-api03-test-agents-00000001"
GROQ_KEY = "gsk_test_agents_good_000000001"
WRONG_KEY = "sk-test-openai-agents-rejected-01"
TOKEN = "gw-test-token-agents-7c41d0e2b9"
# Variables of a developer's shell that would point the CLIs elsewhere.
CLI_SCRUB = (
    "ANTHROPIC_API_KEY",
    "ANTHROPIC_AUTH_TOKEN",
    "ANTHROPIC_BASE_URL",
    "ANTHROPIC_MODEL",
    "ANTHROPIC_SMALL_FAST_MODEL",
    "ANTHROPIC_DEFAULT_HAIKU_MODEL",
    "ANTHROPIC_DEFAULT_SONNET_MODEL",
    "ANTHROPIC_DEFAULT_OPUS_MODEL",
    "CLAUDE_CONFIG_DIR",
    "CODEX_HOME",
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
)

emulator, emu = emulator_fixtures(
    {"openai": [OPENAI_KEY], "anthropic": [ANTHROPIC_KEY], "groq": [GROQ_KEY]}, scope="module"
)


@dataclass
class Agents:
    claude: Path
    codex: Path


@pytest.fixture(scope="session")
def agents() -> Agents:
    """The CLIs pinned in tools/agents/package-lock.json, installed on first use; skips only without npm."""
    if shutil.which("npm") is None:
        pytest.skip(
            "npm is not installed: the Claude Code and Codex CLI tests need it (Debian: apt-get install npm)"
        )
    r = subprocess.run(
        ["bash", str(REPO / "scripts" / "npm-agents.sh")], capture_output=True, text=True, timeout=limit(900)
    )
    assert r.returncode == 0, f"scripts/npm-agents.sh failed:\n{r.stdout}\n{r.stderr}"
    bin_dir = AGENTS / "node_modules" / ".bin"
    return Agents(bin_dir / "claude", bin_dir / "codex")


@pytest.fixture(autouse=True)
def _scrub(monkeypatch: pytest.MonkeyPatch) -> None:
    scrub_env(monkeypatch, (*GATEWAY_SCRUB, *CLI_SCRUB))


def providers(emu: Any) -> dict[str, Any]:
    return {
        "anthropic": {"baseUrl": emu.base_url("anthropic"), "apiKey": ANTHROPIC_KEY},
        "openai": {"baseUrl": emu.base_url("openai"), "apiKey": OPENAI_KEY},
        "groq": {"baseUrl": emu.base_url("groq"), "apiKey": GROQ_KEY},
    }


@pytest.fixture(scope="module")
def start_gateway(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Callable[[dict[str, Any]], GatewayProcess]]:
    """Start a gateway for a config (stopped at the end of the module)."""
    stack: list[Any] = []

    def start(config: dict[str, Any]) -> GatewayProcess:
        home = make_home(tmp_path_factory.mktemp("agents-gw"))
        home.config({**config, "gateway": {"auth": {"token": TOKEN}, "maxRetryWaitSeconds": 0}})
        cm = running_gateway(home, token=TOKEN)
        gw = cm.__enter__()
        stack.append(cm)
        return gw

    yield start
    for cm in reversed(stack):
        cm.__exit__(None, None, None)


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str
    seconds: float

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def run_cli(argv: list[str], env: dict[str, str], cwd: Path, timeout: float = 120.0) -> Run:
    """Run a CLI to its end (`timeout` scaled by this machine's slowness), timed."""
    t0 = time.monotonic()
    r = subprocess.run(
        argv,
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=limit(timeout),
        stdin=subprocess.DEVNULL,
    )
    return Run(r.returncode, r.stdout, r.stderr, time.monotonic() - t0)


def base_env(home: Path) -> dict[str, str]:
    drop = set(GATEWAY_SCRUB) | set(CLI_SCRUB)
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env["HOME"] = str(home)
    env["NO_COLOR"] = "1"
    return env


def claude_env(home: Path, gw: GatewayProcess) -> dict[str, str]:
    """Claude Code with only the gateway's URL and token (and everything that phones home off)."""
    env = base_env(home)
    env.update(
        ANTHROPIC_BASE_URL=gw.url,
        ANTHROPIC_AUTH_TOKEN=TOKEN,
        CLAUDE_CONFIG_DIR=str(home / ".claude"),
        DISABLE_TELEMETRY="1",
        DISABLE_AUTOUPDATER="1",
        DISABLE_ERROR_REPORTING="1",
        CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC="1",
    )
    return env


def codex_home(home: Path, gw: GatewayProcess, model: str) -> dict[str, str]:
    """Codex CLI configured as its docs say for a custom Responses provider: the gateway as base_url, the
    gateway token in an env variable; update checks and analytics off."""
    codex = home / ".codex"
    codex.mkdir(parents=True, exist_ok=True)
    (codex / "config.toml").write_text(
        f'model = "{model}"\n'
        'model_provider = "clawgate"\n'
        "check_for_update_on_startup = false\n"
        "[model_providers.clawgate]\n"
        'name = "clawgate"\n'
        f'base_url = "{gw.url}/v1"\n'
        'env_key = "CLAWGATE_TOKEN"\n'
        'wire_api = "responses"\n'
        "[analytics]\n"
        "enabled = false\n"
    )
    env = base_env(home)
    env.update(CODEX_HOME=str(codex), CLAWGATE_TOKEN=TOKEN)
    return env
