"""The executor: runs a plan — attempts in order, each credential in order, retries in place, then fallbacks —
and records every try. The gateway, CLI (`infer`, probes), subagents and cron all call it; there is no second
path. What to do after a failure is read from the failure itself (`retryable`, `try_next_credential`,
`try_fallback`, decided by `clawgate.failures`); what a refusal from the health state says is the failure that
started that state.

One try on the wire is in `sending`, streams in `streams`, the records in `records`, the types in `types`."""

from __future__ import annotations

import asyncio
import dataclasses
import random
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from clawgate.auth.resolve import Candidate, order_for_call
from clawgate.call import sending, streams, wire
from clawgate.call.deadline import Deadline
from clawgate.call.health import HealthRegistry
from clawgate.call.records import Recorder, Try
from clawgate.call.transport import ProxyInfo, Transport
from clawgate.call.types import (
    CallOutcome,
    CallRequest,
    Policy,
    SSEBatch,
    StreamOutcome,
    TryResult,
    new_call_id,
)
from clawgate.call.wire import ANTHROPIC_VERSION, auth_headers
from clawgate.clients.meter import Meter
from clawgate.failures import Failure
from clawgate.failures.classify import IOErrors, region_hint
from clawgate.failures.classify.gateway_only import gateway_only_credential
from clawgate.failures.classify.local import (
    cancelled,
    malformed_credential,
    missing_credential,
    no_model,
    refused_by_health,
    unplannable,
    unresolved_credential,
)
from clawgate.failures.classify.steps import ADD_FALLBACK
from clawgate.failures.failure import seconds
from clawgate.plan.types import Attempt, Plan
from clawgate.store.base import HealthRecord, Store

__all__ = [
    "ANTHROPIC_VERSION",
    "CallOutcome",
    "CallRequest",
    "Executor",
    "Policy",
    "SSEBatch",
    "StreamOutcome",
    "TryResult",
    "auth_headers",
    "new_call_id",
]


