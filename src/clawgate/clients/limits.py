"""RPM and TPM limits that hold across every gateway process: fixed windows on the shared state.

A window is `gateway.limits.windowSeconds` long (default 60) and aligned to the clock (window n covers
[n·W, (n+1)·W)), so every process counts in the same window. A limit of R requests per minute allows
R·W/60 requests per window (W = 60: exactly R). Admitting a request is one atomic `incr` of
`limit:<name>:r:<n>` — the counter lives in the engine, so two processes admit R between them, not 2R. Requests
that arrive while an `incr` of the same counter is on its way share the next one (`incr` by k gives k places). Tokens
are added after each try (`limit:<name>:t:<n>`); a window whose tokens are used up refuses the next requests.

Each process remembers which windows it has seen full (its own counts, and the others' announcements on the
channel `limits`): a full window refuses without another counter operation. When the shared engine is
unreachable a limit lets requests through (fail open) and says so once in the log: a limit must never stop a
gateway that is otherwise serving."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from clawgate import logs as log
from clawgate.background import Background
from clawgate.state.base import SharedState, StateUnavailable

CHANNEL = "limits"


class Windows:
    def __init__(self, seconds: float = 60.0, clock: Callable[[], float] = time.time) -> None:
        self.seconds = float(seconds)
        self.clock = clock

    def index(self, now: float | None = None) -> int:
        return int((self.clock() if now is None else now) // self.seconds)

    def ends_in(self, index: int, now: float | None = None) -> float:
        return max(0.0, (index + 1) * self.seconds - (self.clock() if now is None else now))

    def allowance(self, per_minute: int) -> int:
        """How many of `per_minute` one window allows (at least one)."""
        return max(1, int(per_minute * self.seconds / 60.0))


@dataclass(frozen=True, slots=True)
class Verdict:
    ok: bool
    what: str  # requests | tokens
    limit: int  # the allowance of one window
    remaining: int
    reset: float  # seconds until the window ends
    used: int = 0


class Limiter:
    """Request and token windows per name (`key:<id>`, `cred:<provider>:<fingerprint>`)."""

    def __init__(self, shared: SharedState, windows: Windows) -> None:
        self.shared = shared
        self.windows = windows
        self._full: dict[tuple[str, str], int] = {}  # (name, r|t) -> the window index seen full
        self._background = Background()
        self._queued: dict[
            str, list[asyncio.Future[int]]
        ] = {}  # counter -> requests waiting for its next incr
        self._inflight: set[str] = set()  # counters with an incr on its way
        self._warned = False
        shared.subscribe(self._notified)

    def _counter(self, name: str, kind: str, index: int) -> str:
        return f"limit:{name}:{kind}:{index}"

    def tokens_full(self, name: str, index: int | None = None) -> bool:
        return self._full.get((name, "t")) == (self.windows.index() if index is None else index)

    async def take(self, name: str, rpm: int | None, tpm: int | None) -> Verdict | None:
        """Admit one request under `rpm` / `tpm` (per minute). None: no limit applies."""
        if not rpm and not tpm:
            return None
        now = self.windows.clock()
        index = self.windows.index(now)
        reset = self.windows.ends_in(index, now)
        if tpm and self._full.get((name, "t")) == index:
            allowed = self.windows.allowance(tpm)
            return Verdict(False, "tokens", allowed, 0, reset, allowed)
        if not rpm:
            return Verdict(True, "tokens", self.windows.allowance(tpm or 0), -1, reset)
        allowed = self.windows.allowance(rpm)
        if self._full.get((name, "r")) == index:
            return Verdict(False, "requests", allowed, 0, reset, allowed)
        try:
            n = await self._count(self._counter(name, "r", index))
        except StateUnavailable as exc:
            self._unavailable(exc)
            return Verdict(True, "requests", allowed, -1, reset)
        if n > allowed:
            self._mark(name, "r", index)
            return Verdict(False, "requests", allowed, 0, reset, n - 1)
        if n == allowed:
            self._mark(name, "r", index)  # the last one: the next request of this window is refused here
        return Verdict(True, "requests", allowed, allowed - n, reset, n)

    async def _count(self, counter: str) -> int:
        """This request's place in the window: requests arriving while an `incr` of the same counter is in
        flight are counted together by the next one (`incr(counter, k)` hands out k consecutive places), so
        under load one counter operation admits many requests — each still with a place of its own."""
        fut: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._queued.setdefault(counter, []).append(fut)
        if counter not in self._inflight:
            self._inflight.add(counter)
            self._background.spawn(self._drain(counter))
        return await fut

    async def _drain(self, counter: str) -> None:
        try:
            while self._queued.get(counter):
                waiters = self._queued.pop(counter)
                try:
                    total = await self.shared.incr(counter, len(waiters), self.windows.seconds * 2)
                except Exception as exc:
                    for w in waiters:
                        if not w.done():
                            w.set_exception(exc)
                    continue
                for place, w in enumerate(waiters, total - len(waiters) + 1):
                    if not w.done():
                        w.set_result(place)
        finally:
            self._inflight.discard(counter)

    def add_tokens(self, name: str, tokens: int, tpm: int) -> None:
        """Count a try's tokens in the current window (off the request's path)."""
        if tokens <= 0 or not tpm:
            return
        index = self.windows.index()
        self._background.spawn(self._add(name, tokens, self.windows.allowance(tpm), index))

    async def _add(self, name: str, tokens: int, allowed: int, index: int) -> None:
        try:
            total = await self.shared.incr(self._counter(name, "t", index), tokens, self.windows.seconds * 2)
        except StateUnavailable as exc:
            self._unavailable(exc)
            return
        if total >= allowed:
            self._mark(name, "t", index)

    def _mark(self, name: str, kind: str, index: int) -> None:
        if self._full.get((name, kind)) == index:
            return
        self._full[(name, kind)] = index
        if len(self._full) > 4096:  # bounded: only the current windows matter
            now = self.windows.index()
            self._full = {k: v for k, v in self._full.items() if v >= now}
        self.shared.notify(CHANNEL, {"name": name, "kind": kind, "window": index})

    def _notified(self, channel: str, data: dict[str, Any]) -> None:
        if channel != CHANNEL:
            return
        try:
            key, index = (str(data["name"]), str(data["kind"])), int(data["window"])
        except (KeyError, TypeError, ValueError):
            return
        if index >= self.windows.index() and self._full.get(key) != index:
            self._full[key] = index

    def _unavailable(self, exc: Exception) -> None:
        if not self._warned:
            self._warned = True
            log.event(
                "limits.unavailable",
                f"the shared state did not answer ({exc}); RPM/TPM limits let requests through until it does",
                level=30,
            )

    async def drain(self) -> None:
        await self._background.drain()
