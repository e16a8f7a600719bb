"""The control UI's test bench, shared by the browser tests and `tests/ui/screenshots.py`: a home wired to the
provider emulator (with the traps the views exist to show), a real `clawgate gateway run` subprocess, a login
code from the gateway, and Debian's Chromium driven headless through Playwright (never a downloaded browser).

Every key is fake (`sk-test-…`); every server is on loopback on a free port; every process is stopped by its
handle.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from tests.support.emulator import running_emulator
from tests.support.gateway import GatewayProcess, GwHome, make_home, spawn_gateway
from tests.support.ports import wait_until
from tests.support.timing import limit

from clawgate.emulator import EmulatorThread

CHROMIUM = os.environ.get("CLAWGATE_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

TOKEN = "gw-test-ui-token-8d2f6a1c9e3b4d57"
OPENAI_KEY = "sk-test-openai-ui-000000000001"
ANTHROPIC_KEY = "sk-ant-api03-test-ui-0000001"
OPENAI_STALE_KEY = "sk-test-ui-openai-stale-000001"  # switcher's stored profile: rejected (not in EMU_KEYS)
GROQ_GOOD = "gsk_test_ui_good_00000000000001"
GROQ_WRONG = "gsk_test_ui_wrong_0000000000001"  # not among the emulator's keys: groq rejects it
OPENROUTER_KEY = "sk-or-v1-test-ui-00000000000001"
# The canaries: a key in .env, one in the config (plaintext apiKey) and one in an auth profile. None may reach
# the browser — only their fingerprints (whose visible part never includes "CANARY").
CANARY_ENV = "sk-test-CANARY-env-5f0c2e9a7b14"
CANARY_CFG = "sk-test-CANARY-cfg-93d1a6e0c27f"
CANARY_PROFILE = "sk-test-CANARY-prof-4be8107d3a65"
CANARIES = (CANARY_ENV, CANARY_CFG, CANARY_PROFILE)
SECRETS = (*CANARIES, TOKEN, OPENAI_KEY, ANTHROPIC_KEY, GROQ_WRONG, OPENROUTER_KEY)

EMU_KEYS = {
    "openai": [OPENAI_KEY],
    "anthropic": [ANTHROPIC_KEY],
    "groq": [GROQ_GOOD],
    "openrouter": [OPENROUTER_KEY],
    "deepseek": ["sk-test-deepseek-ui-never-used-01"],
}

VIEWS = ("overview", "agents", "providers", "failures", "sessions", "clients", "doctor", "chat")


def write_home(home: GwHome, emu: EmulatorThread) -> None:
    """main (default model + a fallback), coder (its own model string shadows the default — the seed-003 trap —
    on groq, whose key is wrong; the default fallback covers for it), stuck (a model the emulator answers with
    headers and then nothing), reviewer (groq only: its calls fail), switcher (openai, whose stored profile
    holds a stale key: the env key serves its calls after the profile is rejected)."""
    home.config(
        {
            "models": {
                "providers": {
                    "openai": {"baseUrl": emu.base_url("openai")},
                    "anthropic": {"baseUrl": emu.base_url("anthropic")},
                    "groq": {"baseUrl": emu.base_url("groq")},
                    "openrouter": {"baseUrl": emu.base_url("openrouter"), "apiKey": CANARY_CFG},
                    "deepseek": {"baseUrl": emu.base_url("deepseek")},
                }
            },
            "agents": {
                "defaults": {
                    "model": {"primary": "openai/gpt-4o", "fallbacks": ["anthropic/claude-sonnet-4-5"]},
                    "idleTimeoutSeconds": 20,
                },
                "list": [
                    {"id": "main", "default": True},
                    {"id": "coder", "model": "groq/llama-3.3-70b-versatile"},
                    {"id": "stuck", "model": {"primary": "openai/fault-hang", "fallbacks": []}},
                    {"id": "reviewer", "model": {"primary": "groq/llama-3.1-8b-instant", "fallbacks": []}},
                    {"id": "switcher", "model": {"primary": "openai/gpt-4o", "fallbacks": []}},
                ],
            },
            "gateway": {"reloadIntervalSeconds": 0.2, "maxRetryWaitSeconds": 0},
        }
    )
    home.dotenv(
        f"OPENAI_API_KEY={OPENAI_KEY}\n"
        f"ANTHROPIC_API_KEY={ANTHROPIC_KEY}\n"
        f"GROQ_API_KEY={GROQ_WRONG}\n"
        f"OPENROUTER_API_KEY={OPENROUTER_KEY}\n"
        f"DEEPSEEK_API_KEY={CANARY_ENV}\n"
        f"CLAWGATE_GATEWAY_TOKEN={TOKEN}\n"
    )
    prof = home.path / "agents" / "main" / "auth-profiles.json"
    prof.parent.mkdir(parents=True, exist_ok=True)
    prof.write_text(
        json.dumps(
            {
                "version": 1,
                "profiles": {
                    "deepseek:default": {"type": "api_key", "provider": "deepseek", "key": CANARY_PROFILE}
                },
            }
        )
    )
    prof.chmod(0o600)
    stale = home.path / "agents" / "switcher" / "auth-profiles.json"
    stale.parent.mkdir(parents=True, exist_ok=True)
    stale.write_text(
        json.dumps(
            {
                "version": 1,
                "profiles": {
                    "openai:stale": {"type": "api_key", "provider": "openai", "key": OPENAI_STALE_KEY}
                },
            }
        )
    )
    stale.chmod(0o600)


@dataclass
class Bench:
    """A gateway on a wired home, and helpers to drive it from outside the browser."""

    gw: GatewayProcess
    emu: EmulatorThread
    threads: list[threading.Thread] = field(default_factory=list)

    @property
    def url(self) -> str:
        return self.gw.url

    def login_url(self) -> str:
        r = httpx.post(
            self.url + "/api/ui/login-codes", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=limit(5)
        )
        r.raise_for_status()
        return self.url + r.json()["path"]

    def api(self, method: str, path: str, **kw: Any) -> httpx.Response:
        return httpx.request(
            method, self.url + path, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=limit(20), **kw
        )

    def provoke_rejection(self) -> dict[str, Any]:
        """One call for agent coder: groq rejects the key (a provider_auth failure, never a 401 to us)."""
        r = self.api(
            "POST",
            "/v1/chat/completions",
            json={"model": "agent/coder", "messages": [{"role": "user", "content": "hi"}]},
        )
        return {"status": r.status_code, "body": r.json()}

    def has_sessions_api(self) -> bool:
        return self.api("GET", "/api/sessions?limit=1").status_code == 200

    def start_stuck_run(self) -> str:
        """A session for agent stuck and a streamed message whose upstream hangs; returns the session id. The
        stream is read in a thread until the run ends (it is stopped by the test)."""
        s = self.api("POST", "/api/sessions", json={"agent": "stuck", "title": "stuck on purpose"})
        s.raise_for_status()
        sid = s.json()["id"]

        def follow() -> None:
            with (
                contextlib.suppress(httpx.HTTPError),
                httpx.stream(
                    "POST",
                    f"{self.url}/api/sessions/{sid}/messages",
                    headers={"Authorization": f"Bearer {TOKEN}"},
                    json={"content": "this never gets an answer", "stream": True},
                    timeout=httpx.Timeout(60, connect=5),
                ) as resp,
            ):
                for _ in resp.iter_lines():
                    pass

        t = threading.Thread(target=follow, daemon=True)
        t.start()
        self.threads.append(t)
        wait_until(
            lambda: (self.api("GET", f"/api/sessions/{sid}").json().get("session") or {}).get(
                "active_run_id"
            ),
            timeout=limit(10),
            what="the stuck run to start",
        )
        return sid


@contextlib.contextmanager
def bench(base: Path, emu: EmulatorThread) -> Iterator[Bench]:
    home = make_home(base)
    write_home(home, emu)
    gw = spawn_gateway(home, token=TOKEN)
    b = Bench(gw, emu)
    try:
        yield b
    finally:
        gw.stop()
        for t in b.threads:
            t.join(limit(5))


def emulator() -> contextlib.AbstractContextManager[EmulatorThread]:
    """The emulator with the bench's keys, stopped when the block ends."""
    return running_emulator(EMU_KEYS)


