"""Python load clients on raw sockets (no HTTP library between the clock and the bytes).

- `sequential()`: one keep-alive connection, N requests one after another; per request the time to the
  first SSE `data:` line and to the end of the response (time-to-first-event, and target validation).
- `load()`: a bounded closed-loop load (c connections, until a count or a deadline) — the fallback when
  wrk is not installed, and what the smoke test drives.
- `hold_streams()`: open N slow streams at once, keep them open together, sample the proxy's RSS while
  they are, then check every stream ended with `data: [DONE]`.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


def build_request(host: str, port: int, path: str, body: bytes, token: str | None = None) -> bytes:
    auth = f"Authorization: Bearer {token}\r\n" if token else ""
    return (
        f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
        f"Accept: */*\r\n{auth}Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body


class ResponseParser:
    """Incremental HTTP/1.1 response parser (Content-Length, chunked, or until close)."""

    __slots__ = ("_buf", "_chunk_left", "_mode", "_need", "body", "done", "first_data", "headers", "status")

    def __init__(self) -> None:
        self._buf = b""
        self.status = 0
        self.headers: dict[str, str] = {}
        self.body = bytearray()
        self.done = False
        self.first_data = False  # the decoded body holds a `data:` line
        self._mode = ""  # "", "length", "chunked", "close"
        self._need = 0
        self._chunk_left = -1

    def feed(self, data: bytes) -> bool:
        """Add bytes; returns True once the response is complete. Extra bytes after it are an error."""
        self._buf += data
        if not self._mode:
            end = self._buf.find(b"\r\n\r\n")
            if end < 0:
                return False
            head = self._buf[:end].decode("latin-1").split("\r\n")
            self._buf = self._buf[end + 4 :]
            self.status = int(head[0].split()[1])
            for line in head[1:]:
                k, _, v = line.partition(":")
                self.headers[k.strip().lower()] = v.strip()
            if "content-length" in self.headers:
                self._mode, self._need = "length", int(self.headers["content-length"])
            elif "chunked" in self.headers.get("transfer-encoding", "").lower():
                self._mode = "chunked"
            else:
                self._mode = "close"
        if self._mode == "length":
            take = self._buf[: self._need - len(self.body)]
            self._buf = self._buf[len(take) :]
            self._add(take)
            self.done = len(self.body) >= self._need
        elif self._mode == "chunked":
            self._chunked()
        if self._buf and self.done:
            raise ValueError("bytes after the end of the response")
        return self.done

    def eof(self) -> bool:
        if self._mode == "close":
            self.done = True
        return self.done

    def _add(self, data: bytes) -> None:
        if not data:
            return
        self.body += data
        if not self.first_data and (b"data:" in self.body):
            self.first_data = True

    def _chunked(self) -> None:
        while not self.done:
            if self._chunk_left < 0:
                i = self._buf.find(b"\r\n")
                if i < 0:
                    return
                size = int(self._buf[:i].split(b";")[0], 16)
                self._buf = self._buf[i + 2 :]
                self._chunk_left = size
                if size == 0:
                    self._chunk_left = -2  # trailer section
            if self._chunk_left == -2:
                i = self._buf.find(b"\r\n")
                if i < 0:
                    return
                line, self._buf = self._buf[:i], self._buf[i + 2 :]
                if not line:
                    self.done = True
                continue
            if self._chunk_left > 0:
                take = self._buf[: self._chunk_left]
                self._buf = self._buf[len(take) :]
                self._chunk_left -= len(take)
                self._add(take)
                if self._chunk_left > 0:
                    return
            if len(self._buf) < 2:
                return
            self._buf = self._buf[2:]  # CRLF after the chunk data
            self._chunk_left = -1


def check_body(p: ResponseParser, stream: bool) -> str | None:
    """Why this response is not a good chat completion (None when it is)."""
    if p.status != 200:
        return f"status {p.status}: {bytes(p.body[:200])!r}"
    if stream:
        if b"data: [DONE]" not in p.body:
            return "stream did not end with data: [DONE]"
        if b'"content"' not in p.body:
            return "stream carried no content delta"
    elif b'"choices"' not in p.body:
        return f"no choices in the body: {bytes(p.body[:200])!r}"
    return None


@dataclass
class SeqResult:
    n: int = 0
    errors: int = 0
    first_error: str | None = None
    ttfe_ms: list[float] = field(default_factory=list)  # time to the first `data:` line (streams)
    total_ms: list[float] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "errors": self.errors,
            "first_error": self.first_error,
            "ttfe_ms": summarize(self.ttfe_ms),
            "total_ms": summarize(self.total_ms),
        }


def percentile(xs: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100)."""
    if not xs:
        return float("nan")
    s = sorted(xs)
    k = max(0, min(len(s) - 1, round(q / 100 * len(s) + 0.5) - 1))
    return s[k]


