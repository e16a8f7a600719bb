"""The Prometheus metrics (prometheus_client): one registry per gateway process, the instruments of `names`,
label children cached by their values, and the text exposition for `GET /metrics`.

prometheus_client rather than the OpenTelemetry SDK's Prometheus exporter: measured on the hot path, a cached
child's `observe()` costs about 1 µs and the SDK's `record(value, attributes)` 6-10 µs
(docs/observability.md). With several worker processes (`PROMETHEUS_MULTIPROC_DIR` set, see `multiprocess`)
every value lives in a per-process memory-mapped file and each worker's `/metrics` adds up all of them, so any
worker a scrape reaches answers for the whole gateway. The supervisor names the directory in
`CLAWGATE_METRICS_DIR` (and `PROMETHEUS_MULTIPROC_DIR`, which prometheus_client reads); a
`PROMETHEUS_MULTIPROC_DIR` left in a single gateway's environment by something else is not followed."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from typing import Any

from clawgate import __version__
from clawgate.observability import names as n
from clawgate.observability.recorders import WRAPPERS, Level, LocalValue

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"  # prometheus_client's
METRICS_DIR_ENV = "CLAWGATE_METRICS_DIR"  # set by `gateway run --workers N` (observability.multiprocess)
OTHER = "_other"  # the label value of a model past `max_models`


class LabelCap:
    """Admits at most `limit` distinct values of one label (e.g. model names, which clients choose); later ones
    become `_other`, so a client cannot grow the number of series without bound."""

    __slots__ = ("limit", "seen")

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.seen: dict[str, str] = {}

    def __call__(self, value: str | None) -> str:
        if not value:
            return ""
        got = self.seen.get(value)
        if got is not None:
            return got
        got = self.seen[value] = value if len(self.seen) < self.limit else OTHER
        if len(self.seen) > 4 * self.limit:  # the names seen past the limit are not kept forever
            self.seen = {k: v for k, v in self.seen.items() if v != OTHER}
        return got


class Family:
    """One instrument and its label children, cached by label values (a dict lookup on the hot path); each
    child is handed out wrapped in its kind's recorder (`recorders`: the cheap `observe()` / `inc()`)."""

    __slots__ = ("children", "metric", "wrap")

    def __init__(self, metric: Any, wrap: Callable[[Any], Any]) -> None:
        self.metric = metric
        self.wrap = wrap
        self.children: dict[tuple[str, ...], Any] = {}

    def child(self, *values: str) -> Any:
        c = self.children.get(values)
        if c is None:
            c = self.children[values] = self.wrap(self.metric.labels(*values))
        return c


def multiprocess_dir(environ: dict[str, str] | None = None) -> str | None:
    """The shared directory of a multi-worker gateway, or None for a single process."""
    d = (environ if environ is not None else os.environ).get(METRICS_DIR_ENV)
    return d if d and os.path.isdir(d) else None


