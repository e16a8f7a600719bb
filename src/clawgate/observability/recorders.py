"""The hot path's handles on prometheus_client's label children: what `observe()` / `inc()` cost on every
request, made small, with the children, the registry and the exposition left to prometheus_client.

* `LocalValue`: the value of a single-process gateway's series — a float with no lock. prometheus_client's
  default (`MutexValue`) takes a `threading.Lock` on every update and read; here every update is made on the
  gateway's event loop thread (the request path, the executor, the health windows) and the scrape that reads them
  runs on that loop too, so the lock only cost time. A `--workers N` gateway keeps prometheus_client's
  memory-mapped values (`MultiProcessValue`), which have their own lock.
* `Observed`: a histogram child's `observe()` as one binary search over the bucket bounds (prometheus_client
  walks the bounds one by one, after two method calls to check the child is not a parent), then the bucket's and
  the sum's `inc()`.
* `Counted` and `Level`: a counter's `inc()` and a gauge's `inc()` / `dec()` / `set()` straight on the value.

Each wraps one child made by `Family.child()` (metrics.py), so the series, their names, labels and exposition
are prometheus_client's own; tests/observability/test_recorders.py checks the exposition matches what
prometheus_client's own methods give for the same values."""

from __future__ import annotations

from bisect import bisect_left
from typing import Any


class LocalValue:
    """A series value of a single-process gateway (the `values.ValueClass` interface, without the lock)."""

    _multiprocess = False
    __slots__ = ("_exemplar", "_value")

    def __init__(self, *_args: Any, **_kwargs: Any) -> None:
        self._value = 0.0
        self._exemplar: Any = None

    def inc(self, amount: float) -> None:
        self._value += amount

    def set(self, value: float, timestamp: float | None = None) -> None:
        self._value = value

    def set_exemplar(self, exemplar: Any) -> None:
        self._exemplar = exemplar

    def get(self) -> float:
        return self._value

    def get_exemplar(self) -> Any:
        return self._exemplar


class Observed:
    """`observe(amount)` of one histogram child: the first bucket whose upper bound is ≥ amount (the `le`
    semantics of prometheus_client and Prometheus) counts it, and the sum adds it. NaN adds to the sum only,
    as prometheus_client does."""

    __slots__ = ("_bounds", "_buckets", "_sum", "child")

    def __init__(self, child: Any) -> None:
        self.child = child
        self._bounds = list(child._upper_bounds)  # ascending, the last is +Inf
        self._buckets = child._buckets
        self._sum = child._sum

    def observe(self, amount: float) -> None:
        self._sum.inc(amount)
        if amount == amount:  # not NaN
            self._buckets[bisect_left(self._bounds, amount)].inc(1)


class Counted:
    """`inc(amount)` of one counter child (a negative amount is refused, as by prometheus_client)."""

    __slots__ = ("_value", "child")

    def __init__(self, child: Any) -> None:
        self.child = child
        self._value = child._value

    def inc(self, amount: float = 1) -> None:
        if amount < 0:
            raise ValueError("Counters can only be incremented by non-negative amounts.")
        self._value.inc(amount)


class Level:
    """`inc()` / `dec()` / `set()` of one gauge child (or of a gauge without labels)."""

    __slots__ = ("_value", "child")

    def __init__(self, child: Any) -> None:
        self.child = child
        self._value = child._value

    def inc(self, amount: float = 1) -> None:
        self._value.inc(amount)

    def dec(self, amount: float = 1) -> None:
        self._value.inc(-amount)

    def set(self, value: float) -> None:
        self.child.set(value)  # (rare: prometheus_client's own, which knows the gauge's multiprocess mode)


WRAPPERS: dict[str, type[Observed] | type[Counted] | type[Level]] = {
    "histogram": Observed,
    "counter": Counted,
    "gauge": Level,
}