def summarize(xs: list[float]) -> dict[str, float] | None:
    if not xs:
        return None
    return {
        "n": len(xs),
        "p50": statistics.median(xs),
        "p90": percentile(xs, 90),
        "p99": percentile(xs, 99),
        "min": min(xs),
        "max": max(xs),
    }


def sequential(
    host: str,
    port: int,
    path: str,
    body: bytes,
    n: int,
    stream: bool,
    token: str | None = None,
    timeout: float = 10.0,
    deadline_s: float = 60.0,
) -> SeqResult:
    """N requests one after another on one keep-alive connection (reconnects after an error)."""
    req = build_request(host, port, path, body, token)
    res = SeqResult()
    stop_at = time.perf_counter() + deadline_s
    sock: socket.socket | None = None
    try:
        for _ in range(n):
            if time.perf_counter() > stop_at:
                break
            if sock is None:
                sock = socket.create_connection((host, port), timeout=timeout)
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            p = ResponseParser()
            t_first = None
            res.n += 1
            t0 = time.perf_counter()
            try:
                sock.sendall(req)
                while True:
                    data = sock.recv(65536)
                    if not data:
                        if p.eof():
                            sock.close()
                            sock = None
                            break
                        raise ConnectionError("connection closed mid-response")
                    done = p.feed(data)
                    if t_first is None and p.first_data:
                        t_first = time.perf_counter()
                    if done:
                        break
                t1 = time.perf_counter()
                problem = check_body(p, stream)
                if p.headers.get("connection", "").lower() == "close" and sock is not None:
                    sock.close()
                    sock = None
            except (OSError, ValueError) as exc:
                problem = f"{type(exc).__name__}: {exc}"
                if sock is not None:
                    sock.close()
                sock = None
                t1 = time.perf_counter()
            if problem:
                res.errors += 1
                res.first_error = res.first_error or problem
                continue
            res.total_ms.append((t1 - t0) * 1000)
            if stream and t_first is not None:
                res.ttfe_ms.append((t_first - t0) * 1000)
    finally:
        if sock is not None:
            sock.close()
    return res


# ------------------------------------------------------------------------------------------- async


async def _exchange(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    req: bytes,
    on_first: Callable[[], None] | None,
) -> ResponseParser:
    writer.write(req)
    p = ResponseParser()
    fired = False
    while True:
        data = await reader.read(65536)
        if not data:
            if p.eof():
                return p
            raise ConnectionError("connection closed mid-response")
        done = p.feed(data)
        if not fired and p.first_data and on_first is not None:
            fired = True
            on_first()
        if done:
            return p


@dataclass
class LoadResult:
    requests: int = 0
    errors: int = 0
    first_error: str | None = None
    seconds: float = 0.0
    latency_ms: list[float] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        lat = summarize(self.latency_ms)
        return {
            "requests": self.requests,
            "errors": self.errors,
            "first_error": self.first_error,
            "seconds": self.seconds,
            "rps": self.requests / self.seconds if self.seconds else 0.0,
            "latency_ms": lat,
        }


