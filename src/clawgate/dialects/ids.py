"""Id and timestamp helpers for the bodies and streams the dialects write."""

from __future__ import annotations

import itertools
import os
import time

_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
_PREFIX = "".join(_ALPHABET[b % 62] for b in os.urandom(12))  # random per process
_COUNTER = itertools.count(1)


def _base62(n: int) -> str:
    out = []
    while n:
        n, r = divmod(n, 62)
        out.append(_ALPHABET[r])
    return "".join(reversed(out)) or "0"


def new_id(prefix: str, size: int = 24) -> str:
    """A unique id with the dialect's usual prefix, e.g. `chatcmpl-…`, `msg_…`, `resp_…`, `call_…`: a random
    per-process part and a counter (ids need to be unique, not secret, and this runs for every stream)."""
    tail = _base62(next(_COUNTER))
    body = (_PREFIX + "0" * size)[: max(size - len(tail), 0)] + tail
    return prefix + body[-size:]


def now() -> int:
    """Unix seconds, as the `created` / `created_at` fields carry them."""
    return int(time.time())
