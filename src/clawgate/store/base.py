"""The storage interface and its records: attempts (the request log) and health state."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Protocol


@dataclass
class AttemptRecord:
    """One upstream try (or a refusal before sending), exactly as the executor saw it. No secrets."""

    ts: float
    call_id: str
    purpose: str  # request | probe | infer | cron | subagent
    agent: str | None
    ref: str
    provider: str
    model: str
    api: str
    cred_source: str | None
    fingerprint: str | None
    ok: bool
    status: int | None = None
    owner: str | None = None
    code: str | None = None
    message: str | None = None
    latency_ms: float | None = None
    first_byte_ms: float | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    stream: bool = False
    try_no: int = 0
    sent: bool = True  # False when refused before any request (no credential, cooling, ...)
    session_id: str | None = None
    run_id: str | None = None
    request_id: str | None = None
    id: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}


@dataclass
class HealthRecord:
    """Health of one (provider, credential fingerprint, model). `model` is "*" for credential-wide states."""

    provider: str
    fingerprint: str
    model: str
    state: str  # ok | cooling | rejected | blocked
    until: float | None = None
    cred_source: str | None = None
    first_ts: float | None = None
    first_status: int | None = None
    first_owner: str | None = None
    first_code: str | None = None
    first_message: str | None = None
    last_ts: float | None = None
    last_code: str | None = None
    count: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.provider, self.fingerprint, self.model)

    def to_json(self) -> dict[str, Any]:
        return {
            "provider": self.provider,
            "fingerprint": self.fingerprint,
            "model": self.model,
            "state": self.state,
            "until": self.until,
            "credential": self.cred_source,
            "first_failure": {
                "time": self.first_ts,
                "status": self.first_status,
                "owner": self.first_owner,
                "code": self.first_code,
                "message": self.first_message,
            }
            if self.first_ts
            else None,
            "last_failure": {"time": self.last_ts, "code": self.last_code} if self.last_ts else None,
            "failures": self.count,
        }


class Store(Protocol):
    """What clawgate keeps between calls and processes. Writes never block the caller."""

    def record_attempt(self, rec: AttemptRecord) -> None: ...

    def recent_attempts(
        self, limit: int = 100, since: float | None = None, failures_only: bool = False
    ) -> list[AttemptRecord]: ...

    def count_attempts(self, since: float | None = None) -> int: ...

    def load_health(self) -> list[HealthRecord]: ...

    def save_health(self, rec: HealthRecord) -> None: ...

    def delete_health(self, provider: str | None = None, fingerprint: str | None = None) -> None: ...

    def flush(self, timeout: float = 5.0) -> None: ...

    def close(self) -> None: ...
