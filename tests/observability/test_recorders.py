"""The hot path's recorders (observability/recorders.py) give the very exposition prometheus_client's own
`observe()` / `inc()` / `dec()` give for the same values: bucket edges, +Inf, negatives, NaN, zero."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest, values

from clawgate.observability.metrics import Family, Metrics
from clawgate.observability.recorders import Counted, Level, LocalValue, Observed

BUCKETS = (0.001, 0.01, 0.1, 1.0, 10.0)
AMOUNTS = [
    0.0,
    0.001,
    0.0010001,
    0.005,
    0.01,
    0.1,
    0.99,
    1.0,
    9.99,
    10.0,
    10.01,
    1e9,
    -3.0,
    math.inf,
    math.nan,
]


def _exposition(recorded: bool) -> bytes:
    """Three instruments in their own registry, fed AMOUNTS through our recorders or prometheus_client's own."""
    old = values.ValueClass
    values.ValueClass = LocalValue if recorded else values.MutexValue
    try:
        reg = CollectorRegistry(auto_describe=False)
        h = Histogram("t_seconds", "h", ["op"], buckets=BUCKETS, registry=reg)
        c = Counter("t_calls", "c", ["op"], registry=reg)
        g = Gauge("t_active", "g", registry=reg)
        if recorded:
            hf, cf = Family(h, Observed), Family(c, Counted)
            level = Level(g)
            for a in AMOUNTS:
                hf.child("chat").observe(a)
                if a >= 0 and not math.isnan(a):
                    cf.child("chat").inc(a)
                level.inc()
            level.dec()
            level.dec(2)
        else:
            for a in AMOUNTS:
                h.labels("chat").observe(a)
                if a >= 0 and not math.isnan(a):
                    c.labels("chat").inc(a)
                g.inc()
            g.dec()
            g.dec(2)
        # (the *_created series are the time each child was made: not what is compared)
        return b"\n".join(line for line in generate_latest(reg).split(b"\n") if b"_created" not in line)
    finally:
        values.ValueClass = old


def test_recorders_expose_what_prometheus_clients_own_methods_expose() -> None:
    ours, theirs = _exposition(True), _exposition(False)
    assert b't_seconds_bucket{le="0.001",op="chat"} 3.0' in theirs  # -3.0, 0.0 and 0.001 (le is inclusive)
    assert b"t_active 12.0" in theirs
    assert ours == theirs


def test_a_counter_refuses_a_negative_amount_like_prometheus_client() -> None:
    reg = CollectorRegistry(auto_describe=False)
    fam = Family(Counter("t_neg", "c", ["op"], registry=reg), Counted)
    with pytest.raises(ValueError, match="non-negative"):
        fam.child("chat").inc(-1)


def test_the_gateways_metrics_use_the_lock_free_values_in_one_process_only(tmp_path: Path) -> None:
    m = Metrics()
    m.overhead.child("openai-completions").observe(0.0002)
    assert isinstance(m.overhead.child("openai-completions"), Observed)
    assert type(m.overhead.child("openai-completions")._sum) is LocalValue
    text, _ = m.render()
    assert b'clawgate_gateway_overhead_seconds_count{clawgate_api="openai-completions"} 1.0' in text
    mp = Metrics(mp_dir=str(tmp_path))
    try:
        assert type(mp.overhead.child("x")._sum) is not LocalValue  # memory-mapped, shared by the workers
    finally:
        values.ValueClass = values.MutexValue
