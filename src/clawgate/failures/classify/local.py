"""Failures decided without a provider's answer: a refusal from the health state (which keeps the owner and code
of the failure that started it), no usable credential, an invalid credential pin, an attempt the plan could not
make, a stream that ended early, a body that is not JSON, a caller that went away."""

from __future__ import annotations

import time
from typing import Any

from clawgate.config.substitution import env_name_ref, references
from clawgate.envsteps import set_var
from clawgate.failures import policy
from clawgate.failures.classify.answers import make, who
from clawgate.failures.classify.steps import next_steps
from clawgate.failures.codes import CODES
from clawgate.failures.failure import Failure, failure

# What an old health record (no first code stored) stands for.
_BY_STATE = {"rejected": "auth.rejected", "blocked": "access.billing", "cooling": "rate_limit.exceeded"}


def _clock(ts: float | None, fmt: str = "%H:%M:%S") -> str:
    return time.strftime(fmt, time.localtime(ts)) if ts else "?"


def refused_by_health(
    record: Any,
    *,
    provider: str,
    model: str,
    credential: str | None,
    fingerprint: str | None,
    agent: str | None = None,
    now: float | None = None,
) -> Failure:
    """The call was not sent: `record` (a store.HealthRecord) says this key/model is rejected, blocked or
    cooling down. The Failure keeps the owner and code of the failure that started that state."""
    now = time.time() if now is None else now
    code = (
        record.first_code
        if record.first_code in CODES
        else _BY_STATE.get(record.state, "rate_limit.exceeded")
    )
    subject = f"{credential} ({fingerprint})" if credential else provider
    if getattr(record, "endpoint", None):
        subject += f" on {record.endpoint}"  # the verdict holds for this base URL only
    until = _clock(record.until)
    first = ""
    if record.first_ts:
        status = f" {record.first_status}" if record.first_status else ""
        first = (
            f"; first failure {_clock(record.first_ts, '%Y-%m-%d %H:%M:%S')}: "
            f"{record.first_owner or CODES[code].owner}{status} {code}: {record.first_message}"
        )
    if record.state == "rejected":
        message = (
            f"not sent: {provider} rejected {subject} earlier and it is not retried until {until}{first}"
        )
    elif record.state == "blocked":
        message = f"not sent: {subject} on {provider} is blocked until {until}{first}"
    else:
        message = f"not sent: {subject} / {model} on {provider} is cooling down until {until}{first}"
    retryable = record.state == "cooling" and policy.retryable(code)
    wait = max(0.0, record.until - now) if record.until else None
    steps = next_steps(code, provider, model=model, retry_after=wait if retryable else None)
    steps.append(
        f"clawgate health clear --provider {provider}   # once it is fixed: the next call re-tests it"
    )
    if record.state == "rejected" and agent:
        steps.insert(0, f"clawgate models status --probe --agent {agent}")
    return failure(
        code,
        message,
        retryable=retryable,
        retry_after=wait if retryable else None,
        status=record.first_status,
        provider=provider,
        model=model,
        provider_message=record.first_message,
        next_steps=steps,
        credential_source=credential,
        credential_fingerprint=fingerprint,
        sent=False,
    )


def pin_invalid(
    pin: str, *, provider: str, model: str, profiles: list[str], belongs_to: str | None, agent: str
) -> Failure:
    """A credential pin that names no profile of `provider`: refused before anything is sent."""
    if belongs_to:
        why = f"profile {pin!r} belongs to provider {belongs_to}, not {provider}; its key is never sent to {provider}"
    else:
        why = f"there is no profile {pin!r} for agent {agent}"
    have = ", ".join(profiles) if profiles else "none"
    return failure(
        "auth.pin_invalid",
        f"the model's credential pin @{pin} cannot be used for {provider}: {why} ({provider} profiles: {have}); "
        "nothing was sent",
        provider=provider,
        model=model,
        next_steps=[
            f"clawgate auth list --agent {agent}",
            f"use {provider}/{model}@<one of: {have}>, or drop the @pin"
            if profiles
            else f"clawgate auth add {provider}",
        ],
        sent=False,
    )


