"""Spans on their own (the SDK's in-memory exporter): the server span takes the client's traceparent as its
parent, each sent try is a CLIENT child with the GenAI attributes, owner and fingerprint, a try refused before
sending is an event; content only when the operator opts in, and redacted then."""

from __future__ import annotations

import time
from typing import Any

from opentelemetry.trace import SpanKind, StatusCode

from clawgate.call.executor import CallOutcome, CallRequest, TryResult
from clawgate.dialects.internal import Usage
from clawgate.failures import Failure
from clawgate.observability.observer import Observer
from clawgate.observability.tracing import Tracing, traces_url
from clawgate.redaction import fingerprint

from .conftest import OPENAI_KEY, OPENAI_KEY_2

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_ID = "00f067aa0ba902b7"
TRACEPARENT = f"00-{TRACE_ID}-{PARENT_ID}-01".encode()
BODY = b'{"id":"r1","object":"chat.completion","model":"gpt-4o-2024-08-06","choices":[{"index":0,"message":{"role":"assistant","content":"hello there"},"finish_reason":"stop"}],"usage":{"prompt_tokens":12,"completion_tokens":3}}'


def run_call(obs: Observer, runtime: Any, headers: list[tuple[bytes, bytes]], content: str = "hi") -> None:
    plan = runtime.plan(None, "openai/gpt-4o")
    att = plan.attempts[0]
    first, second = att.credential.distinct_usable()
    scope: dict[str, Any] = {
        "type": "http",
        "method": "POST",
        "path": "/v1/chat/completions",
        "headers": headers,
        "client": ("127.0.0.1", 4000),
    }
    t0 = time.perf_counter()
    obs.request_started(scope, "openai-completions")
    raw = {
        "model": "openai/gpt-4o",
        "messages": [{"role": "system", "content": "be brief"}, {"role": "user", "content": content}],
    }
    req = CallRequest(stream=False, client_api="openai-completions", raw=raw, agent="main")
    obs.request_parsed(scope, "openai/gpt-4o", req)
    cooling = Failure(owner="rate_limit", code="health.cooling", message="cooling", provider="openai")
    obs.attempt_finished(req, TryResult(att, first, False, cooling, sent=False), None)
    rejected = Failure(
        owner="provider_auth", code="auth.rejected", message="openai rejected the key", provider="openai"
    )
    obs.attempt_finished(req, TryResult(att, first, False, rejected, status=401, latency_ms=20.0), None)
    usage = Usage(input_tokens=12, output_tokens=3, cached_tokens=0)
    ok = TryResult(att, second, True, None, status=200, latency_ms=80.0, first_byte_ms=30.0, try_no=0)
    obs.attempt_finished(req, ok, usage)
    out = CallOutcome(
        ok=True,
        call_id="call-1",
        tries=[ok],
        attempt=att,
        cred=second,
        api="openai-completions",
        body=BODY,
        usage=usage,
    )
    obs.request_finished(scope, "openai-completions", 200, t0, out, 0.3, None)
    obs.request_done(scope)


def finished(tracing: Tracing, spans: Any) -> list[Any]:
    tracing.processor.force_flush()
    return list(spans.get_finished_spans())


