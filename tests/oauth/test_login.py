"""`clawgate auth login PROVIDER` against the emulator's OAuth servers, the test playing the browser:
ChatGPT (PKCE, loopback callback), Claude (PKCE, pasted `code#state`), GitHub Copilot (device code)."""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import IO

from tests.support.ports import free_port

from clawgate.emulator import EmulatorThread

from .conftest import providers, stored, write_home


def _login(home, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "clawgate", "auth", "login", *args, "--no-browser"],
        env=home.env(),
        cwd=str(home.path),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _url_from(stream: IO[str], proc: subprocess.Popen[str], timeout: float = 30.0) -> str:
    """The sign-in URL the command prints (read line by line, with a deadline)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = stream.readline()
        if not line:
            raise AssertionError(
                f"the login exited before printing a URL: {proc.wait(10)} {proc.stderr.read()}"
            )
        if line.startswith("http"):
            return line.strip()
    raise AssertionError("no sign-in URL within the deadline")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def test_chatgpt_login_with_the_loopback_callback(tmp_path: Path, emu: EmulatorThread) -> None:
    port = free_port()
    cfg = providers(emu)
    cfg["openai-codex"]["oauth"]["redirectUri"] = f"http://127.0.0.1:{port}/auth/callback"
    home = write_home(tmp_path, emu, {}, models={"providers": cfg})
    proc = _login(home, "openai-codex")
    try:
        url = _url_from(proc.stdout, proc)  # type: ignore[arg-type]
        q = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
        assert q["code_challenge_method"] == ["S256"] and q["scope"] == [
            "openid profile email offline_access"
        ]
        # the browser: sign in, get redirected to the loopback callback
        with urllib.request.urlopen(url, timeout=30) as page:
            assert b"Signed in" in page.read()
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    assert proc.returncode == 0, out + err
    prof = stored(home, "openai-codex:default")
    assert prof["type"] == "oauth" and prof["accountId"] == "acct_emu_login"
    assert prof["refresh"].startswith("rt_emu_") and prof["expires"] > time.time() * 1000
    assert prof["access"] not in out + err and prof["refresh"] not in out + err  # fingerprints only


def test_claude_login_with_a_pasted_code(tmp_path: Path, emu: EmulatorThread) -> None:
    home = write_home(tmp_path, emu, {})
    proc = _login(home, "anthropic", "--profile", "anthropic:max")
    try:
        url = _url_from(proc.stdout, proc)  # type: ignore[arg-type]
        opener = urllib.request.build_opener(_NoRedirect())
        try:
            opener.open(url, timeout=30)
            raise AssertionError("the authorize step did not redirect")
        except urllib.error.HTTPError as redirect:
            location = redirect.headers["Location"]
        q = urllib.parse.parse_qs(urllib.parse.urlsplit(location).query)
        out, err = proc.communicate(f"{q['code'][0]}#{q['state'][0]}\n", timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    assert proc.returncode == 0, out + err
    prof = stored(home, "anthropic:max")
    assert prof["type"] == "oauth" and prof["access"].startswith("sk-ant-oat01-emu-")
    assert prof["refresh"].startswith("sk-ant-ort01-emu-")


def test_copilot_login_with_a_device_code(home, cli, emu: EmulatorThread) -> None:
    import json

    home.config({"models": {"providers": providers(emu)}})
    res = cli("auth", "login", "github-copilot", "--json")
    assert res.code == 0, res.err + res.out
    out = res.json()
    assert (out["profile"], out["type"]) == ("github-copilot:default", "oauth")
    assert "EMU-" in res.err  # the code to enter was shown
    prof = json.loads((home.path / "agents" / "main" / "auth-profiles.json").read_text())["profiles"][
        "github-copilot:default"
    ]
    assert prof["refresh"].startswith("ghu_emu") and prof["access"].startswith("tid=emu")
    assert emu.oauth.exchange_count() == 1  # the subscription was checked before anything was stored


def test_login_to_a_provider_without_oauth_names_the_command(home, cli) -> None:
    res = cli("auth", "login", "groq")
    assert res.code == 2
    assert "groq has no sign-in" in res.err and "clawgate auth add groq" in res.err
