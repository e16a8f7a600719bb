"""Fixtures for the emulator tests: one emulator thread per test session, reset before each test."""

from __future__ import annotations

from tests.support.emulator import emulator_fixtures

from .emuclient import KEYS

_shared_emulator, emu = emulator_fixtures(KEYS, name="_shared_emulator")
