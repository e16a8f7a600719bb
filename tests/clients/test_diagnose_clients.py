"""OpenClaw's three gateway-auth causes (seed 004: AUTH_TOKEN_MISMATCH, AUTH_DEVICE_TOKEN_MISMATCH,
PAIRING_REQUIRED) each get their own code and fix in `clawgate explain` — decided by the classifier, with the
causes checked against this home's store — and in `clawgate doctor`, with the keys' and devices' other states."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from tests.support.env import scrub_env
from tests.support.gateway import GwHome, make_home, run_cli

from clawgate.clients import tokens
from clawgate.clients.admin import ClientAdmin
from clawgate.store import open_store
from clawgate.store.base import AttemptRecord

from .conftest import clients_config, dotenv


@pytest.fixture
def home(tmp_path: Path, emulator: Any, monkeypatch: pytest.MonkeyPatch) -> GwHome:
    """A home with a pending device, a device refused for its token, a key about to expire, one over budget."""
    scrub_env(monkeypatch)
    h = make_home(tmp_path)
    h.config(clients_config(emulator))
    h.dotenv(dotenv())
    store = open_store(str(h.path / "state.db"))
    try:
        admin = ClientAdmin(store)
        admin.request_pairing("pend1ng0dv", "p" * 43, "ops-laptop", "tui", "Linux", "10.0.0.9", 20, 3600)
        paired, _ = admin.request_pairing(
            "pa1red0dev", "q" * 43, "build-box", "chat", None, "10.0.0.4", 20, 3600
        )
        admin.approve(paired.id)
        store.note_device_refusal(paired.id, time.time() - 60, "gateway.device_token_mismatch", 4)
        admin.create_key("soon", expires_at=time.time() + 5 * 3600)
        over, _ = admin.create_key("capped", budget_usd=0.01, budget_period="month")
        store.record_attempt(
            AttemptRecord(
                ts=time.time(),
                call_id="c1",
                purpose="request",
                agent="main",
                ref="openai/gpt-4o",
                provider="openai",
                model="gpt-4o",
                api="openai-completions",
                cred_source="env:OPENAI_API_KEY",
                fingerprint="x",
                ok=True,
                client=f"key:{over.id}",
                cost_usd=0.02,
            )
        )
        store.flush()
    finally:
        store.close()
    return h


def _explain(home: GwHome, text: str) -> dict[str, Any]:
    r = run_cli(home, "explain", text, "--json")
    assert r.returncode in (0, 1), r.stderr
    return dict(json.loads(r.stdout))


def test_pairing_required_is_explained_with_the_waiting_request(home: GwHome) -> None:
    ex = _explain(home, "gateway connect failed: PAIRING_REQUIRED (device not paired)")
    assert (ex["owner"], ex["code"]) == ("gateway_auth", "gateway.pairing_required")
    first = ex["causes"][0]
    assert first["id"] == "gateway.pairing_required" and first["holds"] is True, ex["causes"]
    assert "ops-laptop" in first["evidence"] and "pend1ng0dv" in first["evidence"]
    assert ex["next"][0] == "clawgate devices approve pend1ng0dv", ex["next"]


def test_a_device_token_mismatch_is_explained_with_the_refused_device(home: GwHome) -> None:
    ex = _explain(home, "[gateway] closed 1008: AUTH_DEVICE_TOKEN_MISMATCH")
    assert (ex["owner"], ex["code"]) == ("gateway_auth", "gateway.device_token_mismatch")
    first = ex["causes"][0]
    assert first["id"] == "gateway.device_token_mismatch" and first["holds"] is True, ex["causes"]
    assert "build-box" in first["evidence"] and "4 time(s)" in first["evidence"]
    assert "clawgate devices revoke pa1red0dev" in ex["next"], ex["next"]


def test_a_shared_token_mismatch_points_at_the_gateway_token(home: GwHome) -> None:
    ex = _explain(home, "unauthorized: AUTH_TOKEN_MISMATCH")
    assert (ex["owner"], ex["code"]) == ("gateway_auth", "gateway.token_mismatch")
    assert ex["causes"][0]["id"] == "gateway.token_mismatch"
    assert any("clawgate gateway status --json" in s for s in ex["next"]), ex["next"]
    assert any(s.startswith("clawgate keys list") for s in ex["next"]), ex["next"]


def test_the_gateways_own_refusal_of_a_revoked_key_is_read_back(home: GwHome) -> None:
    body = json.dumps(
        {
            "error": {
                "message": "client key 'ci' (cgk_ab…) was revoked",
                "type": "authentication_error",
                "code": "gateway.key_revoked",
                "owner": "gateway_auth",
                "next": ["clawgate keys list"],
            }
        }
    )
    ex = _explain(home, f"openai.AuthenticationError: Error code: 401 - {body}")
    assert (ex["owner"], ex["code"]) == ("gateway_auth", "gateway.key_revoked")
    assert "clawgate keys list" in ex["next"]


def test_doctor_reports_each_clients_finding_with_its_fix(home: GwHome) -> None:
    r = run_cli(home, "doctor", "--json")
    found = {f["code"]: f for f in json.loads(r.stdout)["findings"]}
    pairing = found["gateway.pairing_required"]
    assert pairing["severity"] == "warn" and pairing["owner"] == "gateway_auth"
    assert pairing["next"] == ["clawgate devices approve pend1ng0dv"] and "ops-laptop" in pairing["message"]
    mismatch = found["gateway.device_token_mismatch"]
    assert mismatch["severity"] == "error" and mismatch["next"] == ["clawgate devices revoke pa1red0dev"]
    assert "--new" in mismatch["hint"]
    assert found["gateway.key_expired"]["next"] == ["clawgate keys update soon --expires 30d"]
    budget = found["access.budget_exceeded"]
    assert budget["owner"] == "gateway_auth" and "capped" in budget["message"]
    assert r.returncode == 1  # the device refused for its token is an error


def test_the_token_shapes_are_not_guessable_from_each_other() -> None:
    key = tokens.make(tokens.KEY_PREFIX, tokens.new_id(), tokens.new_secret())
    kind, ident, secret = tokens.parse(key) or ("", "", "")
    assert kind == "cgk_" and len(ident) == 10 and len(secret) >= 43
    assert tokens.parse("cgk_short_x") is None and tokens.parse("sk-test-123") is None
    assert tokens.matches(secret, tokens.hash_secret(secret)) and not tokens.matches(
        secret + "x", tokens.hash_secret(secret)
    )