def unplannable(
    code: str, message: str, steps: list[str], *, provider: str | None, model: str | None
) -> Failure:
    """An attempt the plan could not make at all (its error: unknown model or provider, unset variable...)."""
    return failure(
        code, message, provider=provider or None, model=model or None, next_steps=steps, sent=False
    )


def no_model(agent: str, known_ref: bool) -> Failure:
    return failure(
        "model.not_configured" if not known_ref else "model.unknown",
        f"agent {agent} has no model to call",
        next_steps=[
            "clawgate config set agents.defaults.model.primary PROVIDER/MODEL",
            "clawgate models list",
        ],
        sent=False,
    )


def unresolved_credential(*, provider: str, model: str, source: str, ref: str | None, agent: str) -> Failure:
    return failure(
        "env.unresolved_ref",
        f"no credential for {provider}: {source} is {ref}, which is not set in clawgate's environment "
        "(nothing was sent)",
        provider=provider,
        model=model,
        next_steps=[
            *(set_var(n) for n in (references(ref or "") or ([ref] if ref and env_name_ref(ref) else []))),
            f"clawgate models status --agent {agent}",
            "clawgate env",
        ],
        sent=False,
    )


def missing_credential(
    *, provider: str, model: str, checked: str, unusable: str | None, env_name: str
) -> Failure:
    why = f"; unusable: {unusable}" if unusable else ""
    return failure(
        "auth.missing_credential",
        f"no usable credential for {provider} (checked: {checked}){why}; nothing was sent",
        provider=provider,
        model=model,
        next_steps=[
            set_var(env_name),
            f"clawgate auth add {provider}",
            "clawgate doctor",
        ],
        sent=False,
    )


def malformed_credential(*, provider: str, model: str, source: str, reason: str, env_name: str) -> Failure:
    """The only credentials of `provider` are refused by the key check (auth/keycheck.py: a placeholder, quotes,
    whitespace, a BOM): the same `auth.key_malformed` doctor reports for that key."""
    name = source[4:] if source.startswith("env:") else env_name
    fix = f"clawgate auth add {provider}" if source.startswith("profile:") else set_var(name)
    return failure(
        "auth.key_malformed",
        f"the credential for {provider} ({source}) is unusable: {reason}; nothing was sent",
        provider=provider,
        model=model,
        next_steps=[fix, "clawgate doctor"],
        sent=False,
    )


def cancelled(provider: str, model: str, *, answered: bool) -> Failure:
    """The caller went away (before the provider answered, or in the middle of the stream)."""
    what = (
        "the client went away; the upstream request was cancelled"
        if answered
        else "the caller went away before the provider answered; the request was cancelled"
    )
    return failure("runtime.cancelled", what, provider=provider, model=model)


def stream_cut(
    provider: str, model: str, host: str | None, *, status: int | None, before_first_event: bool
) -> Failure:
    """The upstream stream ended without its final event (or without any event)."""
    if before_first_event:
        return make(
            "upstream.stream_cut",
            f"{who(provider, host)} closed the stream before sending any event",
            provider=provider,
            host=host,
            model=model,
            status=status,
        )
    f = make(
        "upstream.stream_cut",
        f"{who(provider, host)} ended the stream without its final event; the answer may be truncated",
        provider=provider,
        host=host,
        model=model,
        retryable=False,  # part of the answer has reached the client: it cannot be retried in place
    )
    f.next_steps = ["retry the request", "clawgate logs --limit 20"]
    return f


def bad_body(provider: str, model: str, host: str | None, status: int) -> Failure:
    return make(
        "upstream.bad_response",
        f"{who(provider, host)} answered {status} with a body that is not a JSON object",
        provider=provider,
        host=host,
        model=model,
        status=status,
    )
