"""The gateway's side of clients (clawgate.clients): the replica of keys and devices, the limiter, budgets and
the providers' rate-limit pressure — and `admit`, the check of one model call after its plan is known: the
key's scopes, its budget (a dict lookup) and its RPM/TPM window (one counter operation when it has an RPM).

The owner (the gateway token) is never limited. Devices are the owner's own machines: not limited either."""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import TYPE_CHECKING, Any

from clawgate import logs as log
from clawgate.clients import registry as reg
from clawgate.clients.admin import ClientAdmin
from clawgate.clients.identity import Client
from clawgate.clients.limits import Limiter, Windows
from clawgate.clients.meter import Meter
from clawgate.clients.pressure import Pressure
from clawgate.clients.spend import Budgets
from clawgate.failures import Failure, failure

if TYPE_CHECKING:
    from clawgate.call.runtime import Runtime
    from clawgate.plan.types import Plan

TICK_SECONDS = 1.0  # how often the store's change marker is looked at (in a thread)
WHO = "clawgate.client"  # scope key: who a model call is from (clients.identity.Client)
RATE = "clawgate.rate_headers"  # scope key: a client key's x-ratelimit-* headers for the answer


def caller(scope: dict[str, Any]) -> Client | None:
    """The client a call is made for (CallRequest.client): None for the owner."""
    who = scope.get(WHO)
    return None if who is None or who.is_owner else who


class Access:
    def __init__(self, runtime: Runtime) -> None:
        self.rt = runtime
        self.registry = reg.ClientRegistry(runtime.store)
        self.windows = Windows(runtime.snapshot.config.gateway.limits.window_seconds)
        self.limiter = Limiter(runtime.shared, self.windows)
        self.budgets = Budgets(runtime.shared, runtime.store)
        self.pressure = Pressure(runtime.shared)
        self.meter = Meter(self.limiter, self.budgets, self.pressure)
        runtime.executor.attach_meter(self.meter)
        runtime.shared.subscribe(self._notified)
        self._task: asyncio.Task[None] | None = None
        self._reloading: asyncio.Task[None] | None = None

    def admin(self) -> ClientAdmin:
        """Key and device management on this gateway's store (call from a thread), announced to every process
        through the shared state."""
        loop = asyncio.get_running_loop()

        def notify() -> None:  # in the thread: the notification goes out from the serving loop
            loop.call_soon_threadsafe(self.rt.shared.notify, reg.CHANNEL, {"by": "gateway"})

        return ClientAdmin(self.rt.store, notify)

    def on_reload(self) -> None:
        self.windows.seconds = float(self.rt.snapshot.config.gateway.limits.window_seconds)

    # -- lifecycle ----------------------------------------------------------------------------------------

    async def start(self) -> None:
        """Load the replica, seed the budgets' counters, and follow changes (notifications, the marker)."""
        await asyncio.to_thread(self.registry.reload)
        await self._seed()
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._tick(), name="clawgate-clients")

    async def stop(self) -> None:
        for task in (self._task, self._reloading):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        await self.limiter.drain()
        await self.budgets.drain()

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(TICK_SECONDS)
            try:
                before = self.registry.loaded_at
                await asyncio.to_thread(self.registry.tick)
                if self.registry.loaded_at != before:
                    await self._seed()
            except Exception as exc:  # never let the watcher die
                log.event("clients.tick_failed", f"{type(exc).__name__}: {exc}", level=40)

    async def _seed(self) -> None:
        keys = [reg.key_client(k) for k in self.registry.keys.values() if k.budget_usd is not None]
        if keys:
            await self.budgets.seed(keys)

    def _notified(self, channel: str, data: dict[str, Any]) -> None:
        if channel != reg.CHANNEL:
            return
        if self._reloading is None or self._reloading.done():
            self._reloading = asyncio.get_running_loop().create_task(self._reload())

    async def _reload(self) -> None:
        await asyncio.to_thread(self.registry.reload)
        await self._seed()

    # -- one model call ------------------------------------------------------------------------------------

    async def admit_call(self, scope: dict[str, Any], plan: Plan, requested: Any) -> Failure | None:
        """`admit` for the client `scope` was identified as; its rate headers go on the answer."""
        who = scope.get(WHO)
        if who is None or who.kind != "key":
            return None
        refused, rate = await self.admit(who, plan, requested if isinstance(requested, str) else None)
        if rate:
            scope[RATE] = rate
        return refused

    async def admit(
        self, client: Client, plan: Plan, requested: str | None
    ) -> tuple[Failure | None, list[Any]]:
        """(refusal or None, headers for the answer) for `client`'s call on `plan` (`requested`: the model
        name as the client sent it). Only a client key is checked."""
        if client.kind != "key":
            return None, []
        reason = client.scopes.denies(plan.agent, requested, plan.model.ref)
        if reason is not None:
            return (
                failure(
                    "gateway.scope_denied",
                    f"{client.describe()} may use {client.scopes.describe()}: {reason}",
                    next_steps=[
                        f"clawgate keys update {client.name} --model {_quote(requested or plan.model.ref)}",
                        "clawgate keys list",
                    ],
                ),
                [],
            )
        over = self.budgets.refusal(client)
        if over is not None:
            return over, []
        v = await self.limiter.take(client.ref or "", client.rpm, client.tpm)
        if v is None:
            return None, []
        headers = _rate_headers(v, client)
        if v.ok:
            return None, headers
        per, value = ("rpm", client.rpm) if v.what == "requests" else ("tpm", client.tpm)
        return (
            failure(
                "gateway.rate_limited",
                f"{client.describe()} used its {v.limit} {v.what} of this {self.windows.seconds:g} s window "
                f"({per} {value}, on every gateway process); the window ends in {v.reset:.1f} s",
                retry_after=round(v.reset, 3),
                next_steps=[
                    f"wait {max(1, round(v.reset))} s and retry",
                    f"clawgate keys update {client.name} --{per} {(value or 1) * 2}",
                ],
            ),
            headers,
        )

    def status(self) -> dict[str, Any]:
        """For /api/status: how many keys and devices this process knows, and credentials near a limit."""
        r = self.registry
        now = time.time()
        return {
            "keys": len(r.keys),
            "active_keys": sum(1 for k in r.keys.values() if not k.revoked_at and not _expired(k, now)),
            "devices": sum(1 for d in r.devices.values() if d.state == "approved"),
            "pending_devices": sum(1 for d in r.devices.values() if d.state == "pending"),
            "loaded_at": r.loaded_at,
            "error": r.error,
            "window_seconds": self.windows.seconds,
            "near_limit": self.pressure.snapshot(),
        }


def _expired(k: Any, now: float) -> bool:
    return k.expires_at is not None and k.expires_at <= now


def _quote(value: str | None) -> str:
    value = value or "MODEL"
    return (
        value
        if value.replace("/", "").replace("-", "").replace(".", "").replace("_", "").isalnum()
        else f"'{value}'"
    )


def _rate_headers(v: Any, client: Client) -> list[tuple[bytes, bytes]]:
    """OpenAI's names, for the client key's own window (what a client that already reads them expects)."""
    what = v.what
    out = [
        (f"x-ratelimit-limit-{what}".encode(), str(v.limit).encode()),
        (f"x-ratelimit-reset-{what}".encode(), f"{v.reset:.3f}s".encode()),
    ]
    if v.remaining >= 0:
        out.append((f"x-ratelimit-remaining-{what}".encode(), str(v.remaining).encode()))
    return out
