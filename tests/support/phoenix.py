"""A real OTLP receiver for the tracing tests: Arize Phoenix (an OpenTelemetry trace backend from PyPI, installed
into .venv-phoenix by scripts/otlp-receiver.sh), on free loopback ports below the kernel's ephemeral range (it takes
many seconds to bind them, and an ephemeral port can be handed to someone else meanwhile; a start that still finds
its port taken is retried on fresh ones), with a temp working dir, telemetry and every external fetch off, readiness
polled with a deadline, stopped by its handle. It takes OTLP/HTTP protobuf at /v1/traces, stores the
spans (SQLite) and serves them back over its REST API with their trace ids, parent ids and attributes."""

from __future__ import annotations

import contextlib
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from . import procs
from .env import SCRUB
from .ports import PORT_TRIES, PortTaken, port_taken, quiet_port, wait_until

REPO = Path(__file__).resolve().parents[2]
EXE = REPO / ".venv-phoenix" / "bin" / "phoenix"


@dataclass
class PhoenixServer:
    proc: subprocess.Popen[bytes]
    port: int
    log_path: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def otlp_endpoint(self) -> str:
        """What `observability.otlp.endpoint` is set to (clawgate adds /v1/traces)."""
        return self.url

    def output(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-4000:]
        except OSError:
            return ""

    def spans(self, project: str = "default") -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        cursor = None
        while True:
            params: dict[str, Any] = {"limit": 1000}
            if cursor:
                params["cursor"] = cursor
            r = httpx.get(f"{self.url}/v1/projects/{project}/spans", params=params, timeout=10)
            if r.status_code == 404:
                return out  # no span has arrived in this project yet
            r.raise_for_status()
            body = r.json()
            out.extend(body["data"])
            cursor = body.get("next_cursor")
            if not cursor:
                return out

    def trace(self, trace_id: str, at_least: int, timeout: float = 60.0) -> list[dict[str, Any]]:
        """The spans of `trace_id` (hex), once at least `at_least` of them have arrived."""

        def got() -> list[dict[str, Any]] | None:
            spans = [s for s in self.spans() if s["context"]["trace_id"] == trace_id]
            return spans if len(spans) >= at_least else None

        found: list[dict[str, Any]] = wait_until(
            got,
            timeout,
            interval=0.3,
            what=f"{at_least} spans of trace {trace_id} in Phoenix",
            describe=self.output,
        )
        return found

    def stop(self) -> None:
        procs.stop(self.proc, 30)


def available() -> bool:
    return EXE.exists()


@contextlib.contextmanager
def running_phoenix(
    workdir: Path, environ: dict[str, str], timeout: float = 180.0
) -> Iterator[PhoenixServer]:
    assert available(), f"{EXE} is missing: run scripts/otlp-receiver.sh"
    workdir.mkdir(parents=True, exist_ok=True)
    for attempt in range(1, PORT_TRIES + 1):
        server = _start(workdir, environ)
        try:
            _wait_ready(server, timeout)
        except PortTaken:
            server.stop()
            if attempt == PORT_TRIES:
                raise
            continue
        except BaseException:
            server.stop()
            raise
        break
    try:
        yield server
    finally:
        server.stop()


def _start(workdir: Path, environ: dict[str, str]) -> PhoenixServer:
    port, grpc = quiet_port(), quiet_port()
    while grpc == port:
        grpc = quiet_port()
    env = {k: v for k, v in environ.items() if k not in SCRUB and not k.startswith(("PHOENIX_", "OTEL_"))}
    env.update(
        PHOENIX_HOST="127.0.0.1",
        PHOENIX_PORT=str(port),
        PHOENIX_GRPC_PORT=str(grpc),
        PHOENIX_WORKING_DIR=str(workdir),
        PHOENIX_TELEMETRY_ENABLED="false",
        PHOENIX_ALLOW_EXTERNAL_RESOURCES="false",
        PHOENIX_DISABLE_AGENT_ASSISTANT="true",
        HOME=str(workdir),
    )
    log_path = workdir / f"phoenix-{port}.log"
    with log_path.open("ab") as out:
        proc = subprocess.Popen(
            [str(EXE), "serve"],
            env=env,
            cwd=workdir,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    return PhoenixServer(proc, port, log_path)


def _wait_ready(server: PhoenixServer, timeout: float) -> None:
    try:
        procs.wait_answering(
            server.proc, f"{server.url}/healthz", "Phoenix", server.output, timeout, interval=0.2
        )
    except AssertionError as e:
        if server.proc.poll() is not None and port_taken(server.output()):
            raise PortTaken(str(e)) from e
        raise
