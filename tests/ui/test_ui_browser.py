"""The control UI in a real browser (Debian's Chromium, headless) against a real gateway subprocess and the
provider emulator: the login, every view populated, Probe, a provider rejection under Failures (live, without a
reload), stopping a stuck run from Sessions, and a streamed chat (errors with their owner, never an empty bubble).
"""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import pytest
from tests.support.gateway import run_cli
from tests.support.ports import wait_until
from tests.support.timing import limit
from tests.ui import harness
from tests.ui.harness import TOKEN, Bench, goto_view

from clawgate.redaction import fingerprint

pytestmark = pytest.mark.timeout(90)


def _text(page: Any, selector: str = "main") -> str:
    return str(page.inner_text(selector))


def _no_js_errors(page: Any) -> None:
    assert not [e for e in page.errors if e.startswith("pageerror")], page.errors


# ------------------------------------------------------------------------------------------------- login


def test_login_with_a_one_time_code_from_clawgate_dashboard(ctx: Any, bench: Bench) -> None:
    page = harness.track_errors(ctx.new_page())
    page.goto(bench.url + "/")
    page.wait_for_selector("text=Log in to clawgate")
    assert "clawgate dashboard" in _text(page)
    assert page.is_hidden("nav#nav")

    # the CLI asks the running gateway for a code with the token from the same resolver
    res = run_cli(bench.gw.home, "dashboard", "--no-open", "--json", CLAWGATE_GATEWAY_URL=bench.url)
    assert res.returncode == 0, res.stderr
    data = json.loads(res.stdout)
    assert data["url"].startswith(bench.url + "/ui/login?code=") and data["opened"] is False
    assert data["expires_in"] == 120 and TOKEN not in res.stdout + res.stderr

    page.goto(data["url"])
    page.wait_for_selector("nav#nav:not([hidden])")
    assert page.url.rstrip("/") == bench.url or page.url.startswith(bench.url + "/#")
    page.wait_for_selector("text=Gateway")
    cookie = next(c for c in ctx.cookies() if c["name"] == "clawgate_ui")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    assert cookie["value"] != TOKEN and TOKEN not in cookie["value"] and len(cookie["value"]) >= 32
    assert page.evaluate("document.cookie") == ""  # HttpOnly: not readable by scripts

    # the cookie works for the UI's API (and the sessions API), from the page's own origin only
    jar = {"clawgate_ui": cookie["value"]}
    assert httpx.get(bench.url + "/api/ui/overview", cookies=jar).status_code == 200
    assert httpx.get(bench.url + "/api/ui/overview").status_code == 401
    evil = {"Origin": "http://127.0.0.1:1", "Sec-Fetch-Site": "same-site"}
    assert httpx.get(bench.url + "/api/ui/overview", cookies=jar, headers=evil).status_code == 401
    # a browser session cannot mint login codes: that takes the token
    assert httpx.post(bench.url + "/api/ui/login-codes", cookies=jar).status_code == 401

    # the code is single-use
    ctx.clear_cookies()
    page2 = harness.track_errors(ctx.new_page())
    page2.goto(data["url"])
    page2.wait_for_selector("text=already used or has expired")
    assert "clawgate dashboard" in _text(page2)

    # log in again, then log out: the session id is forgotten by the gateway
    page2.goto(bench.login_url())
    page2.wait_for_selector("#logout:not([hidden])")
    sid = next(c for c in ctx.cookies() if c["name"] == "clawgate_ui")["value"]
    page2.click("#logout")
    page2.wait_for_selector("text=Log in to clawgate")
    assert httpx.get(bench.url + "/api/ui/overview", cookies={"clawgate_ui": sid}).status_code == 401
    _no_js_errors(page2)


