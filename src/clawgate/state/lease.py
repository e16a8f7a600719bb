"""A lease held with heartbeats: acquired once, renewed every ttl/3 by a task, released on exit. When a renewal
finds another holder (this process stalled past the TTL), `on_lost` is called and the lease stops renewing."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

from clawgate.state.base import SharedState, StateUnavailable


class Lease:
    def __init__(
        self,
        state: SharedState,
        name: str,
        owner: str,
        ttl: float,
        on_lost: Callable[[], None] | None = None,
    ) -> None:
        self.state = state
        self.name = name
        self.owner = owner
        self.ttl = ttl
        self.on_lost = on_lost
        self.held = False
        self._task: asyncio.Task[None] | None = None

    async def acquire(self) -> bool:
        """Try once; on success the heartbeat starts. An unreachable engine counts as not acquired."""
        try:
            self.held = await self.state.acquire(self.name, self.owner, self.ttl)
        except StateUnavailable:
            self.held = False
        if self.held and self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._beat(), name=f"lease {self.name}")
        return self.held

    async def _beat(self) -> None:
        while self.held:
            await asyncio.sleep(self.ttl / 3)
            try:
                still = await self.state.acquire(self.name, self.owner, self.ttl)
            except StateUnavailable:
                continue  # the engine is away: keep trying; its keys may have expired meanwhile
            if not still:
                self.held = False
                if self.on_lost is not None:
                    self.on_lost()

    async def release(self) -> None:
        task, self._task = self._task, None
        was = self.held
        self.held = False
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if was:
            with contextlib.suppress(StateUnavailable):
                await self.state.release(self.name, self.owner)
