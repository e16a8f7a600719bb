"""Metrics of a gateway with several worker processes (`gateway run --workers N`): what the supervisor does
(gateway/workers.py).

    d = prepare(paths)                       # before starting workers: a fresh shared directory
    env.update(worker_env(d))                # in every worker's environment
    worker_exited(pid, d)                    # when a worker ends: its in-flight gauge stops counting
    finished(d)                              # when the last worker is gone

Each worker then writes its values to its own memory-mapped files in that directory (prometheus_client's
multiprocess mode) and answers `/metrics` with the sum over all workers' files: one scrape target, whichever
worker the connection lands on. Counters and histograms keep an exited worker's counts (a restarted worker's
new files add to them, so nothing a scrape saw goes backwards). `clawgate_credential_health` is computed by the
worker that answers, from the health every process shares (docs/state.md)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from clawgate.observability.metrics import METRICS_DIR_ENV, MULTIPROC_ENV


def prepare(paths: Any) -> str:
    """A fresh `<CLAWGATE_HOME>/run/metrics` (the previous run's files removed), for the workers to share."""
    d = Path(paths.run_dir) / "metrics"
    if d.exists():
        shutil.rmtree(d)
    d.mkdir(parents=True, mode=0o700)
    return str(d)


def worker_env(directory: str) -> dict[str, str]:
    """What a worker's environment needs to write into, and read, the shared directory."""
    return {METRICS_DIR_ENV: directory, MULTIPROC_ENV: directory}


def worker_exited(pid: int, directory: str) -> None:
    """Drop an ended worker's live gauges (in-flight requests) from the sum."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(pid, directory)


def finished(directory: str) -> None:
    """Every worker is gone: the directory goes too (the next run starts from zero, as a single process does)."""
    shutil.rmtree(directory, ignore_errors=True)
