"""Done-when 1: scope, expiry, revoke, pairing and budgets — each through the official openai and anthropic
SDKs, each refused with its own HTTP status and code (the SDK's own exception class for that status), and
what the key may do still served."""

from __future__ import annotations

import time
from typing import Any

import anthropic
import httpx
import openai
import pytest
from tests.support.ports import wait_until
from tests.support.timing import limit

from .conftest import TOKEN, Gw


def oai(gw: Gw, key: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=gw.url + "/v1", api_key=key, max_retries=0, timeout=limit(20))


def ant(gw: Gw, key: str) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=gw.url, api_key=key, max_retries=0, timeout=limit(20))


def chat(client: openai.OpenAI, model: str = "openai/gpt-4o") -> str:
    r = client.chat.completions.create(model=model, messages=[{"role": "user", "content": "echo: ok"}])
    return r.choices[0].message.content or ""


def message(client: anthropic.Anthropic, model: str = "anthropic/claude-sonnet-4-5") -> str:
    r = client.messages.create(model=model, max_tokens=16, messages=[{"role": "user", "content": "echo: ok"}])
    return "".join(b.text for b in r.content if b.type == "text")


def refused(exc: Any) -> tuple[int, str, str]:
    """(HTTP status, x-clawgate-code header, the body's code) of an SDK's APIStatusError."""
    body = exc.body if isinstance(exc.body, dict) else {}
    err = body.get("error", body) if isinstance(body.get("error", body), dict) else body
    return exc.status_code, exc.response.headers.get("x-clawgate-code"), err.get("code")


def expect(call: Any, exc_type: type[BaseException], status: int, code: str) -> Any:
    with pytest.raises(exc_type) as info:
        call()
    got = refused(info.value)
    assert got == (status, code, code), (got, str(info.value))
    assert info.value.response.headers.get("x-clawgate-owner") == "gateway_auth"
    return info.value


def test_scopes_refuse_other_models_and_agents_with_403(make_gw: Any) -> None:
    gw = make_gw()
    key = gw.create_key("ci-bot", "--model", "openai/*", "--model", "fast", "--agent", "main")
    assert chat(oai(gw, key)) == "ok"  # in scope: a model matching openai/*
    assert chat(oai(gw, key), "fast") == "ok"  # an alias it names
    e = expect(lambda: message(ant(gw, key)), anthropic.PermissionDeniedError, 403, "gateway.scope_denied")
    assert "ci-bot" in str(e) and "anthropic/claude-sonnet-4-5" in str(e)
    expect(
        lambda: chat(oai(gw, key), "anthropic/claude-sonnet-4-5"),
        openai.PermissionDeniedError,
        403,
        "gateway.scope_denied",
    )
    # an agent outside its agents, even on a model it may use
    expect(
        lambda: chat(oai(gw, key), "agent/claude"), openai.PermissionDeniedError, 403, "gateway.scope_denied"
    )
    # a client key serves the model endpoints only, not the sessions API
    r = httpx.get(gw.url + "/api/sessions", headers={"Authorization": f"Bearer {key}"}, timeout=limit(10))
    assert r.status_code == 403 and r.headers["x-clawgate-code"] == "gateway.scope_denied", r.text
    # the model list is open to it, and shows what its scopes let it name
    listed = {m.id for m in oai(gw, key).models.list()}
    assert {"openai/gpt-4o", "openai/gpt-4o-mini", "fast", "agent/main"} <= listed, listed
    assert not listed & {"anthropic/claude-sonnet-4-5", "agent/claude"}, listed
    assert "anthropic/claude-sonnet-4-5" in {m.id for m in oai(gw, TOKEN).models.list()}


def test_an_expired_key_is_refused_with_401_key_expired(make_gw: Any) -> None:
    gw = make_gw()
    key = gw.create_key("short", "--expires", "3s")
    # (--all: on a loaded machine the 3 s may be over before this CLI has started, and `list` shows active keys)
    expires = next(k for k in gw.cli("keys", "list", "--all", "--json")["keys"] if k["name"] == "short")[
        "expires_at"
    ]
    if time.time() < expires - 0.5:
        assert chat(oai(gw, key)) == "ok"  # before it expires
    wait_until(lambda: time.time() > expires + 0.05, 10, what="the key's expiry")
    e = expect(lambda: chat(oai(gw, key)), openai.AuthenticationError, 401, "gateway.key_expired")
    assert "short" in str(e) and "expired" in str(e)
    expect(lambda: message(ant(gw, key)), anthropic.AuthenticationError, 401, "gateway.key_expired")
    assert gw.cli("keys", "list", "--json")["keys"] == []  # no longer active
    assert gw.cli("keys", "list", "--all", "--json")["keys"][0]["state"] == "expired"


