"""`clawgate onboard`: on a terminal (a pty: choose a provider, paste a key, pick a model, doctor runs) and with
`--non-interactive` (OpenClaw's flags; nothing asked)."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

from tests.support.env import home_env

KEY = "sk-or-v1-test-onboard-pty-00000000000001"


class Pty:
    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        self.master, slave = pty.openpty()
        self.proc = subprocess.Popen(args, stdin=slave, stdout=slave, stderr=slave, env=env, close_fds=True)
        os.close(slave)
        self.out = b""

    def expect(self, text: str, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while text.encode() not in self.out:
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"{text!r} not seen; output so far:\n{self.out.decode(errors='replace')}"
                )
            ready, _, _ = select.select([self.master], [], [], 0.2)
            if ready:
                try:
                    self.out += os.read(self.master, 4096)
                except OSError:
                    break

    def send(self, line: str) -> None:
        os.write(self.master, line.encode() + b"\n")

    def close(self, timeout: float = 60.0) -> int:
        try:
            return self.proc.wait(timeout)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait(10)
            os.close(self.master)


def test_interactive_onboarding(tmp_path: Path) -> None:
    home = tmp_path / "cg"
    env = home_env(home, TERM="dumb", COLUMNS="200", HOME=str(tmp_path))
    term = Pty([sys.executable, "-m", "clawgate", "onboard"], env)
    try:
        term.expect("provider (number or id)")
        term.send("openrouter")
        term.expect("openrouter API key (input hidden)")
        term.send(KEY)
        term.expect("model (number, or provider/model)")
        term.send("2")
        term.expect("onboarded openrouter")
    finally:
        code = term.close()
    assert code == 0, term.out.decode(errors="replace")
    assert KEY.encode() not in term.out  # hidden input, fingerprints only
    cfg = json.loads((home / "clawgate.json").read_text())
    assert cfg["agents"]["defaults"]["model"] == {"primary": "openrouter/moonshotai/kimi-k2.5"}
    stored = json.loads((home / "agents" / "main" / "auth-profiles.json").read_text())["profiles"]
    assert stored["openrouter:default"]["key"] == KEY
    assert b"doctor" in term.out


def test_non_interactive_onboarding_with_openclaws_flags(home, cli) -> None:
    res = cli(
        "onboard",
        "--non-interactive",
        "--accept-risk",
        "--auth-choice",
        "custom-api-key",
        "--custom-base-url",
        "http://127.0.0.1:9/v1",
        "--custom-model-id",
        "foo-large",
        "--custom-api-key",
        "sk-test-onboard-custom-000000001",
        "--json",
    )
    assert res.code == 0, res.err
    out = res.json()
    assert out["provider"] == "custom" and out["model"] == "custom/foo-large"
    assert out["credential"]["profile"] == "custom:default" and out["doctor"]["ok"] is True
    cfg = json.loads((home.path / "clawgate.json").read_text())
    assert cfg["models"]["providers"]["custom"] == {
        "baseUrl": "http://127.0.0.1:9/v1",
        "api": "openai-completions",
        "models": [{"id": "foo-large"}],
    }
    missing = cli("onboard", "--non-interactive", "--provider", "mistral")
    assert missing.code == 2 and "MISTRAL_API_KEY" in missing.err
