"""Run and session events: one dict shape for SSE and WebSocket frames, and a bus that fans them out to
subscribers of a session (SSE responses, WebSocket connections) — in this process, and through the `relay`
(agents/coordination.py) to the other gateway processes sharing the state."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterable
from typing import Any

import orjson

Event = dict[str, Any]

# a subscriber that falls this far behind is cut off (its consumer is told, and re-reads the session)
QUEUE_LIMIT = 10_000


def make(type_: str, session_id: str, run_id: str | None = None, **fields: Any) -> Event:
    """An event: `{"type", "session_id", "run_id" (except session.*), ...fields}`."""
    ev: Event = {"type": type_, "session_id": session_id}
    if not type_.startswith("session."):
        ev["run_id"] = run_id
    ev.update(fields)
    return ev


def sse(ev: Event) -> bytes:
    """`event: <type>` + `data: <json>` (the data carries `type` too, so both transports read alike)."""
    return b"event: " + ev["type"].encode() + b"\ndata: " + orjson.dumps(ev, default=str) + b"\n\n"


class Subscription:
    """A queue of events for a set of sessions (grows as the subscriber follows new sessions)."""

    def __init__(self, bus: EventBus, sessions: Iterable[str]) -> None:
        self.bus = bus
        self.sessions: set[str] = set(sessions)
        self.queue: asyncio.Queue[Event | None] = asyncio.Queue()
        self.overflowed = False
        self.closed = False

    def add(self, session_id: str) -> None:
        self.sessions.add(session_id)

    def put(self, ev: Event) -> None:
        if self.closed:
            return
        if self.queue.qsize() >= QUEUE_LIMIT:
            self.overflowed = True
            self.close()
            return
        self.queue.put_nowait(ev)

    async def get(self, timeout: float | None = None) -> Event | None:
        """The next event; None once closed (or when `timeout` passes)."""
        if self.closed and self.queue.empty():
            return None
        try:
            if timeout is None:
                return await self.queue.get()
            async with asyncio.timeout(timeout):
                return await self.queue.get()
        except TimeoutError:
            return None

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.bus.unsubscribe(self)
            with contextlib.suppress(asyncio.QueueFull):
                self.queue.put_nowait(None)

    def __enter__(self) -> Subscription:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class EventBus:
    """Publish/subscribe on the event loop's thread. `relay(ev, also)`, when set, carries each published event
    to the other processes, whose bus `deliver`s it to its own subscribers."""

    def __init__(self) -> None:
        self._subs: set[Subscription] = set()
        self.relay: Callable[[Event, tuple[str, ...]], None] | None = None

    def subscribe(self, sessions: Iterable[str] = ()) -> Subscription:
        sub = Subscription(self, sessions)
        self._subs.add(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        self._subs.discard(sub)

    def publish(self, ev: Event, also: Iterable[str] = ()) -> None:
        """Deliver `ev` to subscribers of its session (and of the sessions in `also`), here and elsewhere."""
        also = tuple(also)
        self.deliver(ev, also)
        if self.relay is not None:
            self.relay(ev, also)

    def deliver(self, ev: Event, also: Iterable[str] = ()) -> None:
        """Deliver to this process's subscribers only."""
        targets = {ev["session_id"], *also}
        for sub in list(self._subs):
            if sub.sessions & targets:
                sub.put(ev)

    @property
    def subscribers(self) -> int:
        return len(self._subs)
