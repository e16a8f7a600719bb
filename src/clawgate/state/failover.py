"""A shared engine with a process-local fallback: while Redis is unreachable every primitive runs on this
process's memory (so model calls keep serving), Redis is re-tried every second without making callers wait,
and handlers hear `state.reconnected` when it is back."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from clawgate import logs as log
from clawgate.state.base import RECONNECTED, Handler, SharedState, StateUnavailable
from clawgate.state.memory import MemoryState, deliver

T = TypeVar("T")
RETRY_SECONDS = 1.0


class Failover:
    def __init__(self, primary: SharedState) -> None:
        self.primary = primary
        self.local = MemoryState()
        self.engine = primary.engine
        self._down_since: float | None = None
        self._error: str | None = None
        self._handlers: list[Handler] = []
        self._retry: asyncio.Task[None] | None = None
        primary.subscribe(self._from_primary)
        self.local.subscribe(self._from_local)

    def describe(self) -> dict[str, Any]:
        out = self.primary.describe()
        if self._down_since is not None:
            out.update(reachable=False, since=self._down_since, error=self._error or out.get("error"))
            out["fallback"] = "process-local"
        return out

    @property
    def reachable(self) -> bool:
        return self._down_since is None

    async def start(self) -> None:
        try:
            await self.primary.start()
            if not await self.primary.ping():
                raise StateUnavailable(self.primary.describe().get("error") or "no answer")
        except StateUnavailable as exc:
            self._went_down(exc)

    async def close(self) -> None:
        if self._retry is not None:
            self._retry.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._retry
        await self.primary.close()

    async def ping(self) -> bool:
        return self.reachable and await self.primary.ping()

    def _went_down(self, exc: BaseException) -> None:
        self._error = str(exc)
        if self._down_since is None:
            self._down_since = time.time()
            desc = self.primary.describe()
            log.event(
                "state.redis_unreachable",
                f"{self.engine} at {desc.get('host')} is unreachable ({exc}); serving on process-local state "
                "until it is back",
                level=30,
                host=desc.get("host"),
            )
        if self._retry is None or self._retry.done():
            with contextlib.suppress(RuntimeError):
                self._retry = asyncio.get_running_loop().create_task(self._retry_loop())

    async def _retry_loop(self) -> None:
        while self._down_since is not None:
            await asyncio.sleep(RETRY_SECONDS)
            if await self.primary.ping():
                down = self._down_since
                self._down_since, self._error = None, None
                log.event(
                    "state.redis_reconnected",
                    f"{self.engine} at {self.primary.describe().get('host')} answers again after "
                    f"{time.time() - down:.1f} s; shared state resumes",
                )
                await deliver(self._handlers, RECONNECTED, {"engine": self.engine})

    async def _call(self, primary: Callable[[], Awaitable[T]], local: Callable[[], Awaitable[T]]) -> T:
        if self._down_since is None:
            try:
                return await primary()
            except StateUnavailable as exc:
                self._went_down(exc)
        return await local()

    async def _from_primary(self, channel: str, data: dict[str, Any]) -> None:
        if channel == RECONNECTED and self._down_since is not None:
            return  # our own retry loop announces it
        await deliver(self._handlers, channel, data)

    async def _from_local(self, channel: str, data: dict[str, Any]) -> None:
        await deliver(self._handlers, channel, data)

    # -- the primitives ---------------------------------------------------------------------------------

    def get_now(self, key: str) -> str | None:
        if self._down_since is None:
            try:
                return self.primary.get_now(key)  # type: ignore[attr-defined]
            except StateUnavailable:
                pass
        return self.local.get_now(key)

    async def get(self, key: str) -> str | None:
        return await self._call(lambda: self.primary.get(key), lambda: self.local.get(key))

    async def set(self, key: str, value: str, ttl: float | None = None) -> None:
        await self._call(lambda: self.primary.set(key, value, ttl), lambda: self.local.set(key, value, ttl))

    async def add(self, key: str, value: str, ttl: float | None = None) -> bool:
        return await self._call(
            lambda: self.primary.add(key, value, ttl), lambda: self.local.add(key, value, ttl)
        )

    async def take(self, key: str) -> str | None:
        return await self._call(lambda: self.primary.take(key), lambda: self.local.take(key))

    async def delete(self, key: str) -> None:
        await self._call(lambda: self.primary.delete(key), lambda: self.local.delete(key))

    async def scan(self, prefix: str) -> dict[str, str]:
        return await self._call(lambda: self.primary.scan(prefix), lambda: self.local.scan(prefix))

    async def incr(self, key: str, by: int = 1, ttl: float | None = None) -> int:
        return await self._call(
            lambda: self.primary.incr(key, by, ttl), lambda: self.local.incr(key, by, ttl)
        )

    async def cas(self, key: str, expected: str | None, new: str | None, ttl: float | None = None) -> bool:
        return await self._call(
            lambda: self.primary.cas(key, expected, new, ttl), lambda: self.local.cas(key, expected, new, ttl)
        )

    async def acquire(self, name: str, owner: str, ttl: float) -> bool:
        return await self._call(
            lambda: self.primary.acquire(name, owner, ttl), lambda: self.local.acquire(name, owner, ttl)
        )

    async def release(self, name: str, owner: str) -> bool:
        return await self._call(
            lambda: self.primary.release(name, owner), lambda: self.local.release(name, owner)
        )

    async def holder(self, name: str) -> str | None:
        return await self._call(lambda: self.primary.holder(name), lambda: self.local.holder(name))

    async def publish(self, channel: str, data: dict[str, Any]) -> None:
        await self._call(
            lambda: self.primary.publish(channel, data), lambda: self.local.publish(channel, data)
        )

    def notify(self, channel: str, data: dict[str, Any]) -> None:
        (self.primary if self._down_since is None else self.local).notify(channel, data)

    def subscribe(self, handler: Handler) -> None:
        self._handlers.append(handler)
