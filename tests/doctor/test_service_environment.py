"""Issue 15: prediction and service agree exactly. `gateway start` gives the gateway a defined environment (not
the shell's; `env.passThrough` hands named variables over), the running gateway reports its environment (names,
sources, fingerprints, proxy URLs with the password masked — never a value), and doctor says the same thing
before and after the gateway starts."""

from __future__ import annotations

import json
import os
import signal

import httpx
from tests.calls.conftest import BY_ID
from tests.doctor.conftest import wire
from tests.support.terminal import assert_clean, errors, problems

from clawgate.gateway.pidfile import read_pidfile
from clawgate.paths import Paths

OR = BY_ID["openrouter"]
GROQ = BY_ID["groq"]
OR_MODEL = {"primary": "openrouter/moonshotai/kimi-k2.5", "fallbacks": ["groq/llama-3.3-70b-versatile"]}
PROXY_PASSWORD = "pw-test-proxy-secret-77"


def _shell_only(data: dict) -> dict[str, dict]:
    return {f["subject"]["variable"]: f for f in problems(data) if f["code"] == "env.shell_only"}


def _status(port: int, token: str | None = None) -> dict:
    r = httpx.get(f"http://127.0.0.1:{port}/api/status", timeout=5)
    r.raise_for_status()
    return r.json()


def test_gateway_start_passes_a_defined_environment_and_doctor_predicts_it(home, emu, term):
    port = wire(home, emu, keys={GROQ.env: GROQ.key}, model=OR_MODEL)
    # the user's shell: a key and a proxy (with a password) exported, neither in $CLAWGATE_HOME/.env
    term.env[OR.env] = OR.key
    term.env["HTTPS_PROXY"] = f"http://user:{PROXY_PASSWORD}@127.0.0.1:9"
    term.env["NO_PROXY"] = "127.0.0.1,localhost"

    rc, before = term.doctor()
    assert before["predicts"]["basis"] == "service"
    shell = _shell_only(before)
    assert rc == 1 and shell[OR.env]["severity"] == "error" and shell["HTTPS_PROXY"]["severity"] == "warn"
    assert PROXY_PASSWORD not in json.dumps(before) and OR.key not in json.dumps(before)

    pid = None
    try:
        assert term.clawgate("gateway", "start").code == 0
        pid = (read_pidfile(Paths.discover({"CLAWGATE_HOME": str(home.path)})) or {}).get("pid")
        env = _status(port)["env"]
        assert env[OR.env] is None and env["HTTPS_PROXY"] is None  # the shell's exports stayed in the shell
        assert env[GROQ.env]["source"] == "home_dotenv" and env[GROQ.env]["fingerprint"]
        rc, after = term.doctor()
        assert after["predicts"]["basis"] == "gateway"
        # the same verdict from the running gateway's own report as predicted before it started
        assert rc == 1 and _shell_only(after).keys() == shell.keys()
        assert [f["code"] for f in errors(after)] == [f["code"] for f in errors(before)]

        # hand both over explicitly: the restarted gateway has them, from its process environment
        names = json.dumps([OR.env, "HTTPS_PROXY", "NO_PROXY"])
        assert term.clawgate("config", "set", "env.passThrough", names).code == 0
        assert term.clawgate("gateway", "restart").code == 0
        pid = (read_pidfile(Paths.discover({"CLAWGATE_HOME": str(home.path)})) or {}).get("pid")
        st = _status(port)
        env = st["env"]
        assert env[OR.env]["source"] == "process" and env[OR.env]["fingerprint"].startswith("sk-or-v1…")
        assert env["HTTPS_PROXY"]["url"] == "http://user:****@127.0.0.1:9"
        assert PROXY_PASSWORD not in json.dumps(st) and OR.key not in json.dumps(st)
        data = assert_clean(term)
        assert data["predicts"]["basis"] == "gateway"
        unit = term.clawgate("gateway", "install", "--print")
        assert f"PassEnvironment={OR.env} HTTPS_PROXY NO_PROXY" in unit.out and OR.key not in unit.out
    finally:
        term.clawgate("gateway", "stop")
        if pid:
            try:
                os.kill(int(pid), signal.SIGKILL)
            except ProcessLookupError:
                pass
