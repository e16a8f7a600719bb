"""Id and timestamp helpers for the bodies and streams the dialects write."""

from __future__ import annotations

import secrets
import string
import time

_ALPHABET = string.ascii_letters + string.digits


def new_id(prefix: str, size: int = 24) -> str:
    """A random id with the dialect's usual prefix, e.g. `chatcmpl-…`, `msg_…`, `resp_…`, `call_…`."""
    return prefix + "".join(secrets.choice(_ALPHABET) for _ in range(size))


def now() -> int:
    """Unix seconds, as the `created` / `created_at` fields carry them."""
    return int(time.time())
