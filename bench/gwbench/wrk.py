"""Run wrk with `bench/wrk/post.lua` and parse the JSON line its `done()` prints."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

LUA = Path(__file__).resolve().parent.parent / "wrk" / "post.lua"
MARK = "GWBENCH_JSON "


def find_wrk() -> str | None:
    return shutil.which("wrk")


def version(wrk: str) -> str:
    try:
        out = subprocess.run([wrk, "-v"], capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.TimeoutExpired):
        return "?"
    text = (out.stdout + out.stderr).strip().splitlines()
    return text[0].split(" Copyright")[0] if text else "?"


def parse(stdout: str) -> dict[str, Any]:
    for line in stdout.splitlines():
        if line.startswith(MARK):
            data = json.loads(line[len(MARK) :])
            lat = data["latency_us"]
            data["errors_total"] = sum(data["errors"].values())
            data["seconds"] = data["duration_us"] / 1e6
            data["rps"] = data["requests"] / data["seconds"] if data["seconds"] else 0.0
            pct = lat["percentiles"]
            data["latency_ms"] = {
                "p50": pct["50"] / 1000,
                "p75": pct["75"] / 1000,
                "p90": pct["90"] / 1000,
                "p99": pct["99"] / 1000,
                "p99.9": pct["99.9"] / 1000,
                "min": lat["min"] / 1000,
                "max": lat["max"] / 1000,
                "mean": lat["mean"] / 1000,
            }
            return data
    raise ValueError(f"no {MARK.strip()} line in wrk's output:\n{stdout[-2000:]}")


def run(
    wrk: str,
    url: str,
    body_file: Path,
    concurrency: int,
    seconds: float,
    token: str | None = None,
    timeout_s: float = 10.0,
) -> dict[str, Any]:
    """One closed-loop wrk run (`-t1`, keep-alive); raises on a wrk failure."""
    argv = [
        wrk,
        "-t1",
        f"-c{concurrency}",
        f"-d{max(1, round(seconds))}s",
        f"--timeout={int(timeout_s)}s",
        "--latency",
        "-s",
        str(LUA),
        url,
        "--",
        str(body_file),
        token or "",
    ]
    out = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + timeout_s + 15)
    if out.returncode != 0:
        raise RuntimeError(f"wrk exited {out.returncode}: {out.stderr.strip() or out.stdout.strip()}")
    return parse(out.stdout)
