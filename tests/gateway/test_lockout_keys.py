"""Lockouts key on the client: the peer address, or — only behind a trusted proxy — the address the proxy saw,
so clients behind one proxy do not lock each other out and nobody picks a key by sending the header directly.
A lockout set by one process's replica reaches another through the shared state."""

from __future__ import annotations

import asyncio

from clawgate.gateway.auth import AuthSettings, GatewayAuth, client_key
from clawgate.gateway.token import GatewayToken
from clawgate.state.memory import MemoryState

TOKEN = "gw-test-lockout-token-0123456789"
PROXY = "10.9.0.2"


def _auth(shared: MemoryState, trusted: list[str]) -> GatewayAuth:
    settings = AuthSettings(max_failures_per_minute=3, lockout_seconds=60, trusted_proxies=trusted)
    return GatewayAuth(GatewayToken("token", TOKEN, "env:CLAWGATE_GATEWAY_TOKEN"), settings, shared)


def _h(xff: str | None = None, token: str = "wrong") -> dict[bytes, bytes]:
    h = {b"authorization": f"Bearer {token}".encode()}
    if xff:
        h[b"x-forwarded-for"] = xff.encode()
    return h


def test_clients_behind_a_trusted_proxy_are_locked_out_one_by_one() -> None:
    async def main() -> None:
        shared = MemoryState()
        auth = _auth(shared, ["10.9.0.0/24"])
        for _ in range(3):
            assert auth.check(_h("203.0.113.7"), PROXY) is not None
        await asyncio.sleep(0.05)
        locked = auth.check(_h("203.0.113.7", TOKEN), PROXY)
        assert locked is not None and locked.code == "gateway.locked_out" and "203.0.113.7" in locked.message
        assert auth.check(_h("198.51.100.4", TOKEN), PROXY) is None  # another client of the same proxy
        # the proxy's own hop is skipped; a spoofed left-most entry does not pick the key
        assert client_key(PROXY, _h("1.1.1.1, 203.0.113.7, 10.9.0.3"), auth._trusted) == "203.0.113.7"

    asyncio.run(main())


def test_without_trusted_proxies_the_header_is_ignored_and_lockouts_are_shared() -> None:
    async def main() -> None:
        shared = MemoryState()  # one engine, two processes' replicas
        a, b = _auth(shared, []), _auth(shared, [])
        for i in range(3):
            assert a.check(_h(f"192.0.2.{i}"), "203.0.113.9") is not None  # XFF changes nothing
        await asyncio.sleep(0.05)
        for auth in (a, b):
            denied = auth.check(_h(token=TOKEN), "203.0.113.9")
            assert denied is not None and denied.code == "gateway.locked_out"
        c = _auth(shared, [])
        await c.start()  # a process started later loads it from the shared state
        assert c.check(_h(token=TOKEN), "203.0.113.9") is not None

    asyncio.run(main())
