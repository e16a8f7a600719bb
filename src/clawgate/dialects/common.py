"""Helpers shared by the dialect modules: extra parameters, content conversions, stream JSON and failures."""

# Conventions of the internal form that every dialect module follows:
#
# - `ChatRequest.system` holds the leading system/developer text; a system message later in the conversation
#   stays a `Message(role="system")`.
# - Tool results are `Message(role="tool", tool_call_id=…)`. Encoders also accept `Part(type="tool_result")`
#   inside a user message (`normalize()` turns those into tool messages).
# - `Usage.input_tokens` counts the whole prompt, cached tokens included (OpenAI's meaning);
#   `Usage.cached_tokens` is the part read from the provider's prompt cache, `Usage.cache_write_tokens` the
#   part written to it.
# - `ChatRequest.extra` holds the top-level parameters the internal form has no field for. Its `__dialect__`
#   key names the dialect they came from; they are re-emitted only when encoding to that same dialect. Keys
#   starting with `__` are stashes a dialect keeps for itself (e.g. its non-function tools).

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_to_bytes

import orjson

from clawgate.call.sse import SSEEvent
from clawgate.dialects.base import StreamFailure
from clawgate.dialects.internal import ChatRequest, Message, Part, Tool, Usage
from clawgate.failures import Failure
from clawgate.failures.classify import classify_stream_error
from clawgate.failures.classify.answers import make
from clawgate.redaction import REDACTOR

ORIGIN_KEY = "__dialect__"


# --- extra parameters ------------------------------------------------------------------------------------


def collect_extra(body: dict[str, Any], known: frozenset[str], api: str, **stashes: Any) -> dict[str, Any]:
    """The body's unknown top-level parameters plus non-empty stashes, tagged with the dialect they came from."""
    extra = {k: v for k, v in body.items() if k not in known}
    extra.update({f"__{k}__": v for k, v in stashes.items() if v})
    extra[ORIGIN_KEY] = api  # always: what the request carries beyond the internal form is accounted for
    return extra


def own_extra(req: ChatRequest, api: str) -> dict[str, Any]:
    """The request's extra parameters to re-emit, when they came from `api` (else none)."""
    if req.extra.get(ORIGIN_KEY) != api:
        return {}
    return {k: v for k, v in req.extra.items() if not k.startswith("__")}


def own_stash(req: ChatRequest, api: str, name: str) -> Any:
    """A dialect's own stash (see `collect_extra`), or None when the request came from another dialect."""
    if req.extra.get(ORIGIN_KEY) != api:
        return None
    return req.extra.get(f"__{name}__")


def as_dict(value: Any) -> dict[str, Any]:
    """`value` when it is a JSON object, else an empty one (for lenient reading of wire bodies)."""
    return value if isinstance(value, dict) else {}


# --- content -----------------------------------------------------------------------------------------------


def data_url_parts(url: str) -> tuple[str, str] | None:
    """(media_type, base64 data) of a `data:` URL, else None."""
    if not url.startswith("data:"):
        return None
    head, sep, payload = url[5:].partition(",")
    if not sep:
        return None
    params = head.split(";")
    media = params[0] or "text/plain"
    if "base64" in params[1:]:
        return media, payload
    return media, base64.b64encode(unquote_to_bytes(payload)).decode()


def data_url(media_type: str, data: str) -> str:
    return f"data:{media_type};base64,{data}"


def image_part(url: str, raw: Any = None) -> Part:
    """An image part for an http(s) or data: URL (`raw` keeps the dialect's own object, e.g. for `detail`)."""
    parts = data_url_parts(url)
    return Part(type="image", image_url=url, media_type=parts[0] if parts else None, raw=raw)


def image_detail(part: Part) -> str | None:
    """The OpenAI image `detail` of a part that came from either OpenAI dialect (kept in `raw`)."""
    raw = part.raw
    if not isinstance(raw, dict):
        return None
    img = raw.get("image_url")
    detail = img.get("detail") if isinstance(img, dict) else raw.get("detail")
    return detail if isinstance(detail, str) else None


def args_to_input(arguments: str) -> dict[str, Any]:
    """Tool-call JSON text -> an object (Anthropic `input`). Non-object JSON is kept under `_raw`."""
    if not arguments.strip():
        return {}
    try:
        value = orjson.loads(arguments)
    except orjson.JSONDecodeError:
        return {"_raw": arguments}
    return value if isinstance(value, dict) else {"_raw": arguments}


