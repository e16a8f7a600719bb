"""`gateway run --workers N`: one supervisor binds the port once and runs N worker processes that all serve
that socket (each a whole gateway: its own event loop, sharing state through the chosen engine — the home's
SQLite files by default, Redis and PostgreSQL when configured; docs/state.md).

The supervisor registers itself and every worker in the pidfile, forwards SIGTERM/SIGINT to the workers (each
drains), restarts a worker that dies (at most `MAX_RESTARTS` a minute), and exits when they are all gone. A
worker whose supervisor is killed stops by itself. With metrics on, the workers share one directory of metric
files, so any worker's `/metrics` answers for all of them (observability/multiprocess.py)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from typing import Any

from clawgate import logs as log
from clawgate.gateway.pidfile import remove_pidfile, write_pidfile
from clawgate.gateway.sockets import listen
from clawgate.paths import Paths

MAX_RESTARTS = 5  # per minute; beyond that the supervisor stops (something is wrong with the config)


class Supervisor:
    def __init__(
        self,
        paths: Paths,
        environ: dict[str, str],
        host: str,
        port: int,
        n: int,
        quiet: bool,
        metrics: bool = False,
    ) -> None:
        self.paths = paths
        self.environ = environ
        self.host = host
        self.port = port
        self.n = n
        self.quiet = quiet
        self.url = f"http://{host if ':' not in host else f'[{host}]'}:{port}"
        self.procs: list[subprocess.Popen[bytes] | None] = [None] * n
        self.restarts: list[float] = []
        self.stopping = False
        self.sock: socket.socket | None = None
        self.metrics = metrics  # observability.metrics.enabled: the workers share a metrics directory
        self.metrics_dir: str | None = None

    def _spawn(self, i: int) -> subprocess.Popen[bytes]:
        assert self.sock is not None
        fd = self.sock.fileno()
        cmd = [
            sys.executable,
            "-m",
            "clawgate",
            "gateway",
            "run",
            "--host",
            self.host,
            "--port",
            str(self.port),
            "--worker-fd",
            str(fd),
            "--worker-of",
            str(os.getpid()),
        ]
        if self.quiet or i > 0:
            cmd.append("--quiet")  # one banner on the console, every worker in the log
        env = dict(self.environ)
        env["CLAWGATE_HOME"] = str(self.paths.home)
        env["CLAWGATE_WORKER"] = str(i)
        if self.metrics_dir is not None:
            from clawgate.observability.multiprocess import worker_env

            env.update(worker_env(self.metrics_dir))
        return subprocess.Popen(cmd, env=env, pass_fds=(fd,), stdin=subprocess.DEVNULL)

    def _register(self) -> None:
        pids = [p.pid for p in self.procs if p is not None and p.poll() is None]
        write_pidfile(self.paths, self.url, self.host, self.port, workers=pids)

    def _on_signal(self, sig: int, frame: Any) -> None:
        if not self.stopping:
            self.stopping = True
            log.event("gateway.stopping", f"signal {sig}: stopping {self.n} worker(s)")
        for p in self.procs:
            if p is not None and p.poll() is None:
                try:
                    p.send_signal(signal.SIGTERM)
                except ProcessLookupError:
                    pass

    def _exited(self, p: subprocess.Popen[bytes]) -> None:
        """A worker is gone: its live gauges (requests in flight) leave the metrics' sum."""
        if self.metrics_dir is not None:
            from clawgate.observability.multiprocess import worker_exited

            worker_exited(p.pid, self.metrics_dir)

    def run(self, drain: float) -> int:
        self.sock = listen(self.host, self.port)
        if self.metrics:
            from clawgate.observability.multiprocess import prepare

            self.metrics_dir = prepare(self.paths)
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGINT, self._on_signal)
        try:
            for i in range(self.n):
                self.procs[i] = self._spawn(i)
            self._register()
            log.event(
                "gateway.supervisor",
                f"clawgate supervisor {os.getpid()} on {self.url}: {self.n} workers "
                f"({', '.join(str(p.pid) for p in self.procs if p)})",
                workers=[p.pid for p in self.procs if p],
            )
            return self._watch(drain)
        finally:
            self._on_signal(signal.SIGTERM, None)
            deadline = time.monotonic() + drain + 10
            for p in self.procs:
                if p is None:
                    continue
                try:
                    p.wait(max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait(5)
                self._exited(p)
            self.sock.close()
            if self.metrics_dir is not None:
                from clawgate.observability.multiprocess import finished

                finished(self.metrics_dir)
            remove_pidfile(self.paths)

    def _watch(self, drain: float) -> int:
        while True:
            time.sleep(0.2)
            if self.stopping:
                return 0
            for i, p in enumerate(self.procs):
                if p is None or p.poll() is None:
                    continue
                now = time.monotonic()
                self.restarts = [t for t in self.restarts if t > now - 60] + [now]
                if len(self.restarts) > MAX_RESTARTS:
                    log.event(
                        "gateway.workers_failing",
                        f"worker {i} exited with {p.returncode}; {MAX_RESTARTS} restarts in a minute: stopping",
                        level=40,
                    )
                    return 1
                self._exited(p)
                log.event(
                    "gateway.worker_restarted",
                    f"worker {i} (pid {p.pid}) exited with {p.returncode}; restarting",
                    level=30,
                )
                self.procs[i] = self._spawn(i)
                self._register()


def run_workers(
    paths: Paths, environ: dict[str, str], n: int, host: str | None, port: int | None, console: bool
) -> int:
    """Check the config as `gateway run` does, then supervise `n` workers on one listening socket."""
    from clawgate.gateway.server import prepare

    paths.ensure_home()
    log.setup(paths.logs_dir, console=console)
    rt, host, port = prepare(paths, environ, host, port)
    drain = rt.snapshot.config.gateway.drain_seconds
    metrics = rt.snapshot.config.observability.metrics.enabled
    rt.close()
    try:
        return Supervisor(paths, environ, host, port, n, quiet=not console, metrics=metrics).run(drain)
    finally:
        log.shutdown()
