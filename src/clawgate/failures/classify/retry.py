"""Retry facts from an answer: `retry-after-ms` / `retry-after` (seconds or an HTTP date), `x-should-retry`,
Go-style durations in messages (`try again in 1.574s`), and the `x-ratelimit-reset-*` of an exhausted window."""

from __future__ import annotations

import datetime
import email.utils
import math
import re
import time
from collections.abc import Iterable, Mapping

Headers = Mapping[str, str] | Iterable[tuple[str, str]] | None


def lower_headers(headers: Headers) -> dict[str, str]:
    """Headers in any container and any case → one dict with lower-case names."""
    if not headers:
        return {}
    items = headers.items() if isinstance(headers, Mapping) else headers
    out: dict[str, str] = {}
    for k, v in items:
        out[str(k).lower()] = str(v)
    return out


def _finite(v: str) -> float | None:
    try:
        f = float(v)
    except ValueError:
        return None
    return f if math.isfinite(f) and f >= 0 else None


def parse_retry_after(headers: Mapping[str, str] | None, *, now: float | None = None) -> float | None:
    """Seconds to wait: `retry-after-ms` wins over `retry-after` (seconds or an HTTP date). None when absent."""
    h = lower_headers(headers)
    ms = h.get("retry-after-ms")
    if ms:
        f = _finite(ms.strip())
        if f is not None:
            return f / 1000.0
    ra = h.get("retry-after")
    if not ra:
        return None
    ra = ra.strip()
    f = _finite(ra)
    if f is not None:
        return f
    try:
        when = email.utils.parsedate_to_datetime(ra)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    ts = when.timestamp() if when.tzinfo else when.replace(tzinfo=datetime.UTC).timestamp()
    return max(0.0, ts - (time.time() if now is None else now))


def should_retry(h: dict[str, str]) -> bool | None:
    """The provider's `x-should-retry` (lower-cased headers): True, False, or None when absent or unreadable."""
    v = h.get("x-should-retry")
    if v is None:
        return None
    v = v.strip().lower()
    return True if v == "true" else False if v == "false" else None


_DUR_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|h|m|s)")
_RETRY_TEXT = re.compile(
    r"(?:try again|retry)\s+(?:in|after)\s+~?"
    r"(?:((?:\d+(?:\.\d+)?(?:ms|h|m|s))+)\b|(\d+(?:\.\d+)?)\s*(milliseconds?|ms|seconds?|secs?|s|minutes?|mins?)\b)",
    re.I,
)
_UNIT = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}


def go_duration(text: str) -> float | None:
    """`1.574s`, `6m0s`, `12ms`, `2m59.56s` → seconds."""
    total = 0.0
    end = 0
    for m in _DUR_PART.finditer(text):
        if m.start() != end:
            return None
        total += float(m.group(1)) * _UNIT[m.group(2)]
        end = m.end()
    return total if end and end == len(text) else None


def retry_from_text(text: str | None) -> float | None:
    """The wait a message asks for: "try again in 50.6s", "retry after 1 seconds"."""
    if not text:
        return None
    m = _RETRY_TEXT.search(text)
    if not m:
        return None
    if m.group(1):
        return go_duration(m.group(1).lower())
    n = float(m.group(2))
    unit = m.group(3).lower()
    if unit == "ms" or unit.startswith("milli"):
        return n / 1000.0
    if unit.startswith("min"):
        return n * 60.0
    return n


def retry_from_ratelimit_headers(h: dict[str, str]) -> float | None:
    """OpenAI/Groq `x-ratelimit-reset-*` durations for whichever window is exhausted."""
    best: float | None = None
    for dim in ("requests", "tokens"):
        if h.get(f"x-ratelimit-remaining-{dim}", "").strip() == "0":
            reset = h.get(f"x-ratelimit-reset-{dim}")
            d = go_duration(reset.strip().lower()) if reset else None
            if d is not None and (best is None or d > best):
                best = d
    return best