class Executor:
    def __init__(
        self,
        transport: Transport,
        health: HealthRegistry,
        store: Store | None,
        policy: Policy | None = None,
        proxy_lookup: Callable[[str], ProxyInfo] | None = None,
        sleep: Callable[[float], Any] = asyncio.sleep,
    ) -> None:
        self.transport = transport
        self.health = health
        self.store = store
        self.records = Recorder(store)
        self.policy = policy or Policy()
        self._proxy = proxy_lookup or (lambda url: ProxyInfo(None))
        self._sleep = sleep
        self.meter: Meter | None = None  # clients.meter: limits, pressure, spend (set by the gateway)

    def attach_meter(self, meter: Meter | None) -> None:
        self.meter = meter
        self.records.meter = meter

    @property
    def obs(self) -> Any:
        """observability.observer.Observer (set by the gateway), or None: told of every try (through the
        recorder), failover, next-credential move and cooldown."""
        return self.records.obs

    @obs.setter
    def obs(self, observer: Any) -> None:
        self.records.obs = observer

    # ---------------------------------------------------------------------------------------- the loop

    async def run(self, plan: Plan, req: CallRequest) -> CallOutcome:
        """Run the plan. Non-streaming: returns with the whole body. Streaming: returns a StreamOutcome
        whose first event has already arrived (failover happens only before the first byte)."""
        call_id = new_call_id()
        tries: list[TryResult] = []
        state = _Reported()
        upstream_ms = 0.0
        if not plan.attempts:
            return self._failed(call_id, tries, no_model(plan.agent, plan.model.ref is not None), 0.0)
        obs = self.records.obs
        leaving: tuple[Failure, str] | None = None  # [observability] why the previous model was left
        for att in plan.attempts:
            if leaving is not None and obs is not None:
                obs.failover(*leaving)  # [observability] on to a fallback
            leaving = None
            if att.error is not None:
                err = att.error
                refused = unplannable(
                    err["code"],
                    err["message"],
                    list(err.get("next", [])),
                    provider=att.provider,
                    model=att.model,
                )
                tries.append(self.records.refused(call_id, req, att, None, refused))
                state.note(refused)
                if refused.try_fallback:
                    leaving = (refused, "")  # an unresolved model: its provider is not a label
                    continue
                break
            creds = self._credentials(att, req)
            if not creds:
                refused = self._missing(att)
                tries.append(self.records.refused(call_id, req, att, None, refused))
                state.note(refused)
                leaving = (refused, att.provider)
                continue
            last: Failure | None = None
            for cred in creds:
                if last is not None and obs is not None:
                    obs.credential_moved(last, att.provider)  # [observability] on to the next credential
                fp = cred.fingerprint if cred else None
                verdict = self.health.verdict(att.provider, fp, att.model, att.base_url)
                if not verdict.allowed and not req.ignore_health:
                    refused = refused_by_health(
                        verdict.record,
                        provider=att.provider,
                        model=att.model,
                        credential=cred.source if cred else None,
                        fingerprint=fp,
                        agent=att.credential.agent if att.credential else None,
                    )
                    tries.append(self.records.refused(call_id, req, att, cred, refused))
                    state.note(refused, from_health=True)
                    last = refused
                    if refused.try_next_credential:
                        continue
                    break
                meter = self.meter
                if meter is not None and cred is not None and meter.limits(att, cred):
                    limited = await meter.admit(att, cred)  # the credential's own RPM/TPM window
                    if limited is not None:
                        tries.append(self.records.refused(call_id, req, att, cred, limited))
                        state.note(limited, from_health=True)
                        last = limited
                        continue
                try_no = 0
                while True:
                    if meter is not None:
                        meter.started(att.provider, fp)
                    outcome, f, ms = await self._try(att, cred, req, call_id, try_no, tries)
                    upstream_ms += ms
                    if f is None:
                        self.health.on_success(att.provider, fp, att.model)
                        outcome.tries = tries
                        outcome.upstream_ms = upstream_ms
                        outcome.failure = None
                        return outcome
                    self._health_failure(f, att, cred)
                    last = f
                    state.note(f)
                    wait = self._retry_wait(f, try_no)
                    if wait is None:
                        break
                    if f.retry_after is not None:
                        state.waited += wait  # the provider's retry-after, waited here (maxRetryWaitSeconds)
                    t_wait = time.perf_counter()
                    await self._sleep(wait)
                    upstream_ms += (time.perf_counter() - t_wait) * 1000  # waiting on the provider, not us
                    try_no += 1
                pinned = att.credential is not None and att.credential.pinned
                if last is not None and last.try_next_credential and not pinned:
                    continue
                break
            if last is not None and not last.try_fallback:
                break
            if last is not None:
                leaving = (last, att.provider)
        return self._failed(call_id, tries, state.reported(tries, len(plan.attempts) > 1), upstream_ms)

    def _failed(self, call_id: str, tries: list[TryResult], f: Failure, upstream_ms: float) -> CallOutcome:
        return CallOutcome(ok=False, call_id=call_id, tries=tries, failure=f, upstream_ms=upstream_ms)

    def _credentials(self, att: Attempt, req: CallRequest) -> list[Candidate | None]:
        """The distinct usable keys to try, those not known to be refused first; [None] for a provider that
        needs no key; [] when there is none."""
        cred = att.credential
        creds: list[Candidate | None] = list(wire.static(att).creds)
        if not creds:
            return [None] if cred is not None and cred.optional else []
        if req.max_credentials:
            creds = creds[: req.max_credentials]
        if req.ignore_health or len(creds) < 2:
            return creds

        def refused(c: Candidate) -> bool:
            return not self.health.verdict(att.provider, c.fingerprint, att.model, att.base_url).allowed

        meter = self.meter
        if meter is None:
            return list(order_for_call([c for c in creds if c is not None], att.view, refused))
        return list(
            order_for_call(
                [c for c in creds if c is not None],
                att.view,
                refused,
                lambda c: meter.near_until(att.provider, c.fingerprint),
                lambda c: meter.busy(att.provider, c.fingerprint),
            )
        )

    def _missing(self, att: Attempt) -> Failure:
        cred = att.credential
        agent = cred.agent if cred else "main"
        theirs = cred.winner if cred else None
        if (
            theirs is not None and theirs.gateway_only
        ):  # the running gateway's key: not this process's to send
            return gateway_only_credential(
                provider=att.provider,
                model=att.model,
                source=theirs.source,
                fingerprint=theirs.fingerprint,
                origin=theirs.origin,
            )
        unresolved = [
            c for c in (cred.candidates if cred else []) for i in c.issues if i.code == "env.unresolved_ref"
        ]
        if unresolved:
            c = unresolved[0]
            return unresolved_credential(
                provider=att.provider, model=att.model, source=c.source, ref=c.ref, agent=agent
            )
        bad = [c for c in (cred.candidates if cred else []) if not c.usable]
        if bad and any(i.fatal and i.code == "auth.key_malformed" for i in bad[0].issues):
            return malformed_credential(  # the key check's own verdict, as doctor reports it
                provider=att.provider,
                model=att.model,
                source=bad[0].source,
                reason=bad[0].fatal_reason or "malformed",
                env_name=att.view.env_vars[0] if att.view else "API_KEY",
            )
        return missing_credential(
            provider=att.provider,
            model=att.model,
            checked="; ".join(cred.checked) if cred else "nothing",
            unusable=f"{bad[0].source}: {bad[0].fatal_reason}" if bad else None,
            env_name=att.view.env_vars[0] if att.view else "API_KEY",
        )

    def _decorate(self, f: Failure, att: Attempt, cred: Candidate | None) -> Failure:
        """Add what only the executor knows: which credential (source + fingerprint) was refused."""
        f.provider = f.provider or att.provider
        f.model = f.model or att.model
        if cred is None:
            return f
        f.credential_source = cred.source
        f.credential_fingerprint = cred.fingerprint
        if f.code in ("auth.rejected", "auth.region_mismatch"):
            who = f"{att.provider} rejected credential {cred.source} ({cred.fingerprint})"
            if cred.inherited_from:
                who += f", inherited from agent {cred.inherited_from}"
            msg = f"{who}: {f.provider_message or f.message}"
            hint = region_hint(att.provider, urlsplit(att.base_url or "").hostname)
            if hint:
                msg += f" — {hint}"
            f.message = msg
        return f

    def _retry_wait(self, f: Failure, try_no: int) -> float | None:
        """Seconds to wait before retrying in place, or None when this failure must not be retried."""
        if not f.retryable:
            return None
        limit = (
            self.policy.retries_rate_limit
            if f.code == "rate_limit.exceeded"
            else self.policy.retries_transient
        )
        if try_no >= limit:
            return None
        if f.retry_after is not None:
            return f.retry_after if f.retry_after <= self.policy.max_retry_wait else None
        backoff = min(self.policy.backoff_cap, self.policy.backoff_base * (2**try_no))
        return backoff * random.uniform(0.5, 1.0)

    # ------------------------------------------------------------------------------------------ one try

    async def _try(
        self,
        att: Attempt,
        cred: Candidate | None,
        req: CallRequest,
        call_id: str,
        try_no: int,
        tries: list[TryResult],
    ) -> tuple[Any, Failure | None, float]:
        st = wire.static(att)
        timeouts, host = st.timeouts, st.host
        tr = Try(
            att,
            cred,
            req,
            call_id,
            try_no,
            tries,
            host,
            IOErrors(att.provider, host, att.model),
            time.perf_counter(),
        )
        dl = tr.io.deadline = Deadline(timeouts.total)  # the try's one timer: its waits and the total budget
        try:
            resp, f, first_ms = await sending.open_answer(
                tr, self.transport, self._proxy, timeouts, self.meter
            )
            if f is not None:
                self.records.failed(tr, f, f.status, first_ms)
                return None, f, tr.elapsed_ms()
            assert resp is not None
            if not req.stream:
                return await sending.read_plain(tr, self.records, resp, first_ms, timeouts)
        except asyncio.CancelledError:
            phase = dl.expired()  # (every wait is inside `io`, which reports its own timeout: a safety net)
            if phase is not None:
                f = tr.io.failure(TimeoutError(), phase)
                self.records.failed(tr, f)
                return None, f, tr.elapsed_ms()
            self.records.failed(tr, cancelled(att.provider, att.model, answered=False))
            raise
        finally:
            dl.close()
        try:
            return await streams.start_stream(
                tr, self.records, resp, first_ms, timeouts, lambda f: self._after_first_event(f, att, cred)
            )
        except asyncio.CancelledError:
            resp.close()
            self.records.failed(tr, cancelled(att.provider, att.model, answered=False))
            raise

    def _after_first_event(self, f: Failure, att: Attempt, cred: Candidate | None) -> None:
        """A failure after the stream started: it goes to the client, and to health like any other."""
        self._health_failure(f, att, cred)

    def _health_failure(self, f: Failure, att: Attempt, cred: Candidate | None) -> None:
        """Name the credential on a failure and tell health; a health window it opens is a cooldown."""
        self._decorate(f, att, cred)
        fp = cred.fingerprint if cred else None
        obs = self.records.obs
        before = (
            self.health.get(att.provider, fp, att.model, att.base_url) if obs is not None and fp else None
        )
        rec = self.health.on_failure(f, fp, att.model, cred.source if cred else None, att.base_url)
        if obs is not None and rec is not None and _opened(before, rec):
            obs.cooldown(f, att.provider, rec.state)  # [observability] a health window opened


