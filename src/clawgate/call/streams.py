"""Streams: read until the first data event (a failure before it still fails over), then hand the caller a
`StreamOutcome` whose items are the rest of the stream.

The timers measure the upstream only. Each read waits at most the idle timeout, and the total budget is the sum
of the time spent waiting on reads; the time the caller spends between items is never counted, so a slow consumer
is never cancelled. A timeout (or any failure) after the first event ends the stream with one `Failure` item,
which is recorded, logged and reported to health like a failure before it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import orjson

from clawgate.call import passthrough as plain_events
from clawgate.call.deadline import Deadline
from clawgate.call.inspect import StreamInspector
from clawgate.call.passthrough import usage_only
from clawgate.call.records import Recorder, Try
from clawgate.call.sse import SSEEvent, SSEParser
from clawgate.call.transport import Timeouts
from clawgate.call.types import SSEBatch, StreamOutcome, TryResult
from clawgate.dialects.base import StreamFailure
from clawgate.dialects.registry import get_dialect
from clawgate.failures import Failure
from clawgate.failures.classify import CallFailed
from clawgate.failures.classify.local import cancelled, stream_cut


def _stream_model(events: list[SSEEvent]) -> str | None:
    """The model a stream's first events name (OpenAI chunks, Anthropic message_start, Responses' response)."""
    for ev in events:
        if not ev.data or ev.data == "[DONE]":
            continue
        try:
            obj = orjson.loads(ev.data)
        except orjson.JSONDecodeError:
            continue
        if not isinstance(obj, dict):
            continue
        for holder in (obj, obj.get("message"), obj.get("response")):
            if isinstance(holder, dict) and isinstance(holder.get("model"), str):
                return str(holder["model"])
    return None


class _Upstream:
    """Reads of one upstream answer, each bounded by the idle timeout and by what is left of the total budget
    (the time spent waiting on reads, added up). One lazy timer for all of them (call/deadline.py): a read
    costs no timer operation, and nothing can fire between reads (the consumer's time)."""

    __slots__ = ("content", "deadline", "io", "loop", "timeouts", "waited")

    def __init__(self, resp: aiohttp.ClientResponse, tr: Try, timeouts: Timeouts, waited: float) -> None:
        self.content = resp.content
        self.io = tr.io
        self.timeouts = timeouts
        self.waited = waited
        self.loop = asyncio.get_running_loop()
        self.deadline = self.io.deadline = Deadline()  # the stream's reads (the total is counted here)

    async def read(self, limit: float | None = None, phase: str = "idle") -> bytes:
        """The next chunk (b"" at the end), waiting at most `limit` (default: the idle timeout)."""
        idle = self.timeouts.idle if limit is None else limit
        left = self.timeouts.total - self.waited
        self.io.phase = phase = phase if idle < left else "total"
        t = self.loop.time()
        self.deadline.wait(phase, max(0.0, min(idle, left)))
        try:
            with self.io:
                return await self.content.readany()
        finally:
            self.deadline.stop()
            self.waited += self.loop.time() - t

    def close(self) -> None:
        self.deadline.close()


async def start_stream(
    tr: Try,
    rec: Recorder,
    resp: aiohttp.ClientResponse,
    first_ms: float,
    timeouts: Timeouts,
    on_failure: Callable[[Failure], None],
) -> tuple[Any, Failure | None, float]:
    """Read until the first data event; an error before it fails over, after it goes to the caller.
    `on_failure` is told about a failure after the first event (the executor decorates it and updates health)."""
    att = tr.att
    parser = SSEParser()
    inspector = StreamInspector(att.api, att.provider, tr.host, att.model)
    passthrough = tr.req.client_api == att.api
    strip_usage = tr.req.strip_usage_chunk
    decoder = None if passthrough else get_dialect(att.api).stream_decoder(att.provider, tr.host, att.model)
    upstream = _Upstream(resp, tr, timeouts, waited=first_ms / 1000)

    def fail(f: Failure) -> tuple[Any, Failure, float]:
        upstream.close()
        resp.close()
        rec.failed(tr, f, resp.status, first_ms)
        return None, f, tr.elapsed_ms()

    # an OpenAI chat stream passed through: reads of plain `data:` events are checked as bytes (passthrough.py)
    as_bytes = passthrough and att.api == "openai-completions" and tr.req.span is None
    first: list[SSEEvent] = []
    first_raw: bytes | None = None  # the first read, when checked as bytes
    try:
        while not first and first_raw is None:
            chunk = await upstream.read(timeouts.first_byte, "first_byte")
            if not chunk:
                first = parser.close()
                if not first:
                    return fail(
                        stream_cut(
                            att.provider, att.model, tr.host, status=resp.status, before_first_event=True
                        )
                    )
                break
            if as_bytes and parser.between_events:
                first_raw = plain_events.check(chunk, inspector, strip_usage)
                if first_raw is not None:
                    parser.started()
                    break
            first = parser.feed(chunk)
    except CallFailed as exc:
        return fail(exc.failure)
    first_event_ms = tr.elapsed_ms()
    decoded_first: list[Any] = []
    for ev in first:
        f = inspector.check(ev)
        if f is not None:
            return fail(f)
        if decoder is not None:
            try:
                decoded_first.extend(decoder.feed(ev))
            except StreamFailure as sf:
                return fail(sf.failure)
    out = StreamOutcome(
        ok=True,
        call_id=tr.call_id,
        tries=tr.tries,
        attempt=att,
        cred=tr.cred,
        api=att.api,
        status=resp.status,
    )
    out.headers = {}
    record = TryResult(
        att, tr.cred, True, None, status=resp.status, first_byte_ms=first_event_ms, try_no=tr.try_no
    )
    tr.tries.append(record)
    if tr.req.span is not None:  # [observability] the request's spans name the answering model
        record.response_model = out.response_model = _stream_model(first)

    async def items() -> AsyncIterator[Any]:
        failure: Failure | None = None
        try:
            if first_raw is not None:
                if first_raw:
                    yield SSEBatch([], first_raw)
            elif passthrough:
                kept = [ev for ev in first if not (strip_usage and usage_only(ev.raw))]
                if kept:
                    yield SSEBatch(kept)
            else:
                for item in decoded_first:
                    yield item
            done = inspector.done
            while not done:
                try:
                    chunk = await upstream.read()  # no yield inside: the timers never see the caller
                except CallFailed as exc:
                    failure = exc.failure
                    break
                if as_bytes and chunk and parser.between_events:
                    raw = plain_events.check(chunk, inspector, strip_usage)
                    if raw is not None:
                        if raw:
                            yield SSEBatch([], raw)
                        if inspector.done:
                            break
                        continue
                events = parser.feed(chunk) if chunk else parser.close()
                batch: list[SSEEvent] = []
                decoded: list[Any] = []
                for ev in events:
                    f = inspector.check(ev)
                    if f is not None:
                        failure = f
                        break
                    if passthrough:
                        if not (strip_usage and usage_only(ev.raw)):
                            batch.append(ev)
                    else:
                        try:
                            decoded.extend(decoder.feed(ev))  # type: ignore[union-attr]
                        except StreamFailure as sf:
                            failure = sf.failure
                            break
                if batch:
                    yield SSEBatch(batch)  # everything one upstream read brought, in one write
                for item in decoded:
                    yield item
                if failure is not None or inspector.done:
                    break
                if not chunk:
                    if not inspector.done and not (decoder is not None and decoder.done):
                        failure = stream_cut(
                            att.provider, att.model, tr.host, status=None, before_first_event=False
                        )
                    break
        except (GeneratorExit, asyncio.CancelledError):
            record.ok = False
            record.failure = cancelled(att.provider, att.model, answered=True)
            raise
        finally:
            upstream.close()
            resp.close()
            record.latency_ms = tr.elapsed_ms()
            if failure is not None:
                on_failure(failure)
                record.ok = False
                record.failure = failure
            rec.record(tr.call_id, tr.req, record, inspector.usage)
            out.usage = inspector.usage
        if failure is not None:
            out.failure = failure
            yield failure

    out._items = items()
    out._closer = resp.close
    return out, None, first_event_ms
