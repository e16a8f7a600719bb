"""The TUI headless (in-process): it continues a session with its history, and it (and the WebSocket client) says clearly when the gateway is not running or the
token is wrong: owner, code, next command, and the fingerprint of the token this CLI sent."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import pytest
from tests.support.timing import limit

from clawgate.chat.client import ChatError, GatewayClient
from clawgate.chat.target import Target, resolve_target
from clawgate.cli.context import CliState
from clawgate.redaction import fingerprint
from clawgate.tui.app import Bubble, ChatApp

from .conftest import TOKEN, WRONG_TOKEN, ChatHome, free_port


def drive(
    app: ChatApp, done: Callable[[ChatApp], Any], timeout: float = 15.0
) -> tuple[str, list[tuple[str, str]]]:
    """Run `app` headless until `done(app)`; return (footer, [(kind, text)] of the transcript)."""
    out: dict[str, Any] = {}

    def snapshot() -> tuple[str, list[tuple[str, str]]]:
        return app.footer_plain(), [(b.kind, b.text) for b in app.query(Bubble)]

    async def go() -> None:
        async with app.run_test(size=(160, 45)) as pilot:
            deadline = time.monotonic() + timeout
            while not done(app):
                if time.monotonic() > deadline:
                    raise AssertionError(f"timed out; the TUI shows {snapshot()}")
                await pilot.pause(0.05)
            out["snap"] = snapshot()
            app.exit()

    asyncio.run(go())
    return out["snap"]


def errors(bubbles: list[tuple[str, str]]) -> list[str]:
    return [text for kind, text in bubbles if kind == "error"]


def test_tui_says_the_gateway_is_not_running() -> None:
    port = free_port()
    app = ChatApp(Target(f"http://127.0.0.1:{port}", TOKEN, "env:CLAWGATE_GATEWAY_TOKEN"))
    footer, bubbles = drive(app, lambda a: a.state.startswith("error"))
    assert footer.endswith("| gateway error: gateway.not_running"), footer
    assert footer.startswith("agent ? | session - | ")
    (err,) = errors(bubbles)
    assert err.startswith(f"runtime gateway.not_running — no gateway answers at http://127.0.0.1:{port}")
    assert err.endswith("· next: clawgate gateway start")


def test_tui_says_the_token_is_wrong_with_its_fingerprint(chat_home: ChatHome) -> None:
    # the token comes from the same resolver as the gateway's: here the process environment wins over .env
    st = CliState(environ={**chat_home.env(), "CLAWGATE_GATEWAY_TOKEN": WRONG_TOKEN})
    target = resolve_target(st, None)
    assert (target.url, target.token, target.token_source) == (
        chat_home.url,
        WRONG_TOKEN,
        "env:CLAWGATE_GATEWAY_TOKEN",
    )
    footer, bubbles = drive(ChatApp(target), lambda a: a.state.startswith("error"))
    assert footer.endswith("| gateway error: gateway.token_mismatch"), footer
    (err,) = errors(bubbles)
    assert err.startswith("gateway_auth gateway.token_mismatch — ")
    assert f"{fingerprint(WRONG_TOKEN)} from env:CLAWGATE_GATEWAY_TOKEN" in err
    assert "next: clawgate gateway status" in err
    assert WRONG_TOKEN not in footer + err


@pytest.mark.parametrize(
    ("token", "code"), [(WRONG_TOKEN, "gateway.token_mismatch"), (None, "gateway.token_missing")]
)
def test_websocket_connect_frame_refused_with_1008_reason(
    chat_home: ChatHome, token: str | None, code: str
) -> None:
    async def go() -> ChatError:
        async with GatewayClient(Target(chat_home.url, token, "test")) as client:
            with pytest.raises(ChatError) as info:
                await client.connect_ws()
            return info.value

    err = asyncio.run(go())
    assert (err.owner, err.code) == ("gateway_auth", code)
    assert err.message.startswith(f"the gateway at {chat_home.url} refused the gateway token")
    if token:
        assert fingerprint(token) in err.message


def test_websocket_connects_with_the_right_token(chat_home: ChatHome) -> None:
    async def go() -> dict[str, Any]:
        async with GatewayClient(Target(chat_home.url, TOKEN, "test")) as client:
            ws = await client.connect_ws()
            try:
                await ws.send({"type": "ping"})
                pong = await asyncio.wait_for(ws.receive(), limit(10))
            finally:
                await ws.close()
            return {"hello": ws.hello, "pong": pong}

    got = asyncio.run(go())
    assert got["hello"]["type"] == "connected" and got["hello"]["agent"] == "main"
    assert got["pong"] == {"type": "pong"}


def test_tui_continues_a_session_with_its_history(chat_home: ChatHome) -> None:
    from .conftest import run_chat
    from .test_line_mode import api

    assert run_chat(chat_home, "--url", chat_home.url, input="echo: remember me\n").code == 0
    (session,) = api(chat_home, "/api/sessions")["sessions"]
    target = Target(chat_home.url, TOKEN, "env:CLAWGATE_GATEWAY_TOKEN")
    footer, bubbles = drive(ChatApp(target, session_id=session["id"]), lambda a: a.state == "connected")
    assert ("user", "echo: remember me") in bubbles
    assert ("assistant", "remember me") in bubbles
    assert footer.startswith(
        f"agent main | session {session['title'] or session['id'][:10]} | openai/gpt-4o "
    )
    assert footer.endswith("| gateway connected")
