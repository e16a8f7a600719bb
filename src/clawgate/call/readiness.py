"""Can an attempt of a plan be sent now? Its own error, its credential, and the health verdict the executor
applies before every send (`HealthRegistry.verdict` per distinct usable key, call/executor.py): one answer for
`models status`, the chat's `/status` and the web UI, so none says "ok" where a call answers "not sent"."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from clawgate.failures import Failure
from clawgate.failures.classify.local import refused_by_health

if TYPE_CHECKING:
    from clawgate.call.health import HealthRegistry
    from clawgate.plan.types import Attempt
    from clawgate.store.base import HealthRecord

_OK_HEALTH: dict[str, Any] = {"state": "ok", "until": None, "first_failure": None}


@dataclass
class Readiness:
    status: str  # ok | error | no_credential | rejected | blocked | cooling (the refusing record's state)
    record: HealthRecord | None = (
        None  # the first key's health record; the refusing one when none can be sent
    )
    refusal: Failure | None = None  # what a call would answer without sending, when no key can be sent

    def health_json(self) -> dict[str, Any]:
        if self.record is None:
            return dict(_OK_HEALTH)
        out = self.record.to_json()
        if self.refusal is not None:
            out["sendable"] = False
            out["message"] = self.refusal.message
            out["next"] = list(self.refusal.next_steps)
        return out


def readiness(att: Attempt, health: HealthRegistry | None) -> Readiness:
    """The executor's decision for `att`, made without sending: sendable when some usable key (or no key, for a
    provider that needs none) is allowed by health; otherwise the first key's refusal."""
    cred = att.credential
    if att.error or cred is None:
        return Readiness("error")
    keys = cred.distinct_usable()
    if not keys:
        return Readiness("ok" if cred.optional else "no_credential")
    if health is None:
        return Readiness("ok")
    first = keys[0].fingerprint
    record = health.get(att.provider, first, att.model, att.base_url) if first else None
    refused: list[tuple[Any, HealthRecord]] = []
    for key in keys:
        verdict = health.verdict(att.provider, key.fingerprint, att.model, att.base_url)
        if verdict.allowed:
            return Readiness("ok", record)
        assert verdict.record is not None
        refused.append((key, verdict.record))
    key, rec = refused[0]
    refusal = refused_by_health(
        rec,
        provider=att.provider,
        model=att.model,
        credential=key.source,
        fingerprint=key.fingerprint,
        agent=cred.agent,
    )
    return Readiness(rec.state, rec, refusal)
