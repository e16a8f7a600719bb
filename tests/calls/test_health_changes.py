"""A clear made by another process reaches a registry that is refusing calls at once — also right after it
refused one (no time window in which the clear is missed), and only once the clear is committed."""

from __future__ import annotations

from pathlib import Path

from clawgate.call.health import HealthRegistry
from clawgate.failures.failure import failure
from clawgate.store.sqlite import SQLiteStore

FP = "sk-te…0001#abcdef"


def test_a_clear_from_another_process_is_seen_by_the_very_next_refusal(tmp_path: Path) -> None:
    db = str(tmp_path / "state.db")
    gateway_store, cli_store = SQLiteStore(db), SQLiteStore(db)
    try:
        reg = HealthRegistry(gateway_store)
        reg.on_failure(
            failure("auth.rejected", "rejected", provider="openai", status=401), FP, "gpt-4o", "env:OPENAI"
        )
        assert not reg.verdict("openai", FP, "gpt-4o").allowed  # refused: the registry just looked for clears
        cli_store.clear_health()
        cli_store.flush()
        # immediately after a refusal: the next verdict sees the clear (no throttle that hides it)
        assert reg.verdict("openai", FP, "gpt-4o").allowed
        # a later failure is newer than the clear: it is refused again, and nothing re-clears it
        reg.on_failure(
            failure("auth.rejected", "rejected", provider="openai", status=401), FP, "gpt-4o", "env:OPENAI"
        )
        assert not reg.verdict("openai", FP, "gpt-4o").allowed
        assert not reg.verdict("openai", FP, "gpt-4o").allowed
    finally:
        gateway_store.close()
        cli_store.close()
