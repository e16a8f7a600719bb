"""Shared test fixtures: a temporary CLAWGATE_HOME per test and an in-process CLI runner; every test's
pytest-timeout bound scaled by the machine's measured slowness (tests/support/timing.py)."""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from tests.support.env import home_env, scrub_env
from tests.support.ports import free_port
from tests.support.timing import slowness

REPO = Path(__file__).resolve().parent.parent
SRC = REPO / "src"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Scale each test's pytest-timeout bound (its `timeout` mark, else the ini value) by the machine's slowness
    measured now: the bound catches a hung test, it must not cut a slow one on a loaded machine."""
    factor = slowness()
    if factor <= 1.0:
        return
    default = float(config.getini("timeout") or 0)
    for item in items:
        mark = item.get_closest_marker("timeout")
        base = float(mark.args[0]) if mark is not None and mark.args else default
        if base > 0:
            item.add_marker(pytest.mark.timeout(base * factor), append=False)


@dataclass
class Home:
    """A throwaway clawgate state dir with helpers to write its files."""

    path: Path
    work: Path  # a separate current directory (so ./.env is not the home .env)

    def config(self, data: dict | str) -> Path:
        p = self.path / "clawgate.json"
        p.write_text(data if isinstance(data, str) else json.dumps(data, indent=2))
        p.chmod(0o600)
        return p

    def dotenv(self, text: str, cwd: bool = False) -> Path:
        p = (self.work if cwd else self.path) / ".env"
        p.write_text(text)
        p.chmod(0o600)
        return p

    def profiles(self, agent: str, data: dict) -> Path:
        p = self.path / "agents" / agent / "auth-profiles.json"
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(json.dumps(data, indent=2))
        p.chmod(0o600)
        return p

    def env(self, **extra: str) -> dict[str, str]:
        return home_env(self.path, **extra)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Home:
    scrub_env(monkeypatch)  # tests.support.env.SCRUB: what a developer's shell may carry
    h = Home(tmp_path / "cghome", tmp_path / "work")
    h.path.mkdir(mode=0o700)
    h.work.mkdir()
    monkeypatch.setenv("CLAWGATE_HOME", str(h.path))
    # never let a gateway that happens to run on this machine's default port leak into a test
    monkeypatch.setenv("CLAWGATE_GATEWAY_URL", f"http://127.0.0.1:{free_port()}")
    monkeypatch.chdir(h.work)
    return h


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self) -> dict:
        return json.loads(self.out)


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Callable[..., Result]:
    """Run `clawgate ARGS` in-process (through the real entry point and its error boundary)."""
    from clawgate.cli.main import main

    def run(*args: str, input: str | None = None) -> Result:
        capsys.readouterr()
        stdin = io.StringIO(input if input is not None else "")
        monkeypatch.setattr(sys, "stdin", stdin)
        try:
            main(list(args))
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run


# -- real engines (Redis, PostgreSQL): started on first use, one per test worker, stopped by their handle ----


@pytest.fixture(scope="session")
def redis_engine():
    from tests.support.engines import redis_server, skip_reason

    why = skip_reason("redis")
    if why:
        pytest.skip(why)
    with redis_server() as eng:
        yield eng


@pytest.fixture(scope="session")
def postgres_engine():
    from tests.support.engines import postgres_server, skip_reason

    why = skip_reason("postgres")
    if why:
        pytest.skip(why)
    with postgres_server() as eng:
        yield eng
