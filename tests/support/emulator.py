"""The provider emulator shared by a suite: one `EmulatorThread` per worker (or module), reset before each test.

Each suite passes its own key table. The tables are not copies of one another: each names its suite's own fake
keys (the wrong keys its tests expect to be rejected are simply absent), and which scopes have keys at all
changes the keyring's answers (a dialect with no keys accepts any non-empty key; once a regional dialect has
keys for one region, a region without keys of its own accepts none). A merged table would change those
answers, so the table is the factory's parameter."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Literal

import pytest

from clawgate.emulator import EmulatorThread

from .timing import limit

KeyTable = Mapping[str, Iterable[str] | str]
Scope = Literal["session", "package", "module", "class", "function"]


class TestEmulator(EmulatorThread):
    """`EmulatorThread` whose `wait_for` deadlines and start/stop limits scale with the machine's measured
    slowness (`timing.limit`): a test says what is generous on an idle machine."""

    def start(self, timeout: float = 10.0) -> str:
        return super().start(limit(timeout))

    def stop(self, timeout: float = 10.0) -> None:
        super().stop(limit(timeout))

    def wait_for(self, predicate: Any, timeout: float = 5.0, interval: float = 0.005) -> Any:
        return super().wait_for(predicate, limit(timeout), interval)


@contextlib.contextmanager
def running_emulator(keys: KeyTable) -> Iterator[EmulatorThread]:
    """An emulator accepting `keys` (valid keys per scope), stopped by its handle on exit."""
    emu = TestEmulator(keys=keys)
    emu.start()
    try:
        yield emu
    finally:
        emu.stop()


def emulator_fixtures(keys: KeyTable, *, name: str = "emulator", scope: Scope = "session") -> tuple[Any, Any]:
    """Two fixtures for a conftest: `name` (one emulator with `keys` per `scope`) and `emu` (that emulator with
    an empty fault script and request log). Use: `emulator, emu = emulator_fixtures(KEYS)`."""

    @pytest.fixture(scope=scope, name=name)
    def shared() -> Iterator[EmulatorThread]:
        with running_emulator(keys) as emu:
            yield emu

    @pytest.fixture(name="emu")
    def fresh(request: pytest.FixtureRequest) -> EmulatorThread:
        """The shared emulator with an empty fault script and request log."""
        emu: EmulatorThread = request.getfixturevalue(name)
        emu.reset()
        return emu

    return shared, fresh
