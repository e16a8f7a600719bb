"""What a model-call request brings, read and checked before any plan is made: the body (bounded by
gateway.maxBodyBytes), its shape per endpoint (chat endpoints, count_tokens, embeddings), and the client going
away while the provider works."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from clawgate.failures import Failure
from clawgate.gateway.errors import request_error

Receive = Callable[[], Awaitable[dict[str, Any]]]


class BodyTooLarge(Exception):
    pass


class ClientGone(Exception):
    """The client disconnected before its request body was read."""


def validate_body(body: Any, api: str) -> Failure | None:
    """The shape every chat endpoint needs (the provider checks the rest)."""
    if not isinstance(body, dict):
        return request_error("request body must be a JSON object")
    model = body.get("model")
    if model is not None and not isinstance(model, str):
        return request_error("'model' must be a string", "model")
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
        return None
    msgs = body.get("messages")
    if not isinstance(msgs, list) or not msgs:
        return request_error("'messages' must be a non-empty list", "messages")
    for i, m in enumerate(msgs):
        if not isinstance(m, dict) or not isinstance(m.get("role"), str):
            return request_error(f"messages[{i}] must be an object with a 'role'", f"messages[{i}]")
    if api == "anthropic-messages":
        mt = body.get("max_tokens")
        if mt is not None and (not isinstance(mt, int) or mt < 1):
            return request_error("'max_tokens' must be a positive integer", "max_tokens")
    return None


def validate_count_tokens(body: Any) -> Failure | None:
    """POST /v1/messages/count_tokens: a model and the messages (Anthropic's shape)."""
    if not isinstance(body, dict):
        return request_error("request body must be a JSON object")
    if not isinstance(body.get("model"), str) or not body["model"]:
        return request_error("'model' is required", "model")
    msgs = body.get("messages")
    if not isinstance(msgs, list) or not msgs:
        return request_error("'messages' must be a non-empty list", "messages")
    return None


def validate_embeddings(body: Any) -> Failure | None:
    """POST /v1/embeddings: a model and the input (OpenAI's shape)."""
    if not isinstance(body, dict):
        return request_error("request body must be a JSON object")
    if not isinstance(body.get("model"), str) or not body["model"]:
        return request_error("'model' is required", "model")
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
