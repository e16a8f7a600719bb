"""Shared state on Redis (redis-py's asyncio client): keys with TTL, Lua scripts for the atomic primitives,
one pub/sub channel for every notification. Every key is under `clawgate:`; the URL's password never appears
in a message (only its host)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any
from urllib.parse import urlsplit

import orjson

from clawgate.state.base import RECONNECTED, Handler, StateUnavailable, lease_key
from clawgate.state.memory import deliver

PREFIX = "clawgate:"
CHANNEL = PREFIX + "notes"
TIMEOUT = 2.0  # seconds for one command (or a connect); an unreachable Redis is reported, not waited on
POOL_SIZE = 16  # connections per process; more concurrent commands wait for one (no connection storms)

_INCR = """
local v = redis.call('INCRBY', KEYS[1], ARGV[1])
if ARGV[2] ~= '' and redis.call('PTTL', KEYS[1]) == -1 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return v
"""
_CAS = """
local cur = redis.call('GET', KEYS[1])
if ARGV[1] == '1' then
  if cur ~= ARGV[2] then return 0 end
elseif cur then return 0 end
if ARGV[3] == '1' then
  if ARGV[5] ~= '' then redis.call('SET', KEYS[1], ARGV[4], 'PX', ARGV[5]) else redis.call('SET', KEYS[1], ARGV[4]) end
else redis.call('DEL', KEYS[1]) end
return 1
"""
_ACQUIRE = """
local cur = redis.call('GET', KEYS[1])
if cur and cur ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
"""


def url_host(url: str) -> str:
    """host:port of a URL, never its user or password (what status, doctor and errors show)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or "?"
        port = parts.port
    except ValueError:
        return "?"
    return f"{host}:{port}" if port else host


def _ms(ttl: float | None) -> str:
    return "" if ttl is None else str(max(1, int(ttl * 1000)))


