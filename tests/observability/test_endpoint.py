"""Where /metrics is served and who may read it: a listener of its own (`observability.metrics.listen`), with or
without the token; metrics switched off; the config keys' checks naming the key at fault."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.support.ports import free_port, wait_until

from clawgate.emulator import EmulatorThread

from .e2e import TOKEN, gateway


def test_a_listener_of_its_own_serves_metrics_and_the_gateway_address_does_not(
    emulator: EmulatorThread, tmp_path: Path
) -> None:
    port = free_port()
    obs = {"metrics": {"listen": f"127.0.0.1:{port}", "requireToken": False}}
    with gateway(tmp_path, emulator, obs) as gw:
        r = httpx.post(
            gw.url + "/v1/chat/completions",
            headers=gw.headers(),
            json={"model": "openai/gpt-4o", "messages": [{"role": "user", "content": "hi"}]},
            timeout=20,
        )
        assert r.status_code == 200
        got = wait_until(
            lambda: _get(f"http://127.0.0.1:{port}/metrics"),
            20,
            what="the metrics listener",
            describe=gw.output,
        )
        assert got.status_code == 200
        assert (
            'gen_ai_server_request_duration_seconds_count{error_type="",gen_ai_operation_name="chat"'
            in got.text
        )
        assert httpx.get(gw.url + "/metrics", headers=gw.headers(), timeout=10).status_code == 404


def test_the_separate_listener_checks_the_token_by_default(emulator: EmulatorThread, tmp_path: Path) -> None:
    port = free_port()
    with gateway(tmp_path, emulator, {"metrics": {"listen": f"127.0.0.1:{port}"}}) as gw:
        url = f"http://127.0.0.1:{port}/metrics"
        denied = wait_until(lambda: _get(url), 20, what="the metrics listener", describe=gw.output)
        assert denied.status_code == 401 and denied.headers["x-clawgate-owner"] == "gateway_auth"
        assert httpx.get(url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10).status_code == 200


def _get(url: str, **kw: Any) -> httpx.Response | None:
    """The listener starts once the gateway listens (a start-up hook): poll until it answers."""
    try:
        return httpx.get(url, timeout=5, **kw)
    except httpx.ConnectError:
        return None


def test_metrics_off(emulator: EmulatorThread, tmp_path: Path) -> None:
    with gateway(tmp_path, emulator, {"metrics": {"enabled": False}}) as gw:
        r = httpx.get(gw.url + "/metrics", headers=gw.headers(), timeout=10)
        assert r.status_code == 404


@pytest.mark.parametrize(
    ("obs", "key"),
    [
        ({"metrics": {"listen": "9464"}}, "observability.metrics.listen"),
        ({"otlp": {"endpoint": "localhost:4318"}}, "observability.otlp.endpoint"),
        ({"tracing": {"sampleRatio": 2}}, "observability.tracing.sampleRatio"),
        ({"otlp": {"endpont": "http://x"}}, "did you mean 'endpoint'"),
    ],
)
def test_bad_observability_settings_name_the_key(home: Any, obs: dict[str, Any], key: str) -> None:
    home.config({"observability": obs})
    r = subprocess.run(
        [sys.executable, "-m", "clawgate", "config", "validate"],
        env=home.env(),
        capture_output=True,
        text=True,
    )
    assert r.returncode != 0
    assert key in r.stdout + r.stderr
