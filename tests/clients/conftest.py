"""Fixtures for the clients suites: the emulator, a gateway subprocess on a throwaway home with client keys
made by the real CLI (`clawgate keys …`), and helpers that wait until the running gateway knows a change
(polling its status with a deadline)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.support.emulator import emulator_fixtures
from tests.support.env import scrub_env
from tests.support.gateway import GatewayProcess, GwHome, make_home, run_cli, spawn_gateway
from tests.support.ports import wait_until

OPENAI_KEY = "sk-test-clients-openai-00000000001"
OPENAI_KEY_2 = "sk-test-clients-openai-00000000002"
ANTHROPIC_KEY = "sk-ant-api03-test-clients-000001"
TOKEN = "clients-test-token-3e8a1f6c9b2d7045"
# USD per million tokens (models[].cost): what the spend tests compute by hand
GPT_PRICE = {"input": 2.5, "output": 10.0, "cacheRead": 1.25, "cacheWrite": 2.5}
CLAUDE_PRICE = {"input": 3.0, "output": 15.0, "cacheRead": 0.3, "cacheWrite": 3.75}

emulator, emu = emulator_fixtures({"openai": [OPENAI_KEY, OPENAI_KEY_2], "anthropic": [ANTHROPIC_KEY]})


def clients_config(emu: Any, **gateway: Any) -> dict[str, Any]:
    return {
        "models": {
            "providers": {
                "openai": {
                    "baseUrl": emu.base_url("openai"),
                    "models": [{"id": "gpt-4o", "cost": GPT_PRICE}, {"id": "gpt-4o-mini"}],
                },
                "anthropic": {
                    "baseUrl": emu.base_url("anthropic"),
                    "models": [{"id": "claude-sonnet-4-5", "cost": CLAUDE_PRICE}],
                },
            }
        },
        "agents": {
            "defaults": {
                "model": {"primary": "openai/gpt-4o", "fallbacks": []},
                "models": {"openai/gpt-4o-mini": {"alias": "fast"}},
            },
            "list": [
                {"id": "main", "default": True},
                {"id": "claude", "model": "anthropic/claude-sonnet-4-5"},
            ],
        },
        "gateway": {"reloadIntervalSeconds": 0.2, "maxRetryWaitSeconds": 0, **gateway},
    }


def dotenv() -> str:
    return f"OPENAI_API_KEY={OPENAI_KEY}\nANTHROPIC_API_KEY={ANTHROPIC_KEY}\nCLAWGATE_GATEWAY_TOKEN={TOKEN}\n"


class Gw:
    """A running gateway and the CLI on its home."""

    def __init__(self, home: GwHome, proc: GatewayProcess) -> None:
        self.home = home
        self.proc = proc

    @property
    def url(self) -> str:
        return self.proc.url

    def cli(self, *args: str) -> Any:
        r = run_cli(self.home, *args)
        assert r.returncode == 0, (
            f"clawgate {' '.join(args)} failed ({r.returncode}):\n{r.stdout}\n{r.stderr}"
        )
        return json.loads(r.stdout) if "--json" in args else r.stdout

    def status(self) -> dict[str, Any]:
        return self.proc.status()

    def wait_clients(
        self, keys: int | None = None, devices: int | None = None, pending: int | None = None
    ) -> None:
        """Until the gateway's replica shows these counts (it follows the CLI's notifications)."""

        def seen() -> bool:
            c = self.status()["clients"]
            return all(
                want is None or c[name] == want
                for name, want in (("keys", keys), ("devices", devices), ("pending_devices", pending))
            )

        wait_until(
            seen,
            15,
            what="the gateway's replica of keys and devices",
            describe=lambda: str(self.status()["clients"]),
        )

    def create_key(self, name: str, *args: str) -> str:
        before = self.status()["clients"]["keys"]
        out = self.cli("keys", "create", name, *args, "--json")
        self.wait_clients(keys=before + 1)
        return str(out["token"])


@pytest.fixture
def make_gw(emulator: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """make_gw(**gateway_config) -> a running gateway (stopped after the test)."""
    scrub_env(monkeypatch)
    made: list[GatewayProcess] = []

    def make(name: str = "home", edit: Any = None, env: str = "", **gateway: Any) -> Gw:
        home = make_home(tmp_path, name)
        cfg = clients_config(emulator, **gateway)
        if edit is not None:
            edit(cfg)
        home.config(cfg)
        home.dotenv(dotenv() + env)
        proc = spawn_gateway(home, token=TOKEN, timeout=30)
        made.append(proc)
        return Gw(home, proc)

    yield make
    for p in made:
        p.stop()
