"""The dialect interface: request/response codecs in both directions and stream decoders/encoders."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from clawgate.call.sse import SSEEvent
from clawgate.dialects.internal import ChatRequest, ChatResult, StreamEvent, Usage
from clawgate.failures import Failure


@dataclass(frozen=True)
class Target:
    """What an encoder knows of the model it writes a request for (from the plan's attempt and catalog)."""

    model: str
    provider: str | None = None
    reasoning: bool | None = None  # the model takes reasoning controls (None: judge by its id)
    max_output: int | None = None  # the model's output-token limit, when the catalog knows it
    structured: str | None = None  # Anthropic structured outputs: native | tool (None: by model)

    def clamp(self, max_tokens: int | None) -> int | None:
        """`max_tokens` within the model's limit."""
        if max_tokens is None or self.max_output is None:
            return max_tokens
        return min(max_tokens, self.max_output)


class StreamDecoder(Protocol):
    """Upstream SSE events of one dialect -> internal events (stateful, one per stream)."""

    def feed(self, event: SSEEvent) -> list[StreamEvent]:
        """Decode one SSE event. Raise `StreamFailure` for an in-band error."""
        ...

    @property
    def done(self) -> bool:
        """The stream is complete (a finish reason or terminal event was seen); keep feeding until it ends."""
        ...


class StreamEncoder(Protocol):
    """Internal events -> SSE bytes of one dialect, for a client (stateful, one per stream)."""

    def encode(self, event: StreamEvent) -> bytes: ...

    def adopt(self, event: SSEEvent) -> None:
        """Pass-through: note an upstream event forwarded unchanged, so `error()`/`finish()` continue it."""
        ...

    def finish(self) -> bytes:
        """Bytes that properly end the stream (e.g. `data: [DONE]`), given what was sent so far."""
        ...

    def error(self, failure: Failure) -> bytes:
        """An in-band error event in this dialect, followed by whatever terminates the stream."""
        ...


class StreamFailure(Exception):
    """An in-band error found while decoding a stream (HTTP status was 200)."""

    def __init__(self, failure: Failure) -> None:
        super().__init__(failure.message)
        self.failure = failure


class Dialect(Protocol):
    """One wire format. `api` is the config name (openai-completions | openai-responses | anthropic-messages)."""

    api: str
    path: str  # the request path appended to a provider's base URL, e.g. "/chat/completions"

    # client -> internal (gateway frontends)
    def decode_request(self, body: dict[str, Any]) -> ChatRequest: ...

    # internal -> upstream (adapters)
    def encode_request(
        self, req: ChatRequest, model: str, target: Target | None = None
    ) -> dict[str, Any]: ...

    # upstream -> internal
    def decode_response(self, body: dict[str, Any]) -> ChatResult: ...

    # internal -> client; `request` (the client's, decoded) names its tools' kinds for the answer's calls
    def encode_response(
        self, result: ChatResult, model: str, request: ChatRequest | None = None
    ) -> dict[str, Any]: ...

    def stream_decoder(self, provider: str, host: str | None, model: str | None) -> StreamDecoder: ...

    def stream_encoder(
        self, model: str, include_usage: bool = True, request: ChatRequest | None = None
    ) -> StreamEncoder: ...

    def usage_of(self, body: dict[str, Any]) -> Usage:
        """Token usage from a non-streaming response body of this dialect."""
        ...

    def error_body(self, failure: Failure, status: int) -> dict[str, Any]:
        """This dialect's error envelope for `failure`, with clawgate's owner/code/next fields added."""
        ...


def same_wire(client_api: str, upstream_api: str) -> bool:
    """Whether bodies and stream events can pass through unchanged between the two."""
    return client_api == upstream_api
