"""The Dialect interface every provider implements, plus the per-request context and error value."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

import orjson

from .. import sse
from ..reply import Reply

if TYPE_CHECKING:
    from multidict import CIMultiDictProxy

    from ..faults import Fault

# Endpoint names, as logged.
CHAT, RESPONSES, MESSAGES, MODELS, UNKNOWN = "chat", "responses", "messages", "models", "unknown"
MODEL, COUNT_TOKENS, EMBEDDINGS = "model", "count_tokens", "embeddings"  # GET one model; token count; vectors

AUTH_OK, AUTH_MISSING, AUTH_WRONG, AUTH_WRONG_REGION = "ok", "missing", "wrong", "wrong_region"


@dataclass(slots=True)
class Ctx:
    """Everything a dialect needs to answer one request."""

    dialect: Dialect
    region: str | None
    endpoint: str
    method: str
    path: str
    seq: int  # unique per request; seeds every generated id
    created: int  # unix seconds
    headers: CIMultiDictProxy[str]
    data: dict[str, Any] = field(default_factory=dict)
    model: str = ""
    key: str | None = None
    stream: bool = False
    fault: Fault | None = None
    chunks: int = 5
    oauth: Any = None  # the emulator's OAuthState (issued tokens and their expiry)


@dataclass(slots=True)
class ErrorReply:
    """A complete error response."""

    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"


@dataclass(slots=True)
class StreamSpec:
    """A successful stream before faults are applied."""

    items: list[sse.Item]
    terminator: list[bytes]  # `[DONE]` for chat streams; empty when the last item is the terminal event
    inband: Callable[[int], list[sse.Item]]  # the in-band error, given how many events came before it
    preamble: list[bytes] = field(default_factory=list)  # comment lines before the first event


def dumps(obj: Any) -> bytes:
    return orjson.dumps(obj)


def bearer(headers: CIMultiDictProxy[str]) -> str | None:
    """The token of an `Authorization: Bearer <token>` header (None if absent, empty or another scheme)."""
    value = headers.get("Authorization")
    if not value:
        return None
    scheme, _, token = value.partition(" ")
    if scheme.lower() != "bearer":
        return None
    token = token.strip()
    return token or None


def uuid_like(seq: int) -> str:
    return f"00000000-0000-4000-8000-{seq:012d}"


class Dialect:
    """One provider's HTTP dialect. Subclasses override the hooks; `err_<kind>` methods build fault errors."""

    name: ClassVar[str]
    regions: ClassVar[tuple[str, ...]] = ()
    default_region: ClassVar[str | None] = None
    server: ClassVar[str] = "cloudflare"
    json_type: ClassVar[str] = "application/json"
    stream_type: ClassVar[str] = "text/event-stream; charset=utf-8"
    # Slow first byte: send headers at once, then `stream_keepalive` lines until the data starts.
    early_headers_stream: ClassVar[bool] = False
    # Same for non-stream bodies: blank lines before the JSON (DeepSeek).
    early_headers_body: ClassVar[bool] = False
    stream_keepalive: ClassVar[bytes] = b": keep-alive\n\n"
    default_models: ClassVar[tuple[str, ...]] = ()

    def __init__(self, models: list[str] | None = None) -> None:
        self.models = list(models) if models is not None else list(self.default_models)

    # Mounting ---------------------------------------------------------------------------
    def prefix(self, region: str | None) -> str:
        raise NotImplementedError

    def routes(self, region: str | None) -> list[tuple[str, str, str]]:
        """(method, path suffix, endpoint) served under `prefix(region)`."""
        raise NotImplementedError

    # Auth -------------------------------------------------------------------------------
    def credential(self, headers: CIMultiDictProxy[str], query: Any) -> str | None:
        return bearer(headers)

    def auth_error(self, ctx: Ctx, state: str) -> ErrorReply:
        """The 401-ish reply for a missing (`state == "missing"`) or rejected key."""
        raise NotImplementedError

    def precheck(self, ctx: Ctx) -> ErrorReply | None:
        """A dialect-specific rejection of an authenticated request (e.g. a missing version header)."""
        return None

    # Headers ----------------------------------------------------------------------------
    def request_id(self, ctx: Ctx) -> str:
        return f"req_{ctx.seq:032x}"

    def base_headers(self, ctx: Ctx) -> dict[str, str]:
        return {"x-request-id": self.request_id(ctx), "Server": self.server}

    def error_headers(self, ctx: Ctx, status: int) -> dict[str, str]:
        return self.base_headers(ctx)

    # Errors -----------------------------------------------------------------------------
    def error(self, ctx: Ctx, kind: str) -> ErrorReply:
        """The reply for status fault `kind`, honouring the fault's status and retry overrides."""
        fault = ctx.fault
        if kind == "custom" and fault is not None:
            raw = fault.body
            body = raw if isinstance(raw, bytes) else raw.encode() if isinstance(raw, str) else dumps(raw)
            return ErrorReply(fault.status or 500, body, dict(fault.headers or {}), fault.content_type)
        if kind in ("missing_key", "wrong_key"):
            reply = self.auth_error(ctx, "missing" if kind == "missing_key" else "wrong")
        else:
            reply = getattr(self, "err_" + kind)(ctx)
        if fault is not None:
            if fault.status is not None:
                reply.status = fault.status
            reply.headers.update(fault.retry_headers(1.0 if kind == "rate_limit" else None))
        return reply

    def reply(self, status: int, body: Any, headers: dict[str, str] | None = None) -> ErrorReply:
        raw = body if isinstance(body, bytes) else dumps(body)
        return ErrorReply(status, raw, headers or {}, self.json_type)

    def not_found(self, ctx: Ctx) -> ErrorReply:
        raise NotImplementedError

    def invalid_request(self, ctx: Ctx, message: str | None) -> ErrorReply:
        """A 400 for a malformed request; `message` None means "the body is not valid JSON"."""
        raise NotImplementedError

    def err_billing(self, ctx: Ctx) -> ErrorReply:
        raise NotImplementedError

    def err_forbidden(self, ctx: Ctx) -> ErrorReply:
        raise NotImplementedError

    def err_rate_limit(self, ctx: Ctx) -> ErrorReply:
        raise NotImplementedError

    def err_overloaded(self, ctx: Ctx) -> ErrorReply:
        raise NotImplementedError

    def err_server_error(self, ctx: Ctx) -> ErrorReply:
        raise NotImplementedError

    def err_unknown_model(self, ctx: Ctx) -> ErrorReply:
        raise NotImplementedError

    def err_context_length(self, ctx: Ctx) -> ErrorReply:
        raise NotImplementedError

    # Success ----------------------------------------------------------------------------
    def body(self, ctx: Ctx, reply: Reply) -> bytes:
        raise NotImplementedError

    def stream(self, ctx: Ctx, reply: Reply) -> StreamSpec:
        raise NotImplementedError

    def inband_body(self, ctx: Ctx, reply: Reply) -> bytes:
        """A non-stream 200 body that carries an error after generation started."""
        raise NotImplementedError

    def models_body(self, ctx: Ctx) -> bytes:
        raise NotImplementedError

    def model_body(self, ctx: Ctx) -> bytes:
        """GET one model (`ctx.model`, known to this dialect's list)."""
        raise NotImplementedError

    def count_body(self, ctx: Ctx, tokens: int) -> bytes:
        """A token count of the request (`tokens`, computed by the emulator)."""
        return dumps({"object": "response.input_tokens", "input_tokens": tokens})

    def embeddings_body(self, ctx: Ctx, vectors: list[Any], tokens: int) -> bytes:
        return dumps(
            {
                "object": "list",
                "data": [{"object": "embedding", "index": i, "embedding": v} for i, v in enumerate(vectors)],
                "model": ctx.model,
                "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
            }
        )
