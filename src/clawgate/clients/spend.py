"""Budgets per client key: the spend of the current period (UTC day, ISO week, month, or all time) on the shared
state, so every process refuses a key once it is over — `access.budget_exceeded`, owner `gateway_auth` (the
key's allowance at the gateway is what stops the call; no provider was asked and no provider account is at
fault, so neither `provider_access` nor `rate_limit` would send the reader to the right fix).

The counter `spend:<client>:<period start>` holds nano-USD (an integer, for the engine's atomic `incr`); it is
seeded from the durable store's attempts when it does not exist yet (a fresh Redis, a new period), so a
restart never forgets what was spent. Each process keeps the last total it saw per key: the check before a
call is a dict lookup. A try's cost is added after it ends (off the request's path); the process whose add
crosses the budget announces it on the channel `budgets`, and every process refuses from then on. Calls
already in flight when the budget is crossed finish (a budget can be overrun by what was in flight)."""

from __future__ import annotations

import asyncio
import calendar
import time
from collections.abc import Callable
from typing import Any

from clawgate import logs as log
from clawgate.background import Background
from clawgate.clients.identity import Client
from clawgate.failures import Failure, failure
from clawgate.state.base import SharedState, StateUnavailable

PERIODS = ("day", "week", "month", "total")
CHANNEL = "budgets"
NANO = 1_000_000_000


_BOUNDS: dict[str, tuple[float, float | None]] = {}  # the last period computed, per kind (checks are hot)


def period_bounds(period: str, now: float) -> tuple[float, float | None]:
    """[start, end) of the UTC period containing `now` (end None: all time)."""
    if period == "total":
        return 0.0, None
    known = _BOUNDS.get(period)
    if known is not None and known[0] <= now < (known[1] or 0.0):
        return known
    out = _bounds(period, now)
    _BOUNDS[period] = out
    return out


def _bounds(period: str, now: float) -> tuple[float, float | None]:
    t = time.gmtime(now)
    day0 = calendar.timegm((t.tm_year, t.tm_mon, t.tm_mday, 0, 0, 0))
    if period == "day":
        return float(day0), float(day0 + 86400)
    if period == "week":
        start = day0 - t.tm_wday * 86400
        return float(start), float(start + 7 * 86400)
    if period == "month":
        start = calendar.timegm((t.tm_year, t.tm_mon, 1, 0, 0, 0))
        year, month = (t.tm_year + 1, 1) if t.tm_mon == 12 else (t.tm_year, t.tm_mon + 1)
        return float(start), float(calendar.timegm((year, month, 1, 0, 0, 0)))
    raise ValueError(f"unknown budget period {period!r} (choose from {', '.join(PERIODS)})")


def _date(ts: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(ts))


class Budgets:
    def __init__(
        self, shared: SharedState, store: Any = None, clock: Callable[[], float] = time.time
    ) -> None:
        self.shared = shared
        self.store = store
        self._clock = clock
        self._spent: dict[str, tuple[float, int]] = {}  # client ref -> (period start, nano-USD seen)
        self._background = Background()
        shared.subscribe(self._notified)

    def _counter(self, ref: str, start: float) -> str:
        return f"spend:{ref}:{int(start)}"

    def spent(self, client: Client) -> float | None:
        """USD this process knows the key spent in its current budget period (None: not known yet)."""
        if client.ref is None:
            return None
        start, _ = period_bounds(client.budget_period or "month", self._clock())
        seen = self._spent.get(client.ref)
        return seen[1] / NANO if seen is not None and seen[0] == start else None

    def refusal(self, client: Client) -> Failure | None:
        """`access.budget_exceeded` when the key has spent its budget for this period (a dict lookup)."""
        if client.budget_usd is None or client.ref is None:
            return None
        period = client.budget_period or "month"
        spent = self.spent(client)
        if spent is None or spent < client.budget_usd:
            return None
        start, end = period_bounds(period, self._clock())
        resets = f"; it resets {_date(end)}" if end else " (an all-time budget: it does not reset)"
        return failure(
            "access.budget_exceeded",
            f"{client.describe()} spent ${spent:.4f} of its ${client.budget_usd:g} "
            f"{'all-time' if period == 'total' else period + 'ly' if period != 'day' else 'daily'} budget "
            f"(since {_date(start)}){resets}; nothing was sent to a provider",
            next_steps=[
                f"clawgate keys update {client.name} --budget {max(client.budget_usd * 2, 1):g}",
                "clawgate spend --by key",
            ],
        )

    def add(self, client: Client, usd: float) -> None:
        """Count a try's cost against the key's budget (off the request's path)."""
        if client.budget_usd is None or client.ref is None or usd <= 0:
            return
        self._background.spawn(self._add(client, round(usd * NANO)))

    async def _add(self, client: Client, nano: int) -> None:
        assert client.ref is not None
        period = client.budget_period or "month"
        start, end = period_bounds(period, self._clock())
        ttl = (end - self._clock() + 86400) if end else None
        try:
            total = await self.shared.incr(self._counter(client.ref, start), nano, ttl)
        except StateUnavailable:
            self._remember(client.ref, start, self._spent.get(client.ref, (start, 0))[1] + nano)
            return
        before = self._spent.get(client.ref)
        self._remember(client.ref, start, total)
        budget = round((client.budget_usd or 0) * NANO)
        if total >= budget and (before is None or before[0] != start or before[1] < budget):
            self.shared.notify(CHANNEL, {"ref": client.ref, "start": start, "nano": total})
            log.event(
                "budget.exceeded",
                f"{client.describe()} reached its ${client.budget_usd:g} {period} budget; further calls are "
                "refused on every gateway process",
                level=30,
                client=client.ref,
            )

    async def seed(self, clients: list[Client]) -> None:
        """Bring each budgeted key's counter to what the store says was spent this period (only where the
        shared state has no counter yet), and remember the totals."""
        for client in clients:
            if client.budget_usd is None or client.ref is None:
                continue
            start, end = period_bounds(client.budget_period or "month", self._clock())
            key = self._counter(client.ref, start)
            try:
                value = await self.shared.get(key)
                if value is None and self.store is not None:
                    usd = (await asyncio.to_thread(self.store.client_spend, start)).get(client.ref, 0.0)
                    ttl = (end - self._clock() + 86400) if end else None
                    await self.shared.add(key, str(round(usd * NANO)), ttl)
                    value = await self.shared.get(key)
            except StateUnavailable:
                continue
            except Exception as exc:  # the database away: the counter starts when it is back
                log.event("budget.seed_failed", f"{client.describe()}: {type(exc).__name__}: {exc}", level=30)
                continue
            if value is not None:
                self._remember(client.ref, start, int(value))

    def _remember(self, ref: str, start: float, nano: int) -> None:
        seen = self._spent.get(ref)
        if seen is None or seen[0] != start or seen[1] < nano:
            self._spent[ref] = (start, nano)

    def _notified(self, channel: str, data: dict[str, Any]) -> None:
        if channel == CHANNEL:
            try:
                self._remember(str(data["ref"]), float(data["start"]), int(data["nano"]))
            except (KeyError, TypeError, ValueError):
                return

    async def drain(self) -> None:
        await self._background.drain()