async def load(
    host: str,
    port: int,
    path: str,
    body: bytes,
    concurrency: int,
    seconds: float,
    stream: bool,
    max_requests: int = 1_000_000,
    token: str | None = None,
    timeout: float = 10.0,
) -> LoadResult:
    """Closed loop: `concurrency` keep-alive connections, each sending the next request when the last one
    ends, until `seconds` pass or `max_requests` were started."""
    req = build_request(host, port, path, body, token)
    res = LoadResult()
    started = 0
    t_start = time.perf_counter()
    stop_at = t_start + seconds

    async def worker() -> None:
        nonlocal started
        conn: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        try:
            while time.perf_counter() < stop_at and started < max_requests:
                started += 1
                t0 = time.perf_counter()
                try:
                    if conn is None:
                        conn = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
                    p = await asyncio.wait_for(_exchange(*conn, req, None), timeout)
                    problem = check_body(p, stream)
                    if p.headers.get("connection", "").lower() == "close":
                        conn[1].close()
                        conn = None
                except (OSError, ValueError, TimeoutError) as exc:
                    problem = f"{type(exc).__name__}: {exc}"
                    if conn is not None:
                        conn[1].close()
                    conn = None
                if problem:
                    res.errors += 1
                    res.first_error = res.first_error or problem
                else:
                    res.requests += 1
                    res.latency_ms.append((time.perf_counter() - t0) * 1000)
        finally:
            if conn is not None:
                conn[1].close()

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    res.seconds = time.perf_counter() - t_start
    return res


@dataclass
class HoldResult:
    streams: int = 0
    completed: int = 0
    errors: int = 0
    first_error: str | None = None
    max_open: int = 0  # streams that had their first event and had not ended, at the same moment
    open_all_s: float | None = None  # time until every stream had its first event
    rss_peak_mb: float = 0.0  # the proxy's RSS sampled while streams were open
    rss_before_mb: float = 0.0
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


async def hold_streams(
    host: str,
    port: int,
    path: str,
    body: bytes,
    n: int,
    rss: Callable[[], float],
    token: str | None = None,
    deadline_s: float = 30.0,
    connect_batch: int = 100,
) -> HoldResult:
    """Open `n` streams at once (in batches of `connect_batch` connects), hold them until they end, sample
    `rss()` every 100 ms while they are open. Every stream must end with `data: [DONE]`."""
    req = build_request(host, port, path, body, token)
    res = HoldResult(streams=n, rss_before_mb=rss())
    open_now = 0
    first_seen = 0
    t_start = time.perf_counter()
    sem = asyncio.Semaphore(connect_batch)

    def on_first() -> None:
        nonlocal open_now, first_seen
        open_now += 1
        first_seen += 1
        res.max_open = max(res.max_open, open_now)
        if first_seen == n:
            res.open_all_s = time.perf_counter() - t_start

    async def one() -> None:
        nonlocal open_now
        writer = None
        had_first = False

        def first() -> None:
            nonlocal had_first
            had_first = True
            on_first()

        try:
            async with sem:
                reader, writer = await asyncio.open_connection(host, port)
            p = await _exchange(reader, writer, req, first)
            problem = check_body(p, True)
        except (OSError, ValueError) as exc:
            problem = f"{type(exc).__name__}: {exc}"
        finally:
            if had_first:
                open_now -= 1
            if writer is not None:
                writer.close()
        if problem:
            res.errors += 1
            res.first_error = res.first_error or problem
        else:
            res.completed += 1

    async def sampler() -> None:
        while True:
            if open_now > 0:
                res.rss_peak_mb = max(res.rss_peak_mb, rss())
            await asyncio.sleep(0.1)

    s = asyncio.ensure_future(sampler())
    tasks = [asyncio.ensure_future(one()) for _ in range(n)]
    try:
        _, pending = await asyncio.wait(tasks, timeout=deadline_s)
        for t in pending:
            t.cancel()
        if pending:
            res.errors += len(pending)
            res.first_error = (
                res.first_error or f"{len(pending)} stream(s) still open after {deadline_s:.0f}s"
            )
            await asyncio.gather(*pending, return_exceptions=True)
    finally:
        s.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await s
    res.seconds = time.perf_counter() - t_start
    return res


def run_async(coro: Any) -> Any:
    """Run a coroutine on uvloop when installed."""
    try:
        import uvloop

        return uvloop.run(coro)
    except ImportError:
        return asyncio.run(coro)
