"""A fast fake OpenAI upstream: `POST …/chat/completions`, streaming and not, from pre-encoded bytes.

Raw asyncio protocol (uvloop when installed), HTTP/1.1 keep-alive, no framework: a request costs a header
scan and one `write()`, so the upstream is never the bottleneck (the report shows direct RPS next to
proxied RPS).

Streams carry `--chunks` content chunks between a role chunk and a finish chunk (+ a usage chunk when the
request asks for `stream_options.include_usage`), then `data: [DONE]`: 20 chunks → 23 SSE events, each
its own HTTP chunk. With `--chunk-delay-ms 0` the whole stream goes out in one write; otherwise each content
chunk follows the previous one after the delay. A model name containing `slow` uses `--slow-chunks` and
`--slow-chunk-delay-ms` instead (the 1,000-open-streams test), so one upstream serves both loads.

    python -m gwbench.upstream --port 8001 [--chunks 20] [--chunk-delay-ms 0] [--latency-ms 0]

`GET /healthz` answers 200 (readiness); anything else is 404.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import signal
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any

CREATED = 1700000000
_ID = b'"id":"chatcmpl-bench","object":"chat.completion.chunk","created":1700000000,"model":"gpt-4o"'

NON_STREAM_BODY = (
    b'{"id":"chatcmpl-bench","object":"chat.completion","created":1700000000,"model":"gpt-4o",'
    b'"choices":[{"index":0,"message":{"role":"assistant","content":"Hello from the bench upstream."},'
    b'"logprobs":null,"finish_reason":"stop"}],'
    b'"usage":{"prompt_tokens":9,"completion_tokens":7,"total_tokens":16},"system_fingerprint":"fp_bench"}'
)

_STREAM_RE = re.compile(rb'"stream"\s*:\s*true')
_USAGE_RE = re.compile(rb'"include_usage"\s*:\s*true')
_MODEL_RE = re.compile(rb'"model"\s*:\s*"([^"]*)"')


def _event(payload: bytes) -> bytes:
    return b"data: " + payload + b"\n\n"


def _chunk(data: bytes) -> bytes:
    """One HTTP/1.1 chunk."""
    return b"%x\r\n%s\r\n" % (len(data), data)


def sse_events(chunks: int, usage: bool) -> list[bytes]:
    """The SSE events of one stream (each `data: …\\n\\n`), in order."""
    ev = [
        _event(
            b"{"
            + _ID
            + b',"choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}'
        )
    ]
    content = _event(
        b"{" + _ID + b',"choices":[{"index":0,"delta":{"content":"tok "},"finish_reason":null}]}'
    )
    ev.extend([content] * chunks)
    ev.append(_event(b"{" + _ID + b',"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}'))
    if usage:
        ev.append(
            _event(
                b"{" + _ID + b',"choices":[],"usage":{"prompt_tokens":9,"completion_tokens":%d,'
                b'"total_tokens":%d}}' % (chunks, chunks + 9)
            )
        )
    ev.append(b"data: [DONE]\n\n")
    return ev


STREAM_HEAD = (
    b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream; charset=utf-8\r\ncache-control: no-cache\r\n"
    b"transfer-encoding: chunked\r\n\r\n"
)
PLAIN = (
    b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: %d\r\n\r\n" % len(NON_STREAM_BODY)
    + NON_STREAM_BODY
)
HEALTH = b'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 11\r\n\r\n{"ok":true}'
NOT_FOUND = b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n"
BAD = b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
LAST_CHUNK = b"0\r\n\r\n"


@dataclass(frozen=True)
class StreamShape:
    chunks: int
    delay: float  # seconds between content chunks

    def pre_encoded(self, usage: bool) -> list[bytes]:
        return [_chunk(e) for e in sse_events(self.chunks, usage)]


class Upstream:
    """Settings plus the pre-encoded responses; `protocol()` builds one connection's handler."""

    def __init__(
        self,
        chunks: int = 20,
        chunk_delay_ms: float = 0.0,
        latency_ms: float = 0.0,
        slow_chunks: int = 20,
        slow_chunk_delay_ms: float = 250.0,
    ) -> None:
        self.latency = latency_ms / 1000
        self.fast = StreamShape(chunks, chunk_delay_ms / 1000)
        self.slow = StreamShape(slow_chunks, slow_chunk_delay_ms / 1000)
        self._encoded = {
            (shape, usage): shape.pre_encoded(usage)
            for shape in (self.fast, self.slow)
            for usage in (False, True)
        }
        self._whole = {k: STREAM_HEAD + b"".join(v) + LAST_CHUNK for k, v in self._encoded.items()}
        self.requests = 0
        self._tasks: set[asyncio.Task[None]] = set()  # delayed responses in flight (kept referenced)

    def spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def protocol(self) -> _Conn:
        return _Conn(self)


