"""Shared helpers for the dialect tests: stream feeding with chunk splits, SDK parsing, a local HTTP server."""

from __future__ import annotations

import asyncio
import random
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson
from aiohttp import web
from tests.support.timing import limit

from clawgate.call.sse import SSEEvent, SSEParser
from clawgate.dialects.base import StreamFailure
from clawgate.dialects.internal import StreamEvent, Usage
from clawgate.dialects.registry import get_dialect
from clawgate.failures import Failure

CHAT = get_dialect("openai-completions")
RESPONSES = get_dialect("openai-responses")
MESSAGES = get_dialect("anthropic-messages")
ALL = (CHAT, RESPONSES, MESSAGES)


def splits(raw: bytes, seed: int) -> list[bytes]:
    """`raw` cut at random places (seed 0: one chunk; seed 1: byte by byte)."""
    if seed == 0:
        return [raw]
    if seed == 1:
        return [raw[i : i + 1] for i in range(len(raw))]
    rng = random.Random(seed)
    out, i = [], 0
    while i < len(raw):
        n = rng.randint(1, 40)
        out.append(raw[i : i + n])
        i += n
    return out


def sse_events(chunks: list[bytes]) -> Iterator[SSEEvent]:
    parser = SSEParser()
    for chunk in chunks:
        yield from parser.feed(chunk)
    yield from parser.close()


@dataclass
class Decoded:
    events: list[StreamEvent] = field(default_factory=list)
    failure: Failure | None = None
    done: bool = False


def decode_stream(dialect: Any, raw: bytes, seed: int = 0, provider: str = "openai") -> Decoded:
    """Feed `raw` through the real SSE parser (split per `seed`) into the dialect's stream decoder."""
    decoder = dialect.stream_decoder(provider, None, "test-model")
    out = Decoded()
    try:
        for ev in sse_events(splits(raw, seed)):
            out.events += decoder.feed(ev)
    except StreamFailure as exc:
        out.failure = exc.failure
    out.done = decoder.done
    return out


def summary(events: list[StreamEvent]) -> dict[str, Any]:
    """What a stream means, independent of how it was cut into events."""
    calls: dict[int, dict[str, str]] = {}
    text, reasoning = [], []
    finish: str | None = None
    usage: Usage | None = None
    for ev in events:
        if ev.kind == "text":
            text.append(ev.text)
        elif ev.kind == "reasoning":
            reasoning.append(ev.text)
        elif ev.kind == "tool_call":
            calls[ev.index] = {"id": ev.id or "", "name": ev.name or "", "arguments": ""}
        elif ev.kind == "tool_args":
            calls[ev.index]["arguments"] += ev.text
        elif ev.kind == "finish":
            finish = ev.finish_reason
        elif ev.kind == "usage":
            usage = ev.usage
    return {
        "text": "".join(text),
        "reasoning": "".join(reasoning),
        "calls": [calls[i] for i in sorted(calls)],
        "finish": finish,
        "usage": usage,
    }


def sse_lines(*events: tuple[str | None, Any]) -> bytes:
    """A stream from (event name, data) pairs; data that is not a str is JSON-encoded."""
    out = b""
    for name, data in events:
        text = data if isinstance(data, str) else orjson.dumps(data).decode()
        out += (f"event: {name}\n" if name else "").encode() + f"data: {text}\n\n".encode()
    return out


def parsed_data(raw: bytes) -> list[tuple[str | None, Any]]:
    """(event name, JSON data or the raw string for `[DONE]`) for each event of an encoder's output."""
    out: list[tuple[str | None, Any]] = []
    for ev in sse_events([raw]):
        out.append((ev.event, ev.data if ev.data == "[DONE]" else orjson.loads(ev.data)))
    return out


# --- a local HTTP server that replays canned responses ---------------------------------------------------


@dataclass
class Canned:
    status: int
    body: bytes
    content_type: str = "application/json"


class ReplayServer:
    """An aiohttp server on 127.0.0.1 (free port) in a thread. `respond` picks the reply for each request."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, Any]]] = []
        self.respond: Callable[[str, dict[str, Any]], Canned] = lambda path, body: Canned(404, b"{}")
        self._loop = asyncio.new_event_loop()
        self._runner: web.AppRunner | None = None
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self.port = 0

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        self.requests.append((request.path, body))
        canned = self.respond(request.path, body)
        if canned.content_type == "text/event-stream":
            resp = web.StreamResponse(status=canned.status, headers={"content-type": "text/event-stream"})
            await resp.prepare(request)
            for i in range(0, len(canned.body), 97):  # several writes, like a real stream
                await resp.write(canned.body[i : i + 97])
            await resp.write_eof()
            return resp
        return web.Response(status=canned.status, body=canned.body, content_type=canned.content_type)

    async def _start(self) -> None:
        app = web.Application()
        app.router.add_post("/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    def start(self) -> ReplayServer:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(10)
        return self

    def stop(self) -> None:
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(limit(10))
        self._loop.close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"