def test_auth_mode_none_needs_no_login(ctx: Any, tmp_path: Any, emu: Any) -> None:
    from tests.support.gateway import make_home, spawn_gateway

    home = make_home(tmp_path, "nonehome")
    harness.write_home(home, emu)
    home.dotenv((home.path / ".env").read_text().replace(f"CLAWGATE_GATEWAY_TOKEN={TOKEN}\n", ""))
    cfg = json.loads(home.config_path.read_text())
    cfg["gateway"]["auth"] = {"mode": "none"}
    home.config(cfg)
    gw = spawn_gateway(home)
    try:
        page = ctx.new_page()
        page.goto(gw.url + "/")
        page.wait_for_selector("nav#nav:not([hidden])")
        page.wait_for_selector("text=no gateway token")
        assert page.is_hidden("#logout")
        res = run_cli(home, "dashboard", "--no-open", "--json", CLAWGATE_GATEWAY_URL=gw.url)
        assert json.loads(res.stdout)["url"] == gw.url + "/"
        # without a token, the UI's data only goes to a page opened at a loopback address (no DNS rebinding)
        assert httpx.get(gw.url + "/api/ui/overview").status_code == 200
        rebound = httpx.get(gw.url + "/api/ui/overview", headers={"Host": f"attacker.example:{gw.port}"})
        assert rebound.status_code == 403 and rebound.json()["error"]["code"] == "ui.host_not_loopback"
    finally:
        gw.stop()


# ------------------------------------------------------------------------------------------------- views


def test_every_view_is_populated(page: Any, bench: Bench) -> None:
    goto_view(page, "overview")
    page.wait_for_selector("#ov-gw")
    text = _text(page)
    for expected in (
        "0.1.0",
        bench.url,
        str(bench.gw.home.config_path),
        str(bench.gw.home.path),
        "Last hour",
    ):
        assert expected in text, expected
    assert "env:CLAWGATE_GATEWAY_TOKEN" in text and "Uptime" in text

    goto_view(page, "agents")
    coder = page.wait_for_selector("[data-agent=coder]")
    t = coder.inner_text()
    # the seed-003 trap at a glance: coder's own model beats the default, and says so
    assert "groq/llama-3.3-70b-versatile" in t and "agents.list[1].model" in t
    assert "shadowed" in t and "agents.defaults.model.primary" in t and "openai/gpt-4o" in t
    assert "This agent's own model wins" in t
    assert (
        "anthropic/claude-sonnet-4-5" in t
    )  # the default fallback it keeps (a string sets the primary only)
    main = page.inner_text("[data-agent=main]")
    assert "from agents.defaults.model.primary" in main and "env:OPENAI_API_KEY" in main

    goto_view(page, "providers")
    ds = page.wait_for_selector("[data-provider=deepseek]").inner_text()
    assert "profile:deepseek:default" in ds and "env:DEEPSEEK_API_KEY" in ds and "shadowed" in ds
    op = page.inner_text("[data-provider=openai]")
    assert "openai-completions" in op and "config:models.providers.openai.baseUrl" in op and "sk-test…" in op
    # every card ends with the command to run next: here (healthy, with a key) the probe that tests it live
    assert "clawgate models status --probe --probe-provider openai" in page.inner_text(
        "[data-provider=openai] .provider-next"
    )

    goto_view(page, "failures")
    page.wait_for_selector("text=No failed call or try in this window")

    goto_view(page, "sessions")
    page.wait_for_function(
        "() => document.querySelector('#runs-title') || /no sessions API/.test(document.body.innerText)"
    )

    goto_view(page, "doctor")
    page.wait_for_selector("#doc-findings")
    t = _text(page)
    assert "model.override_shadows_default" in t and "config.plaintext_secret" in t
    assert "unset agents.list[1].model" in t  # a fix `doctor --fix` would apply, shown, not applied
    assert "clawgate doctor --fix" in t
    cfg = json.loads(bench.gw.home.config_path.read_text())
    assert cfg["agents"]["list"][1]["model"] == "groq/llama-3.3-70b-versatile"  # nothing was applied

    goto_view(page, "chat")
    page.wait_for_selector("#chat-agent option[value=coder]", state="attached")

    # keyboard: a skip link first, the views reachable from the nav, the view's heading focused on navigation
    page.goto(bench.url + "/#/overview")
    page.wait_for_selector("#ov-gw")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    page.focus("nav a[data-view=agents]")
    page.keyboard.press("Enter")
    page.wait_for_selector("[data-agent=coder]")
    assert page.evaluate("document.activeElement.id") == "view-title"
    _no_js_errors(page)


def test_a_rejected_config_edit_shows_on_the_overview_live(page: Any, bench: Bench) -> None:
    goto_view(page, "overview")
    page.wait_for_selector("#ov-reload >> xpath=.. >> text=accepted")
    cfg = bench.gw.home.config_path
    good = cfg.read_text()
    bench.gw.home.config(good.replace('"list": [', '"list": [[', 1))  # a syntax error
    box = page.wait_for_selector("#ov-reload >> xpath=.. >> .errbox", timeout=limit(10) * 1000)
    t = box.inner_text()
    assert "config" in t and "clawgate.json" in t
    assert "rejected" in page.inner_text("#ov-reload >> xpath=..")
    bench.gw.home.config(good)
    page.wait_for_selector("#ov-reload >> xpath=.. >> text=accepted", timeout=limit(10) * 1000)
    assert "1 since the start" in page.inner_text("#ov-reload >> xpath=..")
    _no_js_errors(page)


