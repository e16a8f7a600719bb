"""Every cache and table in memory has a bound: 20,000 distinct model names sent to a running gateway leave its
resident memory within 10 MB of where it started (done-when 6; the plan cache was keyed by the client's model
string without a bound: ~47 MB for 20k names)."""

from __future__ import annotations

import concurrent.futures
from pathlib import Path

import httpx
import pytest

from clawgate.emulator import EmulatorThread

from .conftest import TOKEN, Gateway, base_config, gateway_for

NAMES = 20_000
WARMUP = 500
LIMIT_BYTES = 10 * 1024 * 1024


def rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


def _send(gw: Gateway, names: range, prefix: str) -> int:
    refused = 0
    with httpx.Client(base_url=gw.url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30) as c:
        for i in names:
            body = {"model": f"strict/{prefix}-{i}", "messages": [{"role": "user", "content": "hi"}]}
            r = c.post("/v1/chat/completions", json=body)
            refused += r.status_code == 404
    return refused


def _many(gw: Gateway, n: int, prefix: str) -> int:
    step = n // 4
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        parts = [pool.submit(_send, gw, range(k * step, (k + 1) * step), prefix) for k in range(4)]
        return sum(p.result() for p in parts)


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_twenty_thousand_model_names_stay_within_ten_megabytes(
    emulator: EmulatorThread, tmp_path: Path
) -> None:
    cfg = base_config(emulator)
    # a provider with a model list: an unlisted name is planned in full (provider, credential, host) and
    # refused before anything is sent, so the measurement is the gateway's own memory, not upstream traffic
    cfg["models"]["providers"]["strict"] = {
        "baseUrl": emulator.base_url("openai"),
        "api": "openai-completions",
        "apiKey": "${OPENAI_API_KEY}",
        "models": [{"id": "known"}],
    }
    with gateway_for(tmp_path, cfg) as gw:
        assert _many(gw, WARMUP, "warm") == WARMUP  # lazy imports, pools, the store's pages: all warm
        start = rss(gw.proc.pid)
        refused = _many(gw, NAMES, "name")
        grown = rss(gw.proc.pid) - start
    print(f"RSS {start / 2**20:.1f} MB after warm-up, grew {grown / 2**20:.2f} MB for {NAMES} names")
    assert refused == NAMES
    assert grown < LIMIT_BYTES, f"RSS grew {grown / 2**20:.1f} MB for {NAMES} distinct model names"
