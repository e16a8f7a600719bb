"""`clawgate chat` (line mode) as a subprocess with a pipe on stdin, against the sessions API."""

from __future__ import annotations

import json
import re
import urllib.request
from typing import Any

from tests.support.timing import limit

from clawgate.redaction import fingerprint

from .conftest import (
    PLAIN_REPLY,
    REJECTED_REF,
    SLOW_REF,
    TOKEN,
    WRONG_TOKEN,
    ChatHome,
    free_port,
    run_chat,
    sigint,
    wait_for,
)


def api(home: ChatHome, path: str) -> Any:
    req = urllib.request.Request(home.url + path, headers={"Authorization": f"Bearer {TOKEN}"})
    with urllib.request.urlopen(req, timeout=limit(5)) as resp:
        return json.loads(resp.read())


def test_piped_line_prints_one_reply_and_exits_0(chat_home: ChatHome) -> None:
    r = run_chat(chat_home, "--url", chat_home.url, input="hi\n")
    assert r.code == 0, r
    assert r.stdout == PLAIN_REPLY + "\n"
    assert "error" not in r.stderr


def test_finds_gateway_and_token_from_config_and_dotenv(chat_home: ChatHome) -> None:
    # no --url: gateway.bind/port from clawgate.json, the token from $CLAWGATE_HOME/.env
    r = run_chat(chat_home, input="echo: found it\n")
    assert (r.code, r.stdout) == (0, "found it\n"), r


def test_slash_commands_in_a_pipe(chat_home: ChatHome) -> None:
    script = "\n".join(
        [
            "/status",
            f"/model {REJECTED_REF}",
            "/model",
            "/stop",
            "/new",
            "echo: in the new session",
            "/quit",
            "echo: never sent",
        ]
    )
    r = run_chat(chat_home, "--url", chat_home.url, input=script + "\n")
    assert r.code == 0, r
    out = r.stdout
    # /status: the session's plan with provenance
    assert "model openai/gpt-4o from agents.defaults.model.primary" in out
    assert re.search(r"credential: env:OPENAI_API_KEY \S+#[0-9a-f]{6}", out), out
    # /model REF pins (the gateway's notice names it), /model alone clears
    assert REJECTED_REF in out
    assert "no active run to stop" in out
    new = re.search(r"new session (\S+)", out)
    assert new, out
    assert "in the new session" in out
    assert "never sent" not in out
    # the message after /new went to the new session, nothing after /quit was sent
    detail = api(chat_home, f"/api/sessions/{new.group(1)}")
    contents = [m["content"] for m in detail["messages"] if m["role"] == "user"]
    assert contents == ["echo: in the new session"]


def test_provider_error_prints_owner_code_and_next_never_an_empty_reply(chat_home: ChatHome) -> None:
    r = run_chat(chat_home, "--url", chat_home.url, "--model", REJECTED_REF, input="hello\n")
    assert r.code == 1, r
    assert r.stdout.strip() == ""
    first = r.stderr.splitlines()[0]
    assert first.startswith("error: provider_auth auth.rejected — "), r.stderr
    assert "openrouter" in first
    assert re.search(r"^  next: clawgate models status --probe", r.stderr, re.M), r.stderr


def test_gateway_not_running(bare_home: ChatHome) -> None:
    # found from the config (gateway.port), where nothing listens
    r = run_chat(bare_home, input="hi\n")
    assert r.code == 3, r
    assert r.stderr.startswith(f"error: runtime gateway.not_running — no gateway answers at {bare_home.url}")
    assert "  next: clawgate gateway start" in r.stderr.splitlines()
    # and with --url
    port = free_port()
    r = run_chat(bare_home, "--url", f"127.0.0.1:{port}", input="hi\n")
    assert (r.code, r.stdout) == (3, ""), r
    assert f"no gateway answers at http://127.0.0.1:{port} (from --url)" in r.stderr


def test_wrong_token_is_a_gateway_auth_problem_with_the_sent_fingerprint(chat_home: ChatHome) -> None:
    # the process environment beats $CLAWGATE_HOME/.env: this CLI sends the wrong token
    r = run_chat(chat_home, "--url", chat_home.url, input="hi\n", CLAWGATE_GATEWAY_TOKEN=WRONG_TOKEN)
    assert r.code == 1, r
    assert r.stderr.startswith("error: gateway_auth gateway.token_mismatch — "), r.stderr
    assert fingerprint(WRONG_TOKEN) in r.stderr
    assert "env:CLAWGATE_GATEWAY_TOKEN" in r.stderr
    assert WRONG_TOKEN not in r.stderr and TOKEN not in r.stderr
    assert "provider_auth" not in r.stderr
    assert "next: clawgate gateway status" in r.stderr


def test_ctrl_c_during_a_reply_stops_the_run(chat_home: ChatHome, spawn) -> None:  # type: ignore[no-untyped-def]
    p = spawn(chat_home, "chat", "--url", chat_home.url, "--model", SLOW_REF)
    p.write("take your time\n")
    wait_for(lambda: "emulated" in p.stdout, 15, "the first streamed chunk", p.describe)
    sigint(p)
    wait_for(lambda: "[stopped]" in p.stderr, 15, "the run to end as stopped", p.describe)
    # the session is still usable, and EOF ends the chat normally
    p.write("/stop\n")
    wait_for(lambda: "no active run to stop" in p.stdout, 15, "/stop's answer", p.describe)
    p.close_stdin()
    assert p.wait() == 0, p.describe()
    assert "chunks20" not in p.stdout  # the reply never completed
    # the gateway recorded the run as stopped (the session's only run)
    (session,) = api(chat_home, "/api/sessions")["sessions"]
    runs = api(chat_home, f"/api/sessions/{session['id']}")["runs"]
    assert [r["status"] for r in runs] == ["stopped"], runs


def test_continue_an_existing_session(chat_home: ChatHome) -> None:
    first = run_chat(chat_home, "--url", chat_home.url, input="echo: one\n")
    assert first.code == 0, first
    sessions = api(chat_home, "/api/sessions")["sessions"]
    assert len(sessions) == 1
    sid = sessions[0]["id"]
    r = run_chat(chat_home, "--url", chat_home.url, "--session", sid, input="echo: two\n")
    assert (r.code, r.stdout) == (0, "two\n"), r
    contents = [
        m["content"] for m in api(chat_home, f"/api/sessions/{sid}")["messages"] if m["role"] == "user"
    ]
    assert contents == ["echo: one", "echo: two"]
