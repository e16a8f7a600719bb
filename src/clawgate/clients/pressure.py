"""The providers' own rate-limit headers, read on every answer, so a credential near its limit is routed around
before it answers 429 (auth/resolve.py `order_for_call` puts it last until its window resets).

OpenAI (and Groq, and OpenAI-compatible hosts): `x-ratelimit-{limit,remaining,reset}-{requests,tokens}`, the
resets as durations (`6m0s`, `1.5s`, `20ms`). Anthropic: `anthropic-ratelimit-{requests,tokens,input-tokens,
output-tokens}-{limit,remaining,reset}`, the resets as RFC 3339 times. (shared/reference/provider-wire.md)

"Near" means: at most 1 % of the limit left, and at least one request or 4096 tokens (a tenth of a smaller
limit) — until the window resets. A credential's crossing into "near" is announced on the shared state
(channel `pressure`) so the other processes route around it too, before their own next answer says so."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from clawgate.state.base import SharedState

CHANNEL = "pressure"
MIN_REQUESTS = 1
MIN_TOKENS = 4096
SHARE = 0.01
MAX_ENTRIES = 4096
_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|h|m|s)")
_UNIT = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_duration(text: str) -> float | None:
    """`6m0s` → 360.0, `1.5s` → 1.5, `20ms` → 0.02, a bare number → seconds; None when unreadable."""
    text = text.strip()
    try:
        return float(text)
    except ValueError:
        pass
    total, pos = 0.0, 0
    for m in _DURATION.finditer(text):
        if m.start() != pos:
            return None
        total += float(m.group(1)) * _UNIT[m.group(2)]
        pos = m.end()
    return total if pos == len(text) and pos else None


def parse_reset(text: str, now: float) -> float | None:
    """A reset header as an absolute time: a duration from now, or an RFC 3339 timestamp."""
    d = parse_duration(text)
    if d is not None:
        return now + d
    try:
        return datetime.fromisoformat(text.strip().replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def _int(headers: Mapping[str, str], name: str) -> int | None:
    value = headers.get(name)
    if value is None:
        return None
    try:
        return int(float(value))
    except ValueError:
        return None


def _near(remaining: int | None, limit: int | None, floor: int) -> bool:
    """At most 1 % of the limit left — or `floor` (capped at a tenth of a small limit)."""
    if remaining is None:
        return False
    if not limit:
        return remaining <= floor
    return remaining <= max(int(limit * SHARE), min(floor, int(limit * 0.1)))


# (remaining, limit, reset) header names of each window, the floor of "near" and what it counts
_WINDOWS = tuple(
    (family.format("remaining"), family.format("limit"), family.format("reset"), floor, what)
    for families, floor, what in (
        (("x-ratelimit-{}-requests", "anthropic-ratelimit-requests-{}"), MIN_REQUESTS, "request(s)"),
        (
            (
                "x-ratelimit-{}-tokens",
                "anthropic-ratelimit-tokens-{}",
                "anthropic-ratelimit-input-tokens-{}",
                "anthropic-ratelimit-output-tokens-{}",
            ),
            MIN_TOKENS,
            "token(s)",
        ),
    )
    for family in families
)


def read(headers: Mapping[str, str], now: float) -> tuple[str, float] | None:
    """(what is near its limit, until when) from one answer's headers; None when neither window is near."""
    found: list[tuple[str, float]] = []
    for remaining, limit, reset, floor, what in _WINDOWS:
        rem = _int(headers, remaining)
        if rem is None:
            continue  # this window is not reported
        lim = _int(headers, limit)
        if _near(rem, lim, floor):
            until = parse_reset(headers.get(reset, ""), now)
            found.append((f"{rem} {what} left of {lim or '?'}", until or now + 1.0))
    if not found:
        return None
    return max(found, key=lambda f: f[1])


class Pressure:
    """Per (provider, fingerprint): until when the provider said that credential is near its limit."""

    def __init__(self, shared: SharedState | None = None, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._near: dict[tuple[str, str], tuple[float, str]] = {}
        self.shared = shared
        if shared is not None:
            shared.subscribe(self._notified)

    def observe(self, provider: str, fingerprint: str | None, headers: Mapping[str, str]) -> None:
        if not fingerprint:
            return
        now = self._clock()
        got = read(headers, now)
        key = (provider, fingerprint)
        if got is None:
            if key in self._near:
                del self._near[key]  # the provider says there is room again
            return
        what, until = got
        if until <= now:
            return
        known = self._near.get(key)
        if len(self._near) >= MAX_ENTRIES:
            self._near = {k: v for k, v in self._near.items() if v[0] > now}
        self._near[key] = (until, what)
        if self.shared is not None and (known is None or known[0] < until - 1.0):
            self.shared.notify(CHANNEL, {"p": provider, "fp": fingerprint, "until": until, "what": what})

    def until(self, provider: str, fingerprint: str | None) -> float | None:
        """When the credential's window resets, while it is near its limit; None when it is not."""
        if not fingerprint or not self._near:
            return None
        hit = self._near.get((provider, fingerprint))
        if hit is None:
            return None
        if hit[0] <= self._clock():
            self._near.pop((provider, fingerprint), None)
            return None
        return hit[0]

    def describe(self, provider: str, fingerprint: str | None) -> str | None:
        if self.until(provider, fingerprint) is None or not fingerprint:
            return None
        return self._near[(provider, fingerprint)][1]

    def snapshot(self) -> list[dict[str, Any]]:
        now = self._clock()
        return [
            {"provider": p, "fingerprint": fp, "until": u, "what": w}
            for (p, fp), (u, w) in self._near.items()
            if u > now
        ]

    def _notified(self, channel: str, data: dict[str, Any]) -> None:
        if channel != CHANNEL:
            return
        try:
            key, until = (str(data["p"]), str(data["fp"])), float(data["until"])
        except (KeyError, TypeError, ValueError):
            return
        if until > self._clock() and self._near.get(key, (0.0, ""))[0] < until:
            self._near[key] = (until, str(data.get("what") or "near its limit"))