def test_a_clients_traceparent_is_the_parent_and_every_sent_try_is_a_client_child(
    runtime: Any, tracing: Tracing, spans: Any
) -> None:
    run_call(
        Observer(None, tracing),
        runtime,
        [(b"traceparent", TRACEPARENT), (b"content-type", b"application/json")],
    )
    got = finished(tracing, spans)
    server = [s for s in got if s.kind == SpanKind.SERVER]
    clients = sorted((s for s in got if s.kind == SpanKind.CLIENT), key=lambda s: s.end_time)
    assert len(server) == 1 and len(clients) == 2  # the refused-before-sending try is no span
    srv = server[0]
    assert f"{srv.context.trace_id:032x}" == TRACE_ID
    assert f"{srv.parent.span_id:016x}" == PARENT_ID and srv.parent.is_remote
    assert srv.name == "chat openai/gpt-4o"
    a = srv.attributes
    assert a["gen_ai.operation.name"] == "chat" and a["gen_ai.request.model"] == "openai/gpt-4o"
    assert a["gen_ai.provider.name"] == "openai" and a["http.response.status_code"] == 200
    assert a["gen_ai.usage.input_tokens"] == 12 and a["gen_ai.usage.output_tokens"] == 3
    assert a["clawgate.credential.fingerprint"] == fingerprint(OPENAI_KEY)  # the second in auth.order
    assert "error.type" not in a and "gen_ai.input.messages" not in a and "gen_ai.output.messages" not in a
    [skipped] = srv.events
    assert skipped.name == "clawgate.attempt.skipped" and skipped.attributes["error.type"] == "health.cooling"
    for c in clients:
        assert c.parent.span_id == srv.context.span_id and c.context.trace_id == srv.context.trace_id
        assert c.name == "chat gpt-4o"
        assert (
            c.attributes["gen_ai.request.model"] == "gpt-4o"
            and c.attributes["server.address"] == "api.openai.com"
        )
        assert c.end_time - c.start_time > 0
    bad, good = clients
    assert (
        bad.attributes["error.type"] == "auth.rejected"
        and bad.attributes["clawgate.owner"] == "provider_auth"
    )
    assert bad.attributes["clawgate.credential.fingerprint"] == fingerprint(OPENAI_KEY_2)
    assert bad.status.status_code == StatusCode.ERROR and "rejected" in bad.status.description
    assert (bad.end_time - bad.start_time) / 1e6 == 20.0
    assert good.attributes["gen_ai.usage.input_tokens"] == 12 and "error.type" not in good.attributes
    for s in got:
        for v in s.attributes.values():
            assert OPENAI_KEY not in str(v) and OPENAI_KEY_2 not in str(v)


def test_without_a_traceparent_a_new_trace_starts(runtime: Any, tracing: Tracing, spans: Any) -> None:
    run_call(Observer(None, tracing), runtime, [])
    srv = next(s for s in finished(tracing, spans) if s.kind == SpanKind.SERVER)
    assert srv.parent is None and f"{srv.context.trace_id:032x}" != TRACE_ID


def test_an_unsampled_parent_records_nothing(runtime: Any, tracing: Tracing, spans: Any) -> None:
    run_call(Observer(None, tracing), runtime, [(b"traceparent", f"00-{TRACE_ID}-{PARENT_ID}-00".encode())])
    assert finished(tracing, spans) == []


def test_message_content_only_when_opted_in_and_redacted(runtime: Any, spans: Any) -> None:
    tr = Tracing("http://127.0.0.1:9", exporter=spans, capture_content=True)
    try:
        run_call(Observer(None, tr), runtime, [], content=f"my key is {OPENAI_KEY}")
        srv = next(s for s in finished(tr, spans) if s.kind == SpanKind.SERVER)
    finally:
        tr.shutdown()
    a = srv.attributes
    assert (
        '"role":"user"' in a["gen_ai.input.messages"]
        and fingerprint(OPENAI_KEY) in a["gen_ai.input.messages"]
    )
    assert OPENAI_KEY not in a["gen_ai.input.messages"]
    assert "be brief" in a["gen_ai.system_instructions"]
    assert '"content":"hello there"' in a["gen_ai.output.messages"]


def test_the_otlp_endpoint_takes_the_traces_path_as_the_sdk_does() -> None:
    assert traces_url("http://127.0.0.1:4318") == "http://127.0.0.1:4318/v1/traces"
    assert traces_url("http://127.0.0.1:4318/") == "http://127.0.0.1:4318/v1/traces"
    assert traces_url("https://otel.example/v1/traces") == "https://otel.example/v1/traces"
