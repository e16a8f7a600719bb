"""Fixtures for the emulator tests: one emulator thread per test session, reset before each test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from clawgate.emulator import EmulatorThread

from .emuclient import KEYS


@pytest.fixture(scope="session")
def _shared_emulator() -> Iterator[EmulatorThread]:
    emu = EmulatorThread(keys=KEYS)
    emu.start()
    try:
        yield emu
    finally:
        emu.stop()


@pytest.fixture
def emu(_shared_emulator: EmulatorThread) -> EmulatorThread:
    """The session's emulator with an empty fault script and request log."""
    _shared_emulator.reset()
    return _shared_emulator
