"""Answering a streamed model call: the SSE response, pass-through batches or translated events (reshaped
for the client and encoded in its dialect), the closing bytes or an in-band error, and keeping a Responses
answer for a later previous_response_id."""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import TYPE_CHECKING, Any

from clawgate import logs as log
from clawgate.call.bodies import AttemptNotes
from clawgate.call.types import CallRequest, SSEBatch, StreamOutcome
from clawgate.dialects import reshape
from clawgate.dialects.internal import StreamEvent
from clawgate.dialects.registry import get_dialect
from clawgate.failures import Failure
from clawgate.failures import failure as _failure  # `_pump` has a local named `failure`
from clawgate.gateway.access import RATE
from clawgate.gateway.responses_state import ResponseMemory, completed_response

if TYPE_CHECKING:
    from clawgate.gateway.app import GatewayApp, Scope, Send
    from clawgate.gateway.requests import ClientWatch

STARTED = "clawgate.response_started"  # scope key: the response has begun (an error can no longer be sent)
_SSE_HEADERS = [
    (b"content-type", b"text/event-stream; charset=utf-8"),
    (b"cache-control", b"no-cache"),
    (b"x-accel-buffering", b"no"),
]


async def answer(
    gw: GatewayApp,
    scope: Scope,
    watcher: ClientWatch,
    send: Send,
    api: str,
    outcome: StreamOutcome,
    t0: float,
    body: dict[str, Any],
    req: CallRequest,
) -> None:
    assert outcome.attempt is not None
    notes: AttemptNotes | None = req.notes.get(outcome.attempt.ref)
    overhead = (time.perf_counter() - t0) * 1000 - outcome.upstream_ms
    scope[STARTED] = True
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [
                *_SSE_HEADERS,
                *gw._served_headers(outcome, notes),
                *scope.get(RATE, ()),
                (b"x-clawgate-overhead-ms", f"{max(overhead, 0):.2f}".encode()),
            ],
        }
    )
    include_usage = (
        bool((body.get("stream_options") or {}).get("include_usage")) if api == "openai-completions" else True
    )
    dialect = get_dialect(api)
    label = str(body.get("model") or outcome.attempt.ref)
    passthrough = outcome.api == api
    request = None if passthrough else req.chat

    def make_encoder() -> Any:
        return dialect.stream_encoder(label, include_usage, request)

    # a pass-through stream needs an encoder only to end it after an error — except Responses, whose
    # encoder must follow the upstream response id from the start
    encoder = None if (passthrough and api != "openai-responses") else make_encoder()
    keep = api == "openai-responses" and gw.memory.keeps(body, outcome.attempt, passthrough)
    keeper = _Keeper(gw.memory, body, label) if keep else None
    shaper = reshape.StreamReshaper(notes.forced_tool if notes else None)
    # the stream is pumped in the request's own task; the client leaving (the watcher) or the drain window
    # closing (`abort_streams`, which marks it in `gw.streams` first) cancels it
    task = asyncio.current_task()
    assert task is not None
    finished: list[bool] = []
    pumping = True

    def client_gone(_w: ClientWatch) -> None:
        if pumping and not finished:
            task.cancel()

    watcher.add_done_callback(client_gone)
    gw.streams[task] = False
    status = 200
    try:
        await _pump(gw, send, api, outcome, encoder, make_encoder, finished, shaper, keeper)
    except asyncio.CancelledError:
        if not watcher.done() or task.uncancel() > 0:
            raise  # we are being cancelled ourselves
        status = 499  # client went away: the upstream request was closed with it
    finally:
        pumping = False
        watcher.remove_done_callback(client_gone)
        aborted = gw.streams.pop(task, False)
        with contextlib.suppress(Exception):
            await outcome.aclose()
    if aborted:
        status = 503
    gw._log(scope, status, t0, outcome, overhead)


async def _pump(
    gw: GatewayApp,
    send: Send,
    api: str,
    outcome: StreamOutcome,
    encoder: Any,
    make_encoder: Any,
    finished: list[bool],
    shaper: reshape.StreamReshaper,
    keeper: _Keeper | None,
) -> Failure | None:
    failure: Failure | None = None
    try:
        async for item in outcome:
            if isinstance(item, SSEBatch):  # passed through unchanged, one write per upstream read
                if encoder is not None:
                    for ev in item.events:
                        encoder.adopt(ev)
                if keeper is not None:
                    await keeper.passthrough(item.events)  # before the client sees response.completed
                await send({"type": "http.response.body", "body": item.raw, "more_body": True})
            elif isinstance(item, StreamEvent):
                data = b"".join(encoder.encode(ev) for ev in shaper.feed(item))
                if data:
                    await send({"type": "http.response.body", "body": data, "more_body": True})
            else:
                failure = item
    except asyncio.CancelledError:
        task = asyncio.current_task()
        if task is None or not gw.streams.get(task, False) or task.uncancel() > 0:
            raise
        failure = _failure(
            "runtime.shutdown",
            "the gateway is shutting down; the stream was ended before it finished",
            next_steps=["retry the request"],
        )
        with contextlib.suppress(Exception):
            await outcome.aclose()
    except Exception as exc:  # a bug of ours mid-stream: end the stream with an error event, not a cut
        log.event("gateway.internal_error", f"{type(exc).__name__}: {exc}", level=40, exc_info=True)
        failure = _failure(
            "runtime.internal",
            f"clawgate failed while streaming ({type(exc).__name__}); this is a clawgate bug",
            next_steps=["clawgate logs --limit 20", "retry the request"],
        )
        with contextlib.suppress(Exception):
            await outcome.aclose()
    if failure is not None:
        tail = (encoder or make_encoder()).error(failure)
    elif outcome.api == api:
        tail = b""
    else:
        tail = encoder.finish()
        if keeper is not None:
            await keeper.translated(encoder)  # before the client sees response.completed
    finished.append(True)
    await send({"type": "http.response.body", "body": tail, "more_body": False})
    return failure


class _Keeper:
    """Keeps a streamed Responses answer for a later `previous_response_id` — committed before the client sees
    its `response.completed`, since the next turn may reach any process of the gateway: a passed-through
    stream's final response object, or what a translating encoder sent."""

    __slots__ = ("body", "kept", "label", "memory")

    def __init__(self, memory: ResponseMemory, body: dict[str, Any], label: str) -> None:
        self.memory, self.body, self.label = memory, body, label
        self.kept = False

    async def passthrough(self, events: list[Any]) -> None:
        found = None if self.kept else completed_response(events)
        if found is not None and isinstance(found.get("id"), str):
            self.kept = True
            await self.memory.remember(self.body, found["id"], found.get("output") or [], found.get("model"))

    async def translated(self, encoder: Any) -> None:
        if not self.kept:
            self.kept = True
            await self.memory.remember(self.body, encoder.response_id, encoder.output, self.label)
