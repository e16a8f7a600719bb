"""Every try is recorded: one `AttemptRecord` per try (or refusal) in the store, usage with prompt-cache reads
and writes included, and a log line for every timeout (so a timeout is never silent, whoever consumed it)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from clawgate import logs
from clawgate.auth.resolve import Candidate
from clawgate.call.types import CallRequest, TryResult
from clawgate.clients.meter import Meter
from clawgate.dialects.internal import Usage
from clawgate.failures import Failure
from clawgate.failures.classify import IOErrors
from clawgate.plan.types import Attempt
from clawgate.store.base import Store


@dataclass(slots=True)
class Try:
    """One try of one credential on one attempt: who, with what, since when."""

    att: Attempt
    cred: Candidate | None
    req: CallRequest
    call_id: str
    try_no: int
    tries: list[TryResult]
    host: str | None
    io: IOErrors
    t0: float

    def elapsed_ms(self) -> float:
        return (time.perf_counter() - self.t0) * 1000


class Recorder:
    """Writes tries to the store (never blocks: the store queues writes), logs timeouts, and tells the observer
    (metrics and spans, when the gateway set one) of every try. Each try's cost comes from the catalog's price of
    its model (catalog/prices.py); the meter (clients/meter.py), when the gateway set one, counts its tokens and
    cost against limits and budgets."""

    def __init__(self, store: Store | None) -> None:
        self.store = store
        self.meter: Meter | None = None
        self.obs: Any = None  # observability.observer.Observer, or None

    def record(
        self,
        call_id: str,
        req: CallRequest,
        t: TryResult,
        usage: Usage | None = None,
        request_id: str | None = None,
    ) -> None:
        obs = self.obs
        if obs is not None:
            obs.attempt_finished(req, t, usage)  # [observability] a try ended
        f = t.failure
        if f is not None and f.code == "network.timeout":
            _log_timeout(call_id, t, f)
        att = t.attempt
        cost = cost_of(att, usage)
        if cost and obs is not None:
            obs.spent(req, att, cost)  # [observability] spend by client, agent, provider, model
        if self.meter is not None:
            tokens = (usage.input_tokens or 0) + (usage.output_tokens or 0) if usage else 0
            self.meter.ended(req.client, att, t.cred, t.sent, tokens, cost)
        if self.store is None:
            return
        cred = t.cred
        # the store's row, in AttemptRecord's field order (store/columns.ATTEMPT_COLS): no record object made
        self.store.record_attempt_row(
            (
                time.time(),  # ts
                call_id,
                req.purpose,
                req.agent,
                att.ref,
                att.provider,
                att.model,
                att.api,
                cred.source if cred else None,
                cred.fingerprint if cred else None,
                t.ok,
                t.status,
                f.owner if f else None,
                f.code if f else None,
                f.message[:500] if f else None,
                t.latency_ms,
                t.first_byte_ms,
                usage.input_tokens if usage else None,
                usage.output_tokens if usage else None,
                req.stream,
                t.try_no,
                t.sent,
                req.session_id,
                req.run_id,
                request_id or (f.request_id if f else None),  # request_id
                usage.cached_tokens if usage else None,  # cache_read_tokens
                usage.cache_write_tokens if usage else None,
                req.client.ref if req.client is not None else None,  # client
                cost,  # cost_usd
            )
        )

    def refused(
        self, call_id: str, req: CallRequest, att: Attempt, cred: Candidate | None, f: Failure
    ) -> TryResult:
        """A refusal before anything was sent (plan error, no credential, a bad pin, the health state)."""
        t = TryResult(att, cred, False, f, sent=False)
        self.record(call_id, req, t)
        return t

    def failed(
        self, tr: Try, f: Failure, status: int | None = None, first_ms: float | None = None
    ) -> TryResult:
        """A try that failed: after it was sent, or while its body was made (`f.sent` is False then: a
        request field the provider's format cannot carry)."""
        t = TryResult(
            tr.att,
            tr.cred,
            False,
            f,
            status=status,
            latency_ms=tr.elapsed_ms(),
            first_byte_ms=first_ms,
            sent=f.sent,
            try_no=tr.try_no,
        )
        tr.tries.append(t)
        self.record(tr.call_id, tr.req, t)
        return t


def cost_of(att: Attempt, usage: Usage | None) -> float | None:
    """USD of one try from its usage and its model's price; None when either is unknown."""
    price = att.model_info.price if att.model_info is not None else None
    if price is None or usage is None:
        return None
    if not (usage.input_tokens or usage.output_tokens):
        return None
    return price.cost_usd(
        usage.input_tokens, usage.output_tokens, usage.cached_tokens, usage.cache_write_tokens
    )


def _log_timeout(call_id: str, t: TryResult, f: Failure) -> None:
    logs.event(
        "call.timeout",
        f.message,
        level=30,
        call_id=call_id,
        provider=t.attempt.provider,
        model=t.attempt.model,
        ref=t.attempt.ref,
        phase=f.phase,
        credential=t.cred.source if t.cred else None,
    )
