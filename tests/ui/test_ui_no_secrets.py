"""No secret reaches the browser: canary keys planted in `.env`, the config (a plaintext apiKey) and an auth
profile — and the gateway token and every provider key — appear in no page (HTML or text), no cookie or storage,
and no response of any API the UI uses, after every view has been populated (a rejection, every Probe, doctor,
a chat with /status, a stopped run). Fingerprints only."""

from __future__ import annotations

import json
from typing import Any

import httpx
from tests.support.timing import limit
from tests.ui import harness
from tests.ui.harness import SECRETS, TOKEN, VIEWS, Bench, goto_view


def _leaks(text: str) -> list[str]:
    found = [s for s in SECRETS if s in text]
    if "CANARY" in text:
        found.append("CANARY")
    return found


def test_no_secret_in_any_page_or_api_response(ctx: Any, bench: Bench) -> None:
    sessions = bench.has_sessions_api()
    bench.provoke_rejection()
    stuck = bench.start_stuck_run() if sessions else None

    page = harness.track_errors(ctx.new_page())
    responses: list[Any] = []
    page.on("response", lambda r: responses.append(r))
    seen: dict[str, str] = {}  # what -> text scanned

    page.goto(bench.url + "/")
    page.wait_for_selector("text=Log in to clawgate")
    seen["login page"] = page.content()
    page.goto(bench.login_url())
    page.wait_for_selector("nav#nav:not([hidden])")

    for view in VIEWS:
        goto_view(page, view)
        if view == "overview":
            page.wait_for_selector("#ov-gw")
        elif view == "agents":
            page.wait_for_selector("[data-agent=main]")
        elif view == "providers":
            page.wait_for_selector("[data-provider=deepseek]")
            for pid in ("openai", "anthropic", "groq"):
                if pid == "openai" and stuck:
                    continue  # its plan includes the hanging model; probed below without it
                page.click(f"[data-provider={pid}] button:has-text('Probe {pid}')")
                page.wait_for_selector(f"[data-provider={pid}] .probe-result", timeout=limit(20) * 1000)
        elif view == "failures":
            page.wait_for_selector("section.failure-group")
        elif view == "sessions":
            page.wait_for_function(
                "() => document.querySelector('#runs-title') || /no sessions API/.test(document.body.innerText)"
            )
            if stuck:
                page.wait_for_selector(f"li.run[data-session='{stuck}']")
                page.click(f"li.run[data-session='{stuck}'] button:has-text('Stop')")
                page.wait_for_selector(f"li.run[data-session='{stuck}']", state="detached")
        elif view == "doctor":
            page.wait_for_selector("#doc-findings")
        elif view == "chat" and sessions:
            page.wait_for_selector("#chat-agent option[value=main]", state="attached")
            for text in ("echo: hello", "/status"):
                page.fill("#chat-input", text)
                page.keyboard.press("Enter")
                page.wait_for_function("() => !document.querySelector('.chat-log[aria-busy=true]')")
            page.wait_for_selector(".chat-log .msg.notice pre")
        seen[f"{view} html"] = page.content()
        seen[f"{view} text"] = page.inner_text("body")

    # every response the browser got (the streamed ones are read directly below)
    for r in responses:
        if "event-stream" in (r.headers.get("content-type") or ""):
            continue
        try:
            seen[f"{r.request.method} {r.url}"] = r.body().decode("utf-8", "replace")
        except Exception:  # a redirect has no body
            continue
    seen["cookies"] = json.dumps(page.context.cookies())
    seen["storage"] = str(page.evaluate("JSON.stringify(Object.assign({}, localStorage, sessionStorage))"))
    seen["document.cookie"] = str(page.evaluate("document.cookie"))

    # the same APIs straight, with the browser's cookie, including the streams
    jar = {c["name"]: c["value"] for c in page.context.cookies()}
    with httpx.Client(base_url=bench.url, cookies=jar, timeout=limit(30)) as c:
        for path in (
            "/api/ui/session",
            "/api/ui/overview",
            "/api/ui/agents",
            "/api/ui/providers",
            "/api/ui/failures",
        ):
            r = c.get(path)
            assert r.status_code == 200, (path, r.text)
            seen[path] = r.text
        seen["doctor"] = c.post("/api/ui/doctor").text
        for pid in ("groq", "anthropic", "deepseek"):
            seen[f"probe {pid}"] = c.post("/api/ui/probe", json={"provider": pid}).text
        seen["probe main/openai"] = c.post("/api/ui/probe", json={"provider": "openai", "agent": "main"}).text
        with c.stream("GET", "/api/ui/events") as resp:
            lines = []
            for line in resp.iter_lines():
                lines.append(line)
                if len(lines) > 6:
                    break
            seen["events"] = "\n".join(lines)
        if sessions:
            listed = c.get("/api/sessions?limit=50")
            seen["sessions"] = listed.text
            for s in listed.json()["sessions"]:
                detail = c.get(f"/api/sessions/{s['id']}")
                seen[f"session {s['id']}"] = detail.text
                for run in detail.json().get("runs", []):
                    seen[f"run {run['id']}"] = c.get(f"/api/runs/{run['id']}").text
            sid = c.post("/api/sessions", json={"agent": "coder"}).json()["id"]
            for text in ("hello", "/status"):
                with c.stream("POST", f"/api/sessions/{sid}/messages", json={"content": text}) as resp:
                    seen[f"stream {text}"] = "".join(resp.iter_text())
        # the login code answer and the login redirect carry no secret either
        code = httpx.post(bench.url + "/api/ui/login-codes", headers={"Authorization": f"Bearer {TOKEN}"})
        seen["login-codes"] = code.text
        login = httpx.get(bench.url + code.json()["path"], follow_redirects=False)
        seen["login redirect"] = json.dumps(dict(login.headers)) + login.text

    leaks = {what: found for what, text in seen.items() if (found := _leaks(text))}
    assert not leaks, leaks
    # and the scan was real: the fingerprints of the planted keys are on the pages
    providers = seen["providers text"]
    assert "profile:deepseek:default" in providers and "env:DEEPSEEK_API_KEY" in providers
    assert "config:models.providers.openrouter.apiKey" in providers and "sk-test…" in providers
    assert "auth.rejected" in seen["probe groq"] and "provider_auth" in seen["failures text"]
    if sessions:
        assert "session.status" in seen["stream /status"] and "fingerprint" in seen["stream /status"]
        assert (
            "hello" in seen["chat text"] and "model " in seen["chat text"]
        )  # the reply and the /status plan
    assert len(seen) > 25
