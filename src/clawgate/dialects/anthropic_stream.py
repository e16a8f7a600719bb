"""Anthropic Messages streams (named events <-> internal events) and the usage/stop-reason mappings."""

from __future__ import annotations

import re
from typing import Any

from clawgate.call.sse import SSEEvent, is_done
from clawgate.dialects.base import StreamFailure
from clawgate.dialects.common import StreamContext, anthropic_usage_in, as_dict, input_to_args, merge_usage
from clawgate.dialects.envelope import anthropic_error_body
from clawgate.dialects.ids import new_id
from clawgate.dialects.internal import FinishReason, StreamEvent, Usage
from clawgate.dialects.sse_out import frame
from clawgate.failures import Failure

STOP_IN: dict[str, FinishReason] = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "pause_turn": "stop",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
}
STOP_OUT = {
    "stop": "end_turn",
    "length": "max_tokens",
    "tool_calls": "tool_use",
    "content_filter": "refusal",
    "error": "end_turn",
}
_BAD_ID = re.compile(r"[^a-zA-Z0-9_-]")


def tool_id(call_id: str | None) -> str:
    """A tool id Anthropic accepts (`^[a-zA-Z0-9_-]+$`); the same input always gives the same output."""
    return _BAD_ID.sub("_", call_id) if call_id else "toolu_missing"


usage_in = anthropic_usage_in  # (dialects/common.py: model-call inspection reads it without this module)


def usage_out(u: Usage) -> dict[str, Any]:
    out: dict[str, Any] = {
        "input_tokens": max((u.input_tokens or 0) - (u.cached_tokens or 0) - (u.cache_write_tokens or 0), 0),
        "output_tokens": u.output_tokens or 0,
    }
    if u.cached_tokens is not None:
        out["cache_read_input_tokens"] = u.cached_tokens
    if u.cache_write_tokens is not None:
        out["cache_creation_input_tokens"] = u.cache_write_tokens
    return out


class MessagesStreamDecoder:
    """Anthropic stream events -> internal events. `done` after `message_stop` (or a final `message_delta`)."""

    def __init__(self, ctx: StreamContext) -> None:
        self._ctx = ctx
        self._finished = False
        self.terminal = False  # message_stop seen: anything after it is ignored
        self._tools: dict[int, int] = {}  # content block index -> internal tool index
        self._usage: dict[str, Any] = {}  # Anthropic's usage fields, merged across events

    @property
    def done(self) -> bool:
        return self.terminal or self._finished

    def feed(self, event: SSEEvent) -> list[StreamEvent]:
        if self.terminal or event.event == "ping":
            return []
        if is_done(event):  # not Anthropic's, but some relays send it
            self.terminal = True
            return []
        obj = self._ctx.load(event)
        if obj is None:
            return []
        self._ctx.check(obj, event.event)
        kind = obj.get("type") if isinstance(obj, dict) else None
        if event.event == "error" or kind == "error":  # an error the classifier did not take
            raise StreamFailure(self._ctx.stream_error(event.data[:200]))
        if not isinstance(obj, dict):
            return []
        kind = kind or event.event
        out: list[StreamEvent] = []
        if kind == "message_start":
            msg = as_dict(obj.get("message"))
            out.append(StreamEvent(kind="start", id=msg.get("id"), model=msg.get("model")))
            if isinstance(msg.get("usage"), dict):  # its output_tokens is a placeholder, not a count
                self._usage.update({k: v for k, v in msg["usage"].items() if k != "output_tokens"})
                out.append(StreamEvent(kind="usage", usage=usage_in(self._usage)))
        elif kind == "content_block_start":
            self._block_start(obj, out)
        elif kind == "content_block_delta":
            self._block_delta(obj, out)
        elif kind == "message_delta":
            delta = as_dict(obj.get("delta"))
            reason = delta.get("stop_reason")
            if reason and not self._finished:
                self._finished = True
                out.append(StreamEvent(kind="finish", finish_reason=STOP_IN.get(str(reason), "stop")))
            if isinstance(obj.get("usage"), dict):  # cumulative counts; absent ones keep message_start's
                self._usage.update({k: v for k, v in obj["usage"].items() if v is not None})
                out.append(StreamEvent(kind="usage", usage=usage_in(self._usage)))
        elif kind == "message_stop":
            self.terminal = True
        return out  # ping, content_block_stop and unknown event types add nothing

    def _block_start(self, obj: dict[str, Any], out: list[StreamEvent]) -> None:
        block = obj.get("content_block")
        if not isinstance(block, dict):
            return
        kind = block.get("type")
        if kind == "text" and block.get("text"):
            out.append(StreamEvent(kind="text", text=str(block["text"])))
        elif kind == "thinking" and block.get("thinking"):
            out.append(StreamEvent(kind="reasoning", text=str(block["thinking"])))
        elif kind == "tool_use":
            index = self._tools[obj.get("index", -1)] = len(self._tools)
            out.append(StreamEvent(kind="tool_call", index=index, id=block.get("id"), name=block.get("name")))
            if isinstance(block.get("input"), dict) and block["input"]:
                out.append(StreamEvent(kind="tool_args", index=index, text=input_to_args(block["input"])))

    def _block_delta(self, obj: dict[str, Any], out: list[StreamEvent]) -> None:
        delta = obj.get("delta")
        if not isinstance(delta, dict):
            return
        kind = delta.get("type")
        if kind == "text_delta" and delta.get("text"):
            out.append(StreamEvent(kind="text", text=str(delta["text"])))
        elif kind == "thinking_delta" and delta.get("thinking"):
            out.append(StreamEvent(kind="reasoning", text=str(delta["thinking"])))
        elif kind == "input_json_delta" and delta.get("partial_json"):
            index = self._tools.get(obj.get("index", -1))
            if index is not None:
                out.append(StreamEvent(kind="tool_args", index=index, text=str(delta["partial_json"])))


