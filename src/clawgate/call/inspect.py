"""Cheap per-event checks for pass-through streams: in-band errors, usage and the end, without decoding
every event (bytes are searched first; JSON is parsed only when a marker is present)."""

from __future__ import annotations

from typing import Any

import orjson

from clawgate.call.sse import SSEEvent, is_done
from clawgate.dialects.common import anthropic_usage_in
from clawgate.dialects.internal import Usage
from clawgate.failures import Failure
from clawgate.failures.classify import classify_stream_error


def _json(data: str | bytes) -> Any:
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return None


def usage_from(obj: Any, api: str | None = None) -> Usage | None:
    """Usage from any dialect's usage object (or a chunk holding one). Anthropic counts cache reads and writes
    apart from `input_tokens`; the result counts the whole prompt, as the dialect decoders do."""
    if not isinstance(obj, dict):
        return None
    u = obj.get("usage")
    if not isinstance(u, dict):
        xg = obj.get("x_groq")
        u = xg.get("usage") if isinstance(xg, dict) else None
    if not isinstance(u, dict):
        resp = obj.get("response")
        u = resp.get("usage") if isinstance(resp, dict) else None
    if not isinstance(u, dict):
        msg = obj.get("message")
        u = msg.get("usage") if isinstance(msg, dict) else None
    if not isinstance(u, dict):
        return None
    if api == "anthropic-messages" or "cache_creation_input_tokens" in u or "cache_read_input_tokens" in u:
        return anthropic_usage_in(u)
    inp = u.get("prompt_tokens", u.get("input_tokens"))
    out = u.get("completion_tokens", u.get("output_tokens"))
    details = u.get("prompt_tokens_details") or u.get("input_tokens_details") or {}
    cached = details.get("cached_tokens") if isinstance(details, dict) else None
    return Usage(
        input_tokens=inp if isinstance(inp, int) else None,
        output_tokens=out if isinstance(out, int) else None,
        cached_tokens=cached if isinstance(cached, int) else None,
    )


class StreamInspector:
    """Watches one upstream stream in its own dialect. `check()` returns a Failure for an in-band error."""

    __slots__ = ("_anthropic", "api", "done", "host", "model", "provider", "saw_data", "usage")

    def __init__(self, api: str, provider: str, host: str | None, model: str | None) -> None:
        self.api = api
        self.provider = provider
        self.host = host
        self.model = model
        self.usage = Usage()
        self.done = False
        self.saw_data = False
        self._anthropic: dict[str, int] = {}

    def _merge(self, u: Usage | None) -> None:
        if u is None:
            return
        if u.input_tokens is not None:
            self.usage.input_tokens = u.input_tokens
        if u.output_tokens is not None:
            self.usage.output_tokens = u.output_tokens
        if u.cached_tokens is not None:
            self.usage.cached_tokens = u.cached_tokens
        if u.cache_write_tokens is not None:
            self.usage.cache_write_tokens = u.cache_write_tokens

    def _anthropic_usage(self, obj: Any) -> Usage | None:
        """message_start carries the prompt (with cache parts) and a placeholder output count; message_delta
        the cumulative output (and, lately, the prompt again). Counts an event leaves out keep earlier ones."""
        if not isinstance(obj, dict):
            return None
        msg = obj.get("message")
        u = (msg.get("usage") if isinstance(msg, dict) else None) or obj.get("usage")
        if not isinstance(u, dict):
            return None
        parts = {k: v for k, v in u.items() if isinstance(v, int)}
        if isinstance(msg, dict):
            parts.pop("output_tokens", None)  # message_start's output_tokens is a placeholder
        self._anthropic = {**self._anthropic, **parts}
        return anthropic_usage_in(self._anthropic)

    def usage_data(self, data: bytes) -> None:
        """The usage an OpenAI chat event's data carries (call/passthrough.py found one)."""
        self._merge(usage_from(_json(data)))

    def check(self, ev: SSEEvent) -> Failure | None:
        self.saw_data = True
        raw = ev.raw
        if self.api == "openai-completions":
            if is_done(ev):
                self.done = True
                return None
            if b'"error"' in raw:
                obj = _json(ev.data)
                if obj is not None:
                    f = classify_stream_error(
                        obj,
                        event=ev.event,
                        provider=self.provider,
                        api=self.api,
                        host=self.host,
                        model=self.model,
                    )
                    if f is not None:
                        return f
            if b'"usage":{' in raw or b'"usage": {' in raw:
                self._merge(usage_from(_json(ev.data)))
            return None
        name = ev.event or ""
        if self.api == "anthropic-messages":
            if name == "error" or b'"type":"error"' in raw or b'"type": "error"' in raw:
                obj = _json(ev.data)
                f = classify_stream_error(
                    obj if obj is not None else {"error": {"message": ev.data}},
                    event=name or "error",
                    provider=self.provider,
                    api=self.api,
                    host=self.host,
                    model=self.model,
                )
                if f is not None:
                    return f
            elif name in ("message_start", "message_delta"):
                self._merge(self._anthropic_usage(_json(ev.data)))
            elif name == "message_stop":
                self.done = True
            return None
        # openai-responses
        if name in ("error", "response.failed") or name.endswith(".failed"):
            obj = _json(ev.data)
            f = classify_stream_error(
                obj if obj is not None else {"type": "error", "message": ev.data},
                event=name,
                provider=self.provider,
                api=self.api,
                host=self.host,
                model=self.model,
            )
            if f is not None:
                return f
        elif name in ("response.completed", "response.incomplete"):
            self._merge(usage_from(_json(ev.data)))
            self.done = True
        return None
