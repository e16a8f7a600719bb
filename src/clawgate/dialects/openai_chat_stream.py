"""OpenAI chat-completions streams (chunk events <-> internal events) and the usage/finish mappings."""

from __future__ import annotations

from typing import Any

from clawgate.call.sse import SSEEvent, is_done
from clawgate.dialects.base import StreamFailure
from clawgate.dialects.common import StreamContext, as_dict, merge_usage
from clawgate.dialects.envelope import openai_error
from clawgate.dialects.ids import new_id, now
from clawgate.dialects.internal import FinishReason, StreamEvent, Usage
from clawgate.dialects.sse_out import DONE, frame
from clawgate.failures import Failure

FINISH_IN: dict[str, FinishReason] = {
    "stop": "stop",
    "eos": "stop",
    "length": "length",
    "tool_calls": "tool_calls",
    "function_call": "tool_calls",
    "content_filter": "content_filter",
    "error": "error",
}
FINISH_OUT = {
    "stop": "stop",
    "length": "length",
    "tool_calls": "tool_calls",
    "content_filter": "content_filter",
}

# --- usage ----------------------------------------------------------------------------------------------


def usage_in(u: dict[str, Any]) -> Usage:
    details = u.get("prompt_tokens_details")
    cached = details.get("cached_tokens") if isinstance(details, dict) else None
    if cached is None:
        cached = u.get("prompt_cache_hit_tokens")  # DeepSeek
    return Usage(
        input_tokens=u.get("prompt_tokens", u.get("input_tokens")),
        output_tokens=u.get("completion_tokens", u.get("output_tokens")),
        cached_tokens=cached,
    )


def usage_out(u: Usage) -> dict[str, Any]:
    out: dict[str, Any] = {
        "prompt_tokens": u.input_tokens or 0,
        "completion_tokens": u.output_tokens or 0,
        "total_tokens": u.total_tokens or 0,
    }
    if u.cached_tokens is not None:
        out["prompt_tokens_details"] = {"cached_tokens": u.cached_tokens}
    return out


def usage_obj(body: dict[str, Any]) -> dict[str, Any] | None:
    u = body.get("usage")
    if not isinstance(u, dict):
        groq = body.get("x_groq")
        u = groq.get("usage") if isinstance(groq, dict) else None
    return u if isinstance(u, dict) else None


# --- streams --------------------------------------------------------------------------------------------


class _Call:
    __slots__ = ("announced", "args", "id", "index", "name")

    def __init__(self, index: int, call_id: str | None) -> None:
        self.index = index
        self.id = call_id
        self.name: str | None = None
        self.announced = False
        self.args: list[str] = []


class ChatStreamDecoder:
    """`chat.completion.chunk` events -> internal events. `done` after finish_reason or `[DONE]`."""

    def __init__(self, ctx: StreamContext) -> None:
        self._ctx = ctx
        self._started = False
        self._finished = False
        self.terminal = False  # `[DONE]` seen: nothing more will come
        self._calls: dict[Any, _Call] = {}
        self._last_key: Any = None

    @property
    def done(self) -> bool:
        return self.terminal or self._finished

    def feed(self, event: SSEEvent) -> list[StreamEvent]:
        if self.terminal:
            return []
        if is_done(event):
            self.terminal = True
            return []
        obj = self._ctx.load(event)
        if obj is None:
            return []
        self._ctx.check(obj, event.event)
        if not isinstance(obj, dict):
            raise StreamFailure(self._ctx.bad_response(event.data))
        out: list[StreamEvent] = []
        if not self._started:
            self._started = True
            out.append(StreamEvent(kind="start", id=obj.get("id"), model=obj.get("model")))
        choices = obj.get("choices")
        if isinstance(choices, list) and choices and isinstance(choices[0], dict):
            self._choice(choices[0], out)
        u = usage_obj(obj)
        if u is not None:
            out.append(StreamEvent(kind="usage", usage=usage_in(u)))
        return out

    def _choice(self, choice: dict[str, Any], out: list[StreamEvent]) -> None:
        delta = choice.get("delta")
        if not isinstance(delta, dict):
            delta = as_dict(choice.get("message"))
        reasoning = delta.get("reasoning_content") or delta.get("reasoning")
        if isinstance(reasoning, str) and reasoning:
            out.append(StreamEvent(kind="reasoning", text=reasoning))
        content = delta.get("content")
        if isinstance(content, str) and content:
            out.append(StreamEvent(kind="text", text=content))
        for tc in delta.get("tool_calls") or []:
            if isinstance(tc, dict):
                self._tool_delta(tc, out)
        reason = choice.get("finish_reason")
        if reason and not self._finished:
            self._finished = True
            for call in self._calls.values():  # a call whose name never came: announce it anyway
                if not call.announced:
                    self._announce(call, "", out)
            finish = FINISH_IN.get(str(reason), "stop")
            if finish == "stop" and self._calls:
                finish = "tool_calls"
            out.append(StreamEvent(kind="finish", finish_reason=finish))

    def _tool_delta(self, tc: dict[str, Any], out: list[StreamEvent]) -> None:
        idx, call_id = tc.get("index"), tc.get("id")
        fn = as_dict(tc.get("function"))
        key: Any = idx if isinstance(idx, int) else None
        if key is None:  # no index: a new id starts a new call, anything else continues the last one
            key = ("id", call_id) if call_id and ("id", call_id) not in self._calls else self._last_key
        call = self._calls.get(key)
        if call is not None and call_id and call.id and call_id != call.id:  # the index reused for a new call
            key = ("id", call_id)
            call = self._calls.get(key)
        if call is None:
            call = self._calls[key] = _Call(len(self._calls), call_id)
        self._last_key = key
        call.id = call.id or call_id
        name, args = fn.get("name"), fn.get("arguments")
        if not call.announced and name:
            self._announce(call, str(name), out)
        if isinstance(args, str) and args:
            if call.announced:
                out.append(StreamEvent(kind="tool_args", index=call.index, text=args))
            else:
                call.args.append(args)

    @staticmethod
    def _announce(call: _Call, name: str, out: list[StreamEvent]) -> None:
        call.announced = True
        call.id = call.id or new_id("call_")
        out.append(StreamEvent(kind="tool_call", index=call.index, id=call.id, name=name))
        if call.args:
            out.append(StreamEvent(kind="tool_args", index=call.index, text="".join(call.args)))
            call.args = []


