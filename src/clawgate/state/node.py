"""This process as a member of the shared state: its worker id (`host:pid:random`), its liveness lease
(`proc:<id>`, heartbeated), how many other processes are alive (`peers`: notifications for other processes are
only sent when there are some), and whether another worker is alive (a dead one's runs are recovered)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import socket
from typing import Any

from clawgate.processes import pid_alive
from clawgate.state.base import LEASE_PREFIX, SharedState, StateUnavailable
from clawgate.state.lease import Lease

PROC_TTL = 15.0  # a process that stops heartbeating is gone after this long (another machine's, at least)
PEERS_EVERY = 2.0


def new_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


class Node:
    def __init__(self, shared: SharedState, worker_id: str | None = None) -> None:
        self.shared = shared
        self.worker = worker_id or new_worker_id()
        self.host = socket.gethostname()
        self.peers = 0
        self._lease = Lease(shared, "proc:" + self.worker, self.worker, PROC_TTL)
        self._task: asyncio.Task[None] | None = None
        self.started = False

    async def start(self) -> None:
        if self.started:
            return
        self.started = True
        await self.shared.start()
        await self._lease.acquire()
        await self._count()
        self._task = asyncio.get_running_loop().create_task(self._watch(), name="clawgate-node")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._lease.release()

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(PEERS_EVERY)
            if not self._lease.held:
                await self._lease.acquire()  # lost while the engine was away: take it again
            with contextlib.suppress(StateUnavailable):
                await self._count()

    async def _count(self) -> None:
        live = await self.shared.scan(LEASE_PREFIX + "proc:")
        self.peers = len([w for w in live.values() if w != self.worker])

    async def alive(self, worker: str | None) -> bool:
        """Is `worker` a live process? On this host its pid says at once; elsewhere its lease does."""
        if not worker:
            return False
        if worker == self.worker:
            return True
        host, _, rest = worker.partition(":")
        pid = rest.partition(":")[0]
        if host == self.host and pid.isdigit():
            return pid_alive(int(pid))
        try:
            return await self.shared.holder("proc:" + worker) is not None
        except StateUnavailable:
            return True  # cannot tell: never mark a live run interrupted

    def describe(self) -> dict[str, Any]:
        return {"worker": self.worker, "peers": self.peers, **self.shared.describe()}
