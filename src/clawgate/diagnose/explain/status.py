"""Infer the HTTP status a provider body was sent with when the paste left out its status line."""

from __future__ import annotations

import re
from typing import Any

from clawgate.diagnose.explain.parse import Parsed
from clawgate.failures.classify import extract_error_fields

# The HTTP status each documented error type is sent with (provider-wire.md §2, §6, §9). Used only when the
# pasted body came without its status line, so the classifier sees what the provider sent.
_STATUS_BY_TYPE = {
    "authentication_error": 401,
    "invalid_authentication_error": 401,
    "incorrect_api_key_error": 401,
    "invalid_api_key": 401,
    "billing_error": 402,
    "permission_error": 403,
    "not_found_error": 404,
    "request_too_large": 413,
    "rate_limit_error": 429,
    "rate_limit_reached_error": 429,
    "api_error": 500,
    "timeout_error": 504,
    "overloaded_error": 529,
    "content_filter": 400,
    "exceed_context_size_error": 400,
    "not_supported_error": 501,
    "unavailable_error": 503,
}
_GENERIC_TYPE_STATUS = {"invalid_request_error": 400, "server_error": 500, "badrequesterror": 400}
# Documented messages that name their status unambiguously (for bodies with no type or code).
_STATUS_BY_MESSAGE = (
    (
        re.compile(
            r"didn'?t provide an api key|no api[- ]key provided|unauthori[sz]ed|invalid access token|"
            r"token expired|missing authentication|no auth credentials|(?:x-api-key|authorization) header is required|"
            r"invalid api[- ]?key",
            re.I,
        ),
        401,
    ),
    (re.compile(r"only available for coding agents", re.I), 405),
)


def _body_int_code(obj: Any) -> int | None:
    if isinstance(obj, list):
        obj = next((x for x in obj if isinstance(x, dict)), None)
    if not isinstance(obj, dict):
        return None
    for src in (obj.get("error"), obj):
        if isinstance(src, dict):
            code = src.get("code")
            if isinstance(code, str) and code.isdigit():
                code = int(code)
            if isinstance(code, int) and not isinstance(code, bool) and 400 <= code < 600:
                return code
    return None


def infer_status(p: Parsed) -> int | None:
    """The status a status-less pasted body was most likely sent with; None when it does not say."""
    num = _body_int_code(p.obj)
    if num is None and p.body:
        m = re.search(r'"code"\s*:\s*([45]\d\d)\b', p.body)
        num = int(m.group(1)) if m else None
    if num is not None:
        return num
    message, label, _ = extract_error_fields(p.body)
    low = (label or "").lower()
    if low in _STATUS_BY_TYPE:
        return _STATUS_BY_TYPE[low]
    types = set()
    for src in (p.obj, *(p.obj if isinstance(p.obj, list) else [])):
        if isinstance(src, dict):
            inner: Any = src.get("error") if isinstance(src.get("error"), dict) else src
            t = inner.get("type")
            if isinstance(t, str):
                types.add(t.lower())
    for t in types:
        if t in _STATUS_BY_TYPE:
            return _STATUS_BY_TYPE[t]
    for rx, status in _STATUS_BY_MESSAGE:
        if message and rx.search(message):
            return status
    for t in (low, *types):
        if t in _GENERIC_TYPE_STATUS:
            return _GENERIC_TYPE_STATUS[t]
    return None
