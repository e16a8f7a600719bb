"""A key only in the running gateway's process environment (a container's, a unit's Environment=), with another
value in `$CLAWGATE_HOME/.env` that the process value beats: the CLI cannot read the gateway's value, so it
must never predict or probe with the `.env` one — a probe that passes must mean the real call passes."""

from __future__ import annotations

import json

import httpx
from tests.calls.conftest import BY_ID
from tests.doctor.conftest import service, wire
from tests.support.terminal import problems

from clawgate.redaction import fingerprint

OR = BY_ID["openrouter"]
DOCKER_OR = "sk-or-v1-test-DOCKER-8888888888888888"  # the container's: the emulator rejects it
MODEL = "openrouter/moonshotai/kimi-k2.5"


def test_a_process_only_key_is_the_winner_and_the_probe_tests_the_gateways_own(home, emu, term):
    port = wire(home, emu, keys={OR.env: OR.key}, model=MODEL)
    with service(home, port, **{OR.env: DOCKER_OR}):
        # the terminal has no OPENROUTER_API_KEY: it reads only the home .env, whose key is the good one
        ran = term.clawgate("models", "status", "--json")
        data = json.loads(ran.out)
        assert data["predicts"]["basis"] == "gateway" and data["predicts"]["unreadable"] == [OR.env]
        cred = data["attempts"][0]["credential"]
        assert cred["source"] == f"env:{OR.env}" and cred["fingerprint"] == fingerprint(DOCKER_OR)
        assert "running gateway" in cred["origin"]
        shadowed = cred["shadowed"]
        assert [s["fingerprint"] for s in shadowed] == [fingerprint(OR.key)]
        assert shadowed[0]["origin"].endswith(".env:1") and shadowed[0]["unusable"]

        # the probe: the gateway's own key, tested by the gateway — it fails as the real call does
        ran = term.clawgate("models", "status", "--probe", "--probe-provider", "openrouter", "--json")
        assert ran.code == 1, ran.out
        probe = json.loads(ran.out)["attempts"][0]["probe"]
        assert probe["ok"] is False and probe["code"] == "auth.rejected", probe
        assert probe["by"] == "gateway"
        assert [t["credential"]["fingerprint"] for t in probe["credentials"]] == [fingerprint(DOCKER_OR)]
        assert OR.key not in ran.out and DOCKER_OR not in ran.out

        # the real call agrees
        r = httpx.post(
            f"http://127.0.0.1:{port}/v1/chat/completions",
            json={"model": MODEL, "messages": [{"role": "user", "content": "hi"}]},
            timeout=30,
        )
        assert r.status_code >= 400 and fingerprint(DOCKER_OR) in r.text

        # status shows the gateway's key, not the .env one
        st = term.clawgate("status", "--json")
        assert fingerprint(DOCKER_OR) in st.out and fingerprint(OR.key) not in st.out.split('"shadowed"')[0]

        # doctor: the fix is where the gateway is started, not `env set` (the process value beats the file)
        _, doc = term.doctor()
        only = [f for f in problems(doc) if f["code"] == "env.gateway_only"]
        assert only and not any("env set" in n for f in only for n in f["next"]), only
        assert "container" in only[0]["hint"] and "restart" in only[0]["hint"]