def _opened(before: HealthRecord | None, after: HealthRecord) -> bool:
    """Did a failure open a new health window (not just land inside the one already open)?"""
    return before is None or before.until != after.until or before.state != after.state


class _Reported:
    """The failure a failed call reports: the first one — but a real answer from a provider wins over a
    refusal made from the health state (the refusal only repeats an older failure). Every other attempt that
    was skipped (not sent: health, no credential) is named in it with its own reason, so no attempt's first
    error is hidden behind the reported one."""

    __slots__ = ("failure", "from_health", "waited")

    def __init__(self) -> None:
        self.failure: Failure | None = None
        self.from_health = False
        self.waited = 0.0  # seconds of the providers' retry-after waited before retrying in place

    def note(self, f: Failure, from_health: bool = False) -> None:
        if self.failure is None or (self.from_health and f.sent):
            self.failure, self.from_health = f, from_health

    def reported(self, tries: list[TryResult], has_fallbacks: bool) -> Failure:
        """The failure to answer with: the first refusal of each other attempt skipped (from `tries`) appended,
        and no step that adds a fallback to a plan that has one."""
        first = self.failure
        assert first is not None
        own = next((t.attempt.ref for t in tries if t.failure is first), "")
        others: dict[str, Failure] = {}
        for t in tries:
            g = t.failure
            if g is not None and not g.sent and g is not first and t.attempt.ref != own:
                others.setdefault(t.attempt.ref, g)
        message, steps = first.message, list(first.next_steps)
        for ref, g in others.items():
            message += f"; {ref} also skipped — {g.message}"
            steps += [s for s in g.next_steps if s.startswith("clawgate health") and s not in steps]
        if has_fallbacks:
            steps = [s for s in steps if s != ADD_FALLBACK]
        if self.waited:
            message += f" (clawgate already waited {seconds(self.waited)} s on retry-after before answering)"
        if message == first.message and steps == first.next_steps:
            return first
        return dataclasses.replace(first, message=message, next_steps=steps)
