"""A real Prometheus server (Debian's `prometheus`, installed by scripts/system-deps.sh) for the metrics tests:
its own temp config and storage dir, a free loopback port, readiness polled with a deadline, stopped by its
handle (never the system service). Targets are given through a file_sd file, so one server scrapes each
test's gateway in turn; the scrape sends a bearer token from a file, as a production scrape config would."""

from __future__ import annotations

import contextlib
import json
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from . import procs
from .ports import quiet_port, wait_until

CONFIG = """\
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: clawgate
    metrics_path: /metrics
    authorization:
      type: Bearer
      credentials_file: {token}
    file_sd_configs:
      - files: [{targets}]
        refresh_interval: 1s
"""


def binary() -> str | None:
    return shutil.which("prometheus")


@dataclass
class PrometheusServer:
    proc: subprocess.Popen[bytes]
    port: int
    workdir: Path
    log_path: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-4000:]
        except OSError:
            return ""

    def scrape(self, target: str, token: str, timeout: float = 60.0) -> None:
        """Scrape `target` (host:port) with `token` from now on, and wait until a scrape of it succeeded."""
        (self.workdir / "token").write_text(token)
        tmp = self.workdir / "targets.json.tmp"
        tmp.write_text(json.dumps([{"targets": [target], "labels": {"instance_name": "gateway"}}]))
        tmp.replace(self.workdir / "targets.json")

        def up() -> bool:
            data = self.api("targets", state="active")
            return any(
                t["scrapeUrl"].startswith(f"http://{target}/") and t["health"] == "up"
                for t in data["activeTargets"]
            )

        wait_until(up, timeout, interval=0.2, what=f"Prometheus to scrape {target}", describe=self.output)

    def api(self, endpoint: str, **params: Any) -> Any:
        r = httpx.get(f"{self.url}/api/v1/{endpoint}", params=params, timeout=10)
        body = r.json()
        if r.status_code != 200 or body.get("status") != "success":
            raise AssertionError(f"Prometheus /api/v1/{endpoint} {params}: {r.status_code} {body}")
        return body["data"]

    def query(self, promql: str) -> list[dict[str, Any]]:
        """An instant vector query; returns its samples ([{"metric": {...}, "value": [ts, "v"]}])."""
        data = self.api("query", query=promql)
        assert data["resultType"] == "vector", data
        return list(data["result"])

    def value(self, promql: str) -> float | None:
        """The single value of a query (None when it has no sample)."""
        res = self.query(promql)
        assert len(res) <= 1, res
        return float(res[0]["value"][1]) if res else None

    def by(self, promql: str, label: str) -> dict[str, float]:
        return {s["metric"].get(label, ""): float(s["value"][1]) for s in self.query(promql)}

    def wait_scraped_after(self, t: float, timeout: float = 30.0) -> None:
        """Wait until the target was scraped after wall-clock time `t` (so the values include all before t)."""

        def scraped() -> bool:
            ts = self.value("max(timestamp(up))")
            return ts is not None and ts > t

        wait_until(
            scraped, timeout, interval=0.2, what="a Prometheus scrape after the run", describe=self.output
        )

    def stop(self) -> None:
        procs.stop(self.proc, 20)


@contextlib.contextmanager
def running_prometheus(workdir: Path, timeout: float = 90.0) -> Iterator[PrometheusServer]:
    exe = binary()
    assert exe, "prometheus is not installed (scripts/system-deps.sh installs Debian's package)"
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "token").write_text("none-yet")
    (workdir / "targets.json").write_text("[]")
    cfg = workdir / "prometheus.yml"
    cfg.write_text(CONFIG.format(token=workdir / "token", targets=workdir / "targets.json"))
    port = quiet_port()  # below the ephemeral range: it binds only after start-up
    log_path = workdir / "prometheus.log"
    argv = [
        exe,
        f"--config.file={cfg}",
        f"--storage.tsdb.path={workdir / 'data'}",
        f"--web.listen-address=127.0.0.1:{port}",
        "--storage.tsdb.retention.time=1h",
        "--log.level=warn",
    ]
    with log_path.open("ab") as out:
        proc = subprocess.Popen(
            argv, cwd=workdir, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT
        )
    server = PrometheusServer(proc, port, workdir, log_path)
    try:
        procs.wait_answering(proc, f"{server.url}/-/ready", "Prometheus", server.output, timeout)
        yield server
    finally:
        server.stop()