class RedisState:
    engine = "redis"

    def __init__(self, url: str) -> None:
        from redis.asyncio import BlockingConnectionPool, Redis

        self.url = url
        self.host = url_host(url)
        pool = BlockingConnectionPool.from_url(
            url,
            max_connections=POOL_SIZE,
            timeout=TIMEOUT,
            socket_timeout=TIMEOUT,
            socket_connect_timeout=TIMEOUT,
            decode_responses=True,
        )
        self._r = Redis(connection_pool=pool)
        # the subscriber waits for messages: no read timeout on its connection (a dead server resets it)
        self._sub = Redis.from_url(
            url, socket_connect_timeout=TIMEOUT, health_check_interval=10, decode_responses=True
        )
        self._handlers: list[Handler] = []
        self._outbox: asyncio.Queue[str] | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._error: str | None = None
        self._since: float | None = None
        self._started = False
        self._scripts: dict[str, Any] = {}
        self._sync: Any = None

    def describe(self) -> dict[str, Any]:
        return {
            "engine": "redis",
            "host": self.host,
            "reachable": self._error is None,
            "error": self._error,
            "since": self._since,
        }

    @property
    def reachable(self) -> bool:
        return self._error is None

    def _failed(self, exc: BaseException) -> StateUnavailable:
        if self._error is None:
            self._since = time.time()
        self._error = f"{type(exc).__name__}: {scrub_url(str(exc), self.url)}"
        return StateUnavailable(f"redis at {self.host} is unreachable ({self._error})")

    async def _do(self, coro: Any) -> Any:
        from redis.exceptions import RedisError

        try:
            out = await coro
        except (RedisError, OSError, TimeoutError) as exc:
            raise self._failed(exc) from None
        self._error = None
        self._since = None
        return out

    def _script(self, name: str, text: str) -> Any:
        s = self._scripts.get(name)
        if s is None:
            s = self._scripts[name] = self._r.register_script(text)
        return s

    async def start(self) -> None:
        if self._started:
            return
        self._started = True
        self._outbox = asyncio.Queue()
        loop = asyncio.get_running_loop()
        self._tasks = [
            loop.create_task(self._listen(), name="clawgate-redis-sub"),
            loop.create_task(self._send(), name="clawgate-redis-pub"),
        ]

    async def close(self) -> None:
        if self._outbox is not None:
            with contextlib.suppress(Exception):
                async with asyncio.timeout(2):
                    await self._drain()
        for t in self._tasks:
            t.cancel()
        for t in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await t
        with contextlib.suppress(Exception):
            await self._r.aclose(close_connection_pool=True)  # the pool is ours (BlockingConnectionPool)
        with contextlib.suppress(Exception):
            await self._sub.aclose()

    async def ping(self) -> bool:
        try:
            await self._do(self._r.ping())
        except StateUnavailable:
            return False
        return True

    # -- keys -------------------------------------------------------------------------------------------

    def get_now(self, key: str) -> str | None:
        """A synchronous read (a replica's miss): one GET on a short-timeout client of its own."""
        from redis import Redis
        from redis.exceptions import RedisError

        if self._sync is None:
            self._sync = Redis.from_url(
                self.url, socket_timeout=0.25, socket_connect_timeout=0.25, decode_responses=True
            )
        try:
            out = self._sync.get(PREFIX + key)
        except (RedisError, OSError) as exc:
            raise self._failed(exc) from None
        return None if out is None else str(out)

    async def get(self, key: str) -> str | None:
        out = await self._do(self._r.get(PREFIX + key))
        return None if out is None else str(out)

    async def set(self, key: str, value: str, ttl: float | None = None) -> None:
        await self._do(self._r.set(PREFIX + key, value, px=int(ttl * 1000) if ttl else None))

    async def add(self, key: str, value: str, ttl: float | None = None) -> bool:
        out = await self._do(self._r.set(PREFIX + key, value, nx=True, px=int(ttl * 1000) if ttl else None))
        return bool(out)

    async def take(self, key: str) -> str | None:
        out = await self._do(self._r.getdel(PREFIX + key))
        return None if out is None else str(out)

    async def delete(self, key: str) -> None:
        await self._do(self._r.delete(PREFIX + key))

    async def scan(self, prefix: str) -> dict[str, str]:
        async def run() -> dict[str, str]:
            keys = [k async for k in self._r.scan_iter(match=_glob(PREFIX + prefix), count=500)]
            if not keys:
                return {}
            values = await self._r.mget(keys)
            return {str(k)[len(PREFIX) :]: str(v) for k, v in zip(keys, values, strict=True) if v is not None}

        out: dict[str, str] = await self._do(run())
        return out

    async def incr(self, key: str, by: int = 1, ttl: float | None = None) -> int:
        out = await self._do(self._script("incr", _INCR)(keys=[PREFIX + key], args=[by, _ms(ttl)]))
        return int(out)

    async def cas(self, key: str, expected: str | None, new: str | None, ttl: float | None = None) -> bool:
        args = [
            "0" if expected is None else "1",
            expected or "",
            "0" if new is None else "1",
            new or "",
            _ms(ttl),
        ]
        return bool(await self._do(self._script("cas", _CAS)(keys=[PREFIX + key], args=args)))

    # -- leases -----------------------------------------------------------------------------------------

    async def acquire(self, name: str, owner: str, ttl: float) -> bool:
        script = self._script("acquire", _ACQUIRE)
        return bool(await self._do(script(keys=[PREFIX + lease_key(name)], args=[owner, _ms(ttl)])))

    async def release(self, name: str, owner: str) -> bool:
        return await self.cas(lease_key(name), owner, None)

    async def holder(self, name: str) -> str | None:
        return await self.get(lease_key(name))

    # -- notifications ----------------------------------------------------------------------------------

    def subscribe(self, handler: Handler) -> None:
        self._handlers.append(handler)

    def notify(self, channel: str, data: dict[str, Any]) -> None:
        if self._outbox is not None:
            self._outbox.put_nowait(orjson.dumps({"c": channel, "d": data}, default=str).decode())

    async def publish(self, channel: str, data: dict[str, Any]) -> None:
        payload = orjson.dumps({"c": channel, "d": data}, default=str).decode()
        await self._do(self._r.publish(CHANNEL, payload))

    async def _drain(self) -> None:
        assert self._outbox is not None
        while not self._outbox.empty():
            await self._publish_batch()

    async def _publish_batch(self) -> None:
        assert self._outbox is not None
        batch = [await self._outbox.get()]
        while not self._outbox.empty() and len(batch) < 500:
            batch.append(self._outbox.get_nowait())
        pipe = self._r.pipeline(transaction=False)
        for payload in batch:
            pipe.publish(CHANNEL, payload)
        try:
            await self._do(pipe.execute())
        except StateUnavailable:
            pass  # notifications are best effort while Redis is down: the state itself is re-read on reconnect

    async def _send(self) -> None:
        while True:
            await self._publish_batch()

    async def _listen(self) -> None:
        """Deliver every notification; reconnect (every second) while Redis is away."""
        lost = False
        while True:
            pubsub = self._sub.pubsub(ignore_subscribe_messages=True)
            try:
                await self._do(pubsub.subscribe(CHANNEL))
                if lost:
                    lost = False
                    await deliver(self._handlers, RECONNECTED, {"engine": "redis", "host": self.host})
                while True:
                    msg = await self._do(pubsub.get_message(timeout=1.0))
                    if msg is None or msg.get("type") != "message":
                        continue
                    with contextlib.suppress(orjson.JSONDecodeError, KeyError, TypeError):
                        env = orjson.loads(msg["data"])
                        await deliver(self._handlers, env["c"], env["d"])
            except StateUnavailable:
                lost = True
                await asyncio.sleep(1.0)
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()


def _glob(text: str) -> str:
    out = []
    for ch in text:
        out.append("\\" + ch if ch in "*?[]\\" else ch)
    return "".join(out) + "*"


def scrub_url(text: str, url: str) -> str:
    """A driver message (Redis or PostgreSQL) with the URL shown as its host and its password taken out."""
    try:
        password = urlsplit(url).password
    except ValueError:
        password = None
    text = text.replace(url, url_host(url))
    if password:
        text = text.replace(password, "***")
    return text