def test_rejection_shows_up_under_failures_live_and_probe(page: Any, bench: Bench) -> None:
    goto_view(page, "failures")
    page.wait_for_selector("text=No failed call or try in this window")
    # provoke: groq rejects coder's key (the default fallback serves the call; the failed try is recorded)
    r = bench.provoke_rejection()
    assert r["status"] == 200
    # live: the group appears without a reload
    group = page.wait_for_selector(
        "section.failure-group[data-owner=provider_auth][data-code='auth.rejected']"
    )
    t = group.inner_text()
    assert "provider_auth" in t and "auth.rejected" in t and "groq" in t
    assert "Invalid API Key" in t  # the provider's own message
    assert "clawgate models status --probe --probe-provider groq" in t  # the next command
    assert "First failure" in t

    # a second call for a groq-only agent is refused from the health state: a repeat, behind the first failure
    bench.api(
        "POST",
        "/v1/chat/completions",
        json={"model": "agent/reviewer", "messages": [{"role": "user", "content": "x"}]},
    )
    page.wait_for_function(
        "() => [...document.querySelectorAll('.stream[data-provider=groq] .repeats')].some(e => /refused without sending/.test(e.textContent))"
    )
    first = page.inner_text(".stream[data-provider=groq] .first")
    assert "HTTP 401" in first

    # Probe (the CLI's probe, through the gateway's executor): owner and code per credential
    goto_view(page, "providers")
    btn = page.wait_for_selector("[data-provider=groq] button:has-text('Probe groq')")
    btn.click()
    res = page.wait_for_selector("[data-provider=groq] .probe-result", timeout=limit(20) * 1000)
    t = res.inner_text()
    assert "probe failed" in t and "provider_auth" in t and "auth.rejected" in t and "env:GROQ_API_KEY" in t
    assert "clawgate models status --probe --probe-provider groq" in t
    page.click("[data-provider=anthropic] button:has-text('Probe anthropic')")
    ok = page.wait_for_selector("[data-provider=anthropic] .probe-result.ok", timeout=limit(20) * 1000)
    assert "HTTP 200" in ok.inner_text() and "env:ANTHROPIC_API_KEY" in ok.inner_text()
    _no_js_errors(page)


# ------------------------------------------------------------------------------------------ sessions API


def _need_sessions(bench: Bench) -> None:
    if not bench.has_sessions_api():
        pytest.skip("sessions API not present")


def test_stop_a_stuck_run_from_sessions(page: Any, bench: Bench) -> None:
    _need_sessions(bench)
    sid = bench.start_stuck_run()  # emulator `hang`: headers, then nothing
    goto_view(page, "sessions")
    row = page.wait_for_selector(f"li.run[data-session='{sid}']")
    assert "stuck on purpose" in row.inner_text()
    # silent for a quarter of the idle limit (20 s here) -> highlighted as stuck, well before the watchdog
    page.wait_for_selector(f"li.run[data-session='{sid}'][data-stuck=true]", timeout=limit(12) * 1000)
    assert "stuck" in page.inner_text(f"li.run[data-session='{sid}']")
    page.click(f"li.run[data-session='{sid}'] button:has-text('Stop')")
    page.wait_for_selector(f"li.run[data-session='{sid}']", state="detached", timeout=limit(10) * 1000)

    def stopped() -> Any:
        data = bench.api("GET", f"/api/sessions/{sid}").json()
        return data["session"]["active_run_id"] is None and any(
            r["status"] == "stopped" for r in data["runs"]
        )

    wait_until(stopped, timeout=10, what="the run to be stopped")
    _no_js_errors(page)


