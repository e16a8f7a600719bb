"""Fixtures for doctor tests: the shared emulator and a real gateway subprocess."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tests.calls.conftest import KEYS
from tests.support import gateway
from tests.support.emulator import emulator_fixtures

_emulator, emu = emulator_fixtures(KEYS, name="_emulator")


@contextlib.contextmanager
def running_gateway(home: Any, **env: str) -> Iterator[str]:
    """`clawgate gateway run` for `home` on a free port, in the test's current directory, with `env` on top of
    the home's environment; yields its URL; stopped by its handle."""
    with gateway.running_gateway(home, extra_env=env, cwd=Path.cwd()) as gw:
        yield gw.url
