"""OpenTelemetry traces: one SERVER span per client request, one CLIENT span per upstream try (its child), sent
over OTLP/HTTP (protobuf) by the SDK's batch processor from its own thread. Imported only when
`observability.otlp.endpoint` is set: with tracing off nothing of OpenTelemetry is loaded.

A client's `traceparent` (and `tracestate`) make the server span its child; without one a new trace starts,
sampled at `observability.tracing.sampleRatio` (a parent's sampled flag decides for its own trace). Upstream try
spans are made when the try ends, with its measured start time: no work for them while the try runs."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from clawgate import __version__
from clawgate.observability import names as n

SCHEMA_URL = "https://opentelemetry.io/schemas/1.37.0"


def traces_url(endpoint: str) -> str:
    """`http://host:4318` → `http://host:4318/v1/traces` (OTEL_EXPORTER_OTLP_ENDPOINT's rule); a URL that
    already names the traces path is used as given."""
    e = endpoint.rstrip("/")
    return e if e.endswith("/v1/traces") else e + "/v1/traces"


_TRACE_HEADERS = (b"traceparent", b"tracestate")


class Tracing:
    def __init__(
        self,
        endpoint: str,
        *,
        headers: Mapping[str, str] | None = None,
        timeout: float = 10.0,
        service_name: str = "clawgate",
        sample_ratio: float = 1.0,
        capture_content: bool = False,
        exporter: Any = None,
    ) -> None:
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
        from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased
        from opentelemetry.trace import SpanKind, Status, StatusCode, set_span_in_context
        from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

        from clawgate.observability.export import WatchedExporter

        self.endpoint = traces_url(endpoint)
        self.capture_content = capture_content
        self.sample_ratio = sample_ratio
        self.service_name = service_name
        resource = Resource.create({"service.name": service_name, "service.version": __version__})
        self.provider = TracerProvider(
            resource=resource, sampler=ParentBased(TraceIdRatioBased(sample_ratio))
        )
        if exporter is None:
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            from clawgate.observability.export import session

            exporter = OTLPSpanExporter(
                endpoint=self.endpoint, headers=dict(headers or {}), timeout=timeout, session=session()
            )
        self.export = WatchedExporter(exporter, self.endpoint)  # whether export works (status, doctor)
        self.processor = BatchSpanProcessor(self.export)
        self.provider.add_span_processor(self.processor)
        self.tracer = self.provider.get_tracer("clawgate", __version__, schema_url=SCHEMA_URL)
        self._propagator = TraceContextTextMapPropagator()
        self._SERVER, self._CLIENT = SpanKind.SERVER, SpanKind.CLIENT
        self._Status, self._ERROR = Status, StatusCode.ERROR
        self._in_context = set_span_in_context

    # -- server span ---------------------------------------------------------------------------------

    def server_span(self, scope: Mapping[str, Any], api: str, op: str = n.OPERATION_NAME) -> Any:
        carrier = {
            k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"] if k in _TRACE_HEADERS
        }
        parent = self._propagator.extract(carrier) if carrier else None
        client = scope.get("client")
        attrs: dict[str, Any] = {
            n.OPERATION: op,
            n.API: api,
            "http.request.method": scope.get("method", "POST"),
            "url.path": scope.get("path", ""),
        }
        if client:
            attrs["client.address"] = client[0]
        return self.tracer.start_span(op, context=parent, kind=self._SERVER, attributes=attrs)

    def request_parsed(
        self,
        span: Any,
        model: str | None,
        agent: str | None,
        stream: bool,
        chat: Any,
        op: str = n.OPERATION_NAME,
    ) -> None:
        if model:
            span.update_name(f"{op} {model}")
            span.set_attribute(n.REQUEST_MODEL, model)
        if agent:
            span.set_attribute("clawgate.agent", agent)
        span.set_attribute("clawgate.stream", stream)
        if chat is not None:
            from clawgate.observability.content import input_attributes

            span.set_attributes(input_attributes(chat))

    def finish_server(
        self,
        span: Any,
        status: int,
        outcome: Any,
        failure: Any,
        overhead_ms: float,
        output: Any = None,
    ) -> None:
        attrs: dict[str, Any] = {
            "http.response.status_code": status,
            "clawgate.gateway.overhead_ms": overhead_ms,
        }
        att = outcome.attempt if outcome is not None else None
        cred = outcome.cred if outcome is not None else None
        if att is None and outcome is not None and outcome.tries:
            last = outcome.tries[-1]
            att, cred = last.attempt, last.cred
        if outcome is not None:
            attrs["clawgate.call_id"] = outcome.call_id
            if outcome.ok:
                _usage_attributes(attrs, outcome.usage)
        if att is not None:
            attrs[n.PROVIDER] = n.provider_name(att.provider)
            attrs["clawgate.model.ref"] = att.ref
            if outcome is not None and outcome.ok and outcome.response_model:
                attrs[n.RESPONSE_MODEL] = outcome.response_model
        if cred is not None and cred.fingerprint:
            attrs[n.FINGERPRINT] = cred.fingerprint
        if failure is not None:
            attrs[n.ERROR_TYPE] = failure.code
            attrs[n.OWNER] = failure.owner
            span.set_status(self._Status(self._ERROR, failure.message[:500]))
        if output is not None:
            from clawgate.observability.content import output_attributes

            attrs.update(output_attributes(output))
        span.set_attributes(attrs)

    # -- upstream try spans --------------------------------------------------------------------------

    def attempt(self, parent: Any, t: Any, usage: Any, stream: bool, op: str = n.OPERATION_NAME) -> None:
        """A CLIENT span for a try that was sent, or an event on the server span for one refused before sending
        (a cooling or rejected credential, a missing key)."""
        att, cred, f = t.attempt, t.cred, t.failure
        if not t.sent or t.latency_ms is None:
            ev: dict[str, Any] = {"clawgate.model.ref": att.ref, n.PROVIDER: n.provider_name(att.provider)}
            if f is not None:
                ev[n.ERROR_TYPE], ev[n.OWNER] = f.code, f.owner
            if cred is not None and cred.fingerprint:
                ev[n.FINGERPRINT] = cred.fingerprint
            parent.add_event("clawgate.attempt.skipped", ev)
            return
        end = time.time_ns()
        start = end - int(t.latency_ms * 1_000_000)
        attrs: dict[str, Any] = {
            n.OPERATION: op,
            n.PROVIDER: n.provider_name(att.provider),
            n.REQUEST_MODEL: att.model,
            n.API: att.api,
            "clawgate.model.ref": att.ref,
            "clawgate.try": t.try_no,
        }
        url = urlsplit(att.base_url or "")
        if url.hostname:
            attrs["server.address"] = url.hostname
            attrs["server.port"] = url.port or (443 if url.scheme == "https" else 80)
        if t.status is not None:
            attrs["http.response.status_code"] = t.status
        if cred is not None:
            if cred.fingerprint:
                attrs[n.FINGERPRINT] = cred.fingerprint
            attrs[n.CREDENTIAL_SOURCE] = cred.source
        if stream and t.first_byte_ms is not None:
            attrs["gen_ai.response.time_to_first_chunk"] = t.first_byte_ms / 1000
        if t.response_model:
            attrs[n.RESPONSE_MODEL] = t.response_model
        if usage is not None:
            _usage_attributes(attrs, usage)
        span = self.tracer.start_span(
            f"{op} {att.model}",
            context=self._in_context(parent),
            kind=self._CLIENT,
            attributes=attrs,
            start_time=start,
        )
        if f is not None:
            span.set_attributes({n.ERROR_TYPE: f.code, n.OWNER: f.owner})
            span.set_status(self._Status(self._ERROR, f.message[:500]))
        span.end(end_time=end)

    def shutdown(self) -> None:
        """Export what is queued (bounded by the exporter's timeout) and stop the export thread."""
        self.provider.shutdown()


def _usage_attributes(attrs: dict[str, Any], usage: Any) -> None:
    if usage.input_tokens is not None:
        attrs[n.USAGE_INPUT] = usage.input_tokens
    if usage.output_tokens is not None:
        attrs[n.USAGE_OUTPUT] = usage.output_tokens
    if usage.cached_tokens is not None:
        attrs[n.USAGE_CACHE_READ] = usage.cached_tokens
    creation = usage.cache_write_tokens
    if creation is not None:
        attrs[n.USAGE_CACHE_CREATION] = creation
