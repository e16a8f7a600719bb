"""Fixtures for doctor tests: the shared emulator, a real gateway subprocess, and a person's terminal."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.calls.conftest import KEYS, wire_home
from tests.support import gateway
from tests.support.emulator import emulator_fixtures
from tests.support.env import home_env
from tests.support.ports import free_port
from tests.support.terminal import Terminal

_emulator, emu = emulator_fixtures(KEYS, name="_emulator")


@contextlib.contextmanager
def running_gateway(home: Any, **env: str) -> Iterator[str]:
    """`clawgate gateway run` for `home` on a free port, in the test's current directory, with `env` on top of
    the home's environment; yields its URL; stopped by its handle."""
    with gateway.running_gateway(home, extra_env=env, cwd=Path.cwd()) as gw:
        yield gw.url


@contextlib.contextmanager
def service(home: Any, port: int, cwd: Path | None = None, **env: str) -> Iterator[gateway.GatewayProcess]:
    """The home's gateway on its configured `port`, started elsewhere (not in the user's directory), with
    the home's environment and `env` on top (a unit's Environment=, a container's); stopped by its handle."""
    with gateway.running_gateway(
        home, port, extra_env=env, cwd=cwd or home.path.parent, env=home_env(home.path)
    ) as gw:
        yield gw


def wire(home: Any, emu: Any, keys: dict[str, str] | None = None, model: Any = None, **extra: Any) -> int:
    """`wire_home` with the gateway on a free port of its own (never the default one); returns the port."""
    port = free_port()
    wire_home(home, emu, keys=keys, model=model, extra={"gateway": {"port": port}, **extra})
    return port


@pytest.fixture
def term(home: Any, tmp_path: Path) -> Terminal:
    """A terminal in the user's working directory with the home's environment (no key exported)."""
    return Terminal(home_env(home.path), home.work, tmp_path / "terminal")


def eventually(check: Callable[[], Any], timeout: float = 20.0, what: str = "") -> Any:
    """Poll `check` until it returns something truthy (a gateway's hot reload), bounded by `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        got = check()
        if got or time.monotonic() > deadline:
            assert got, f"timed out waiting for {what}"
            return got
        time.sleep(0.2)
