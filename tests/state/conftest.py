"""Fixtures for the shared-state suites: the emulator, and clusters of gateway processes on Redis + PostgreSQL
or on one SQLite home with `--workers 2` (tests/support/cluster.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.support.cluster import OPENAI_KEY, Cluster, cluster_config, flush_redis, fresh_database
from tests.support.emulator import emulator_fixtures
from tests.support.env import scrub_env

emulator, emu = emulator_fixtures({"openai": [OPENAI_KEY]})

KINDS = ["redis+postgres", "sqlite-workers"]


@pytest.fixture(params=KINDS)
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def make_cluster(
    kind: str, emu: Any, tmp_path: Path, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[..., Cluster]]:
    """make_cluster(**config) -> a started cluster of the parametrized kind (stopped after the test)."""
    scrub_env(monkeypatch)
    made: list[Cluster] = []
    engines: dict[str, Any] = {}
    if kind == "redis+postgres":
        engines["redis"] = request.getfixturevalue("redis_engine")
        engines["postgres"] = request.getfixturevalue("postgres_engine")

    def make(**extra: Any) -> Cluster:
        redis_url = database_url = None
        if kind == "redis+postgres":
            redis_url = engines["redis"].url
            flush_redis(redis_url)
            database_url = fresh_database(engines["postgres"].url)
        cfg, dotenv = cluster_config(emu, kind, redis_url, database_url, **extra)
        c = Cluster(kind, tmp_path, cfg, dotenv)
        made.append(c)
        try:
            return c.start()
        except BaseException:
            print(c.output())
            raise

    yield make
    for c in made:
        c.stop()
