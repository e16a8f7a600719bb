"""Work done after a request, off its path (the clients layer counting tokens and adding spend, the gateway's
shared-state writes of lockouts and UI sessions): each a task on the running loop, kept until it ends, and
awaited together at shutdown."""

from __future__ import annotations

import asyncio
from typing import Any


class Background:
    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()

    def spawn(self, coro: Any) -> None:
        """Run `coro` on the running loop; without one (a synchronous caller) it is dropped."""
        try:
            task = asyncio.get_running_loop().create_task(coro)
        except RuntimeError:
            coro.close()
            return
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self) -> None:
        if self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
