"""The observer: what the request path calls at its few marked points — a client request starts, is parsed,
is answered, is done; an upstream try ends; the executor fails over, moves to the next credential, or opens a
health window. It turns each into metrics and (when tracing is on) spans.

A gateway with metrics off and no OTLP endpoint has no observer at all (the call sites test for None). With
tracing off, every method is a few dict lookups and prometheus_client updates, and allocates nothing it can
avoid: label children are cached, spans are not made."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from clawgate.call.types import StreamOutcome
from clawgate.observability import names as n
from clawgate.observability.metrics import Metrics

if TYPE_CHECKING:  # loaded by observability/setup.py when tracing is configured
    from clawgate.observability.tracing import Tracing

SPAN = "clawgate.span"  # ASGI scope keys (the scope is the request's own dict)
MODEL = "clawgate.model"
OP = "clawgate.operation"  # set for the auxiliary endpoints only: the model endpoints are chat calls

_provider = n.provider_name
_OP = n.OPERATION_NAME
_PATH_OPS = n.PATH_OPERATIONS


class Observer:
    __slots__ = ("capture_content", "metrics", "tracing")

    def __init__(self, metrics: Metrics | None, tracing: Tracing | None) -> None:
        self.metrics = metrics
        self.tracing = tracing
        self.capture_content = bool(tracing is not None and tracing.capture_content)

    # -- the gateway ---------------------------------------------------------------------------------

    def request_started(self, scope: dict[str, Any], api: str) -> None:
        """A model request arrived (before its body is read)."""
        m = self.metrics
        if m is not None:
            m.active.inc()
        op = _PATH_OPS.get(scope["path"])
        if op is not None:
            scope[OP] = op
        tr = self.tracing
        if tr is not None:
            span = tr.server_span(scope, api, op or _OP)
            if span.is_recording():  # not sampled: no further tracing work for this request
                scope[SPAN] = span

    def request_parsed(self, scope: dict[str, Any], model: str | None, req: Any) -> None:
        """The body is valid and planned: `req` is the executor's CallRequest (its span is set here)."""
        scope[MODEL] = model
        span = scope.get(SPAN)
        if span is not None:
            req.span = span
            chat = req.chat_request() if self.capture_content and req.endpoint is None else None
            op = n.operation(req.endpoint)
            self.tracing.request_parsed(span, model, req.agent, req.stream, chat, op)  # type: ignore[union-attr]

    def request_finished(
        self,
        scope: dict[str, Any],
        api: str,
        status: int,
        t0: float,
        outcome: Any,
        overhead_ms: float,
        failure: Any,
    ) -> None:
        """The answer is complete (a stream's last byte), or the client left. `t0`: perf_counter at arrival."""
        att = outcome.attempt if outcome is not None else None
        if att is None and outcome is not None and outcome.tries:
            att = outcome.tries[-1].attempt
        op = scope.get(OP, _OP)
        m = self.metrics
        if m is not None:
            b = m.server(api, att.provider if att is not None else "", scope.get(MODEL), op)
            overhead = overhead_ms / 1000 if overhead_ms > 0 else 0.0
            b.overhead.observe(overhead)
            if failure is None:
                b.duration_ok.observe(time.perf_counter() - t0)
                if isinstance(outcome, StreamOutcome) and outcome.ok:
                    # the first event went out right after the response head, when the overhead was taken
                    b.ttft.observe(overhead + outcome.upstream_ms / 1000)
            else:
                m.server_duration.child(op, b.provider, b.model, failure.code).observe(
                    time.perf_counter() - t0
                )
                m.failures.child(failure.owner, failure.code, api).inc()
        span = scope.get(SPAN)
        if span is not None:
            output = None
            if (
                self.capture_content
                and op == _OP
                and failure is None
                and outcome is not None
                and outcome.body is not None
            ):
                output = outcome.result()
            self.tracing.finish_server(span, status, outcome, failure, overhead_ms, output)  # type: ignore[union-attr]

    def request_done(self, scope: dict[str, Any]) -> None:
        """Always called once per model request that `request_started`, whatever happened."""
        m = self.metrics
        if m is not None:
            m.active.dec()
        span = scope.pop(SPAN, None)
        if span is not None:
            span.end()

    # -- the executor --------------------------------------------------------------------------------

    def attempt_finished(self, req: Any, t: Any, usage: Any) -> None:
        """One try ended (`t`: the executor's TryResult; `usage` only for one that got an answer)."""
        att = t.attempt
        f = t.failure
        op = _OP if req.endpoint is None else n.operation(req.endpoint)
        m = self.metrics
        if m is not None:
            if f is None:
                if t.latency_ms is not None:
                    b = m.client(att.provider, att.model, op)
                    b.duration_ok.observe(t.latency_ms / 1000)
                    if req.stream and t.first_byte_ms is not None:
                        b.ttfc.observe(t.first_byte_ms / 1000)
                    if usage is not None:
                        b.tokens(usage)
            elif att.error is None:
                # (a model the plan could not resolve is the request's failure, not an upstream one, and its
                # provider is whatever the client typed: not a label)
                provider = _provider(att.provider)
                m.upstream_failures.child(f.owner, f.code, provider).inc()
                if t.sent and t.latency_ms is not None:
                    model = m.models(att.model)
                    m.client_duration.child(op, provider, model, f.code).observe(t.latency_ms / 1000)
                    if usage is not None:  # a stream that failed midway still used tokens
                        m.client(att.provider, att.model, op).tokens(usage)
        span = req.span
        if span is not None:
            self.tracing.attempt(span, t, usage, req.stream, op)  # type: ignore[union-attr]

    def spent(self, req: Any, att: Any, cost: float) -> None:
        """A try that cost `cost` USD (catalog prices) ended: clawgate_spend_usd_total."""
        m = self.metrics
        if m is not None:
            who = "owner" if req.client is None or req.client.is_owner else m.clients(req.client.name)
            agent = req.agent or ""
            m.spend.child(who, agent, _provider(att.provider), m.models(att.model)).inc(cost)

    def failover(self, failure: Any, provider: str) -> None:
        """The executor leaves a model for the next fallback because of `failure`."""
        m = self.metrics
        if m is not None:
            m.failovers.child(failure.owner, failure.code, _provider(provider)).inc()

    def credential_moved(self, failure: Any, provider: str) -> None:
        """The executor leaves a credential for the next distinct one of the same provider."""
        m = self.metrics
        if m is not None:
            m.moves.child(failure.owner, failure.code, _provider(provider)).inc()

    def cooldown(self, failure: Any, provider: str, state: str) -> None:
        """A health window opened (cooling, rejected or blocked) for a credential."""
        m = self.metrics
        if m is not None:
            m.cooldowns.child(failure.owner, failure.code, _provider(provider), state).inc()

    def shutdown(self) -> None:
        if self.tracing is not None:
            self.tracing.shutdown()
