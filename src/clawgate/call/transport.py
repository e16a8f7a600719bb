"""The HTTP client layer: pooled aiohttp sessions per provider, separate timeouts, proxies from the
(layered) environment — honoured and reported, since a header-stripping proxy is a real cause of 401s."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from ipaddress import ip_address
from urllib.parse import urlsplit

import aiohttp

from clawgate import __version__
from clawgate.redaction import mask_url

USER_AGENT = f"clawgate/{__version__}"


@dataclass(frozen=True)
class Timeouts:
    """Upstream timeouts. Each counts time spent waiting on the provider only, never on the caller: a slow
    consumer of a stream is not timed (the executor measures every read it waits on)."""

    connect: float = 10.0
    first_byte: float = 120.0  # request sent -> response headers / first stream event
    idle: float = 120.0  # longest wait for the next chunk of an answer
    total: float = 600.0  # all the waiting on the provider for one try, added up

    @classmethod
    def for_provider(cls, timeout_seconds: float, local: bool, idle: float | None = None) -> Timeouts:
        """`timeoutSeconds` (total) and `idleTimeoutSeconds` (idle; default 120 s, 300 s for local servers)."""
        idle = idle if idle is not None else (300.0 if local else 120.0)
        return cls(connect=10.0, first_byte=min(timeout_seconds, idle), idle=idle, total=timeout_seconds)


@dataclass(frozen=True)
class ProxyInfo:
    url: str | None
    variable: str | None = None  # which variable set it
    origin: str | None = None  # where that variable came from
    bypassed_by: str | None = None  # NO_PROXY entry (or "loopback") that exempts the host

    def to_json(self) -> dict[str, str | None]:
        return {
            "url": mask_url(self.url) if self.url else self.url,
            "variable": self.variable,
            "origin": self.origin,
            "bypassed_by": self.bypassed_by,
        }


def _is_loopback(host: str) -> bool:
    if host in ("localhost",) or host.endswith(".localhost"):
        return True
    try:
        return ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def proxy_for(url: str, lookup: Mapping[str, tuple[str, str]]) -> ProxyInfo:
    """The proxy a request to `url` goes through. `lookup`: variable name -> (value, origin)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    names = ("HTTPS_PROXY", "https_proxy") if parts.scheme == "https" else ("HTTP_PROXY", "http_proxy")
    chosen: tuple[str, str, str] | None = None
    for name in (*names, "ALL_PROXY", "all_proxy"):
        if name in lookup and lookup[name][0]:
            chosen = (name, *lookup[name])
            break
    if chosen is None:
        return ProxyInfo(None)
    name, value, origin = chosen
    if _is_loopback(host):
        return ProxyInfo(None, name, origin, bypassed_by="loopback")
    for np_name in ("NO_PROXY", "no_proxy"):
        if np_name in lookup:
            for entry in lookup[np_name][0].split(","):
                e = entry.strip().lower().lstrip(".")
                if not e:
                    continue
                if e == "*" or host == e or host.endswith("." + e):
                    return ProxyInfo(None, name, origin, bypassed_by=f"{np_name}={entry.strip()}")
    return ProxyInfo(value, name, origin)


class Transport:
    """One pooled ClientSession per provider id, created lazily on the running loop."""

    def __init__(self, max_connections: int = 2000) -> None:
        self._sessions: dict[str, aiohttp.ClientSession] = {}
        self._max = max_connections
        self._lock = asyncio.Lock()

    def session(self, key: str) -> aiohttp.ClientSession:
        sess = self._sessions.get(key)
        if sess is None or sess.closed or sess._loop is not asyncio.get_running_loop():
            connector = aiohttp.TCPConnector(
                limit=self._max,
                limit_per_host=0,
                ttl_dns_cache=300,
                keepalive_timeout=30,
                enable_cleanup_closed=True,
            )
            sess = aiohttp.ClientSession(
                connector=connector,
                headers={"User-Agent": USER_AGENT},
                auto_decompress=True,
                trust_env=False,  # proxies come from clawgate's own (layered, reported) environment
                skip_auto_headers=("Content-Type",),
                timeout=aiohttp.ClientTimeout(total=None),
            )
            self._sessions[key] = sess
        return sess

    async def close(self) -> None:
        sessions, self._sessions = list(self._sessions.values()), {}
        for s in sessions:
            await s.close()
