"""Fixtures for the observability tests: a real Runtime on a throwaway home (two OpenAI keys, one Anthropic key),
a Tracing whose exporter keeps the spans in memory, the provider emulator, and the real engines (Debian's
Prometheus, the Phoenix OTLP receiver), one of each per test worker, stopped by their handles."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from tests.support import phoenix as _phoenix
from tests.support import prometheus as _prometheus
from tests.support.emulator import emulator_fixtures

from clawgate.call.runtime import Runtime
from clawgate.paths import Paths

from .e2e import EMU_KEYS

OPENAI_KEY = "sk-test-obs-openai-000000000001"
OPENAI_KEY_2 = "sk-test-obs-openai-000000000002"
ANTHROPIC_KEY = "sk-ant-api03-test-obs-0000000001"


@pytest.fixture
def runtime(home: Any) -> Iterator[Runtime]:
    home.config(
        {
            "agents": {
                "defaults": {
                    "model": {"primary": "openai/gpt-4o", "fallbacks": ["anthropic/claude-sonnet-4-5"]}
                }
            },
            "auth": {"order": {"openai": ["openai:second", "env"]}},
        }
    )
    home.dotenv(f"OPENAI_API_KEY={OPENAI_KEY}\nANTHROPIC_API_KEY={ANTHROPIC_KEY}\n")
    home.profiles(
        "main",
        {
            "version": 1,
            "profiles": {"openai:second": {"type": "api_key", "provider": "openai", "key": OPENAI_KEY_2}},
        },
    )
    env = home.env()
    rt = Runtime(Paths.discover(env), env, cwd=None, persist=False)
    try:
        yield rt
    finally:
        rt.close()


@pytest.fixture
def spans() -> Any:
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    return InMemorySpanExporter()


@pytest.fixture
def tracing(spans: Any) -> Iterator[Any]:
    from clawgate.observability.tracing import Tracing

    tr = Tracing("http://127.0.0.1:9", exporter=spans)
    try:
        yield tr
    finally:
        tr.shutdown()


# -- the real engines, once per worker ------------------------------------------------------------------

emulator, emu = emulator_fixtures(EMU_KEYS)


@pytest.fixture(scope="session")
def prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    if _prometheus.binary() is None:
        pytest.skip("prometheus is not installed: bash scripts/system-deps.sh (Debian's prometheus package)")
    with _prometheus.running_prometheus(tmp_path_factory.mktemp("prometheus")) as server:
        yield server


@pytest.fixture(scope="session")
def phoenix(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    import os

    if not _phoenix.available():
        pytest.skip("the OTLP receiver (Arize Phoenix) is not installed: bash scripts/otlp-receiver.sh")
    with _phoenix.running_phoenix(tmp_path_factory.mktemp("phoenix"), dict(os.environ)) as server:
        yield server
