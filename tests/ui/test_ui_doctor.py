"""The UI's doctor page in a real browser: with a wrong HTTPS_PROXY every call fails, so the page must say
doctor's error (provider.unreachable), never "healthy" — and after the fix doctor names, a re-run says so."""

from __future__ import annotations

import socket
from typing import Any

import pytest
from tests.support.gateway import make_home, run_cli, spawn_gateway
from tests.ui import harness
from tests.ui.harness import OPENROUTER_KEY, TOKEN, Bench, goto_view

pytestmark = pytest.mark.timeout(90)


def _dead_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_doctor_page_shows_the_wrong_proxy_as_an_error(ctx: Any, tmp_path: Any, emu: Any) -> None:
    home = make_home(tmp_path, "proxyhome")
    home.config(
        {
            # a provider on a public https name: every call to it goes through HTTPS_PROXY
            "models": {"providers": {"openrouter": {"baseUrl": "https://openrouter.ai/api/v1"}}},
            "agents": {"defaults": {"model": "openrouter/moonshotai/kimi-k2.5"}},
            "gateway": {"reloadIntervalSeconds": 0.2},
        }
    )
    home.dotenv(
        f"OPENROUTER_API_KEY={OPENROUTER_KEY}\nCLAWGATE_GATEWAY_TOKEN={TOKEN}\n"
        f"HTTPS_PROXY=http://127.0.0.1:{_dead_port()}\n"
    )
    gw = spawn_gateway(home, token=TOKEN)
    try:
        page = harness.track_errors(ctx.new_page())
        page.set_default_timeout(15_000)
        page.goto(Bench(gw, emu).login_url())
        page.wait_for_selector("nav#nav:not([hidden])")
        goto_view(page, "doctor")
        page.wait_for_selector("#doc-findings")
        page.wait_for_selector("[data-code='provider.unreachable']")
        summary = page.inner_text(".summary")
        body = page.inner_text("main")
        assert "1 error(s)" in summary and "no errors" not in summary, summary
        assert "healthy" not in body.lower()
        assert "HTTPS_PROXY" in page.inner_text("[data-code='provider.unreachable']")
        assert "clawgate env unset HTTPS_PROXY" in body  # its next command, runnable as printed

        # run it (as doctor says), and doctor in the page turns clean once the gateway has reloaded
        res = run_cli(home, "env", "unset", "HTTPS_PROXY")
        assert res.returncode == 0, res.stderr

        def clean() -> bool:
            page.click("button[data-focus-key=run-doctor]")
            page.wait_for_function(
                "() => !document.querySelector('button[data-focus-key=run-doctor]').disabled"
            )
            return "no errors" in page.inner_text(".summary")

        harness.wait_until(clean, timeout=20, what="the doctor page after the fix")
        assert not page.query_selector("[data-code='provider.unreachable']")
        assert not [e for e in page.errors if e.startswith("pageerror")], page.errors
    finally:
        gw.stop()