def test_a_revoked_key_is_refused_with_401_key_revoked_and_a_wrong_secret_is_a_token_mismatch(
    make_gw: Any,
) -> None:
    gw = make_gw()
    key = gw.create_key("laptop")
    assert chat(oai(gw, key)) == "ok" and message(ant(gw, key)) == "ok"
    gw.cli("keys", "revoke", "laptop", "--json")

    def refused_now() -> bool:
        try:
            chat(oai(gw, key))
        except openai.AuthenticationError:
            return True
        return False

    wait_until(refused_now, 15, what="the revocation to reach the gateway")
    expect(lambda: chat(oai(gw, key)), openai.AuthenticationError, 401, "gateway.key_revoked")
    expect(lambda: message(ant(gw, key)), anthropic.AuthenticationError, 401, "gateway.key_revoked")
    # a key id this gateway knows, with another secret: neither its revocation nor anything else is told
    forged = key[: key.rindex("_") + 1] + "x" * 43
    e = expect(lambda: chat(oai(gw, forged)), openai.AuthenticationError, 401, "gateway.token_mismatch")
    assert "revoked" not in str(e)
    # the owner's token keeps working
    assert chat(oai(gw, TOKEN)) == "ok"


def test_rotation_gives_a_new_key_and_the_old_one_stops_after_its_grace(make_gw: Any) -> None:
    gw = make_gw()
    old = gw.create_key("svc")
    out = gw.cli("keys", "rotate", "svc", "--grace", "1h", "--json")
    new = out["token"]
    assert new != old and out["key"]["name"] == "svc"

    def knows_new() -> bool:
        try:
            return chat(oai(gw, new)) == "ok"
        except openai.AuthenticationError:
            return False

    wait_until(knows_new, 15, what="the rotation to reach the gateway")
    assert chat(oai(gw, old)) == "ok"  # inside its grace window
    gw.cli("keys", "rotate", "svc", "--json")  # no grace: the previous secret stops at once

    def old_refused() -> bool:
        try:
            chat(oai(gw, new))
        except openai.AuthenticationError:
            return True
        return False

    wait_until(old_refused, 15, what="the second rotation to reach the gateway")
    e = expect(lambda: chat(oai(gw, new)), openai.AuthenticationError, 401, "gateway.token_mismatch")
    assert "rotated" in str(e)


def _chat_cli(gw: Gw, dev_home: Any, line: str) -> Any:
    """`clawgate chat --url URL` on the device's home (no gateway token there: it presents its device)."""
    import subprocess
    import sys

    return subprocess.run(
        [sys.executable, "-m", "clawgate", "chat", "--url", gw.url],
        env=dev_home.env(),
        cwd=str(dev_home.path),
        input=line,
        capture_output=True,
        text=True,
        timeout=limit(60),
    )


def _device(gw: Gw, home_name: str = "device-home") -> tuple[str, str]:
    """A device pairing the way `clawgate devices pair` does, on a home of its own: (device id, its token)."""
    from tests.support.gateway import make_home, run_cli

    dev = make_home(gw.home.path.parent, home_name)
    r = run_cli(
        dev,
        "devices",
        "pair",
        "--url",
        gw.url,
        "--name",
        "laptop-tui",
        "--kind",
        "tui",
        "--wait",
        "0",
        "--json",
    )
    assert r.returncode == 1, r.stdout + r.stderr  # asked, not approved yet
    import json

    out = json.loads(r.stdout)
    assert out["state"] == "pending", out
    ident = json.loads(next((dev.path / "devices").glob("*.json")).read_text())
    return ident["device_id"], ident["token"]


