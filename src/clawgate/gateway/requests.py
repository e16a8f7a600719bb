"""What a model-call request brings, read and checked before any plan is made: the body (bounded by
gateway.maxBodyBytes), its shape per endpoint (chat endpoints, count_tokens, embeddings), and the client going
away while the provider works."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from clawgate.dialects import fields
from clawgate.failures import Failure
from clawgate.gateway.errors import request_error

Receive = Callable[[], Awaitable[dict[str, Any]]]


class BodyTooLarge(Exception):
    pass


class ClientGone(Exception):
    """The client disconnected before its request body was read."""


def check_model(body: dict[str, Any], required: bool) -> Failure | None:
    """`model`, alike on every endpoint: a string when given; and given, not empty, where the endpoint needs it."""
    model = body.get("model")
    if model is not None and not isinstance(model, str):
        return request_error("'model' must be a string", "model")
    if required and not model:
        return request_error("'model' is required", "model")
    return None


def validate_body(body: Any, api: str) -> Failure | None:
    """The shape every chat endpoint needs, and the types of the fields clawgate reads (`dialects/fields.py`),
    checked the same for every route; the provider checks the rest."""
    if not isinstance(body, dict):
        return request_error("request body must be a JSON object")
    bad = check_model(body, required=False)  # absent: the default agent's model
    if bad is not None:
        return bad
    if "stream" in body and not isinstance(body["stream"], bool):
        return request_error("'stream' must be true or false", "stream")
    if api == "openai-responses":
        if "input" not in body:
            return request_error("'input' is required (a string or a list of input items)", "input")
        if not isinstance(body["input"], (str, list)):
            return request_error("'input' must be a string or a list", "input")
        prev = body.get("previous_response_id")
        if prev is not None and not isinstance(prev, str):
            return request_error("'previous_response_id' must be a string", "previous_response_id")
        return _field_types(body, api)
    msgs = body.get("messages")
    if not isinstance(msgs, list) or not msgs:
        return request_error("'messages' must be a non-empty list", "messages")
    for i, m in enumerate(msgs):
        if not isinstance(m, dict) or not isinstance(m.get("role"), str):
            return request_error(f"messages[{i}] must be an object with a 'role'", f"messages[{i}]")
    if api == "anthropic-messages":
        mt = body.get("max_tokens")
        if mt is not None and (not isinstance(mt, int) or isinstance(mt, bool) or mt < 1):
            return request_error("'max_tokens' must be a positive integer", "max_tokens")
    return _field_types(body, api)


def _field_types(body: dict[str, Any], api: str) -> Failure | None:
    bad = fields.invalid(api, body)
    return request_error(bad[1], bad[0]) if bad is not None else None


def validate_count_tokens(body: Any) -> Failure | None:
    """POST /v1/messages/count_tokens: a model and the messages (Anthropic's shape)."""
    if not isinstance(body, dict):
        return request_error("request body must be a JSON object")
    bad = check_model(body, required=True)
    if bad is not None:
        return bad
    msgs = body.get("messages")
    if not isinstance(msgs, list) or not msgs:
        return request_error("'messages' must be a non-empty list", "messages")
    return None


def validate_embeddings(body: Any) -> Failure | None:
    """POST /v1/embeddings: a model and the input (OpenAI's shape)."""
    if not isinstance(body, dict):
        return request_error("request body must be a JSON object")
    bad = check_model(body, required=True)
    if bad is not None:
        return bad
    if not isinstance(body.get("input"), (str, list)) or body["input"] in ("", []):
        return request_error("'input' must be a string or a non-empty list", "input")
    return None


async def read_body(receive: Receive, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        msg = await receive()
        if msg["type"] == "http.disconnect":
            raise ClientGone
        chunk = msg.get("body", b"")
        if chunk:
            size += len(chunk)
            if size > limit:
                raise BodyTooLarge
            chunks.append(chunk)
        if not msg.get("more_body"):
            break
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


async def wait_disconnect(receive: Receive) -> None:
    while True:
        msg = await receive()
        if msg["type"] == "http.disconnect":
            return


WATCH_AFTER = 0.05  # seconds a call runs before the client's connection is watched


class ClientWatch:
    """Done when the client has gone away while its call runs. The task that waits on `receive()` starts only
    once the call has run `after` seconds: a call answered sooner (most non-streamed answers of a fast provider,
    every point of the benchmark) costs one timer, not a task created, scheduled and cancelled; a longer one is
    cancelled at most `after` seconds after its client left. The callers use it like the future it replaces:
    `add_done_callback`, `remove_done_callback`, `done()` (the client left), `cancel()` (stop watching)."""

    __slots__ = ("_callbacks", "_left", "_receive", "_stopped", "_task", "_timer")

    def __init__(self, receive: Receive, after: float = WATCH_AFTER) -> None:
        self._receive = receive
        self._task: asyncio.Task[None] | None = None
        self._callbacks: list[Callable[[ClientWatch], None]] = []
        self._left = False
        self._stopped = False
        self._timer: asyncio.TimerHandle | None = asyncio.get_running_loop().call_later(after, self._start)

    def _start(self) -> None:
        self._timer = None
        if not self._stopped:
            self._task = asyncio.ensure_future(wait_disconnect(self._receive))
            self._task.add_done_callback(self._ended)

    def _ended(self, task: asyncio.Task[None]) -> None:
        if task.cancelled() or task.exception() is not None or self._stopped:
            return
        self._left = True
        for cb in list(self._callbacks):
            cb(self)

    def add_done_callback(self, cb: Callable[[ClientWatch], None]) -> None:
        if self._left:  # as a done future does: call it soon
            asyncio.get_running_loop().call_soon(cb, self)
        else:
            self._callbacks.append(cb)

    def remove_done_callback(self, cb: Callable[[ClientWatch], None]) -> None:
        if cb in self._callbacks:
            self._callbacks.remove(cb)

    def done(self) -> bool:
        """The client went away."""
        return self._left

    def cancel(self) -> None:
        """Stop watching (the answer is complete)."""
        self._stopped = True
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._task is not None:
            self._task.cancel()
