"""Fixtures for the control UI's browser tests: one emulator per module, a fresh gateway per test, and the
system Chromium (headless, fresh profile) driven by Playwright."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.ui import harness

from clawgate.emulator import EmulatorThread

_SCRUB = (
    "CLAWGATE_HOME",
    "CLAWGATE_CONFIG",
    "CLAWGATE_GATEWAY_TOKEN",
    "CLAWGATE_GATEWAY_URL",
    "OPENAI_API_KEY",
    "ANTHROPIC_API_KEY",
    "OPENROUTER_API_KEY",
    "GROQ_API_KEY",
    "DEEPSEEK_API_KEY",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
)


@pytest.fixture(autouse=True)
def _scrub_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in _SCRUB:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="module")
def ui_emulator() -> Iterator[EmulatorThread]:
    with harness.emulator() as emu:
        yield emu


@pytest.fixture
def emu(ui_emulator: EmulatorThread) -> EmulatorThread:
    ui_emulator.reset()
    return ui_emulator


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
    pg.set_default_timeout(10_000)
    pg.goto(bench.login_url())
    pg.wait_for_selector("nav#nav:not([hidden])")
    return pg
