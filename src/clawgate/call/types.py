"""What a call is made of: the caller's request (`CallRequest`), the retry bounds (`Policy`), one try's result
(`TryResult`), and the outcome — a whole body (`CallOutcome`) or an open stream (`StreamOutcome`) yielding
`SSEBatch`es (passed through) or `StreamEvent`s (translated) and at most one final `Failure`."""

from __future__ import annotations

import itertools
import os
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import orjson

from clawgate.auth.resolve import Candidate
from clawgate.call.sse import SSEEvent
from clawgate.clients.identity import Client
from clawgate.dialects.internal import ChatRequest, ChatResult, Usage
from clawgate.dialects.registry import get_dialect
from clawgate.failures import Failure
from clawgate.plan.types import Attempt

_CALL_PREFIX = os.urandom(4).hex()
_CALL_COUNTER = itertools.count(1)


def new_call_id() -> str:
    """A unique call id (random per process + a counter): cheaper than uuid4 on every request."""
    return f"{_CALL_PREFIX}{next(_CALL_COUNTER):08x}"


@dataclass
class Policy:
    """Retry bounds (configurable through gateway.* settings)."""

    max_retry_wait: float = 30.0  # longest retry-after clawgate will wait before retrying in place
    retries_rate_limit: int = 2
    retries_transient: int = 2  # 5xx / overload / timeout / reset
    backoff_base: float = 0.5
    backoff_cap: float = 8.0


@dataclass
class CallRequest:
    """What a caller wants. `raw` is a client body in dialect `client_api` (None for internal callers)."""

    stream: bool = False
    client_api: str | None = None
    raw: dict[str, Any] | None = None
    chat: ChatRequest | None = None
    purpose: str = "request"
    agent: str | None = None
    session_id: str | None = None
    run_id: str | None = None
    forward_headers: dict[str, str] = field(default_factory=dict)
    ignore_health: bool = False  # probes test credentials live, whatever the health state says
    strip_usage_chunk: bool = (
        False  # set by the executor: usage was requested for the record, not by the client
    )
    max_credentials: int | None = None  # probes of one credential set this to 1
    endpoint: str | None = None  # an auxiliary endpoint (call/bodies.ENDPOINTS) instead of the chat call
    # attempt ref -> bodies.AttemptNotes (what that attempt's body left out), filled while the bodies are made
    notes: dict[str, Any] = field(default_factory=dict)
    client: Client | None = None  # who asked (a client key, a device); None: the owner or clawgate itself
    span: Any = None  # the gateway's server span (observability; None when tracing is off or not sampled)

    def chat_request(self) -> ChatRequest:
        if self.chat is None:
            if self.raw is None or self.client_api is None:
                raise ValueError("CallRequest needs either chat or raw + client_api")
            self.chat = get_dialect(self.client_api).decode_request(self.raw)
        return self.chat


@dataclass
class TryResult:
    """One try of one credential on one attempt (or a refusal before sending)."""

    attempt: Attempt
    cred: Candidate | None
    ok: bool
    failure: Failure | None = None
    status: int | None = None
    latency_ms: float | None = None
    first_byte_ms: float | None = None
    sent: bool = True
    try_no: int = 0
    response_model: str | None = None  # the model the provider says answered (observability)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "ref": self.attempt.ref,
            "credential": {"source": self.cred.source, "fingerprint": self.cred.fingerprint}
            if self.cred
            else None,
            "ok": self.ok,
            "sent": self.sent,
            "status": self.status,
            "latency_ms": round(self.latency_ms, 1) if self.latency_ms is not None else None,
        }
        if self.failure:
            out["owner"] = self.failure.owner
            out["code"] = self.failure.code
            out["message"] = self.failure.message
        return out


@dataclass
class CallOutcome:
    ok: bool
    call_id: str
    tries: list[TryResult]
    attempt: Attempt | None = None
    cred: Candidate | None = None
    api: str | None = None  # dialect of `body`
    body: bytes | None = None
    failure: Failure | None = None
    usage: Usage = field(default_factory=Usage)
    upstream_ms: float = 0.0  # time spent waiting on providers (for x-clawgate-overhead-ms)
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)  # upstream headers worth passing on (retry-after)
    response_model: str | None = None  # the model the provider says answered (observability)

    def result(self) -> ChatResult:
        """The response decoded into the internal form."""
        assert self.body is not None and self.api is not None
        return get_dialect(self.api).decode_response(orjson.loads(self.body))

    @property
    def first_failure(self) -> Failure | None:
        for t in self.tries:
            if t.failure is not None:
                return t.failure
        return None


class SSEBatch:
    """Upstream SSE events passed through unchanged, as one upstream read brought them. `events` is empty when
    the read was checked as bytes (an OpenAI chat stream's plain `data:` events, call/passthrough.py): `raw`
    is then those bytes."""

    __slots__ = ("_raw", "events")

    def __init__(self, events: list[SSEEvent], raw: bytes | None = None) -> None:
        self.events = events
        self._raw = raw

    @property
    def raw(self) -> bytes:
        if self._raw is not None:
            return self._raw
        evs = self.events
        return evs[0].raw if len(evs) == 1 else b"".join(e.raw for e in evs)


class StreamOutcome(CallOutcome):
    """An open stream. Iterate it for items: `SSEBatch` (events passed through unchanged — forward `.raw` —
    when the client speaks the upstream dialect), `StreamEvent` (decoded, otherwise), and at most one final
    `Failure` (mid-stream)."""

    _items: AsyncIterator[Any] | None = None
    _closer: Callable[[], None] | None = None

    def __aiter__(self) -> AsyncIterator[Any]:
        assert self._items is not None
        return self._items

    async def aclose(self) -> None:
        if self._items is not None:
            await self._items.aclose()  # type: ignore[attr-defined]
        if self._closer is not None:
            self._closer()
