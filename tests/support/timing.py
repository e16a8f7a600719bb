"""Time limits derived from how fast this machine is right now — never fixed sub-second values.

The suite has to pass on an idle laptop and on a 2-core machine running `stress --cpu 2` beside other test runs.
So a time limit here is a base value (what is generous on an idle machine) times the measured *slowness*:

- `slowness()` is how many times slower than an idle machine this one is now, from two measurements: a
  calibration — a fixed piece of CPU work plus a loopback socket round trip, the two things every test here
  waits on — divided by what it takes on an idle machine (`REFERENCE_SECONDS`), measured at first use and again
  whenever the last one is older than `REMEASURE_SECONDS` (the median of the recent ones counts, so a single
  hiccup of this process's own threads does not inflate every limit); and the machine's run queue, the 1-minute
  load average per core (every other process on a shared machine, `stress` included). The larger wins; never
  below 1.
- `limit(seconds)` is `seconds × slowness()`: polling deadlines, client timeouts, process start and stop.
- `timeout_for(measured)`: a timeout that must *fire* (a hung upstream, a slow first byte) yet never fire on a
  normal answer: a multiple of a calibration call just measured through the same path, and at least
  `limit(floor)`.

`CLAWGATE_TEST_SLOWNESS=N` sets a lower bound on the factor (e.g. on a machine known to be slow).
"""

from __future__ import annotations

import os
import socket
import statistics
import threading
import time
from collections import deque

REFERENCE_SECONDS = (
    0.0015  # the calibration's median wall time on an idle 2-core machine (measured: 0.9–1.5 ms)
)
REMEASURE_SECONDS = 2.0
_KEEP = 5  # recent calibrations whose median counts (about the last 10 s)
_SAMPLES = 5

_lock = threading.Lock()
_history: deque[float] = deque(maxlen=_KEEP)
_measured_at = 0.0


def _work() -> None:
    """A fixed piece of interpreter work (about 1.5 ms on an idle machine)."""
    total = 0
    for i in range(20_000):
        total += i * i % 7
    if total < 0:  # pragma: no cover - keeps the loop from being optimised into nothing
        raise AssertionError


def _round_trip() -> float:
    """Wall time of `_work()` plus one loopback TCP round trip to a thread of this process."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)

        def echo() -> None:
            conn, _ = server.accept()
            with conn:
                conn.sendall(conn.recv(16))

        t = threading.Thread(target=echo, daemon=True)
        started = time.perf_counter()
        t.start()
        with socket.create_connection(server.getsockname(), timeout=60) as c:
            c.sendall(b"ping")
            c.recv(16)
        _work()
        elapsed = time.perf_counter() - started
        t.join(60)
        return elapsed


def measure() -> float:
    """One calibration now: the median of a few round trips, in seconds."""
    samples = sorted(_round_trip() for _ in range(_SAMPLES))
    return samples[len(samples) // 2]


def slowness() -> float:
    """How many times slower than an idle machine this one is now (≥ 1)."""
    global _measured_at
    with _lock:
        now = time.monotonic()
        if not _history or now - _measured_at > REMEASURE_SECONDS:
            _history.append(measure() / REFERENCE_SECONDS)
            _measured_at = time.monotonic()
        floor = float(os.environ.get("CLAWGATE_TEST_SLOWNESS") or 1.0)
        return max(1.0, floor, statistics.median(_history), _load_per_core())


def _load_per_core() -> float:
    """The 1-minute load average per CPU: 2 means each runnable task gets about half a core."""
    try:
        return os.getloadavg()[0] / (os.cpu_count() or 1)
    except OSError:  # pragma: no cover - not available on this platform
        return 1.0


def limit(seconds: float) -> float:
    """`seconds` (generous on an idle machine) scaled to this machine's current slowness."""
    return seconds * slowness()


def timeout_for(measured: float, *, factor: float = 20.0, floor: float = 1.0) -> float:
    """A timeout meant to fire on a stalled answer but never on a normal one: `factor` times `measured` (a normal
    answer through the same path, timed just now), and at least `limit(floor)`."""
    return max(limit(floor), factor * measured)


def stopwatch() -> _Stopwatch:
    """`with stopwatch() as sw: ...` then `sw.seconds`."""
    return _Stopwatch()


class _Stopwatch:
    seconds: float = 0.0

    def __enter__(self) -> _Stopwatch:
        self._t0 = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self._t0