def test_pairing_a_device_then_revoking_it_each_with_its_own_code(make_gw: Any) -> None:
    gw = make_gw()
    device_id, token = _device(gw)
    gw.wait_clients(pending=1)
    # asked, waiting: 403 pairing required (the device is known, not yet allowed)
    e = expect(lambda: chat(oai(gw, token)), openai.PermissionDeniedError, 403, "gateway.pairing_required")
    assert f"clawgate devices approve {device_id}" in str(e.body)
    listed = gw.cli("devices", "list", "--json")["devices"]
    assert [(d["id"], d["state"], d["kind"]) for d in listed] == [(device_id, "pending", "tui")]
    gw.cli("devices", "approve", listed[0]["code"], "--json")  # by its code, as read off the device
    gw.wait_clients(devices=1, pending=0)
    assert chat(oai(gw, token)) == "ok" and message(ant(gw, token)) == "ok"
    # the device's own chat, through the sessions API, with the identity `devices pair` kept for that URL
    from tests.support.gateway import GwHome

    dev_home = GwHome(gw.home.path.parent / "device-home")
    r = _chat_cli(gw, dev_home, "echo: from the paired device\n")
    assert r.returncode == 0 and "from the paired device" in r.stdout, r.stdout + r.stderr

    def seen() -> bool:
        return bool(gw.cli("devices", "list", "--json")["devices"][0]["last_seen_at"])

    wait_until(seen, 20, what="the device's last-seen time in the store")
    # the same device id with another token: the device token does not match
    forged = token[: token.rindex("_") + 1] + "y" * 43
    expect(lambda: chat(oai(gw, forged)), openai.AuthenticationError, 401, "gateway.device_token_mismatch")
    gw.cli("devices", "revoke", device_id, "--json")
    gw.wait_clients(devices=0)
    e = expect(lambda: chat(oai(gw, token)), openai.AuthenticationError, 401, "gateway.device_revoked")
    expect(lambda: message(ant(gw, token)), anthropic.AuthenticationError, 401, "gateway.device_revoked")
    r = _chat_cli(gw, dev_home, "echo: again\n")  # its chat says so too, with the fix
    assert r.returncode != 0 and "gateway.device_revoked" in r.stdout + r.stderr, r.stdout + r.stderr
    assert "clawgate devices pair --url" in r.stdout + r.stderr

    # doctor names the refusals of the revoked device (written by the gateway within seconds)
    def counted() -> bool:
        return any(d["refusals"] for d in gw.cli("devices", "list", "--all", "--json")["devices"])

    wait_until(counted, 20, what="the device's refusals in the store")
    del e


def test_a_budget_refuses_with_402_budget_exceeded_once_spent(make_gw: Any) -> None:
    gw = make_gw()
    # one call of ~10 prompt and ~1 completion tokens on gpt-4o costs ~3.5e-5 USD: a budget of 1e-5 is spent by it
    key = gw.create_key("tiny", "--budget", "0.00001", "--budget-period", "day")
    assert chat(oai(gw, key)) == "ok"

    def over() -> bool:
        try:
            chat(oai(gw, key))
        except openai.APIStatusError as exc:
            return exc.status_code == 402
        return False

    wait_until(over, 15, what="the spend to reach the budget")
    e = expect(lambda: chat(oai(gw, key)), openai.APIStatusError, 402, "access.budget_exceeded")
    assert "tiny" in str(e) and "daily budget" in str(e)
    assert e.response.headers["x-should-retry"] == "false" and "retry-after" not in e.response.headers
    expect(lambda: message(ant(gw, key)), anthropic.APIStatusError, 402, "access.budget_exceeded")
    spent = gw.cli("keys", "list", "--json")["keys"][0]["budget"]
    assert spent["spent_usd"] >= 0.00001 and spent["period"] == "day", spent
    # raising it lets the key through again, on the running gateway
    gw.cli("keys", "update", "tiny", "--budget", "100", "--json")

    def served() -> bool:
        try:
            return chat(oai(gw, key)) == "ok"
        except openai.APIStatusError:
            return False

    wait_until(served, 15, what="the raised budget to reach the gateway")


def test_an_rpm_limit_answers_429_rate_limited_with_retry_after(make_gw: Any) -> None:
    gw = make_gw(limits={"windowSeconds": 30})
    key = gw.create_key("burst", "--rpm", "6")  # 6 per minute: 3 per 30 s window
    codes = []
    for _ in range(5):
        try:
            chat(oai(gw, key))
            codes.append(200)
        except openai.RateLimitError as exc:
            codes.append(exc.status_code)
            last = exc
    # the window may turn over once during the loop (at most one more allowance)
    assert codes.count(200) in (3, 6) and codes[:1] == [200], codes
    assert refused(last) == (429, "gateway.rate_limited", "gateway.rate_limited")
    h = last.response.headers
    assert h["x-should-retry"] == "true" and 0 < float(h["retry-after-ms"]) <= 30_000, dict(h)
    assert h["x-ratelimit-limit-requests"] == "3" and h["x-ratelimit-remaining-requests"] == "0"


def test_a_tpm_limit_refuses_once_the_windows_tokens_are_spent(make_gw: Any) -> None:
    gw = make_gw(limits={"windowSeconds": 60})
    key = gw.create_key(
        "tokens", "--tpm", "30"
    )  # 30 tokens per 60 s window; one call here is 3 (2 in, 1 out)
    served = 0
    for _ in range(40):
        try:
            chat(oai(gw, key))
            served += 1
        except openai.RateLimitError as exc:
            last = exc
            break
    else:
        raise AssertionError("40 calls of 3 tokens each were all served under a 30-token window")
    # the tokens are counted after each answer: the window is refused once they reach 30 (a call may be in
    # flight as they do, and the window may turn over once)
    assert 10 <= served <= 21, served
    assert refused(last) == (429, "gateway.rate_limited", "gateway.rate_limited")
    assert last.response.headers["x-ratelimit-limit-tokens"] == "30" and "tokens" in str(last)
