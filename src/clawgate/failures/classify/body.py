"""Error bodies, whatever their envelope: OpenAI, Anthropic, OpenRouter, Google RPC (also wrapped in an array),
DashScope native, vLLM, llama.cpp, Spring-style, SSE-framed, HTML from a proxy, Python-literal dicts printed by
SDKs, and truncated or elided JSON — all into one `ErrorInfo`."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from typing import Any

import orjson

from clawgate.failures.classify.retry import go_duration

PROVIDER_MESSAGE_MAX = 500  # Failure.provider_message is cut to this many characters

# A `code` this generic says nothing (DeepSeek sends "invalid_request_error" for every error): key on `type`.
GENERIC_CODES = frozenset({"invalid_request_error"})
WS_RE = re.compile(r"\s+")


@dataclass(slots=True)
class ErrorInfo:
    """Everything an error body can tell, whatever its envelope."""

    message: str | None = None
    type: str | None = None
    code: str | None = None  # string code (OpenAI, DashScope, Responses)
    num: int | None = None  # integer code (OpenRouter, vLLM, llama.cpp, Google RPC)
    status: str | None = None  # Google RPC status, e.g. RESOURCE_EXHAUSTED
    reason: str | None = None  # Google ErrorInfo reason, e.g. API_KEY_INVALID
    meta_type: str | None = None  # OpenRouter metadata.error_type / error.error_type
    upstream_raw: str | None = None  # OpenRouter metadata.raw: the upstream provider's own error
    request_id: str | None = None
    retry_delay: float | None = None  # Google RetryInfo.retryDelay
    n_prompt: int | None = None  # llama.cpp n_prompt_tokens
    n_ctx: int | None = None  # llama.cpp n_ctx
    quota_ids: tuple[str, ...] = ()  # Google QuotaFailure violations[].quotaId, e.g. …PerDayPerProject…
    structured: bool = False  # the body was a recognisable (JSON-ish) error object
    empty: bool = False
    html: bool = False

    def keys(self) -> frozenset[str]:
        return frozenset(
            v.lower() for v in (self.type, self.code, self.status, self.reason, self.meta_type) if v
        )

    def label(self) -> str | None:
        """The provider's most specific error type/code string."""
        if self.reason:
            return self.reason
        if self.meta_type:
            return self.meta_type
        if self.code and self.code not in GENERIC_CODES:
            return self.code
        return self.type or self.status or self.code or (str(self.num) if self.num is not None else None)


def _s(v: Any) -> str | None:
    return v if isinstance(v, str) and v else None


def _int(v: Any) -> int | None:
    return v if isinstance(v, int) and not isinstance(v, bool) else None


def info_from_obj(obj: Any) -> ErrorInfo:
    """The facts of a parsed error object (any envelope)."""
    info = ErrorInfo(structured=True)
    if isinstance(obj, list):  # Gemini wraps Google RPC errors in an array
        obj = next((x for x in obj if isinstance(x, dict)), None)
    if isinstance(obj, str):
        info.message = obj or None
        return info
    if not isinstance(obj, dict):
        info.structured = False
        return info
    err = obj.get("error")
    aws = obj.get("Error")  # AWS query/botocore shape {"Error": {"Code": …, "Message": …}}
    if err is None and isinstance(aws, dict):
        err = {"type": aws.get("Code"), "message": aws.get("Message")}
    elif err is None and isinstance(obj.get("__type"), str):  # AWS JSON protocol {"__type": "ns#Code"}
        err = {"type": obj["__type"].rsplit("#", 1)[-1], "message": obj.get("message") or obj.get("Message")}
    src: dict[str, Any] | None
    if isinstance(err, dict):
        src = err
    elif isinstance(err, str) and err:
        info.message = err  # vLLM {"error":"Unauthorized"}, Ollama native, Coding Plan 405
        src = None
        if _s(obj.get("message")):  # Spring-style {"error":"Not Found","message":"…"}
            info.message = f"{err}: {obj['message']}"
    else:
        src = obj  # flat: DashScope native, vLLM `object: error`, Responses `type: error`
    if src is not None:
        msg = src.get("message")
        if not isinstance(msg, str):
            detail = src.get("detail") if src.get("detail") is not None else src.get("msg")
            if isinstance(detail, list) and detail and isinstance(detail[0], dict):
                detail = detail[0].get("msg")
            msg = detail if isinstance(detail, str) else None
        info.message = msg or info.message
        t = _s(src.get("type"))
        info.type = t if t != "error" else None
        code = src.get("code")
        if _int(code) is not None:
            info.num = code
        elif isinstance(code, str) and code:
            info.code = code
            if code.isdigit() and len(code) == 3:
                info.num = int(code)
        info.status = _s(src.get("status"))
        details = src.get("details")
        if isinstance(details, list):
            for d in details:
                if isinstance(d, dict):
                    info.reason = info.reason or _s(d.get("reason"))
                    delay = _s(d.get("retryDelay"))
                    if delay:
                        info.retry_delay = go_duration(delay.lower())
                    violations = d.get("violations")
                    if isinstance(violations, list):
                        info.quota_ids += tuple(
                            q for v in violations if isinstance(v, dict) for q in (_s(v.get("quotaId")),) if q
                        )
        md = src.get("metadata")
        if isinstance(md, dict):
            info.meta_type = _s(md.get("error_type"))
            raw = md.get("raw")
            if isinstance(raw, str | dict | list) and raw:
                info.upstream_raw = raw if isinstance(raw, str) else orjson.dumps(raw).decode()
        info.meta_type = info.meta_type or _s(src.get("error_type"))
        info.n_prompt = _int(src.get("n_prompt_tokens"))
        info.n_ctx = _int(src.get("n_ctx"))
        info.request_id = _s(src.get("request_id"))
    info.request_id = _s(obj.get("request_id")) or info.request_id
    return info


