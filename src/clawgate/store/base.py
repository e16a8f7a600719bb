"""The storage interface and its records: attempts (the request log), health state, and the agent runtime's
sessions, messages, runs and cron history."""

from __future__ import annotations

from concurrent.futures import Future
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

from clawgate.errors import ClawgateError


class StoreUnavailable(ClawgateError):
    """The durable store's engine cannot be reached: the sessions API answers 503; model calls go on."""

    owner = "runtime"
    code = "state.database_unreachable"


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
    # prompt-cache tokens, part of input_tokens: read from the cache, and written to it (Anthropic
    # cache_read_input_tokens / cache_creation_input_tokens; OpenAI cached_tokens)
    cache_read_tokens: int | None = None
    cache_write_tokens: int | None = None
    client: str | None = (
        None  # who asked: a client key's id (`key:<id>`), a device (`device:<id>`); None: admin
    )
    cost_usd: float | None = (
        None  # this try's cost from the catalog's prices (catalog/prices.py); None: no price
    )
    id: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}


@dataclass
class ClientKeyRecord:
    """A client key for the gateway (`clawgate keys`): stored hashed — the secret itself is shown once, at
    creation or rotation. `scopes`: {"agents": [...], "models": [...]} (absent or empty: any)."""

    id: str
    name: str
    secret_hash: str
    hint: str  # what may be shown of the key: `cgk_<id>_…<last4>`
    created_at: float
    updated_at: float
    expires_at: float | None = None
    revoked_at: float | None = None
    rotated_at: float | None = None
    prev_hash: str | None = None  # the secret before the last rotation, valid until `prev_until`
    prev_until: float | None = None
    scopes: dict[str, Any] | None = None
    rpm: int | None = None
    tpm: int | None = None
    budget_usd: float | None = None
    budget_period: str | None = None  # day | week | month | total
    note: str | None = None


@dataclass
class DeviceRecord:
    """A paired (or pairing) client device: a TUI, chat or control UI on another machine. `state`: pending |
    approved | rejected | revoked. Its device token is stored hashed; the device made it and keeps it."""

    id: str
    name: str
    kind: str  # tui | chat | ui | cli | other
    state: str
    secret_hash: str
    code: str  # the short code shown on the device and in `clawgate devices list`, to match the two
    requested_at: float
    updated_at: float
    requested_from: str | None = None  # the client address the request came from
    platform: str | None = None
    approved_at: float | None = None
    revoked_at: float | None = None
    last_seen_at: float | None = None
    last_refused_at: float | None = None
    last_refused_code: str | None = None
    refusals: int = 0


@dataclass(frozen=True)
class SpendRow:
    """Spend grouped by some of client, agent, model and day (UTC `YYYY-MM-DD`): what `spend_by` returns."""

    client: str | None
    agent: str | None
    provider: str | None
    model: str | None
    day: str | None
    cost_usd: float
    tries: int  # tries sent (each retry and fallback is one)
    input_tokens: int
    output_tokens: int
    cache_read_tokens: int
    cache_write_tokens: int

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
    endpoint: str | None = None  # the base URL it was learned on (health.endpoint_of); None: every endpoint
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
            "endpoint": self.endpoint,
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


@dataclass(frozen=True)
class HealthClear:
    """A `health clear` (any process): records of (provider, fingerprint) last updated before `ts` are gone.
    None matches every provider / fingerprint."""

    id: int
    ts: float
    provider: str | None
    fingerprint: str | None


@dataclass
class SessionRecord:
    """A conversation of one agent. `kind`: chat | cron | subagent."""

    id: str
    agent: str
    created_at: float
    updated_at: float
    title: str | None = None
    model_pin: str | None = None  # REF[@profile] set by /model
    kind: str = "chat"
    parent_run_id: str | None = None  # subagent sessions: the run that spawned them
    tokens_used: int | None = None  # input + output tokens of the last completed run


