"""Nothing blocks the gateway's event loop: after a reload, the first call resolves its credentials (an `exec`
SecretRef that takes seconds) off the loop, and /api/status builds its answer off the loop too. Measured as the
latency of /healthz requests sent while they run, against the same requests' latency when the gateway is idle."""

from __future__ import annotations

import concurrent.futures
import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from clawgate.emulator import EmulatorThread

from .conftest import OPENAI_KEY, TOKEN, Gateway, base_config, base_dotenv, gateway_for, wait_until

STALL = 3.0  # seconds the secret command takes


def _healthz(gw: Gateway) -> float:
    t0 = time.monotonic()
    httpx.get(gw.url + "/healthz", timeout=30).raise_for_status()
    return time.monotonic() - t0


def _reload(gw: Gateway, cfg: dict[str, Any], n: int) -> None:
    cfg.setdefault("env", {}).setdefault("vars", {})["CG_RELOAD_MARK"] = str(n)
    gw.home.config(cfg)
    log = gw.home.path / "logs" / "gateway.log"

    def reloaded() -> bool:
        try:
            lines = log.read_text().splitlines()
        except OSError:
            return False
        return sum(1 for ln in lines if '"config.reloaded"' in ln) >= n

    wait_until(reloaded, 30, what=f"reload {n}")


def _blocked_while(gw: Gateway, work: Callable[[], Any]) -> float:
    """The slowest /healthz latency while `work` runs in another thread."""
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        job = pool.submit(work)
        time.sleep(0.3)
        worst = max(_healthz(gw) for _ in range(3))
        job.result(timeout=60)
    return worst


def _slow_secret_gateway(emulator: EmulatorThread, tmp_path: Path) -> tuple[Any, dict[str, Any]]:
    script = tmp_path / "slow-secret.sh"
    script.write_text(f"#!/bin/sh\nsleep {STALL}\necho {OPENAI_KEY}\n")
    script.chmod(0o755)
    cfg = base_config(emulator)
    cfg["secrets"] = {"providers": {"slow": {"source": "exec", "command": str(script), "timeoutMs": 20000}}}
    cfg["models"]["providers"]["openai"]["apiKey"] = {"source": "exec", "provider": "slow", "id": "openai"}
    dotenv = base_dotenv().replace(f"OPENAI_API_KEY={OPENAI_KEY}\n", "")
    return gateway_for(tmp_path, json.loads(json.dumps(cfg)), dotenv, timeout=60), cfg


def _limit(gw: Gateway) -> tuple[float, float]:
    idle = statistics.median(_healthz(gw) for _ in range(5))
    return idle, max(1.0, 10 * idle)  # far below STALL: a blocked loop shows as ~STALL seconds


def test_the_first_call_after_a_reload_resolves_secrets_off_the_loop(
    emulator: EmulatorThread, tmp_path: Path
) -> None:
    running, cfg = _slow_secret_gateway(emulator, tmp_path)
    with running as gw:
        idle, limit = _limit(gw)
        _reload(gw, cfg, 1)

        def first_call() -> None:
            r = httpx.post(
                gw.url + "/v1/chat/completions",
                json={"model": "openai/gpt-4o", "messages": [{"role": "user", "content": "hi"}]},
                headers={"Authorization": f"Bearer {TOKEN}"},
                timeout=60,
            )
            assert r.status_code == 200, r.text

        worst = _blocked_while(gw, first_call)
        assert worst < limit, (
            f"/healthz took {worst:.2f}s during the first call after a reload (idle {idle:.3f}s)"
        )


def test_status_is_built_off_the_loop(emulator: EmulatorThread, tmp_path: Path) -> None:
    running, cfg = _slow_secret_gateway(emulator, tmp_path)
    with running as gw:
        idle, limit = _limit(gw)
        _reload(gw, cfg, 1)
        worst = _blocked_while(gw, gw.status)
        assert worst < limit, f"/healthz took {worst:.2f}s while /api/status ran (idle {idle:.3f}s)"
