"""requests.ClientWatch: the client's connection is watched only once a call outlives `after` — a short call
starts no task at all; a long one notices the client leaving and calls back, once."""

from __future__ import annotations

import asyncio
from typing import Any

from clawgate.gateway.requests import ClientWatch


class _Receive:
    """An ASGI receive() whose client leaves when `leave` is set; counts how often it was awaited."""

    def __init__(self) -> None:
        self.leave = asyncio.Event()
        self.calls = 0

    async def __call__(self) -> dict[str, Any]:
        self.calls += 1
        await self.leave.wait()
        return {"type": "http.disconnect"}


def test_short_call_never_waits_on_receive() -> None:
    async def main() -> tuple[int, bool]:
        rx = _Receive()
        w = ClientWatch(rx, after=0.05)
        await asyncio.sleep(0)  # the call answers at once
        w.cancel()
        await asyncio.sleep(0.1)  # past `after`: the cancelled timer must not start the watch
        return rx.calls, w.done()

    assert asyncio.run(main()) == (0, False)


def test_long_call_sees_the_client_leave() -> None:
    async def main() -> tuple[list[bool], int]:
        rx = _Receive()
        w = ClientWatch(rx, after=0.01)
        seen: list[bool] = []
        w.add_done_callback(lambda x: seen.append(x.done()))
        deadline = asyncio.get_running_loop().time() + 5
        while rx.calls == 0 and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.005)
        rx.leave.set()
        while not seen and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.005)
        late: list[bool] = []
        w.add_done_callback(lambda x: late.append(True))  # like a done future: called soon
        await asyncio.sleep(0.01)
        w.cancel()
        return seen + late, rx.calls

    assert asyncio.run(main()) == ([True, True], 1)


def test_removed_callback_is_not_called() -> None:
    async def main() -> list[int]:
        rx = _Receive()
        w = ClientWatch(rx, after=0.0)
        got: list[int] = []

        def cb(_w: ClientWatch) -> None:
            got.append(1)

        w.add_done_callback(cb)
        w.remove_done_callback(cb)
        await asyncio.sleep(0.01)
        rx.leave.set()
        await asyncio.sleep(0.02)
        assert w.done()
        w.cancel()
        return got

    assert asyncio.run(main()) == []