@contextlib.contextmanager
def browser(color_scheme: str = "light", viewport: tuple[int, int] = (1280, 860)) -> Iterator[Any]:
    """A persistent Chromium context (fresh user-data dir) on the system browser; yields the context."""
    from playwright.sync_api import sync_playwright

    profile = tempfile.mkdtemp(prefix="clawgate-ui-chromium-")
    try:
        with sync_playwright() as p:
            ctx = p.chromium.launch_persistent_context(
                profile,
                executable_path=CHROMIUM,
                args=CHROMIUM_ARGS,
                headless=True,
                color_scheme=color_scheme,  # type: ignore[arg-type]
                viewport={"width": viewport[0], "height": viewport[1]},
                reduced_motion="reduce",
                service_workers="block",
            )
            try:
                yield ctx
            finally:
                ctx.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def chromium_available() -> bool:
    if not (Path(CHROMIUM).exists() and os.access(CHROMIUM, os.X_OK)):
        return False
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return False
    return True


def track_errors(page: Any) -> Any:
    """Collect the page's script errors (and console errors) on `page.errors`."""
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(f"pageerror: {e}"))
    page.on("console", lambda m: errors.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    page.errors = errors
    return page


def goto_view(page: Any, name: str) -> None:
    page.evaluate("name => { location.hash = '#/' + name; }", name)
    page.wait_for_function(
        "name => document.querySelector(`nav a[data-view='${name}']`)?.getAttribute('aria-current') === 'page'",
        arg=name,
        timeout=limit(5000),
    )
