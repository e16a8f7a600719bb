"""Done when 2: spans reach a real OTLP receiver (Arize Phoenix, over OTLP/HTTP protobuf from the SDK's exporter)
with the GenAI attributes, the owner and the fingerprint; a client's `traceparent` is their parent; message
content stays out unless the operator opts in. One test (one gateway, one receiver per run of the suite)."""

from __future__ import annotations

import json
import secrets
from typing import Any

import pytest
from tests.support.gateway import run_cli
from tests.support.ports import wait_until

from clawgate.emulator import EmulatorThread
from clawgate.redaction import fingerprint

from .e2e import GROQ_KEY_1, GROQ_KEY_2, OPENAI_KEY, TOKEN, gateway, scripted_run

# the receiver's start-up (its own deadline: 180 s) counts toward this test's time; on a loaded machine it and the
# gateway's start can take minutes, so the test's own bound is theirs plus the run
pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]


def _exporting(gw: Any) -> dict[str, Any] | None:
    otlp = gw.status()["observability"]["otlp"]
    return otlp if otlp["state"] == "ok" and otlp["exported_spans"] > 0 else None


def test_spans_reach_a_real_otlp_receiver_as_children_of_the_clients_traceparent(
    phoenix: Any, emulator: EmulatorThread, tmp_path_factory: pytest.TempPathFactory
) -> None:
    trace_id, parent_id = secrets.token_hex(16), secrets.token_hex(8)
    obs = {"otlp": {"endpoint": phoenix.otlp_endpoint}}
    with gateway(tmp_path_factory.mktemp("traced"), emulator, obs) as gw:
        run = scripted_run(gw, emulator, headers={"traceparent": f"00-{trace_id}-{parent_id}-01"})
        # the gateway says its export works (/api/status, clawgate status); doctor's check finds the receiver
        otlp = wait_until(
            lambda: _exporting(gw), 60, what="the gateway to report spans exported", describe=gw.output
        )
        assert otlp["endpoint"] == phoenix.otlp_endpoint + "/v1/traces" and otlp["failed_exports"] == 0
        doctor = json.loads(run_cli(gw.home, "doctor", "--json", timeout=60).stdout)
        assert not [f for f in doctor["findings"] if f["code"].startswith("observability.")]
        assert "exporting (" in run_cli(gw.home, "status", timeout=60).stdout
        status = gw.stop()  # SIGTERM: the gateway exports what is queued before it exits
    assert status == 0
    tries = sum(run.upstream_statuses.values())
    spans = phoenix.trace(trace_id, at_least=run.requests + tries)
    servers = [s for s in spans if s["parent_id"] == parent_id]
    by_id = {s["context"]["span_id"]: s for s in servers}
    clients = [s for s in spans if s["parent_id"] in by_id]
    # one span per client request (children of the client's span), one per upstream try (children of those)
    assert len(servers) == run.requests == 9
    assert len(clients) == tries == 12
    assert len(spans) == run.requests + tries
    for s in servers:
        a = s["attributes"]
        assert a["gen_ai.operation.name"] == "chat" and a["clawgate.api"] == "openai-completions"
        assert "gen_ai.input.messages" not in a and "gen_ai.output.messages" not in a  # content is opt-in
    answered = [s for s in servers if s["attributes"]["http.response.status_code"] == 200]
    assert len(answered) == 7
    for s in answered:
        a = s["attributes"]
        assert a["gen_ai.usage.input_tokens"] > 0 and a["gen_ai.usage.output_tokens"] > 0
        assert a["gen_ai.provider.name"] in ("openai", "anthropic", "groq")
        assert a["clawgate.credential.fingerprint"].count("…") == 1
        assert a["gen_ai.response.model"]  # as the provider named it (plain bodies and streams' first events)
    assert sum(s["attributes"]["gen_ai.usage.input_tokens"] for s in answered) == run.input_tokens
    failed = {s["attributes"]["clawgate.owner"]: s for s in servers if "error.type" in s["attributes"]}
    assert set(failed) == {"context", "request"}
    assert failed["context"]["attributes"]["error.type"] == "context.exceeded"
    assert failed["request"]["attributes"]["error.type"] == "model.unknown"
    assert failed["context"]["status_code"] == "ERROR"
    # upstream tries: the rate-limited ones, the failover's answer, the rejected key and the next one
    rl = [c for c in clients if c["attributes"].get("error.type") == "rate_limit.exceeded"]
    assert len(rl) == 3 and {c["attributes"]["gen_ai.provider.name"] for c in rl} == {"openai"}
    assert {c["attributes"]["clawgate.owner"] for c in rl} == {"rate_limit"}
    assert {c["attributes"]["gen_ai.request.model"] for c in rl} == {"gpt-4o-mini"}
    fallback = [c for c in clients if c["attributes"]["gen_ai.provider.name"] == "anthropic"]
    assert len(fallback) == 1 and "error.type" not in fallback[0]["attributes"]
    assert by_id[fallback[0]["parent_id"]] is by_id[rl[0]["parent_id"]]  # same client request
    groq = sorted(
        (c for c in clients if c["attributes"]["gen_ai.provider.name"] == "groq"), key=lambda c: c["end_time"]
    )
    assert [c["attributes"].get("error.type") for c in groq] == ["auth.rejected", None]
    assert groq[0]["attributes"]["clawgate.owner"] == "provider_auth"
    assert [c["attributes"]["clawgate.credential.fingerprint"] for c in groq] == [
        fingerprint(GROQ_KEY_1),
        fingerprint(GROQ_KEY_2),
    ]
    assert groq[1]["attributes"]["gen_ai.usage.output_tokens"] > 0
    assert {c["attributes"]["server.address"] for c in clients} == {"127.0.0.1"}
    streams = [c for c in clients if "gen_ai.response.time_to_first_chunk" in c["attributes"]]
    assert len(streams) == 2
    assert all(c["attributes"]["gen_ai.response.model"] == "gpt-4o" for c in streams)
    text = repr(spans)
    for secret in (OPENAI_KEY, GROQ_KEY_1, GROQ_KEY_2, TOKEN):
        assert secret not in text
