"""The control UI's login in `GatewayAuth` (no browser): one-time codes that expire, session ids that are
random and in memory only, the cookie accepted from the UI's own origin only, and a token change logging
browsers out."""

from __future__ import annotations

import asyncio
from typing import Any

from clawgate.gateway.auth import (
    LOGIN_CODE_TTL,
    UI_COOKIE,
    UI_SESSION_TTL,
    AuthSettings,
    GatewayAuth,
    UiSessions,
)
from clawgate.gateway.token import GatewayToken

TOKEN = "gw-test-ui-unit-token-0123456789"


def run(coro: Any) -> Any:
    return asyncio.run(coro)


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def _auth(token: str | None = TOKEN) -> GatewayAuth:
    mode = "token" if token else "none"
    return GatewayAuth(GatewayToken(mode, token, "env:CLAWGATE_GATEWAY_TOKEN"), AuthSettings())


def _cookie(sid: str, **extra: bytes) -> dict[bytes, bytes]:
    h = {b"cookie": f"other=1; {UI_COOKIE}={sid}".encode(), b"host": b"127.0.0.1:18789"}
    h.update({k.replace("_", "-").encode(): v for k, v in extra.items()})
    return h


def test_codes_are_single_use_and_expire() -> None:
    clock = Clock()
    ui = UiSessions(clock)
    code, ttl = run(ui.issue_code())
    assert ttl == LOGIN_CODE_TTL == 120 and len(code) >= 32
    assert all(ch in "0123456789abcdef" for ch in code)  # never shaped like a key: no redactor touches it
    sid = run(ui.redeem(code))
    assert sid and sid != code and ui.valid(sid)
    assert run(ui.redeem(code)) is None  # used up
    late, _ = run(ui.issue_code())
    clock.t += LOGIN_CODE_TTL + 1
    assert run(ui.redeem(late)) is None  # expired
    assert run(ui.redeem("")) is None and run(ui.redeem("0" * 48)) is None
    clock.t += UI_SESSION_TTL
    assert not ui.valid(sid)  # sessions expire too


def test_the_cookie_stands_in_for_the_token_from_the_ui_origin_only() -> None:
    auth = _auth()
    code, _ = run(auth.ui.issue_code())
    sid = run(auth.ui.redeem(code))
    assert sid is not None
    assert auth.check(_cookie(sid), "127.0.0.1") is None
    assert (
        auth.check(_cookie(sid, sec_fetch_site=b"same-origin", origin=b"http://127.0.0.1:18789"), None)
        is None
    )
    # another local page (SameSite ignores ports) or another site cannot ride on it
    for extra in (
        {"sec_fetch_site": b"same-site"},
        {"sec_fetch_site": b"cross-site"},
        {"origin": b"http://127.0.0.1:8000"},
        {"origin": b"null"},
    ):
        denied = auth.check(_cookie(sid, **extra), "127.0.0.1")
        assert denied is not None and denied.owner == "gateway_auth"
    bad = auth.check(_cookie("not-a-session"), "127.0.0.1")
    assert (
        bad is not None and bad.code == "gateway.token_missing" and bad.next_steps == ["clawgate dashboard"]
    )
    # a presented token is still checked as before (a wrong one is not rescued by a cookie)
    wrong = auth.check({**_cookie(sid), b"authorization": b"Bearer nope"}, "127.0.0.1")
    assert wrong is not None and wrong.code == "gateway.token_mismatch"
    assert auth.check({b"authorization": f"Bearer {TOKEN}".encode()}, "127.0.0.1") is None


def test_a_new_token_logs_every_browser_out() -> None:
    auth = _auth()
    sid = run(auth.ui.redeem(run(auth.ui.issue_code())[0]))
    assert sid is not None and auth.ui.valid(sid)
    auth.update(GatewayToken("token", TOKEN, "env:CLAWGATE_GATEWAY_TOKEN"), AuthSettings())
    assert auth.ui.valid(sid)  # the same token: nothing changes
    auth.update(GatewayToken("token", TOKEN + "-rotated", "env:CLAWGATE_GATEWAY_TOKEN"), AuthSettings())
    assert not auth.ui.valid(sid)
    assert auth.check(_cookie(sid), "127.0.0.1") is not None


def test_auth_mode_none_needs_nothing() -> None:
    auth = _auth(None)
    assert auth.check({}, "127.0.0.1") is None


def test_the_replica_is_bounded_and_the_shared_state_answers_for_the_rest() -> None:
    ui = UiSessions()

    async def many() -> list[str | None]:
        return [await ui.redeem((await ui.issue_code())[0]) for _ in range(100)]

    sids = run(many())
    assert ui.count == 64  # this process's replica
    assert ui.valid(sids[0]) and ui.valid(sids[-1])  # evicted here, read back from the shared state
    ui.revoke(sids[-1])
    assert not ui.valid(sids[-1])
    assert not ui.valid("never-issued")
