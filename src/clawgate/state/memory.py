"""Process-local shared state: the engine of a process that shares nothing (one-off CLI calls), and the
fallback a process serves on while its Redis is unreachable. Same semantics as the real engines."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import time
from collections.abc import Callable
from typing import Any

from clawgate.state.base import Handler, lease_key


class MemoryState:
    engine = "memory"

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._data: dict[str, tuple[str, float | None]] = {}
        self._handlers: list[Handler] = []

    def describe(self) -> dict[str, Any]:
        return {"engine": "memory", "host": None, "reachable": True, "error": None, "since": None}

    @property
    def reachable(self) -> bool:
        return True

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        return None

    async def ping(self) -> bool:
        return True

    # -- keys -------------------------------------------------------------------------------------------

    def _live(self, key: str) -> str | None:
        item = self._data.get(key)
        if item is None:
            return None
        value, expires = item
        if expires is not None and expires <= self._clock():
            del self._data[key]
            return None
        return value

    def _expires(self, ttl: float | None) -> float | None:
        return None if ttl is None else self._clock() + ttl

    def get_now(self, key: str) -> str | None:
        return self._live(key)

    async def get(self, key: str) -> str | None:
        return self._live(key)

    async def set(self, key: str, value: str, ttl: float | None = None) -> None:
        self._data[key] = (value, self._expires(ttl))

    async def add(self, key: str, value: str, ttl: float | None = None) -> bool:
        if self._live(key) is not None:
            return False
        self._data[key] = (value, self._expires(ttl))
        return True

    async def take(self, key: str) -> str | None:
        value = self._live(key)
        self._data.pop(key, None)
        return value

    async def delete(self, key: str) -> None:
        self._data.pop(key, None)

    async def scan(self, prefix: str) -> dict[str, str]:
        out = {}
        for key in [k for k in self._data if k.startswith(prefix)]:
            value = self._live(key)
            if value is not None:
                out[key] = value
        return out

    async def incr(self, key: str, by: int = 1, ttl: float | None = None) -> int:
        current = self._live(key)
        if current is None:
            self._data[key] = (str(by), self._expires(ttl))
            return by
        value = int(current) + by
        self._data[key] = (str(value), self._data[key][1])
        return value

    async def cas(self, key: str, expected: str | None, new: str | None, ttl: float | None = None) -> bool:
        if self._live(key) != expected:
            return False
        if new is None:
            self._data.pop(key, None)
        else:
            self._data[key] = (new, self._expires(ttl))
        return True

    # -- leases -----------------------------------------------------------------------------------------

    async def acquire(self, name: str, owner: str, ttl: float) -> bool:
        key = lease_key(name)
        current = self._live(key)
        if current is not None and current != owner:
            return False
        self._data[key] = (owner, self._expires(ttl))
        return True

    async def release(self, name: str, owner: str) -> bool:
        return await self.cas(lease_key(name), owner, None)

    async def holder(self, name: str) -> str | None:
        return self._live(lease_key(name))

    # -- notifications ----------------------------------------------------------------------------------

    async def publish(self, channel: str, data: dict[str, Any]) -> None:
        await deliver(self._handlers, channel, data)

    def notify(self, channel: str, data: dict[str, Any]) -> None:
        with contextlib.suppress(RuntimeError):  # no loop: nobody to tell
            task = asyncio.get_running_loop().create_task(deliver(self._handlers, channel, data))
            _pending.add(task)
            task.add_done_callback(_pending.discard)

    def subscribe(self, handler: Handler) -> None:
        self._handlers.append(handler)


_pending: set[asyncio.Task[None]] = set()


async def deliver(handlers: list[Handler], channel: str, data: dict[str, Any]) -> None:
    """Call each handler; one that fails is logged and does not stop the others."""
    for handler in list(handlers):
        try:
            result = handler(channel, data)
            if inspect.isawaitable(result):
                await result
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            from clawgate import logs as log

            log.event(
                "state.handler_failed",
                f"a {channel!r} notification handler failed: {type(exc).__name__}: {exc}",
                level=40,
                exc_info=True,
            )
