"""Health shared between gateway processes (docs/state.md): every process keeps its registry in memory — the
hot path reads it, with no round trip — and this module keeps the replicas in step through the shared state.
A change made here (a cooldown learned, a success, `health clear`) is written under
`health:<provider>\\0<fingerprint>\\0<model>` with a TTL past its window and announced on `health`; the other
processes apply the announcement. A process that starts (or whose Redis comes back) reads every record."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from dataclasses import asdict
from typing import Any

from clawgate import logs as log
from clawgate.call.health import HealthRegistry
from clawgate.state.base import RECONNECTED, SharedState, StateUnavailable
from clawgate.store.base import HealthRecord

PREFIX = "health:"
KEEP_SECONDS = 24 * 3600.0  # a record stays visible (its first failure) this long past its window


def _key(provider: str, fingerprint: str, model: str) -> str:
    return f"{PREFIX}{provider}\0{fingerprint}\0{model}"


def _encode(rec: HealthRecord) -> str:
    import orjson

    return orjson.dumps({k: v for k, v in asdict(rec).items() if k != "extra"}).decode()


_FIELDS = frozenset(HealthRecord.__dataclass_fields__) - {"extra"}


def _decode(text: str) -> HealthRecord | None:
    """A record another process wrote: one without a later field (an older version's: no `endpoint`) takes
    its default; a field this version does not know (a newer one's) is left out."""
    import orjson

    try:
        data = orjson.loads(text)
        return HealthRecord(**{k: v for k, v in data.items() if k in _FIELDS})
    except (orjson.JSONDecodeError, TypeError, AttributeError):
        return None


class SharedHealth:
    def __init__(self, registry: HealthRegistry, shared: SharedState, origin: str) -> None:
        self.registry = registry
        self.shared = shared
        self.origin = origin
        self._pending: deque[tuple[str, dict[str, Any]]] = deque()
        self._writer: asyncio.Task[None] | None = None
        registry.listener = self._changed
        shared.subscribe(self._notified)

    async def start(self) -> None:
        """Read every record the other processes (or an earlier run) left in the shared state."""
        with contextlib.suppress(StateUnavailable):
            for text in (await self.shared.scan(PREFIX)).values():
                rec = _decode(text)
                if rec is not None:
                    self.registry.apply(rec)

    async def records(self) -> list[HealthRecord]:
        """Every record in the shared state now — what every process's replica converges on, read directly
        (a scrape of any worker gives the same answer). StateUnavailable when the engine is away."""
        out = []
        for text in (await self.shared.scan(PREFIX)).values():
            rec = _decode(text)
            if rec is not None:
                out.append(rec)
        return out

    async def drain(self) -> None:
        """Until every change made here is written (a CLI command waits for it before it exits)."""
        while self._writer is not None and not self._writer.done():
            await asyncio.shield(self._writer)

    # -- local changes ----------------------------------------------------------------------------------

    def _changed(self, kind: str, data: dict[str, Any]) -> None:
        """Queue the change; one writer sends them in order (a burst of failures is not a burst of
        connections)."""
        self._pending.append((kind, data))
        if self._writer is None or self._writer.done():
            try:
                self._writer = asyncio.get_running_loop().create_task(self._write_all())
            except RuntimeError:
                self._pending.clear()  # no loop (a synchronous caller): the change holds on this process

    async def _write_all(self) -> None:
        while self._pending:
            kind, data = self._pending.popleft()
            await self._write(kind, data)

    async def _write(self, kind: str, data: dict[str, Any]) -> None:
        note: dict[str, Any] = {"o": self.origin, "kind": kind}
        try:
            if kind == "record":
                rec: HealthRecord = data["record"]
                left = (rec.until or time.time()) - time.time()
                await self.shared.set(_key(*rec.key), _encode(rec), max(left, 0) + KEEP_SECONDS)
                note["record"] = _encode(rec)
            elif kind == "ok":
                for k in data["keys"]:
                    await self.shared.delete(_key(*k))
                note["keys"] = data["keys"]
            elif kind == "clear":
                provider, fingerprint = data.get("provider"), data.get("fingerprint")
                for key in await self.shared.scan(PREFIX):
                    p, fp, _ = key[len(PREFIX) :].split("\0", 2)
                    if (provider is None or p == provider) and (fingerprint is None or fp == fingerprint):
                        await self.shared.delete(key)
                note.update(provider=provider, fingerprint=fingerprint)
            await self.shared.publish("health", note)
        except StateUnavailable as exc:
            log.event(
                "health.share_failed", f"health change not shared ({exc}); it holds on this process", level=30
            )

    # -- other processes' changes -----------------------------------------------------------------------

    async def _notified(self, channel: str, data: dict[str, Any]) -> None:
        if channel == RECONNECTED:
            await self.start()
            return
        if channel != "health" or data.get("o") == self.origin:
            return
        kind = data.get("kind")
        if kind == "record":
            rec = _decode(str(data.get("record")))
            if rec is not None:
                self.registry.apply(rec)
        elif kind == "ok":
            self.registry.forget([(str(k[0]), str(k[1]), str(k[2])) for k in data.get("keys") or []])
        elif kind == "clear":
            self.registry.forget(provider=data.get("provider"), fingerprint=data.get("fingerprint"))
