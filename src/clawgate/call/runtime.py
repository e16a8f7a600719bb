"""The runtime: the current snapshot (reloaded when config, .env or credential files change), plan cache,
store, health, transport and executor — the one object the gateway, CLI calls, probes and cron share.

Nothing here blocks an event loop that uses it: a reload happens in a thread (`refresh`, with `warm=True` it
also resolves every agent's plan there, `exec` SecretRefs included, so the first call after it finds them
resolved), and a plan that is not cached yet is made in a thread too (`plan_async`). Plans are cached per
snapshot in a bounded LRU (a client can send any number of distinct model names)."""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from clawgate.call.executor import Executor
from clawgate.call.health import HealthRegistry
from clawgate.call.health_shared import SharedHealth
from clawgate.call.transport import ProxyInfo, Transport, proxy_for
from clawgate.call.types import CallOutcome, CallRequest, Policy
from clawgate.errors import ClawgateError
from clawgate.paths import Paths
from clawgate.plan.cache import PlanCache
from clawgate.plan.snapshot import Snapshot
from clawgate.plan.types import Plan
from clawgate.state.base import SharedState
from clawgate.state.config import open_shared
from clawgate.state.memory import MemoryState
from clawgate.state.node import Node
from clawgate.store import Store, open_for, open_store

PROXY_VARS = (
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
    "ALL_PROXY",
    "all_proxy",
    "NO_PROXY",
    "no_proxy",
)