class MessagesStreamEncoder:
    """Internal events -> Anthropic stream events (with `event:` lines) that the Anthropic SDKs parse."""

    def __init__(self, model: str, include_usage: bool = True) -> None:
        self._id = new_id("msg_")
        self._model = model
        self._started = False
        self._closed = False
        self._open: int | None = None  # index of the open content block
        self._open_kind: str | None = None
        self._blocks = 0
        self._tool_blocks: dict[int, int] = {}  # internal tool index -> content block index
        self._stop: str | None = None
        self._usage: Usage | None = None

    def _start(self) -> bytes:
        if self._started:
            return b""
        self._started = True
        usage = usage_out(self._usage or Usage())
        message: dict[str, Any] = {
            "id": self._id,
            "type": "message",
            "role": "assistant",
            "model": self._model,
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": {**usage, "output_tokens": 0},
        }
        return frame({"type": "message_start", "message": message}, "message_start")

    def _close(self) -> bytes:
        if self._open is None:
            return b""
        index, self._open, self._open_kind = self._open, None, None
        return frame({"type": "content_block_stop", "index": index}, "content_block_stop")

    def _open_block(self, kind: str, block: dict[str, Any]) -> bytes:
        out = self._close()
        self._open, self._open_kind = self._blocks, kind
        self._blocks += 1
        event = {"type": "content_block_start", "index": self._open, "content_block": block}
        return out + frame(event, "content_block_start")

    def _delta(self, index: int, delta: dict[str, Any]) -> bytes:
        return frame({"type": "content_block_delta", "index": index, "delta": delta}, "content_block_delta")

    def encode(self, event: StreamEvent) -> bytes:
        if self._closed:
            return b""
        kind = event.kind
        if kind == "usage":
            if event.usage is not None:
                self._usage = merge_usage(self._usage, event.usage)
            return b""
        if kind == "start":  # input usage known by now is included; message_delta carries the final counts
            return self._start()
        if kind == "finish":
            self._stop = STOP_OUT.get(event.finish_reason or "stop", "end_turn")
            return b""
        out = self._start()
        if kind == "text" and event.text:
            if self._open_kind != "text":
                out += self._open_block("text", {"type": "text", "text": ""})
            out += self._delta(self._open or 0, {"type": "text_delta", "text": event.text})
        elif kind == "reasoning" and event.text:
            if self._open_kind != "thinking":
                out += self._open_block("thinking", {"type": "thinking", "thinking": "", "signature": ""})
            out += self._delta(self._open or 0, {"type": "thinking_delta", "thinking": event.text})
        elif kind == "tool_call":
            block = {"type": "tool_use", "id": tool_id(event.id), "name": event.name or "", "input": {}}
            out += self._open_block("tool_use", block)
            self._tool_blocks[event.index] = self._open or 0
        elif kind == "tool_args" and event.text:
            index = self._tool_blocks.get(event.index)
            if index is not None:
                out += self._delta(index, {"type": "input_json_delta", "partial_json": event.text})
        return out

    def finish(self) -> bytes:
        if self._closed:
            return b""
        self._closed = True
        out = self._start() + self._close()
        stop = self._stop or ("tool_use" if self._tool_blocks else "end_turn")
        usage = usage_out(self._usage or Usage())
        delta = {
            "type": "message_delta",
            "delta": {"stop_reason": stop, "stop_sequence": None},
            "usage": usage,
        }
        return out + frame(delta, "message_delta") + frame({"type": "message_stop"}, "message_stop")

    def adopt(self, event: SSEEvent) -> None:
        """Passthrough: an upstream event sent to the client unchanged (nothing to note in this dialect)."""

    def error(self, failure: Failure) -> bytes:
        self._closed = True
        return frame(anthropic_error_body(failure, None), "error")
