"""The control UI's Clients view in a real browser: the owner makes a client key (shown once, then never
again), revokes it; a browser on "another machine" (another origin) asks to pair, is approved from the owner's
view, reads the UI with its own device token, and is refused once revoked; spend is listed."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from tests.support.ports import wait_until
from tests.support.timing import limit
from tests.ui import harness
from tests.ui.harness import Bench, goto_view

pytestmark = pytest.mark.timeout(120)


def _chat(bench: Bench, key: str) -> httpx.Response:
    return httpx.post(
        bench.url + "/v1/chat/completions",
        headers={"Authorization": f"Bearer {key}"},
        json={"model": "openai/gpt-4o", "messages": [{"role": "user", "content": "echo: hi"}]},
        timeout=limit(20),
    )


def test_a_key_is_made_shown_once_used_and_revoked_from_the_ui(page: Any, bench: Bench) -> None:
    goto_view(page, "clients")
    page.wait_for_selector("text=No client key yet")
    page.fill("form.key-form input[name=name]", "ui-bot")
    page.fill("form.key-form input[name=models]", "openai/*")
    page.fill("form.key-form input[name=rpm]", "120")
    page.click("form.key-form button[type=submit]")
    shown = page.wait_for_selector(".warnbox code")
    token = shown.inner_text()
    assert token.startswith("cgk_") and len(token) > 50
    row = page.wait_for_selector("tr[data-key=ui-bot]").inner_text()
    assert "active" in row and "models openai/*" in row and "120 rpm" in row and token not in row

    def served() -> bool:
        return _chat(bench, token).status_code == 200

    wait_until(served, limit(15), what="the new key to reach the gateway")
    # the key is never shown again: not after a reload, not by the API
    page.reload()
    goto_view(page, "clients")
    page.wait_for_selector("tr[data-key=ui-bot]")
    assert token not in page.content()
    assert token not in bench.api("GET", "/api/ui/keys").text
    page.on("dialog", lambda d: d.accept())
    page.click("tr[data-key=ui-bot] button.danger")
    page.wait_for_selector("tr[data-key=ui-bot] >> text=revoked")
    wait_until(lambda: _chat(bench, token).status_code == 401, limit(15), what="the revocation")
    assert _chat(bench, token).headers["x-clawgate-code"] == "gateway.key_revoked"
    assert not [e for e in page.errors if e.startswith("pageerror")], page.errors


def test_a_browser_on_another_machine_pairs_is_approved_and_revoked(
    page: Any, ctx: Any, bench: Bench
) -> None:
    # "another machine": another origin (localhost, not 127.0.0.1) has its own storage and no cookie
    other = harness.track_errors(ctx.new_page())
    other.set_default_timeout(limit(10) * 1000)
    other.goto(bench.url.replace("127.0.0.1", "localhost") + "/")
    other.wait_for_selector("text=Pair this browser")
    other.click("text=Ask to pair")
    other.wait_for_selector("text=Waiting for approval")
    code = other.inner_text(".pair .pair-code")
    approve = other.inner_text(".pair .cmd code")
    assert approve.startswith("clawgate devices approve ") and len(code) == 9
    device_id = approve.rsplit(" ", 1)[1]
    # the owner sees the request with the same code, and approves it
    goto_view(page, "clients")
    row = page.wait_for_selector(f'tr[data-device="{device_id}"]')
    assert code in row.inner_text() and "pending" in row.inner_text()
    page.click(f'tr[data-device="{device_id}"] button.primary')
    page.wait_for_selector(f'tr[data-device="{device_id}"] >> text=approved')
    # the paired browser gets in by itself (it polls), and reads with its own device token
    other.wait_for_selector("nav#nav:not([hidden])", timeout=limit(20) * 1000)
    goto_view(other, "clients")
    other.wait_for_selector("text=Read only")
    assert other.query_selector("form.key-form") is None
    assert other.inner_text("#logout") == "Forget this browser"
    session = other.evaluate(
        "fetch('/api/ui/session', {headers: {Authorization: 'Bearer ' + JSON.parse(localStorage.getItem('clawgate.device')).token}}).then(r => r.json())"
    )
    assert session["client"] == "device" and session["via"] == "device"
    # revoked: its next request is refused, and it shows the pairing screen again
    page.on("dialog", lambda d: d.accept())
    page.click(f'tr[data-device="{device_id}"] button.danger')
    page.wait_for_selector(f'tr[data-device="{device_id}"] >> text=revoked')

    def refused() -> bool:
        r = bench.api("GET", "/api/status").json()["clients"]
        return r["devices"] == 0

    wait_until(refused, limit(15), what="the revocation to reach the gateway")
    goto_view(other, "overview")
    other.wait_for_selector("text=Pair this browser", timeout=limit(20) * 1000)
    assert not [e for e in other.errors if e.startswith("pageerror")], other.errors