class Runtime:
    def __init__(
        self,
        paths: Paths,
        environ: Mapping[str, str] | None = None,
        cwd: Path | None = None,
        store: Store | None = None,
        persist: bool = True,
        warm: bool = False,
    ) -> None:
        self.paths = paths
        self.environ = dict(os.environ if environ is None else environ)
        self.cwd = cwd
        self.warm = warm  # resolve every agent's plan when a snapshot loads (the gateway: off its loop)
        self._lock = threading.Lock()
        self._snapshot: Snapshot | None = None
        self._stamp: tuple[Any, ...] | None = None
        self._proxy_cache: dict[str, ProxyInfo] = {}
        self.last_error: ClawgateError | None = None
        self.reloads = 0
        self._persist = persist
        self._shared: SharedState | None = None
        self._node: Node | None = None
        self.refresh(force=True)  # the config says where the store is
        if store is None:
            store = open_for(paths, self._snapshot) if persist else open_store(None)
        self.store = store
        self.health = HealthRegistry(store)
        # every process's health replica follows the others' through the shared state
        self.health_share = SharedHealth(self.health, self.shared, self.node.worker) if persist else None
        self.transport = Transport()
        self.executor = Executor(self.transport, self.health, self.store, self._policy(), self.proxy)

    # -- shared state ----------------------------------------------------------------------------------

    @property
    def shared(self) -> SharedState:
        """The shared-state engine (docs/state.md): Redis or this home's SQLite file; process memory for a
        runtime that persists nothing. Opened on first use, started by `node.start()` on the serving loop."""
        if self._shared is None:
            self._shared = open_shared(self.paths, self.snapshot) if self._persist else MemoryState()
        return self._shared

    @property
    def node(self) -> Node:
        """This process as a member of the shared state (worker id, liveness lease, peers)."""
        if self._node is None:
            self._node = Node(self.shared)
        return self._node

    # -- snapshot ------------------------------------------------------------------------------------

    def _watched(self) -> list[Path]:
        files = [self.paths.config, self.paths.env_file]
        if self.cwd is not None:
            files.append(self.cwd / ".env")
        agents = self.paths.agents_dir
        if agents.is_dir():
            files.extend(sorted(agents.glob("*/auth-profiles.json")))
        return files

    def _stamp_now(self) -> tuple[Any, ...]:
        out: list[tuple[str, int | None, int | None]] = []
        for f in self._watched():
            try:
                st = f.stat()
                out.append((str(f), st.st_mtime_ns, st.st_size))
            except OSError:
                out.append((str(f), None, None))
        return tuple(out)

    def refresh(self, force: bool = False) -> bool:
        """Reload when a watched file changed. A broken config keeps the last good snapshot serving."""
        stamp = self._stamp_now()
        if not force and stamp == self._stamp:
            return False
        try:
            snap = Snapshot.load(self.paths, self.environ, cwd=self.cwd)
            if self.warm:
                self._warm(snap)
        except ClawgateError as exc:
            self._stamp = stamp
            self.last_error = exc
            if self._snapshot is None:
                raise
            return False
        with self._lock:
            self._snapshot = snap
            self._stamp = stamp
            self._proxy_cache = {}
            self.last_error = None
            self.reloads += 1
        executor = getattr(self, "executor", None)
        if executor is not None:
            executor.policy = self._policy()
        return True

    def _warm(self, snap: Snapshot) -> None:
        """Make every agent's own plan (and the gateway token's SecretRef) now, in the reloading thread."""
        cache = _cache(snap)
        for info in snap.agents():
            for subagent in (False, True):
                key = (info.id, None, None, "request", subagent)
                cache[key] = snap.plan(info.id, None, subagent=subagent)
        token = snap.config.gateway.auth.token
        if token is not None and not isinstance(token, str):
            snap.secrets.resolve(token)

    @property
    def snapshot(self) -> Snapshot:
        assert self._snapshot is not None
        return self._snapshot

    def _policy(self) -> Policy:
        if self._snapshot is None:
            return Policy()
        gw = self._snapshot.config.gateway
        return Policy(max_retry_wait=gw.max_retry_wait_seconds)

    def proxy(self, url: str) -> ProxyInfo:
        from urllib.parse import urlsplit

        parts = urlsplit(url)
        key = f"{parts.scheme}://{parts.hostname}"
        info = self._proxy_cache.get(key)
        if info is None:
            env = self.snapshot.env
            lookup = {}
            for name in PROXY_VARS:
                var = env.var(name)
                if var is not None:
                    lookup[name] = (var.value, var.winner.origin)
            info = proxy_for(url, lookup)
            self._proxy_cache[key] = info
        return info

    # -- calls ---------------------------------------------------------------------------------------

    def plan(
        self,
        agent: str | None = None,
        model: str | None = None,
        pin: str | None = None,
        model_from: str = "request",
        subagent: bool = False,
    ) -> Plan:
        snap = self.snapshot  # plans are cached per snapshot, so a reload (in a thread) never mixes them
        key = (agent, model, pin, model_from, subagent)
        cache = _cache(snap)
        plan = cache.get(key)
        if plan is None:
            plan = snap.plan(agent, model, pin=pin, model_from=model_from, subagent=subagent)
            cache[key] = plan
        return plan

    async def plan_async(
        self,
        agent: str | None = None,
        model: str | None = None,
        pin: str | None = None,
        model_from: str = "request",
        subagent: bool = False,
    ) -> Plan:
        """`plan()` for an event loop: a cached plan at once, a new one made in a thread (resolving credentials
        may read files or run `exec` SecretRefs)."""
        plan = _cache(self.snapshot).get((agent, model, pin, model_from, subagent))
        if plan is not None:
            return plan
        return await asyncio.to_thread(self.plan, agent, model, pin, model_from, subagent)

    async def run(self, plan: Plan, req: CallRequest) -> CallOutcome:
        return await self.executor.run(plan, req)

    async def aclose(self) -> None:
        await self.transport.close()
        if self.health_share is not None:
            await self.health_share.drain()  # health learned here reaches the other processes
        if self._node is not None and self._node.started:
            await self._node.close()
        if self._shared is not None:
            await self._shared.close()
        self.store.flush()

    def close(self) -> None:
        self.store.flush()
        self.store.close()


def _cache(snap: Snapshot) -> PlanCache:
    return snap.plan_cache
