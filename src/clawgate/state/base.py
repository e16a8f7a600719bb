"""The shared-state primitives every engine provides (docs/state.md): keys with TTL, atomic counters,
compare-and-set, leases and notifications. All async; keys and values are strings (callers encode JSON)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Protocol

# handler(channel, data) for every notification, this process's own included
Handler = Callable[[str, dict[str, Any]], Awaitable[None] | None]


class StateUnavailable(Exception):
    """The engine could not be reached (or answered with an error); the caller falls back or reports."""


class SharedState(Protocol):
    engine: str  # "sqlite" | "redis" | "memory"

    def describe(self) -> dict[str, Any]:
        """{"engine", "host" (never a password), "reachable", "error", "since"}."""
        ...

    @property
    def reachable(self) -> bool: ...

    async def start(self) -> None:
        """Connect and start delivering notifications (idempotent)."""
        ...

    async def close(self) -> None: ...

    async def ping(self) -> bool: ...

    # -- keys with TTL ----------------------------------------------------------------------------------

    async def get(self, key: str) -> str | None: ...

    async def set(self, key: str, value: str, ttl: float | None = None) -> None: ...

    async def add(self, key: str, value: str, ttl: float | None = None) -> bool:
        """Set only when absent; True when this call set it."""
        ...

    async def take(self, key: str) -> str | None:
        """Get and delete in one step: of two processes taking one key, one gets the value."""
        ...

    async def delete(self, key: str) -> None: ...

    async def scan(self, prefix: str) -> dict[str, str]:
        """Every live key starting with `prefix`, with its value."""
        ...

    # -- counters and compare-and-set -------------------------------------------------------------------

    async def incr(self, key: str, by: int = 1, ttl: float | None = None) -> int:
        """Add `by` and return the new value; `ttl` starts when the counter is created (a fixed window)."""
        ...

    async def cas(self, key: str, expected: str | None, new: str | None, ttl: float | None = None) -> bool:
        """Replace the value when it is `expected` (None: absent); `new` None deletes. True when replaced."""
        ...

    # -- leases -----------------------------------------------------------------------------------------

    async def acquire(self, name: str, owner: str, ttl: float) -> bool:
        """Take the lease, or renew it when `owner` holds it already. True when `owner` holds it now."""
        ...

    async def release(self, name: str, owner: str) -> bool:
        """Give the lease up when `owner` holds it; True when it did."""
        ...

    async def holder(self, name: str) -> str | None: ...

    # -- notifications ----------------------------------------------------------------------------------

    async def publish(self, channel: str, data: dict[str, Any]) -> None: ...

    def notify(self, channel: str, data: dict[str, Any]) -> None:
        """Publish without waiting (in order; best effort while the engine is away)."""
        ...

    def subscribe(self, handler: Handler) -> None:
        """Call `handler` for every notification (on the loop that started the engine)."""
        ...


LEASE_PREFIX = "lease:"
# delivered to every handler when an engine that was unreachable answers again (notifications sent meanwhile
# were missed: re-read what matters)
RECONNECTED = "state.reconnected"


def lease_key(name: str) -> str:
    return LEASE_PREFIX + name