def input_to_args(value: Any) -> str:
    """A tool-call input object -> JSON text."""
    if isinstance(value, dict) and set(value) == {"_raw"} and isinstance(value["_raw"], str):
        return value["_raw"]
    return orjson.dumps(value if value is not None else {}).decode()


def normalize(messages: list[Message]) -> list[Message]:
    """Messages with any tool_result parts of user messages moved into role="tool" messages before them."""
    out: list[Message] = []
    for m in messages:
        if m.role != "user" or not any(p.type == "tool_result" for p in m.content):
            out.append(m)
            continue
        rest = []
        for p in m.content:
            if p.type == "tool_result":
                text = Part(type="text", text=p.text, is_error=p.is_error)
                out.append(Message(role="tool", content=[text], tool_call_id=p.tool_call_id))
            else:
                rest.append(p)
        if rest:
            out.append(Message(role="user", content=rest, name=m.name))
    return out


def tool_in(name: Any, description: Any, parameters: Any) -> Tool:
    """A function tool; parameters default to an empty object schema."""
    tool = Tool(name=str(name), description=str(description or ""))
    if isinstance(parameters, dict) and parameters:
        tool.parameters = parameters
    return tool


def joined_text(texts: list[str]) -> str | None:
    texts = [t for t in texts if t]
    return "\n\n".join(texts) if texts else None


def merge_usage(old: Usage | None, new: Usage) -> Usage:
    if old is None:
        return new
    return Usage(
        input_tokens=new.input_tokens if new.input_tokens is not None else old.input_tokens,
        output_tokens=new.output_tokens if new.output_tokens is not None else old.output_tokens,
        cached_tokens=new.cached_tokens if new.cached_tokens is not None else old.cached_tokens,
        cache_write_tokens=new.cache_write_tokens
        if new.cache_write_tokens is not None
        else old.cache_write_tokens,
    )


def anthropic_usage_in(u: dict[str, Any]) -> Usage:
    """Anthropic counts cache reads/writes apart from `input_tokens`; the internal count includes them."""
    inp, read, write = (
        u.get("input_tokens"),
        u.get("cache_read_input_tokens"),
        u.get("cache_creation_input_tokens"),
    )
    total = None
    if isinstance(inp, int):
        total = inp + (read if isinstance(read, int) else 0) + (write if isinstance(write, int) else 0)
    return Usage(
        input_tokens=total,
        output_tokens=u.get("output_tokens"),
        cached_tokens=read if isinstance(read, int) else None,
        cache_write_tokens=write if isinstance(write, int) else None,
    )


# --- streams -----------------------------------------------------------------------------------------------


@dataclass
class StreamContext:
    """Who the stream comes from, for failures raised while decoding it."""

    provider: str
    host: str | None
    model: str | None
    api: str

    def load(self, ev: SSEEvent) -> Any:
        """The event's JSON data; None for empty data; raises StreamFailure for data that is not JSON."""
        data = ev.data
        if not data or data.isspace():
            return None
        try:
            return orjson.loads(data)
        except orjson.JSONDecodeError:
            raise StreamFailure(self.bad_response(data)) from None

    def check(self, obj: Any, event: str | None) -> None:
        """Raise StreamFailure when the data object is an in-band error (the classifier decides)."""
        failure = classify_stream_error(
            obj, event=event, provider=self.provider, api=self.api, host=self.host, model=self.model
        )
        if failure is not None:
            raise StreamFailure(failure)

    def bad_response(self, data: str) -> Failure:
        snippet = REDACTOR.redact(" ".join(data.split()))[:120]
        return self._failure(
            "upstream.bad_response", f"{self._who()} sent a stream event that is not JSON: {snippet!r}."
        )

    def stream_error(self, detail: str) -> Failure:
        """An in-band error the classifier did not recognise as one (e.g. an empty `event: error`)."""
        return self._failure(
            "upstream.stream_error", f"{self._who()} reported an error in the stream: {detail}."
        )

    def _who(self) -> str:
        return f"{self.provider} ({self.host})" if self.host and self.host != self.provider else self.provider

    def _failure(self, code: str, message: str) -> Failure:
        return make(code, message, provider=self.provider, host=self.host, model=self.model)
