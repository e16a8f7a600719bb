"""`clawgate_credential_health`: computed when Prometheus scrapes (nothing on the request path), from the health
every gateway process shares and the credentials the current config resolves to.

The records are read from the shared state itself when the scrape arrives (`refresh`: the `health:` keys every
process writes, docs/state.md), so every worker and replica answers the same; without shared state (a runtime
that persists nothing), or while its engine is away, from this process's own replica — the registry the executor
consults.

For each (provider, credential fingerprint) the gauge has one series per state (ok, cooling, rejected, blocked):
1 for the credential's current state, 0 for the others. The current state is the worst open health window over
the credential's models (rejected > blocked > cooling); a window that has run out counts as ok, as it does for
the executor, which sends the next call to re-test the key."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

from clawgate.observability import names as n

_RANK = {"ok": 0, "cooling": 1, "blocked": 2, "rejected": 3}


class HealthCollector:
    """A prometheus_client custom collector. `runtime` gives `.snapshot` and `.health` (call.runtime.Runtime)."""

    def __init__(self, runtime: Any, clock: Callable[[], float] = time.time) -> None:
        self.rt = runtime
        self.clock = clock
        self._snap: Any = None
        self._configured: list[tuple[str, str]] = []
        self._shared: list[Any] | None = None  # the shared records `refresh` read for the next collect
        self.source = "replica"  # where the last collect read health from: "shared" or "replica"

    async def refresh(self) -> None:
        """Read the shared health for the scrape about to be rendered (on the serving loop)."""
        share = getattr(self.rt, "health_share", None)
        if share is None:
            self._shared = None
            return
        from clawgate.state.base import StateUnavailable

        try:
            self._shared = await share.records()
        except StateUnavailable:
            self._shared = None  # the engine is away: this process's replica answers

    def configured(self) -> list[tuple[str, str]]:
        """(provider, fingerprint) of every usable credential the config resolves to, for any agent; cached per
        config snapshot (resolving runs exec SecretRefs)."""
        snap = self.rt.snapshot
        if snap is self._snap:
            return self._configured
        seen: dict[tuple[str, str], None] = {}
        agents = [a.id for a in snap.agents()]
        for view in snap.catalog.providers.values():
            for agent in agents:
                res = snap.credentials(view, agent)
                if not view.configured and res.winner is None:
                    continue
                for c in res.distinct_usable():
                    if c.fingerprint:
                        seen[(view.id, c.fingerprint)] = None
        self._snap, self._configured = snap, list(seen)
        return self._configured

    def records(self) -> list[Any]:
        shared, self._shared = self._shared, None
        self.source = "shared" if shared is not None else "replica"
        return shared if shared is not None else self.rt.health.records()

    def states(self) -> dict[tuple[str, str], str]:
        now = self.clock()
        out = dict.fromkeys(self.configured(), "ok")
        for rec in self.records():
            key = (rec.provider, rec.fingerprint)
            state = rec.state if (rec.until is None or rec.until > now) else "ok"
            if _RANK.get(state, 0) >= _RANK.get(out.get(key, "ok"), 0):
                out[key] = state if state in _RANK else "ok"
        return out

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import GaugeMetricFamily

        inst = n.CREDENTIAL_HEALTH
        g = GaugeMetricFamily(inst.prom, inst.doc, labels=list(inst.labels))
        for (provider, fp), current in sorted(self.states().items()):
            name = n.provider_name(provider)
            for state in n.HEALTH_STATES:
                g.add_metric([name, fp, state], 1.0 if state == current else 0.0)
        yield g

    def describe(self) -> list[Any]:
        return []  # computed at scrape time: nothing to check at registration