class ChatStreamEncoder:
    """Internal events -> `chat.completion.chunk` SSE bytes that the OpenAI SDKs parse."""

    def __init__(self, model: str, include_usage: bool = True) -> None:
        self._id = new_id("chatcmpl-")
        self._created = now()
        self._model = model
        self._include_usage = include_usage
        self._role_sent = False
        self._finish_sent = False
        self._closed = False
        self._usage: Usage | None = None
        self._tool_index: dict[int, int] = {}

    def _chunk(self, delta: dict[str, Any], finish: str | None = None) -> bytes:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
        return frame(self._envelope([choice]))

    def _envelope(self, choices: list[Any]) -> dict[str, Any]:
        return {
            "id": self._id,
            "object": "chat.completion.chunk",
            "created": self._created,
            "model": self._model,
            "choices": choices,
        }

    def _role(self) -> bytes:
        if self._role_sent:
            return b""
        self._role_sent = True
        return self._chunk({"role": "assistant", "content": ""})

    def encode(self, event: StreamEvent) -> bytes:
        if self._closed:
            return b""
        kind = event.kind
        if kind == "usage":
            if event.usage is not None:
                self._usage = merge_usage(self._usage, event.usage)
            return b""
        out = self._role()
        if self._finish_sent:
            return out
        if kind == "text" and event.text:
            out += self._chunk({"content": event.text})
        elif kind == "reasoning" and event.text:
            out += self._chunk({"reasoning_content": event.text})
        elif kind == "tool_call":
            index = self._tool_index.setdefault(event.index, len(self._tool_index))
            function = {"name": event.name or "", "arguments": ""}
            call = {
                "index": index,
                "id": event.id or new_id("call_"),
                "type": "function",
                "function": function,
            }
            out += self._chunk({"tool_calls": [call]})
        elif kind == "tool_args" and event.text:
            index = self._tool_index.setdefault(event.index, len(self._tool_index))
            out += self._chunk({"tool_calls": [{"index": index, "function": {"arguments": event.text}}]})
        elif kind == "finish":
            out += self._finish_chunk(event.finish_reason)
        return out

    def _finish_chunk(self, reason: str | None) -> bytes:
        self._finish_sent = True
        default = "tool_calls" if self._tool_index else "stop"
        return self._chunk({}, FINISH_OUT.get(reason or "", default))

    def finish(self) -> bytes:
        if self._closed:
            return b""
        out = self._role()
        if not self._finish_sent:
            out += self._finish_chunk(None)
        if self._include_usage and self._usage is not None:
            body = self._envelope([])
            body["usage"] = usage_out(self._usage)
            out += frame(body)
        self._closed = True
        return out + DONE

    def adopt(self, event: SSEEvent) -> None:
        """Passthrough: an upstream event sent to the client unchanged (nothing to note in this dialect)."""

    def error(self, failure: Failure) -> bytes:
        self._closed = True
        return frame({"error": openai_error(failure)}) + DONE