class Metrics:
    """The gateway's instruments. `render()` gives the exposition; the record methods are the hot path."""

    def __init__(self, max_models: int = 200, mp_dir: str | None = None) -> None:
        from prometheus_client import (
            CollectorRegistry,
            Counter,
            Gauge,
            Histogram,
            disable_created_metrics,
            values,
        )

        disable_created_metrics()  # no `*_created` series beside every child (the text format's noise)
        self.mp_dir = mp_dir
        if mp_dir:
            # values go to memory-mapped files in mp_dir (prometheus_client picks this at import when the
            # variable was set before; set it here too for a process that imported it earlier)
            os.environ[MULTIPROC_ENV] = mp_dir
            values.ValueClass = values.MultiProcessValue()
        else:
            # in memory, whatever PROMETHEUS_MULTIPROC_DIR says; no lock (recorders.LocalValue)
            values.ValueClass = LocalValue
        self.registry = CollectorRegistry(auto_describe=False)  # the instruments (in-process values)
        self.models = LabelCap(max_models)
        kinds: dict[str, Callable[..., Any]] = {"histogram": Histogram, "counter": Counter, "gauge": Gauge}
        self.families: dict[str, Family] = {}
        for inst in n.INSTRUMENTS:
            if inst is n.CREDENTIAL_HEALTH:
                continue  # computed when scraped (health.HealthCollector)
            kw: dict[str, Any] = {"registry": self.registry}
            if inst.kind == "histogram":
                kw["buckets"] = inst.buckets
            if inst.kind == "gauge":
                kw["multiprocess_mode"] = "livesum" if inst is n.ACTIVE else "max"
            metric = kinds[inst.kind](inst.prom, inst.doc, list(inst.labels), **kw)
            self.families[inst.otel] = Family(metric, WRAPPERS[inst.kind])
        f = self.families
        self.tokens = f[n.TOKEN_USAGE.otel]
        self.client_duration = f[n.CLIENT_DURATION.otel]
        self.client_ttfc = f[n.CLIENT_TTFC.otel]
        self.server_duration = f[n.SERVER_DURATION.otel]
        self.server_ttft = f[n.SERVER_TTFT.otel]
        self.overhead = f[n.OVERHEAD.otel]
        self.failures = f[n.FAILURES.otel]
        self.upstream_failures = f[n.UPSTREAM_FAILURES.otel]
        self.failovers = f[n.FAILOVERS.otel]
        self.moves = f[n.CREDENTIAL_MOVES.otel]
        self.cooldowns = f[n.COOLDOWNS.otel]
        self.spend = f[n.SPEND.otel]
        self.clients = LabelCap(
            max_models
        )  # client key and device names (operator-made; capped all the same)
        self.active = Level(f[n.ACTIVE.otel].metric)  # no labels: the metric is its own child
        f[n.BUILD_INFO.otel].child(__version__).set(1)
        self.exposed = self._exposition_registry()
        self.refreshers: list[Any] = []
        self._clients: dict[tuple[str, str, str], ClientSeries] = {}
        self._servers: dict[tuple[str, str, str | None, str], ServerSeries] = {}

    def _exposition_registry(self) -> Any:
        if not self.mp_dir:
            return self.registry
        from prometheus_client import CollectorRegistry
        from prometheus_client.multiprocess import MultiProcessCollector

        reg = CollectorRegistry(auto_describe=False)
        MultiProcessCollector(reg, path=self.mp_dir)  # every worker's files, added up
        return reg

    def add_collector(self, collector: Any) -> None:
        """A collector computed when scraped (the credential health gauge); one with an async `refresh()` is
        refreshed on the serving loop before each render (`refresh`)."""
        self.exposed.register(collector)
        if hasattr(collector, "refresh"):
            self.refreshers.append(collector)

    async def refresh(self) -> None:
        """What the scrape-time collectors read off the serving loop's own connections (the shared health)."""
        for c in self.refreshers:
            await c.refresh()

    def render(self, accept: str | None = None) -> tuple[bytes, str]:
        """The exposition (Prometheus text format; OpenMetrics when the scraper asks for it)."""
        from prometheus_client.exposition import choose_encoder

        encoder, content_type = choose_encoder(accept or "")
        return encoder(self.exposed), content_type

    # -- recording (hot path) ------------------------------------------------------------------------

    def client(self, provider_id: str, model: str, op: str = n.OPERATION_NAME) -> ClientSeries:
        """The success-path children of one (provider, upstream model, operation): one dict lookup per try."""
        key = (provider_id, model, op)
        b = self._clients.get(key)
        if b is None:
            if len(self._clients) > 4 * self.models.limit:
                self._clients.clear()  # raw model names are the client's: the cache stays bounded too
            b = self._clients[key] = ClientSeries(self, n.provider_name(provider_id), self.models(model), op)
        return b

    def server(
        self, api: str, provider_id: str, model: str | None, op: str = n.OPERATION_NAME
    ) -> ServerSeries:
        """The success-path children of one (dialect, provider, requested model, operation)."""
        key = (api, provider_id, model, op)
        b = self._servers.get(key)
        if b is None:
            if len(self._servers) > 4 * self.models.limit:
                self._servers.clear()
            b = self._servers[key] = ServerSeries(
                self, api, n.provider_name(provider_id), self.models(model), op
            )
        return b


class ClientSeries:
    """What one successful upstream try records, resolved once per (provider, model)."""

    __slots__ = ("_m", "cached", "duration_ok", "input", "model", "op", "output", "provider", "ttfc", "write")

    def __init__(self, m: Metrics, provider: str, model: str, op: str) -> None:
        self._m, self.provider, self.model, self.op = m, provider, model, op
        self.duration_ok = m.client_duration.child(op, provider, model, "")
        self.ttfc = m.client_ttfc.child(op, provider, model)
        self.input = m.tokens.child(op, provider, model, "input")
        self.output = m.tokens.child(op, provider, model, "output")
        self.cached: Any = None  # made on the first non-zero count: no empty series for providers without
        self.write: Any = None

    def tokens(self, usage: Any) -> None:
        """gen_ai.client.token.usage; the cache types only when the provider reported a non-zero count."""
        if usage.input_tokens is not None:
            self.input.observe(usage.input_tokens)
        if usage.output_tokens is not None:
            self.output.observe(usage.output_tokens)
        cached = usage.cached_tokens
        if cached:
            if self.cached is None:
                self.cached = self._m.tokens.child(self.op, self.provider, self.model, "cached_input")
            self.cached.observe(cached)
        write = usage.cache_write_tokens
        if write:
            if self.write is None:
                self.write = self._m.tokens.child(self.op, self.provider, self.model, "cache_creation_input")
            self.write.observe(write)


class ServerSeries:
    """What one answered client request records, resolved once per (dialect, provider, requested model)."""

    __slots__ = ("duration_ok", "model", "op", "overhead", "provider", "ttft")

    def __init__(self, m: Metrics, api: str, provider: str, model: str, op: str) -> None:
        self.provider, self.model, self.op = provider, model, op
        self.duration_ok = m.server_duration.child(op, provider, model, "")
        self.ttft = m.server_ttft.child(op, provider, model)
        self.overhead = m.overhead.child(api)


def instrument_names(instruments: Iterable[n.Instrument] = n.INSTRUMENTS) -> set[str]:
    """Every series name the exposition can contain (histograms' _bucket/_sum/_count, counters' _total)."""
    out: set[str] = set()
    for inst in instruments:
        if inst.kind == "histogram":
            out.update(f"{inst.prom}{s}" for s in ("_bucket", "_sum", "_count"))
        elif inst.kind == "counter":
            out.add(inst.prom if inst.prom.endswith("_total") else inst.prom + "_total")
        else:
            out.add(inst.prom)
    return out
