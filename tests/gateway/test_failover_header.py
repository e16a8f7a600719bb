"""A call served after a failover says so: the response header `x-clawgate-fallback` names each (model,
credential) skipped on the way and why (owner and code, the credential's source and fingerprint — never the
key), and `clawgate infer` prints one line for it. A call served by its first try carries no such header."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from clawgate.auth.profiles import save_profile
from clawgate.call.runtime import Runtime
from clawgate.emulator import EmulatorThread
from clawgate.gateway.app import GatewayApp
from clawgate.paths import Paths
from clawgate.redaction import fingerprint

from .conftest import OPENAI_KEY, GwHome, make_home, run_cli

STALE = "sk-test-openai-gw-STALE-000001"
CHAT = {"model": "openai/gpt-4o", "messages": [{"role": "user", "content": "hi"}]}
FALLBACK = b"x-clawgate-fallback"


def _home(tmp_path: Path, emu: EmulatorThread, stale: bool) -> GwHome:
    home = make_home(tmp_path)
    home.config(
        {
            "models": {"providers": {"openai": {"baseUrl": emu.base_url("openai")}}},
            "agents": {"defaults": {"model": "openai/gpt-4o"}},
        }
    )
    home.dotenv(f"OPENAI_API_KEY={OPENAI_KEY}\n")
    if stale:  # a stored profile the provider no longer accepts: tried first, then the env key answers
        save_profile(Paths.discover(home.env()), "main", "openai:default", "openai", "api_key", STALE)
    return home


async def _post(app: GatewayApp, body: dict[str, Any]) -> tuple[int, dict[bytes, bytes], bytes]:
    sent: list[dict[str, Any]] = []
    msgs = [{"type": "http.request", "body": json.dumps(body).encode(), "more_body": False}]

    async def receive() -> dict[str, Any]:
        if msgs:
            return msgs.pop()
        await asyncio.Event().wait()
        return {"type": "http.disconnect"}

    async def send(msg: dict[str, Any]) -> None:
        sent.append(msg)

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/v1/chat/completions",
        "headers": [],
        "client": ("127.0.0.1", 5),
    }
    await app(scope, receive, send)
    start = sent[0]
    return start["status"], dict(start["headers"]), b"".join(m.get("body", b"") for m in sent[1:])


def _serve(home: GwHome, *bodies: dict[str, Any]) -> list[tuple[int, dict[bytes, bytes], bytes]]:
    env = home.env()
    rt = Runtime(Paths.discover(env), env, cwd=None, persist=False)

    async def go() -> list[tuple[int, dict[bytes, bytes], bytes]]:
        app = GatewayApp(rt, address="http://test")
        try:
            return [await _post(app, b) for b in bodies]
        finally:
            await rt.aclose()

    try:
        return asyncio.run(go())
    finally:
        rt.close()


@pytest.mark.parametrize("stream", [False, True])
def test_a_credential_failover_is_named_in_the_response(
    tmp_path: Path, emu: EmulatorThread, stream: bool
) -> None:
    (status, headers, body), (s2, h2, _) = _serve(
        _home(tmp_path, emu, stale=True), {**CHAT, "stream": stream}, CHAT
    )
    assert status == 200, body
    assert [r.status for r in emu.requests] == [401, 200, 200]
    note = headers[FALLBACK].decode("ascii")
    assert (
        note
        == f"openai/gpt-4o profile:openai:default {fingerprint(STALE).replace('…', '...')}: provider_auth auth.rejected"
    )
    assert STALE not in note and OPENAI_KEY not in note
    assert headers[b"x-clawgate-model"] == b"openai/gpt-4o"
    # the next call goes to the key that answered first (the stale one is known refused): no failover
    assert s2 == 200 and FALLBACK not in h2


def test_no_failover_no_header(tmp_path: Path, emu: EmulatorThread) -> None:
    ((status, headers, _),) = _serve(_home(tmp_path, emu, stale=False), CHAT)
    assert status == 200 and FALLBACK not in headers and len(emu.requests) == 1


def test_infer_prints_one_line_for_the_failover(tmp_path: Path, emu: EmulatorThread) -> None:
    home = _home(tmp_path, emu, stale=True)
    res = run_cli(home, "infer", "hi")
    assert res.returncode == 0, res.stderr
    lines = [ln for ln in res.stderr.splitlines() if "failed over" in ln]
    assert len(lines) == 1, res.stderr
    assert "profile:openai:default" in lines[0] and "provider_auth auth.rejected" in lines[0]
    assert STALE not in res.stderr + res.stdout
    again = run_cli(home, "infer", "hi")  # the stale key is known refused now: the env key goes first
    assert again.returncode == 0 and "failed over" not in again.stderr, again.stderr


def test_infer_json_lists_what_was_skipped(tmp_path: Path, emu: EmulatorThread) -> None:
    res = run_cli(_home(tmp_path, emu, stale=True), "infer", "hi", "--json")
    data = json.loads(res.stdout)
    assert data["ok"] and data["credential"]["source"] == "env:OPENAI_API_KEY"
    assert data["fallback"] == [
        {
            "ref": "openai/gpt-4o",
            "from": "agents.defaults.model",
            "credential": {"source": "profile:openai:default", "fingerprint": fingerprint(STALE)},
            "owner": "provider_auth",
            "code": "auth.rejected",
            "sent": True,
        }
    ]
