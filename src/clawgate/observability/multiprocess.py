"""Metrics of a gateway with several worker processes (`gateway run --workers N`): what the parent process does.

    d = prepare(paths)                       # before starting workers: a fresh shared directory
    env[MULTIPROC_ENV] = d                   # in every worker's environment (see `worker_env`)
    worker_exited(pid, d)                    # when a worker ends: its in-flight gauge stops counting

Each worker then writes its values to its own memory-mapped files in that directory (prometheus_client's
multiprocess mode) and answers `/metrics` with the sum over all workers' files: one scrape target, whichever
worker the connection lands on. Counters and histograms keep an exited worker's counts (as a restart of a
single process would lose them, Prometheus' rate() handles both). `clawgate_credential_health` is computed by
the worker that answers, from the health state it reads (shared once state is, issue 13)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from clawgate.observability.metrics import MULTIPROC_ENV


def prepare(paths: Any) -> str:
    """A fresh `<CLAWGATE_HOME>/run/metrics` (the previous run's files removed), for the workers to share."""
    d = Path(paths.run_dir) / "metrics"
    if d.exists():
        shutil.rmtree(d)
    d.mkdir(parents=True, mode=0o700)
    return str(d)


def worker_env(directory: str) -> dict[str, str]:
    return {MULTIPROC_ENV: directory}


def worker_exited(pid: int, directory: str) -> None:
    """Drop an ended worker's live gauges (in-flight requests) from the sum."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(pid, directory)
