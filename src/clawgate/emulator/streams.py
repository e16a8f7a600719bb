"""Writing replies on the wire: stream faults (delays, keep-alives, cuts, hangs, in-band errors) and bodies."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

from aiohttp import web

from . import sse

if TYPE_CHECKING:
    from .dialects.base import Dialect, StreamSpec
    from .faults import Fault
    from .log import RequestRecord

# A planned write: (bytes, True = content chunk / False = other event / None = comment or keep-alive).
Entry = tuple[bytes, bool | None]
CUT, HANG = "cut", "hang"


async def sleep_at_least(seconds: float) -> None:
    """Wait `seconds` by time.monotonic() (the clock of the request log): the loop's own clock (uvloop's is in
    milliseconds, cached per iteration) may wake a sleep up to a millisecond early."""
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        await asyncio.sleep(left)


def _cut_index(items: list[sse.Item], after: int) -> int:
    """Index just past the `after`-th content item (just before the first one when `after` is 0)."""
    seen = 0
    last = None
    for i, (_, is_content) in enumerate(items):
        if is_content:
            if seen == after:
                return i
            seen += 1
            last = i
    return len(items) if last is None else last + 1


def plan(spec: StreamSpec, fault: Fault | None, keepalive: bytes) -> tuple[list[Entry], str | None]:
    """The writes of a stream with `fault` applied, and how it ends (None, CUT or HANG)."""
    entries: list[Entry] = [(line, None) for line in spec.preamble]
    items = spec.items
    kind = fault.kind if fault is not None else "none"
    ending = None
    if kind in ("cut_mid_stream", "hang", "inband_error"):
        assert fault is not None
        at = _cut_index(items, fault.effective_after())
        body: list[Entry] = list(items[:at])
        if kind == "inband_error":
            body.extend(spec.inband(at))
        else:
            ending = CUT if kind == "cut_mid_stream" else HANG
    elif kind == "no_done":
        body = list(items) if spec.terminator else list(items[:-1])
    else:
        body = [*items, *((t, False) for t in spec.terminator)]
        if kind == "extra_done":
            body.extend([(sse.DONE, False)] * (2 - len(spec.terminator)))
    if kind == "keepalive":
        spaced: list[Entry] = []
        for entry in body:
            if spaced:
                spaced.append((keepalive, None))
            spaced.append(entry)
        body = spaced
    entries.extend(body)
    return entries, ending


def _count(rec: RequestRecord, entries: list[Entry]) -> None:
    for _, kind in entries:
        if kind is not None:
            rec.events_sent += 1
            if kind:
                rec.chunks_sent += 1


async def _keepalive_for(resp: web.StreamResponse, total_ms: int, every_ms: int, line: bytes) -> None:
    """Write `line` now and every `every_ms` until `total_ms` have passed."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + total_ms / 1000
    await resp.write(line)
    while (remaining := deadline - loop.time()) > 0:
        await asyncio.sleep(min(every_ms / 1000, remaining))
        if deadline - loop.time() > 0:
            await resp.write(line)


async def _end(request: web.BaseRequest, resp: web.StreamResponse, ending: str | None) -> web.StreamResponse:
    if ending == CUT:
        transport = request.transport
        if transport is not None:
            # Drop the connection without the chunked terminator: written bytes are flushed, then FIN.
            transport.close()
        return resp
    if ending == HANG:
        await asyncio.get_running_loop().create_future()  # until the client leaves or the server stops
    await resp.write_eof()
    return resp


async def send_stream(
    request: web.BaseRequest,
    rec: RequestRecord,
    dialect: Dialect,
    spec: StreamSpec,
    headers: dict[str, str],
    fault: Fault | None,
) -> web.StreamResponse:
    headers["Content-Type"] = dialect.stream_type
    headers["Cache-Control"] = "no-cache"
    entries, ending = plan(spec, fault, dialect.stream_keepalive)
    first_byte_ms = fault.effective_first_byte_ms() if fault is not None else 0
    gap = (fault.effective_chunk_delay_ms() if fault is not None else 0) / 1000
    resp = web.StreamResponse(status=200, headers=headers)
    rec.status = 200
    if first_byte_ms and not dialect.early_headers_stream:
        await sleep_at_least(first_byte_ms / 1000)
    try:
        await resp.prepare(request)
        rec.t_first_byte = time.monotonic()
        if first_byte_ms and dialect.early_headers_stream:
            assert fault is not None
            await _keepalive_for(resp, first_byte_ms, fault.keepalive_ms, dialect.stream_keepalive)
        if not gap:
            await resp.write(b"".join(e[0] for e in entries))
            _count(rec, entries)
        else:
            for i, entry in enumerate(entries):
                if i:
                    await asyncio.sleep(gap)
                await resp.write(entry[0])
                _count(rec, [entry])
        return await _end(request, resp, ending)
    except ConnectionError:
        rec.client_disconnected = True  # a write hit a connection the client already closed
        return resp


async def send_body(
    request: web.BaseRequest,
    rec: RequestRecord,
    dialect: Dialect,
    status: int,
    body: bytes,
    headers: dict[str, str],
    content_type: str,
    fault: Fault | None,
) -> web.StreamResponse:
    """A complete (non-stream) body, with the fault's first-byte delay, keep-alive lines, cut or hang."""
    if content_type:
        headers["Content-Type"] = content_type
    rec.status = status
    if fault is None:
        rec.t_first_byte = time.monotonic()
        return web.Response(status=status, body=body or None, headers=headers)
    kind = fault.kind
    first_byte_ms = fault.effective_first_byte_ms()
    early = kind == "keepalive" or (first_byte_ms and dialect.early_headers_body)
    if kind in ("cut_mid_stream", "hang") or early:
        resp = web.StreamResponse(status=status, headers=headers)
        if kind in ("cut_mid_stream", "hang"):
            resp.content_length = len(body)
        if first_byte_ms and not early:
            await sleep_at_least(first_byte_ms / 1000)
        try:
            await resp.prepare(request)
            rec.t_first_byte = time.monotonic()
            if kind == "cut_mid_stream":
                await resp.write(body[: len(body) // 2])
                return await _end(request, resp, CUT)
            if kind == "hang":
                return await _end(request, resp, HANG)
            if first_byte_ms:
                await _keepalive_for(resp, first_byte_ms, fault.keepalive_ms, b"\n")
            else:
                await resp.write(b"\n\n\n")
            await resp.write(body)
            return await _end(request, resp, None)
        except ConnectionError:
            rec.client_disconnected = True
            return resp
    if first_byte_ms:
        await sleep_at_least(first_byte_ms / 1000)
    rec.t_first_byte = time.monotonic()
    return web.Response(status=status, body=body or None, headers=headers)
