"""Find the parts of a pasted error: its HTTP status, JSON error body, SSE events, hosts and model."""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass, field
from typing import Any

MAX_TEXT = 200_000  # a pasted log is read up to here: the first failure is the one that matters
_MAX_BODY_STARTS = 400  # "{" / "[" positions tried as the start of a JSON error body

_HTTP_STATUS = (
    re.compile(r"\bHTTP(?:/\d(?:\.\d)?)?[\s:]+([1-5]\d\d)\b", re.I),
    re.compile(r"\bstatus(?:[ _-]?code)?\s*[=:]\s*([1-5]\d\d)\b", re.I),
    re.compile(r"(?:^|[\s:=(\[])([45]\d\d)(?=[ \t]*[:\-]?[ \t]+[A-Za-z\"'{\[]|\s*$)", re.M),
)
_SSE_DATA = re.compile(r"(?:^|\s)data:\s*([\[{].*)$")
_SSE_EVENT = re.compile(r"(?:^|\s)event:\s*([\w.]+)")
_URL_HOST = re.compile(r"https?://([A-Za-z0-9.\-]+(?::\d+)?)", re.I)
_LOG_MODEL = re.compile(r"(?<![\"'\w])model\s*[=:]\s*\"?([\w.:/\-]+)")


@dataclass
class Parsed:
    text: str
    status: int | None = None
    status_end: int = 0  # where the status match ended (the body of a plain-text line follows)
    body: str | None = None  # the JSON-ish error body, as pasted
    obj: Any = None  # the body parsed (JSON or a Python literal), when it parses
    sse: list[tuple[str | None, Any]] = field(default_factory=list)  # (event, parsed data)
    hosts: list[str] = field(default_factory=list)
    model: str | None = None  # a log line's model=… field


def _find_status(text: str) -> tuple[int | None, int]:
    best: tuple[int, int, int] | None = None  # (position, status, end)
    for rx in _HTTP_STATUS:
        m = rx.search(text)
        if m and (best is None or m.start() < best[0]):
            best = (m.start(), int(m.group(1)), m.end())
    return (best[1], best[2]) if best else (None, 0)


def _looks_like_error(obj: Any) -> bool:
    if isinstance(obj, list):
        return any(_looks_like_error(x) for x in obj[:3])
    if not isinstance(obj, dict):
        return False
    return bool({"error", "message", "code", "type", "detail"} & obj.keys())


def _find_body(text: str) -> tuple[str | None, Any]:
    """The first JSON (or Python-literal) error object in the text, as (raw text, parsed or None)."""
    decoder = json.JSONDecoder()
    for n, m in enumerate(re.finditer(r"[{\[]", text)):
        if n >= _MAX_BODY_STARTS:
            break
        start = m.start()
        if text[start] == "[" and not re.match(r"\[\s*[{\[]", text[start : start + 64]):
            continue  # "[agent/embedded]" and other log tags
        try:
            obj, end = decoder.raw_decode(text, start)
        except (ValueError, RecursionError):
            continue
        if _looks_like_error(obj):
            return text[start:end], obj
    # Not strict JSON: a Python dict as printed by an SDK, or a body with elisions ("…") — hand the span to
    # the classifier, whose parser is lenient.
    begin = next((m.start() for m in re.finditer(r"\{|\[\s*\{", text)), None)
    if begin is None:
        return None, None
    end = max(text.rfind("}"), text.rfind("]"))
    if end <= begin:
        return None, None
    raw = text[begin : end + 1]
    if not re.search(r"""["'](?:error|message|code|type)["']\s*:""", raw):
        return None, None
    try:
        obj = ast.literal_eval(raw) if len(raw) <= 20_000 else None
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        obj = None
    return raw, obj


def _find_sse(text: str) -> list[tuple[str | None, Any]]:
    out: list[tuple[str | None, Any]] = []
    event: str | None = None
    for line in text.splitlines():
        em = _SSE_EVENT.search(line)
        if em and "data:" not in line:
            event = em.group(1)
            continue
        dm = _SSE_DATA.search(line)
        if not dm:
            continue
        try:
            obj = json.loads(dm.group(1))
        except (ValueError, RecursionError):
            continue
        out.append((event, obj))
        event = None
    return out


def parse(text: str) -> Parsed:
    """Split pasted text into its status, error body (or SSE events), hosts and model."""
    p = Parsed(text=text)
    p.sse = _find_sse(text)
    if not p.sse:
        p.body, p.obj = _find_body(text)
    prefix = text if p.body is None else text[: text.find(p.body)]
    p.status, p.status_end = _find_status(prefix)
    p.hosts = [h.lower() for h in _URL_HOST.findall(text)]
    model_m = _LOG_MODEL.search(text)
    p.model = model_m.group(1) if model_m else None
    return p
