"""`clawgate_credential_health`: one series per configured credential and state, from the real health registry the
executor consults; the worst open window over a credential's models; a window that ran out is ok again."""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families

from clawgate.failures import Failure
from clawgate.observability.credential_health import HealthCollector
from clawgate.redaction import fingerprint

from .conftest import ANTHROPIC_KEY, OPENAI_KEY, OPENAI_KEY_2


def gauge(collector: HealthCollector) -> dict[tuple[str, str], str]:
    """(provider, fingerprint) -> the state whose series is 1 (checking there is exactly one)."""
    from prometheus_client.exposition import generate_latest

    reg = CollectorRegistry()
    reg.register(collector)
    out: dict[tuple[str, str], list[str]] = {}
    for fam in text_string_to_metric_families(generate_latest(reg).decode()):
        assert fam.name == "clawgate_credential_health"
        for s in fam.samples:
            key = (s.labels["gen_ai_provider_name"], s.labels["clawgate_credential_fingerprint"])
            out.setdefault(key, [])
            if s.value == 1:
                out[key].append(s.labels["clawgate_health_state"])
            else:
                assert s.value == 0
    assert all(len(v) == 1 for v in out.values()), out
    return {k: v[0] for k, v in out.items()}


def test_every_configured_credential_is_ok_until_it_fails(runtime: Any) -> None:
    states = gauge(HealthCollector(runtime))
    assert states == {
        ("openai", fingerprint(OPENAI_KEY_2)): "ok",
        ("openai", fingerprint(OPENAI_KEY)): "ok",
        ("anthropic", fingerprint(ANTHROPIC_KEY)): "ok",
    }


def test_the_worst_open_window_is_the_state_and_an_expired_one_counts_as_ok(runtime: Any) -> None:
    now = [1_000_000.0]
    runtime.health._clock = lambda: now[0]
    col = HealthCollector(runtime, clock=lambda: now[0])
    fp = fingerprint(OPENAI_KEY)
    rate = Failure(
        owner="rate_limit", code="rate_limit.exceeded", message="429", provider="openai", retry_after=30
    )
    runtime.health.on_failure(rate, fp, "gpt-4o")
    assert gauge(col)[("openai", fp)] == "cooling"
    bad = Failure(owner="provider_auth", code="auth.rejected", message="401", provider="openai")
    runtime.health.on_failure(bad, fp, "gpt-4o-mini")
    assert gauge(col)[("openai", fp)] == "rejected"  # credential-wide, and worse than cooling
    assert gauge(col)[("openai", fingerprint(OPENAI_KEY_2))] == "ok"  # the other key is not touched
    now[0] += 3600 * 2  # both windows over: the executor would send the next call to re-test the key
    assert gauge(col)[("openai", fp)] == "ok"
    runtime.health.on_success("openai", fp, "gpt-4o")
    assert gauge(col)[("openai", fp)] == "ok"


def test_a_credential_known_only_to_health_is_still_shown(runtime: Any) -> None:
    gone = Failure(owner="provider_access", code="access.billing", message="402", provider="deepseek")
    runtime.health.on_failure(gone, "sk-old…dead#abcdef", "deepseek-chat")
    assert gauge(HealthCollector(runtime))[("deepseek", "sk-old…dead#abcdef")] == "blocked"


def test_the_gauge_reads_the_health_every_process_shares(home: Any) -> None:
    """Another process's cooldown is in the shared state before this process's replica has heard of it (its
    notifications are polled): the gauge reads the shared state itself, so every worker answers the same. With
    the engine away, the replica answers."""
    import asyncio

    from clawgate.call.health import HealthRegistry
    from clawgate.call.health_shared import SharedHealth
    from clawgate.call.runtime import Runtime
    from clawgate.paths import Paths
    from clawgate.state.base import StateUnavailable
    from clawgate.state.sqlite import SQLiteState

    home.dotenv(f"OPENAI_API_KEY={OPENAI_KEY}\n")
    env = home.env()
    rt = Runtime(Paths.discover(env), env, cwd=None)  # persists: health shared through the home's shared.db
    fp = fingerprint(OPENAI_KEY)
    col = HealthCollector(rt)

    async def scrape() -> dict[tuple[str, str], str]:
        await col.refresh()
        return gauge(col)

    async def go() -> None:
        other = SQLiteState(str(rt.paths.shared_db))  # a second process on the same home
        try:
            await other.start()
            theirs = HealthRegistry()
            share = SharedHealth(theirs, other, "other-worker")
            bad = Failure(owner="provider_auth", code="auth.rejected", message="401", provider="openai")
            theirs.on_failure(bad, fp, "gpt-4o")
            await share.drain()  # written to the shared state
        finally:
            await other.close()
        assert rt.health.get("openai", fp, "gpt-4o") is None  # not in this process's replica yet
        assert (await scrape())[("openai", fp)] == "rejected" and col.source == "shared"

        async def away(prefix: str) -> dict[str, str]:
            raise StateUnavailable("engine away")

        rt.shared.scan = away  # type: ignore[method-assign]
        assert (await scrape())[("openai", fp)] == "ok" and col.source == "replica"

    try:
        asyncio.run(go())
    finally:
        rt.close()
