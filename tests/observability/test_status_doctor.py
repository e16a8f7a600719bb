"""Observability in `/api/status`, `clawgate status` and `clawgate doctor`: where /metrics is, where traces go and
whether exporting them works — an OTLP endpoint nobody listens on (the running gateway's exports fail and say
why; doctor's own check finds it unreachable), one that answers with an error (a real HTTP server that is no
OTLP receiver: rejected), none configured (nothing to say). A receiver that works is in test_otlp_traces.py."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from tests.support.gateway import run_cli
from tests.support.ports import free_port, wait_until

from clawgate.diagnose.commands import is_runnable
from clawgate.emulator import EmulatorThread
from clawgate.failures.codes import CODES

from .e2e import gateway

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]
MSGS = [{"role": "user", "content": "hello"}]


def _observability(gw: Any) -> dict[str, Any]:
    return gw.status()["observability"]


def _otlp_when(gw: Any, state: str) -> dict[str, Any] | None:
    otlp = _observability(gw)["otlp"]
    return otlp if otlp["state"] == state else None


def _cli_json(gw: Any, *args: str) -> dict[str, Any]:
    r = run_cli(gw.home, *args, "--json", timeout=60)
    assert r.stdout, r.stderr
    return json.loads(r.stdout)


def _checked(finding: dict[str, Any]) -> None:
    """A registered code with its owner, and next commands that run as printed."""
    assert CODES[finding["code"]].owner == finding["owner"], finding
    assert finding["next"] and all(is_runnable(c) for c in finding["next"]), finding


def test_an_endpoint_nobody_listens_on(emulator: EmulatorThread, tmp_path: Any) -> None:
    closed = free_port()  # nothing listens there
    obs = {"otlp": {"endpoint": f"http://127.0.0.1:{closed}", "timeoutSeconds": 1}}
    with gateway(tmp_path, emulator, obs) as gw:
        view = _observability(gw)
        assert view["metrics"]["url"] == f"{gw.url}/metrics" and view["metrics"]["token_required"] is True
        assert view["otlp"]["endpoint"] == f"http://127.0.0.1:{closed}/v1/traces"
        assert view["otlp"]["state"] == "idle"  # nothing to export yet
        r = httpx.post(
            gw.url + "/v1/chat/completions",
            headers=gw.headers(),
            json={"model": "openai/gpt-4o", "messages": MSGS},
            timeout=30,
        )
        assert r.status_code == 200  # model calls are not affected
        # the batch goes out after the SDK's schedule delay (5 s) and its retries (timeoutSeconds)
        otlp = wait_until(
            lambda: _otlp_when(gw, "failing"),
            60,
            what="the gateway to report its failing export",
            describe=gw.output,
        )
        assert otlp["failed_exports"] >= 1 and otlp["dropped_spans"] >= 2 and otlp["exported_spans"] == 0
        assert "refused" in otlp["last_error"].lower(), otlp
        status = _cli_json(gw, "status")
        assert status["observability"]["otlp"]["state"] == "failing"
        [found] = status["observability"]["findings"]
        assert found["code"] == "observability.otlp_unreachable" and "refused" in found["message"].lower()
        doctor = _cli_json(gw, "doctor")
        [f] = [f for f in doctor["findings"] if f["code"].startswith("observability.")]
        assert f["code"] == "observability.otlp_unreachable" and f["severity"] == "warn"
        assert f"127.0.0.1:{closed}" in f["message"] and "observability.otlp.endpoint" in f["message"]
        _checked(f)
        text = run_cli(gw.home, "status").stdout
        assert "traces    → " in text and "failing" in text and "metrics   " + gw.url + "/metrics" in text
        assert gw.output().count("Traceback") == 0 and "Failed to export" not in gw.output()  # not on stderr


def test_an_endpoint_that_is_no_otlp_receiver(emulator: EmulatorThread, tmp_path: Any) -> None:
    """A real HTTP server that answers /v1/traces with 404: doctor says the endpoint refuses the export."""
    obs = {"otlp": {"endpoint": emulator.base_url("openai")}}
    with gateway(tmp_path, emulator, obs) as gw:
        doctor = _cli_json(gw, "doctor")
        [f] = [f for f in doctor["findings"] if f["code"].startswith("observability.")]
        assert f["code"] == "observability.otlp_rejected" and f["evidence"]["status"] == 404, f
        _checked(f)


def test_no_endpoint_nothing_to_say(emulator: EmulatorThread, tmp_path: Any) -> None:
    with gateway(tmp_path, emulator) as gw:
        view = _observability(gw)
        assert view["otlp"] == {"configured": None, "endpoint": None, "state": "off"}
        assert view["restart_needed"] is False
        doctor = _cli_json(gw, "doctor")
        assert not [f for f in doctor["findings"] if f["code"].startswith("observability.")]
        assert "traces    off" in run_cli(gw.home, "status").stdout


def test_an_endpoint_naming_an_unset_variable(home: Any) -> None:
    """The gateway starts without traces and says why; doctor names the variable and the command that sets it."""
    from clawgate.call.runtime import Runtime
    from clawgate.gateway.app import GatewayApp
    from clawgate.observability.report import check_otlp, status_view
    from clawgate.paths import Paths

    home.config({"observability": {"otlp": {"endpoint": "${OTLP_COLLECTOR_URL}"}}})
    env = home.env()
    rt = Runtime(Paths.discover(env), env, cwd=None, persist=False)
    try:
        [f] = check_otlp(rt.snapshot)
        assert f["code"] == "env.unresolved_ref" and f["subject"] == {"key": "observability.otlp.endpoint"}
        assert f["next"] == [
            "clawgate env set OTLP_COLLECTOR_URL",
            "clawgate config unset observability.otlp.endpoint",
        ]
        otlp = status_view(GatewayApp(rt))["otlp"]
        assert otlp["state"] == "not_started" and "OTLP_COLLECTOR_URL" in otlp["error"], otlp
    finally:
        rt.close()
