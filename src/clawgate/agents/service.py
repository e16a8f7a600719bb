"""The agent runtime as one object the gateway (or a CLI command) holds: the event bus, the session manager and
the cron scheduler, started on the serving loop and drained with it."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from clawgate import logs as log
from clawgate.agents.cron import CronScheduler
from clawgate.agents.events import EventBus
from clawgate.agents.sessions import SessionManager
from clawgate.call.runtime import Runtime
from clawgate.store.base import StoreUnavailable

SWEEP_SECONDS = 5.0  # how often runs of processes that died meanwhile are recovered


class AgentService:
    def __init__(self, rt: Runtime, via: str = "gateway", recover: bool = True, gateway: Any = None) -> None:
        self.rt = rt
        self.gateway = gateway
        self.bus = EventBus()
        self.mgr = SessionManager(rt, self.bus)
        self.cron = CronScheduler(self.mgr, via=via)
        self.recovering = recover
        self.started = False
        self.closed = False
        self.loop: asyncio.AbstractEventLoop | None = None
        self._ready: asyncio.Event | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    def ensure_started(self) -> None:
        """Start the background work (membership, recovery, cron) on the running loop; idempotent."""
        if self.started or self.closed:
            return
        self.started = True
        self.loop = asyncio.get_running_loop()
        self._ready = asyncio.Event()
        self._spawn(self._start())

    async def ready(self) -> None:
        """Until start-up recovery is done (requests wait for it: they must not see a dead run as live)."""
        self.ensure_started()
        if self._ready is not None:
            await self._ready.wait()

    async def _start(self) -> None:
        assert self._ready is not None
        try:
            await self.rt.node.start()
            self.mgr.coord.start()
            if self.recovering:
                await self.recover()
        except Exception as exc:  # the service still serves; the sweep tries again
            log.event("agents.start_failed", f"{type(exc).__name__}: {exc}", level=40, exc_info=True)
        finally:
            self._ready.set()
        if not self.closed:
            self.cron.start()
            if self.recovering:
                self._spawn(self._sweep())

    async def recover(self) -> tuple[int, int]:
        """Mark interrupted the runs (and their replies) left queued or running by processes that are gone —
        only those: a run another live process is streaming is left alone."""
        store, node = self.rt.store, self.rt.node
        if not store.available:
            return 0, 0
        try:
            runs = await asyncio.to_thread(store.active_runs)
            alive: dict[str | None, bool] = {}
            dead = []
            for r in runs:
                if r.id in self.mgr.runs:
                    continue
                if r.worker not in alive:
                    alive[r.worker] = await node.alive(r.worker)
                if not alive[r.worker]:
                    dead.append(r.id)
            if not dead:
                return 0, 0
            msgs, n = await asyncio.to_thread(store.mark_interrupted, time.time(), dead)
        except StoreUnavailable:
            return 0, 0
        log.event(
            "agents.recovered",
            f"marked {msgs} reply(ies) and {n} run(s) left in flight by a gateway process that is gone as "
            "interrupted",
            messages=msgs,
            runs=n,
        )
        return msgs, n

    async def _sweep(self) -> None:
        while not self.closed:
            await asyncio.sleep(SWEEP_SECONDS)
            try:
                await self.recover()
            except Exception as exc:
                log.event("agents.recover_failed", f"{type(exc).__name__}: {exc}", level=40)

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def begin_shutdown(self, drain: float | None = None) -> None:
        """The gateway is draining: take no new messages, let runs finish for `drain` seconds, then end them
        (their replies are kept, marked interrupted)."""
        if self.closed:
            return
        self.mgr.draining = True
        loop = asyncio.get_running_loop()
        wait = self.rt.snapshot.config.gateway.drain_seconds if drain is None else drain
        self._spawn(self.cron.stop())
        loop.call_later(max(0.0, wait - 0.5), lambda: self._spawn(self.aclose()))

    async def aclose(self) -> None:
        if self.closed:
            return
        self.closed = True
        await self.cron.stop()
        await self.mgr.aclose()


# -- starting with the gateway -------------------------------------------------------------------------


def attach(gateway: Any) -> AgentService:
    """The gateway's agent service: created once (marking what a dead predecessor left in flight). The
    gateway starts it on its loop once it listens, drains it on SIGTERM and closes it when it stops (through
    `gateway.extensions` hooks); created on a running loop (in-process use), it starts at once."""
    svc = getattr(gateway, "agents", None)
    if isinstance(svc, AgentService):
        return svc
    svc = AgentService(gateway.rt, gateway=gateway)
    gateway.agents = svc
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass
    else:
        svc.ensure_started()
    return svc


def _on_start(gateway: Any) -> None:
    attach(gateway).ensure_started()


def _on_drain(gateway: Any) -> None:
    svc = getattr(gateway, "agents", None)
    if isinstance(svc, AgentService):
        svc.begin_shutdown()


async def _on_stop(gateway: Any) -> None:
    svc = getattr(gateway, "agents", None)
    if isinstance(svc, AgentService):
        await svc.aclose()
        for task in list(svc._tasks):
            task.cancel()


def install_hooks() -> None:
    from clawgate.gateway import extensions

    extensions.on_start(_on_start)
    extensions.on_drain(_on_drain)
    extensions.on_stop(_on_stop)


install_hooks()