@dataclass
class MessageRecord:
    """One message of a session, ordered by `seq`. `status`: complete | streaming | interrupted | error |
    stopped. Tool calls / results keep what the next model call needs."""

    id: str
    session_id: str
    seq: int
    role: str  # user | assistant | system | tool
    content: str
    status: str
    created_at: float
    run_id: str | None = None
    ref: str | None = None
    error: dict[str, Any] | None = None
    tool_calls: list[dict[str, Any]] | None = None
    tool_call_id: str | None = None
    name: str | None = None
    updated_at: float | None = None


@dataclass
class RunRecord:
    """One model turn. `status`: queued | running | completed | error | stopped | interrupted | timeout."""

    id: str
    session_id: str
    agent: str
    status: str
    created_at: float
    parent_run_id: str | None = None
    limit: str | None = None  # idle | total (which watchdog limit fired)
    started_at: float | None = None
    ended_at: float | None = None
    last_activity_at: float | None = None
    ref: str | None = None
    model_from: str | None = None
    credential: dict[str, Any] | None = None
    usage: dict[str, Any] | None = None
    error: dict[str, Any] | None = None
    trigger: str = "user"  # user | cron:<id> | subagent
    message_id: str | None = None  # the user message this run answers
    reply_id: str | None = None  # the assistant message it writes
    subagents: list[dict[str, Any]] = field(default_factory=list)
    worker: str | None = None  # the gateway process running it (start-up recovery checks its lease)
    # the models/credentials skipped before the one that served (call/skipped.py `to_json`); None: none were
    fallback: list[dict[str, Any]] | None = None


@dataclass
class CronRecord:
    """One firing of a cron job: ran (ok/error/timeout/...) or skipped (and why), with the owner on failure."""

    job_id: str
    ts: float
    status: str  # ok | error | timeout | stopped | interrupted | skipped
    trigger: str = "schedule"  # schedule | delay | manual
    via: str = "gateway"  # gateway | local
    ended_at: float | None = None
    run_id: str | None = None
    session_id: str | None = None
    agent: str | None = None
    ref: str | None = None
    owner: str | None = None
    code: str | None = None
    message: str | None = None
    next_steps: list[str] | None = None
    id: int | None = None

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["next"] = out.pop("next_steps") or []
        return out


@dataclass
class StoredResponse:
    """A Responses answer clawgate keeps so a later `previous_response_id` can continue it: the whole
    conversation up to and including that answer, as Responses input items."""

    id: str
    created_at: float
    expires_at: float
    model: str | None
    items: list[dict[str, Any]]


