"""The agent runtime across processes (docs/state.md): the one-active-run-per-session rule as a lease
(`run:<session>`, held by the process that runs the session's active run), messages queued behind a run on
another process (started when its lease is released), `/stop` and interrupts sent to the lease holder, and the
event bus relayed to every other process."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

from clawgate import logs as log
from clawgate.agents.events import Event, EventBus
from clawgate.state.base import SharedState, StateUnavailable, lease_key
from clawgate.state.lease import Lease
from clawgate.state.node import Node

RUN_LEASE_TTL = 10.0  # a session held by a process that died is free after this long (its pid says sooner)
WAIT_POLL = 1.0  # queued messages re-try a busy session this often (a release notification is sooner)


class Coordinator:
    """`on_free(session_id)` is called when a session this process has queued messages for may be taken;
    `on_stop(session_id, reason)` when another process asks to stop the run it executes."""

    def __init__(self, node: Node, bus: EventBus) -> None:
        self.node = node
        self.shared: SharedState = node.shared
        self.bus = bus
        self.on_free: Callable[[str], Any] | None = None
        self.on_stop: Callable[[str, str], Any] | None = None
        self._leases: dict[str, Lease] = {}
        self.waiting: set[str] = set()
        self._task: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self.shared.subscribe(self._notified)
        bus.relay = self._relay

    @property
    def worker(self) -> str:
        return self.node.worker

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._poll(), name="clawgate-run-waiters")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        for sid in list(self._leases):
            await self.release(sid)

    def spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- the run lease ----------------------------------------------------------------------------------

    def holds(self, session_id: str) -> bool:
        lease = self._leases.get(session_id)
        return lease is not None and lease.held

    async def claim(self, session_id: str, run_id: str) -> bool:
        """Take the session for `run_id` (or keep it: this process holds it already). A holder that is no
        longer alive is replaced at once."""
        lease = self._leases.get(session_id)
        if lease is None or not lease.held:
            lease = Lease(
                self.shared, "run:" + session_id, self.worker, RUN_LEASE_TTL, self._lost(session_id)
            )
            if not await lease.acquire():
                holder = await self._holder(session_id)
                if holder is None or await self.node.alive(holder):
                    return False
                with contextlib.suppress(StateUnavailable):
                    await self.shared.cas(lease_key("run:" + session_id), holder, self.worker, RUN_LEASE_TTL)
                if not await lease.acquire():
                    return False
                log.event(
                    "agents.lease_taken", f"session {session_id}: taken over from {holder}, which is gone"
                )
            self._leases[session_id] = lease
        with contextlib.suppress(StateUnavailable):
            await self.shared.set("run.active:" + session_id, run_id, RUN_LEASE_TTL * 6)
        return True

    def _lost(self, session_id: str) -> Callable[[], None]:
        def lost() -> None:
            log.event(
                "agents.lease_lost",
                f"session {session_id}: another process took the run lease (this one stalled past "
                f"{RUN_LEASE_TTL:g} s)",
                level=30,
            )

        return lost

    async def release(self, session_id: str) -> None:
        lease = self._leases.pop(session_id, None)
        if lease is None:
            return
        await lease.release()
        with contextlib.suppress(StateUnavailable):
            await self.shared.delete("run.active:" + session_id)
            self.shared.notify("run.released", {"session_id": session_id, "o": self.worker})

    async def _holder(self, session_id: str) -> str | None:
        try:
            return await self.shared.holder("run:" + session_id)
        except StateUnavailable:
            return None

    async def remote_run(self, session_id: str) -> str | None:
        """The id of the run another process executes for this session, if any."""
        holder = await self._holder(session_id)
        if holder is None or holder == self.worker:
            return None
        try:
            return await self.shared.get("run.active:" + session_id)
        except StateUnavailable:
            return None

    def request_stop(self, session_id: str, reason: str) -> None:
        self.shared.notify("run.stop", {"session_id": session_id, "reason": reason, "o": self.worker})

    def wait_for(self, session_id: str) -> None:
        self.waiting.add(session_id)

    # -- notifications ----------------------------------------------------------------------------------

    def _relay(self, ev: Event, also: tuple[str, ...]) -> None:
        if self.node.peers:
            self.shared.notify("events", {"o": self.worker, "e": ev, "a": list(also)})

    async def _notified(self, channel: str, data: dict[str, Any]) -> None:
        if data.get("o") == self.worker:
            return
        if channel == "events":
            self.bus.deliver(data["e"], data.get("a") or ())
        elif channel == "run.released":
            sid = data.get("session_id")
            if sid in self.waiting and self.on_free is not None:
                await _maybe(self.on_free(sid))
        elif channel == "run.stop":
            sid = str(data.get("session_id"))
            if self.holds(sid) and self.on_stop is not None:
                await _maybe(self.on_stop(sid, str(data.get("reason") or "stop")))

    async def _poll(self) -> None:
        while True:
            await asyncio.sleep(WAIT_POLL)
            for sid in list(self.waiting):
                if self.on_free is not None:
                    try:
                        await _maybe(self.on_free(sid))
                    except Exception as exc:  # one session's trouble must not stop the others
                        log.event("agents.wait_failed", f"session {sid}: {exc}", level=40, exc_info=True)


async def _maybe(result: Any) -> None:
    if asyncio.iscoroutine(result):
        await result
