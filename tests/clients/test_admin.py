"""Managing keys and devices on a real store (SQLite): names, rotation, updates, the pairing request's rules
(the same token asks again and keeps its code; another token for a known id is refused; at most 3 requests
wait per address)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from clawgate.clients import tokens
from clawgate.clients.admin import ClientAdmin, parse_when
from clawgate.clients.registry import ClientRegistry
from clawgate.clients.scopes import Scopes
from clawgate.errors import ClawgateError
from clawgate.store.sqlite import SQLiteStore


@pytest.fixture
def admin(tmp_path: Path) -> ClientAdmin:
    return ClientAdmin(SQLiteStore(str(tmp_path / "state.db")))


def test_keys_names_rotation_and_updates(admin: ClientAdmin) -> None:
    rec, token = admin.create_key("ci", Scopes(("main",), ("openai/*",)), rpm=60)
    assert tokens.parse(token)[1] == rec.id and rec.secret_hash != token and token not in repr(rec)
    with pytest.raises(ClawgateError, match="exists already"):
        admin.create_key("ci")
    with pytest.raises(ClawgateError, match="not a key name"):
        admin.create_key("no spaces")
    with pytest.raises(ClawgateError, match="budget-period"):
        admin.create_key("b", budget_usd=1, budget_period="year")
    reg = ClientRegistry(admin.store)
    reg.reload()
    assert reg.identify(token).name == "ci"  # type: ignore[union-attr]
    rotated, new = admin.rotate_key("ci", grace_seconds=3600)
    assert rotated.prev_until is not None and rotated.rotated_at is not None
    reg.reload()
    assert reg.identify(new).name == "ci" and reg.identify(token).name == "ci"  # type: ignore[union-attr]
    admin.rotate_key("ci")
    reg.reload()
    assert getattr(reg.identify(new), "code", None) == "gateway.token_mismatch"
    updated = admin.update_key("ci", rpm=120, clear=["scopes"])
    assert updated.rpm == 120 and updated.scopes is None
    with_budget = admin.update_key("ci", budget_usd=5.0)
    assert with_budget.budget_period == "month"  # the default period
    admin.revoke_key("ci")
    with pytest.raises(ClawgateError, match="revoked"):
        admin.rotate_key("ci")
    assert parse_when("90m", 1000.0) == 1000.0 + 5400
    assert parse_when("2026-01-31", 0) == 1769817600.0


def test_pairing_requests_follow_their_rules(admin: ClientAdmin) -> None:
    rec, new = admin.request_pairing("dev1abcdef", "s" * 43, "laptop", "tui", None, "10.0.0.1", 20, 3600)
    again, new_again = admin.request_pairing(
        "dev1abcdef", "s" * 43, "laptop", "tui", None, "10.0.0.1", 20, 3600
    )
    assert new and not new_again and again.code == rec.code
    with pytest.raises(ValueError):  # the same device id, another token
        admin.request_pairing("dev1abcdef", "t" * 43, "laptop", "tui", None, "10.0.0.1", 20, 3600)
    for i in (2, 3):
        admin.request_pairing(f"dev{i}abcdef", "s" * 43, "x", "chat", None, "10.0.0.1", 20, 3600)
    with pytest.raises(OverflowError):  # a fourth from the same address
        admin.request_pairing("dev4abcdef", "s" * 43, "x", "chat", None, "10.0.0.1", 20, 3600)
    admin.request_pairing("dev5abcdef", "s" * 43, "x", "chat", None, "10.0.0.2", 20, 3600)  # another address
    assert admin.approve(rec.code).state == "approved"  # by its code
    with pytest.raises(ClawgateError, match="cannot be rejected"):
        admin.reject(rec.id)
    assert admin.revoke(rec.id).revoked_at is not None
    old = admin.find_device("dev2abcdef")
    admin.store.save_device(type(old)(**{**old.__dict__, "requested_at": time.time() - 7200}))
    admin.store.flush()
    with pytest.raises(ClawgateError, match="expired"):
        admin.approve("dev2abcdef", pending_seconds=3600)