class Store(Protocol):
    """What clawgate keeps between calls and processes. Writes never block the caller."""

    def record_attempt(self, rec: AttemptRecord) -> None: ...

    def record_attempt_row(self, row: tuple[Any, ...]) -> None:
        """`record_attempt(AttemptRecord(*row))` without the record: the values in the record's field order
        (`columns.ATTEMPT_COLS`, `id` left out). The executor records every try this way."""

    def recent_attempts(
        self, limit: int = 100, since: float | None = None, failures_only: bool = False
    ) -> list[AttemptRecord]: ...

    def count_attempts(self, since: float | None = None) -> int: ...

    def failures_by_owner(self, since: float | None = None) -> tuple[int, dict[str, int]]:
        """(tries since `since`, failed tries per owner) — counted by the store, not by loading rows."""
        ...

    def active_runs(self) -> list[RunRecord]:
        """Runs still queued or running (doctor's stuck-run check)."""
        ...

    def load_health(self) -> list[HealthRecord]: ...

    def save_health(self, rec: HealthRecord) -> None: ...

    def delete_health(
        self, provider: str | None = None, fingerprint: str | None = None, model: str | None = None
    ) -> None:
        """Forget stored records (this process's own bookkeeping: a success clears its own record)."""
        ...

    def clear_health(self, provider: str | None = None, fingerprint: str | None = None) -> None:
        """`health clear`: forget the stored records and tell every process sharing this store (see
        `health_clears`), so a running gateway stops refusing at once."""
        ...

    def health_clears(self, after: int = 0) -> list[HealthClear]:
        """The clears recorded after id `after`, oldest first (`after=-1`: only the newest one, for a cursor)."""
        ...

    def health_clears_version(self) -> object:
        """A cheap marker that changes once a new clear is committed (a stat, no query): a registry about to
        refuse a call compares it before it looks for clears."""
        ...

    # -- clients: keys, devices, spend (clawgate.clients) ------------------------------------------------

    def save_client_key(self, rec: ClientKeyRecord) -> None: ...

    def client_keys(self) -> list[ClientKeyRecord]: ...

    def save_device(self, rec: DeviceRecord) -> None: ...

    def devices(self) -> list[DeviceRecord]: ...

    def delete_device(self, device_id: str) -> None: ...

    def note_device_refusal(self, device_id: str, ts: float, code: str, count: int) -> None:
        """Count refusals of a device's token (doctor shows them); touches only those columns."""
        ...

    def note_device_seen(self, device_id: str, ts: float) -> None:
        """When a paired device was last let in (`devices list`); touches only that column."""
        ...

    def clients_version(self) -> object:
        """A cheap marker that moves once a key or device change is committed (a stat or a throttled read):
        a gateway that missed the change's notification reloads its replica when it moved."""
        ...

    def mark_clients_changed(self) -> None:
        """Move `clients_version` (after a committed change to keys or devices)."""
        ...

    def spend_by(
        self, group: tuple[str, ...], since: float | None = None, until: float | None = None
    ) -> list[SpendRow]:
        """Cost and tokens of the tries since `since`, grouped by some of client, agent, model, day."""
        ...

    def client_spend(self, since: float) -> dict[str, float]:
        """USD spent per client since `since` (budgets seed their counters from it)."""
        ...

    def client_last_used(self) -> dict[str, float]:
        """When each client last made a try."""
        ...

    # -- sessions, messages, runs (the agent runtime) ----------------------------------------------------

    def save_session(self, rec: SessionRecord) -> None: ...

    def get_session(self, session_id: str) -> SessionRecord | None: ...

    def list_sessions(
        self, agent: str | None = None, limit: int = 50, kind: str | None = None
    ) -> list[SessionRecord]: ...

    def find_session(self, agent: str, title: str, kind: str | None = None) -> SessionRecord | None: ...

    def save_message(self, rec: MessageRecord) -> None:
        """Insert or update a message. A new message with `seq` 0 gets the next seq of its session, assigned
        by the store in its own transaction (never by a process's counter); an update keeps the seq."""
        ...

    def move_to_end(self, session_id: str, message_id: str) -> None:
        """Give the message the next seq (a queued message answered now comes after what was said meanwhile)."""
        ...

    def list_messages(self, session_id: str) -> list[MessageRecord]: ...

    def count_messages(self, session_ids: list[str]) -> dict[str, int]: ...

    def trim_messages(self, session_id: str, keep: int) -> None: ...

    def save_run(self, rec: RunRecord) -> None: ...

    def get_run(self, run_id: str) -> RunRecord | None: ...

    def list_runs(self, session_id: str) -> list[RunRecord]: ...

    def mark_interrupted(self, now: float, only: list[str] | None = None) -> tuple[int, int]:
        """Runs left queued/running and replies left streaming by a gateway that died: mark them interrupted
        (synchronously) — all of them, or the runs in `only` (and their replies). Returns (messages, runs)."""
        ...

    def record_cron(self, rec: CronRecord) -> None: ...

    def cron_history(self, job_id: str | None = None, limit: int = 50) -> list[CronRecord]: ...

    # -- stored Responses answers (previous_response_id) ---------------------------------------------------

    def save_response(self, rec: StoredResponse) -> None: ...

    def get_response(self, response_id: str, now: float) -> StoredResponse | None:
        """The response, unless it is unknown or expired at `now`."""
        ...

    def delete_response(self, response_id: str) -> None: ...

    def prune_responses(self, now: float, keep: int) -> None:
        """Delete expired responses, and the oldest beyond `keep`."""
        ...

    def barrier(self) -> Future[None]:
        """A future that completes once every write submitted before it is committed."""
        ...

    def flush(self, timeout: float = 5.0) -> None: ...

    def status(self) -> dict[str, Any]:
        """{"engine", "host" (never a password), "reachable", "error", "queued", ...} for status and doctor."""
        ...

    @property
    def available(self) -> bool:
        """False while the engine cannot be reached (the sessions API answers 503)."""
        ...

    def close(self) -> None: ...
