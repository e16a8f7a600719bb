"""`previous_response_id` served by clawgate: Responses answers kept in the state store, so a conversation
continues on a provider that keeps nothing (an Anthropic or chat provider), or after a fallback.

- Every Responses answer clawgate gives is kept (`StoredResponse`: the conversation so far as Responses
  input items, the answer's output items last) for `gateway.responses.ttlSeconds`, at most
  `gateway.responses.maxStored` of them — unless the client sent `store: false`, or OpenAI itself answered
  (it keeps its own responses, and continues them by id). It is committed before the client has the whole
  answer (the next turn may reach another process of the gateway, or another machine); a store that is away
  keeps the write queued and the answer goes on after `COMMIT_WAIT`.
- A request with `previous_response_id` that clawgate kept is expanded: the kept items, then the new input;
  `previous_response_id` is removed (the instructions are the new request's own, as OpenAI does).
- An id clawgate did not keep goes to the provider when the plan starts with a Responses provider (it may
  know it); otherwise the request is refused with `request.previous_response_not_found`.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

import orjson

from clawgate.call.sse import SSEEvent
from clawgate.failures import Failure, failure, from_error
from clawgate.plan.types import Attempt, Plan
from clawgate.store.base import Store, StoredResponse, StoreUnavailable

API = "openai-responses"
_PRUNE_EVERY = 200  # saves between two prunes of expired and surplus responses
COMMIT_WAIT = 2.0  # seconds an answer waits at most for its kept copy to be committed


def input_items(value: Any) -> list[dict[str, Any]]:
    """A Responses `input` as a list of items (a string is one user message)."""
    if isinstance(value, str):
        return [{"type": "message", "role": "user", "content": value}]
    return [i for i in value if isinstance(i, dict)] if isinstance(value, list) else []


def not_found(response_id: str, ttl: float) -> Failure:
    hours = ttl / 3600
    return failure(
        "request.previous_response_not_found",
        param="previous_response_id",
        message=f"Previous response with id {response_id!r} not found: clawgate keeps responses for "
        f"{hours:g} h (gateway.responses.ttlSeconds), not those sent with store: false, and this plan's "
        "provider cannot look it up",
        next_steps=[
            "send the whole conversation in `input` instead of previous_response_id",
            "keep them longer: clawgate config set gateway.responses.ttlSeconds <SECONDS>",
        ],
    )


class ResponseMemory:
    """Keeps and finds Responses answers in the state store."""

    def __init__(self, store: Store, ttl: float, keep: int) -> None:
        self.store = store
        self.ttl = ttl
        self.keep = keep
        self._saves = 0

    async def _get(self, response_id: str) -> StoredResponse | None:
        now = time.time()
        rec = await asyncio.to_thread(self.store.get_response, response_id, now)
        if rec is None:  # it may still be in the writer's queue (a quick second turn)
            await asyncio.wrap_future(self.store.barrier())
            rec = await asyncio.to_thread(self.store.get_response, response_id, now)
        return rec

    async def expand(self, body: dict[str, Any], plan: Plan) -> dict[str, Any] | Failure:
        """`body` with its previous_response_id replaced by the kept conversation (or the body unchanged
        for a provider that may know the id, or the refusal)."""
        rid = body.get("previous_response_id")
        if not isinstance(rid, str) or not rid:
            return body
        try:
            rec = await self._get(rid)
        except StoreUnavailable as exc:  # the database is away: the conversation cannot be read now
            return from_error(exc)
        if rec is None:
            first = next((a for a in plan.attempts if a.error is None), None)
            if first is not None and first.api == API:
                return body  # the provider may keep it (and says so if not)
            return not_found(rid, self.ttl)
        out = {k: v for k, v in body.items() if k != "previous_response_id"}
        out["input"] = [*rec.items, *input_items(body.get("input"))]
        return out

    def keeps(self, body: dict[str, Any], att: Attempt | None, passthrough: bool) -> bool:
        """Whether this answer is kept: not with store: false, not when OpenAI itself keeps it."""
        if body.get("store") is False or att is None:
            return False
        return not (passthrough and att.provider == "openai")

    async def remember(
        self, body: dict[str, Any], response_id: str, output: list[Any], model: str | None
    ) -> None:
        """Keep an answer, and wait (at most COMMIT_WAIT) until the store has committed it."""
        now = time.time()
        items = [*input_items(body.get("input")), *(o for o in output if isinstance(o, dict))]
        self.store.save_response(StoredResponse(response_id, now, now + self.ttl, model, items))
        self._saves += 1
        if self._saves % _PRUNE_EVERY == 1:
            self.store.prune_responses(now, self.keep)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.wrap_future(self.store.barrier()), COMMIT_WAIT)

    async def remember_body(self, body: dict[str, Any], answer: bytes) -> None:
        """Keep a non-streamed Responses answer (the response object clawgate sent)."""
        try:
            obj = orjson.loads(answer)
        except orjson.JSONDecodeError:
            return
        if isinstance(obj, dict) and isinstance(obj.get("id"), str):
            await self.remember(body, obj["id"], obj.get("output") or [], obj.get("model"))


def completed_response(events: list[SSEEvent]) -> dict[str, Any] | None:
    """The response object of a passed-through stream's `response.completed` event, if these events hold it."""
    for ev in reversed(events):
        if ev.event == "response.completed" or (ev.event is None and '"response.completed"' in ev.data):
            try:
                obj = orjson.loads(ev.data)
            except orjson.JSONDecodeError:
                return None
            response = obj.get("response") if isinstance(obj, dict) else None
            return response if isinstance(response, dict) else None
    return None
