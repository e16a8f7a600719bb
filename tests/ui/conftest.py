"""Fixtures for the control UI's browser tests: one emulator per module, a fresh gateway per test, and the
system Chromium (headless, fresh profile) driven by Playwright."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.support.emulator import emulator_fixtures
from tests.support.env import scrub_env
from tests.support.timing import limit
from tests.ui import harness

from clawgate.emulator import EmulatorThread


@pytest.fixture(autouse=True)
def _scrub_env(monkeypatch: pytest.MonkeyPatch) -> None:
    scrub_env(monkeypatch)


ui_emulator, emu = emulator_fixtures(harness.EMU_KEYS, name="ui_emulator", scope="module")


@pytest.fixture
def bench(tmp_path: Path, emu: EmulatorThread) -> Iterator[harness.Bench]:
    with harness.bench(tmp_path, emu) as b:
        yield b


@pytest.fixture
def ctx() -> Iterator[Any]:
    if not harness.chromium_available():
        pytest.skip(f"no browser for the UI tests: {harness.CHROMIUM} or the playwright package is missing")
    with harness.browser() as c:
        yield c


@pytest.fixture
def page(ctx: Any, bench: harness.Bench) -> Any:
    """A page logged in with a one-time code; console errors are collected on `page.errors`."""
    pg = harness.track_errors(ctx.new_page())
    pg.set_default_timeout(limit(10) * 1000)
    pg.goto(bench.login_url())
    pg.wait_for_selector("nav#nav:not([hidden])")
    return pg