def test_chat_streams_a_reply_and_shows_errors_with_their_owner(page: Any, bench: Bench) -> None:
    _need_sessions(bench)
    # slow chunks so the reply is visibly streamed: partial text first, the whole reply at the end
    bench.emu.add_fault(
        "slow_chunks", dialect="openai", chunk_delay_ms=int(limit(0.25) * 1000), chunks=6, times=1
    )
    goto_view(page, "chat")
    page.wait_for_selector("#chat-agent option[value=main]", state="attached")
    page.fill("#chat-input", "echo: tokens arrive one by one over the stream")
    page.keyboard.press("Enter")
    bubble = ".chat-log .msg.assistant"
    page.wait_for_selector(f"{bubble}[data-status=streaming] .msg-text")
    partial = page.inner_text(f"{bubble} .msg-text")
    page.wait_for_selector(f"{bubble}[data-status=completed]", timeout=limit(15) * 1000)
    full = page.inner_text(f"{bubble} .msg-text")
    assert full.strip() == "tokens arrive one by one over the stream"
    assert len(partial) < len(full)
    assert "openai/gpt-4o" in page.inner_text(bubble)

    # a failing agent: the bubble carries owner, code and the next command, not nothing
    page.select_option("#chat-agent", "reviewer")
    page.fill("#chat-input", "review this")
    page.click(".chat-form button[type=submit]")
    err = page.wait_for_selector(f"{bubble}.has-error .errbox", timeout=limit(15) * 1000)
    t = err.inner_text()
    assert "provider_auth" in t and "auth.rejected" in t and "Next" in t
    assert "groq" in t
    _no_js_errors(page)


def test_chat_bubble_names_the_credential_that_served_the_call(page: Any, bench: Bench) -> None:
    """switcher's stored profile is rejected and the env key serves the call: the bubble shows the env key's
    fingerprint (and which credential failed before it), not the profile's that the run started with."""
    _need_sessions(bench)
    goto_view(page, "chat")
    page.wait_for_selector("#chat-agent option[value=switcher]", state="attached")
    page.select_option("#chat-agent", "switcher")
    page.fill("#chat-input", "echo: served by the env key")
    page.keyboard.press("Enter")
    bubble = ".chat-log .msg.assistant"
    page.wait_for_selector(f"{bubble}[data-status=completed]", timeout=limit(15) * 1000)
    cred = page.wait_for_selector(f"{bubble} .cred")
    assert cred.get_attribute("data-fingerprint") == fingerprint(harness.OPENAI_KEY)
    t = cred.inner_text()
    assert "env:OPENAI_API_KEY" in t and fingerprint(harness.OPENAI_KEY) in t
    assert "profile:openai:stale" in t and fingerprint(harness.OPENAI_STALE_KEY) in t and "failed" in t
    assert page.inner_text(f"{bubble} .msg-text").strip() == "served by the env key"
    _no_js_errors(page)


def test_providers_card_says_what_to_run_next_for_a_rejected_key(page: Any, bench: Bench) -> None:
    """groq's key is wrong: once a call was rejected, its card's next commands are the rejection's (the same the
    classifier gives the failed call), ahead of the probe."""
    r = bench.api(
        "POST",
        "/v1/chat/completions",
        json={"model": "agent/reviewer", "messages": [{"role": "user", "content": "x"}]},
    )
    assert r.status_code == 424 and r.json()["error"]["code"] == "auth.rejected"
    goto_view(page, "providers")
    nxt = page.wait_for_selector("[data-provider=groq] .provider-next").inner_text()
    for step in r.json()["error"]["next_steps"]:
        assert step in nxt
    assert "clawgate models status --probe --probe-provider groq" in nxt


def test_live_stream_ends_with_the_session(bench: Bench) -> None:
    """/api/ui/events speaks SSE and refuses a request without a session (no browser needed)."""
    assert httpx.get(bench.url + "/api/ui/events", timeout=limit(5)).status_code == 401
    code = httpx.post(bench.url + "/api/ui/login-codes", headers={"Authorization": f"Bearer {TOKEN}"}).json()
    with httpx.Client(base_url=bench.url, follow_redirects=False, timeout=limit(5)) as c:
        r = c.get(code["path"])
        assert r.status_code == 303 and r.headers["location"] == "/"
        assert (
            "httponly" in r.headers["set-cookie"].lower()
            and "samesite=strict" in r.headers["set-cookie"].lower()
        )
        t0 = time.monotonic()
        with c.stream("GET", "/api/ui/events") as resp:
            assert resp.headers["content-type"].startswith("text/event-stream")
            for line in resp.iter_lines():
                if line.startswith("data:") and "changed" in line:
                    assert "status" in json.loads(line[5:])["changed"]
                    break
                assert time.monotonic() - t0 < limit(5)