class _Conn(asyncio.Protocol):
    __slots__ = ("buf", "busy", "t", "up")

    def __init__(self, up: Upstream) -> None:
        self.up = up
        self.buf = bytearray()
        self.busy = False  # a delayed response is being written; later requests wait in `buf`
        self.t: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.t = transport  # type: ignore[assignment]

    def connection_lost(self, exc: Exception | None) -> None:
        self.t = None

    def data_received(self, data: bytes) -> None:
        self.buf += data
        if not self.busy:
            self._drain()

    def _drain(self) -> None:
        buf = self.buf
        while self.t is not None and not self.busy:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(buf[:end]).lower()
            n = 0
            i = head.find(b"\r\ncontent-length:")
            if i >= 0:
                j = head.find(b"\r\n", i + 2)
                try:
                    n = int(head[i + 17 : j if j >= 0 else len(head)])
                except ValueError:
                    self.t.write(BAD)
                    self.t.close()
                    return
            elif b"\r\ntransfer-encoding:" in head:
                self.t.write(BAD)  # clients here always send Content-Length
                self.t.close()
                return
            if len(buf) < end + 4 + n:
                return
            body = bytes(buf[end + 4 : end + 4 + n])
            del buf[: end + 4 + n]
            self._respond(head, body)
            if b"\r\nconnection: close" in head and self.t is not None and not self.busy:
                self.t.close()

    def _respond(self, head: bytes, body: bytes) -> None:
        up = self.up
        t = self.t
        assert t is not None
        line = head[: head.find(b"\r\n")] if b"\r\n" in head else head
        if line.startswith(b"post ") and b"/chat/completions" in line:
            up.requests += 1
            stream = _STREAM_RE.search(body) is not None
            if not stream:
                if up.latency:
                    self._later(up.latency, [PLAIN])
                else:
                    t.write(PLAIN)
                return
            m = _MODEL_RE.search(body)
            shape = up.slow if (m and b"slow" in m.group(1)) else up.fast
            usage = _USAGE_RE.search(body) is not None
            if shape.delay == 0 and not up.latency:
                t.write(up._whole[shape, usage])
                return
            self.busy = True
            up.spawn(self._stream(shape, up._encoded[shape, usage]))
        elif line.startswith(b"get /healthz"):
            t.write(HEALTH)
        else:
            t.write(NOT_FOUND)

    def _later(self, delay: float, parts: list[bytes]) -> None:
        self.busy = True

        async def go() -> None:
            await asyncio.sleep(delay)
            if self.t is not None:
                self.t.writelines(parts)
            self._done()

        self.up.spawn(go())

    async def _stream(self, shape: StreamShape, events: list[bytes]) -> None:
        try:
            if self.up.latency:
                await asyncio.sleep(self.up.latency)
            if self.t is None:
                return
            if shape.delay == 0:
                self.t.writelines([STREAM_HEAD, *events, LAST_CHUNK])
                return
            # role chunk at once, then one content chunk per delay, the tail right after the last one
            self.t.writelines([STREAM_HEAD, events[0]])
            n = shape.chunks
            for k in range(1, n + 1):
                await asyncio.sleep(shape.delay)
                if self.t is None:
                    return
                if k < n:
                    self.t.write(events[k])
                else:
                    self.t.writelines([*events[k:], LAST_CHUNK])
        finally:
            self._done()

    def _done(self) -> None:
        self.busy = False
        if self.t is not None and self.buf:
            self._drain()


async def serve(up: Upstream, host: str, port: int) -> asyncio.Server:
    loop = asyncio.get_running_loop()
    return await loop.create_server(up.protocol, host, port, backlog=4096, reuse_address=True)


async def _main(args: argparse.Namespace) -> None:
    up = Upstream(
        args.chunks, args.chunk_delay_ms, args.latency_ms, args.slow_chunks, args.slow_chunk_delay_ms
    )
    server = await serve(up, args.host, args.port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with server:
        await stop.wait()


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--chunks", type=int, default=20, help="content chunks per stream (default 20)")
    p.add_argument("--chunk-delay-ms", type=float, default=0.0, help="delay between content chunks")
    p.add_argument("--latency-ms", type=float, default=0.0, help="delay before every response")
    p.add_argument("--slow-chunks", type=int, default=20, help="content chunks of a `slow` model's stream")
    p.add_argument("--slow-chunk-delay-ms", type=float, default=250.0, help="delay for a `slow` model")
    args = p.parse_args(argv)
    try:
        import uvloop

        uvloop.run(_main(args))
    except ImportError:
        asyncio.run(_main(args))


if __name__ == "__main__":
    main()