_FIELD_RE = {
    f: re.compile(rf'"{f}"\s*:\s*("(?:[^"\\]|\\.)*"|-?\d+)')
    for f in ("message", "type", "code", "status", "reason", "error_type", "request_id")
}
_TITLE_RE = re.compile(r"<title[^>]*>(.*?)</title>", re.I | re.S)
_TAG_RE = re.compile(r"<[^>]+>")


def _lenient(text: str) -> ErrorInfo | None:
    """Pull the usual fields out of truncated or elided JSON (`…` placeholders, cut-off bodies)."""
    found: dict[str, Any] = {}
    for name, rx in _FIELD_RE.items():
        m = rx.search(text)
        if m:
            try:
                found[name] = orjson.loads(m.group(1))
            except orjson.JSONDecodeError:
                found[name] = m.group(1).strip('"')
    if not found:
        return None
    info = info_from_obj(found)
    info.meta_type = _s(found.get("error_type"))
    info.reason = _s(found.get("reason"))
    return info


def _parse_nonjson(b: bytes) -> ErrorInfo:
    text = b.decode("utf-8", "replace")
    if text.startswith(("data:", "event:")):  # an SSE-framed error body
        for line in text.splitlines():
            if line.startswith("data:"):
                try:
                    return info_from_obj(orjson.loads(line[5:].strip()))
                except orjson.JSONDecodeError:
                    break
    if text[:1] in "{[":
        if len(text) <= 20_000:
            try:  # a Python-literal dict, as printed by SDKs (single quotes, None)
                obj = ast.literal_eval(text)
            except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
                obj = None
            if isinstance(obj, dict | list):
                return info_from_obj(obj)
        info = _lenient(text[:100_000])
        if info is not None:
            return info
    info = ErrorInfo()
    lowered = text[:512].lower()
    if "<html" in lowered or "<!doctype" in lowered or "<head" in lowered or "<body" in lowered:
        info.html = True
        m = _TITLE_RE.search(text)
        text = m.group(1) if m and m.group(1).strip() else _TAG_RE.sub(" ", text)
    info.message = WS_RE.sub(" ", text).strip()[:PROVIDER_MESSAGE_MAX] or None
    return info


def parse_body(body: bytes | bytearray | memoryview | str | None) -> ErrorInfo:
    """The facts of a raw error body; never raises for malformed JSON (falls back to lenient parsing)."""
    if body is None:
        return ErrorInfo(empty=True)
    b = body.encode("utf-8", "replace") if isinstance(body, str) else bytes(body)
    b = b.strip()  # DeepSeek under load sends blank lines before the JSON
    if b.startswith(b"\xef\xbb\xbf"):
        b = b[3:].lstrip()
    if not b:
        return ErrorInfo(empty=True)
    try:
        obj = orjson.loads(b)
    except orjson.JSONDecodeError:
        return _parse_nonjson(b)
    if isinstance(obj, dict | list | str):
        return info_from_obj(obj)
    return ErrorInfo(message=b.decode("utf-8", "replace")[:PROVIDER_MESSAGE_MAX])


def extract_error_fields(body: bytes | str | None) -> tuple[str | None, str | None, str | None]:
    """(message, type_or_code, request_id) from any provider's error body; never raises."""
    try:
        info = parse_body(body)
    except Exception:  # malformed input must never break error handling
        return None, None, None
    return info.message, info.label(), info.request_id
