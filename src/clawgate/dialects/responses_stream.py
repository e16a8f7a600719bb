"""OpenAI Responses streams (typed events <-> internal events) and the usage/status mappings."""

from __future__ import annotations

from typing import Any

import orjson

from clawgate.call.sse import SSEEvent, is_done
from clawgate.dialects import tools
from clawgate.dialects.base import StreamFailure
from clawgate.dialects.common import StreamContext, as_dict, merge_usage
from clawgate.dialects.envelope import OPENAI_TYPES, clawgate_fields, client_message
from clawgate.dialects.ids import new_id, now
from clawgate.dialects.internal import ChatRequest, ChatResult, FinishReason, StreamEvent, ToolCall, Usage
from clawgate.dialects.sse_out import frame
from clawgate.failures import Failure

INCOMPLETE_IN: dict[str, FinishReason] = {"max_output_tokens": "length", "content_filter": "content_filter"}
INCOMPLETE_OUT = {"length": "max_output_tokens", "content_filter": "content_filter"}


def usage_in(u: dict[str, Any]) -> Usage:
    details = u.get("input_tokens_details")
    cached = details.get("cached_tokens") if isinstance(details, dict) else None
    return Usage(
        input_tokens=u.get("input_tokens"), output_tokens=u.get("output_tokens"), cached_tokens=cached
    )


def usage_out(u: Usage) -> dict[str, Any]:
    return {
        "input_tokens": u.input_tokens or 0,
        "input_tokens_details": {"cached_tokens": u.cached_tokens or 0, "cache_write_tokens": 0},
        "output_tokens": u.output_tokens or 0,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": u.total_tokens or 0,
    }


def finish_of(response: dict[str, Any], has_calls: bool) -> FinishReason:
    status = response.get("status")
    if status == "failed":
        return "error"
    if status == "incomplete":
        details = response.get("incomplete_details")
        reason = details.get("reason") if isinstance(details, dict) else None
        return INCOMPLETE_IN.get(str(reason), "length")
    return "tool_calls" if has_calls else "stop"


def output_items(result: ChatResult, request: ChatRequest | None = None) -> list[dict[str, Any]]:
    """A result's `output` items, all completed (custom and namespaced calls as `request` declared them)."""
    items: list[dict[str, Any]] = []
    if result.reasoning:
        content = [{"type": "reasoning_text", "text": result.reasoning}]
        items.append({"id": new_id("rs_"), "type": "reasoning", "summary": [], "content": content})
    if result.text:
        text = {"type": "output_text", "text": result.text, "annotations": [], "logprobs": []}
        items.append(_message(new_id("msg_"), "completed", [text]))
    for tc in result.tool_calls:
        tool = request.tool(tc.name) if request is not None else None
        prefix = "ctc_" if tool is not None and tool.kind == "custom" else "fc_"
        items.append(tools.responses_call_item(tc, tool, new_id(prefix), "completed"))
    return items


def _message(item_id: str, status: str, content: list[dict[str, Any]]) -> dict[str, Any]:
    return {"id": item_id, "type": "message", "status": status, "role": "assistant", "content": content}


def response_object(
    rid: str, model: str, created: int, status: str, output: list[Any], usage: Usage | None, finish: str
) -> dict[str, Any]:
    reason = INCOMPLETE_OUT.get(finish) if status == "incomplete" else None
    return {
        "id": rid,
        "object": "response",
        "created_at": created,
        "status": status,
        "error": None,
        "incomplete_details": {"reason": reason} if reason else None,
        "instructions": None,
        "metadata": {},
        "model": model,
        "output": output,
        "parallel_tool_calls": True,
        "temperature": None,
        "tool_choice": "auto",
        "tools": [],
        "top_p": None,
        "usage": usage_out(usage) if usage is not None else None,
    }


_CALL_ITEMS = frozenset({"function_call", "custom_tool_call"})


class _Call:
    __slots__ = ("announced", "args_seen", "custom", "index")

    def __init__(self, index: int) -> None:
        self.index = index
        self.announced = False
        self.args_seen = False
        self.custom = False  # a custom tool: its raw input arrives whole, as {"input": TEXT} arguments


class ResponsesStreamDecoder:
    """Responses stream events -> internal events. `done` after response.completed / response.incomplete."""

    def __init__(self, ctx: StreamContext) -> None:
        self._ctx = ctx
        self._started = False
        self.terminal = False
        self._calls: dict[Any, _Call] = {}  # item id and ("out", output index) -> call
        self._count = 0
        self._text_seen = False

    @property
    def done(self) -> bool:
        return self.terminal

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
        kind = (obj.get("type") if isinstance(obj, dict) else None) or event.event
        if kind in ("error", "response.failed"):  # an error the classifier did not take
            raise StreamFailure(self._ctx.stream_error(event.data[:200]))
        if not isinstance(obj, dict):
            return []
        out: list[StreamEvent] = []
        response = as_dict(obj.get("response"))
        if not self._started and (kind.startswith("response.") if kind else False):
            self._started = True
            out.append(StreamEvent(kind="start", id=response.get("id"), model=response.get("model")))
        delta = obj.get("delta")
        if kind in ("response.output_text.delta", "response.refusal.delta") and delta:
            self._text_seen = True
            out.append(StreamEvent(kind="text", text=str(delta)))
        elif kind in ("response.reasoning_text.delta", "response.reasoning_summary_text.delta") and delta:
            out.append(StreamEvent(kind="reasoning", text=str(delta)))
        elif kind in ("response.output_item.added", "response.output_item.done"):
            item = obj.get("item")
            if isinstance(item, dict) and item.get("type") in _CALL_ITEMS:
                self._item(item, obj.get("output_index"), out)
        elif kind == "response.custom_tool_call_input.done":
            call = self._find(obj)
            if call is not None and not call.args_seen:
                call.args_seen = True
                args = tools.custom_arguments(obj.get("input"))
                out.append(StreamEvent(kind="tool_args", index=call.index, text=args))
        elif kind == "response.function_call_arguments.delta" and delta:
            call = self._find(obj)
            if call is not None:
                call.args_seen = True
                out.append(StreamEvent(kind="tool_args", index=call.index, text=str(delta)))
        elif kind == "response.function_call_arguments.done":
            call = self._find(obj)
            if call is not None and not call.args_seen and obj.get("arguments"):
                call.args_seen = True
                out.append(StreamEvent(kind="tool_args", index=call.index, text=str(obj["arguments"])))
        elif kind in ("response.completed", "response.incomplete"):
            self.terminal = True
            if kind == "response.incomplete" and response.get("status") is None:
                response = {**response, "status": "incomplete"}
            self._unstreamed(response, out)
            finish = finish_of(response, self._count > 0)
            out.append(StreamEvent(kind="finish", finish_reason=finish))
            if isinstance(response.get("usage"), dict):
                out.append(StreamEvent(kind="usage", usage=usage_in(response["usage"])))
        return out

    def _unstreamed(self, response: dict[str, Any], out: list[StreamEvent]) -> None:
        """Text and calls that only the final response carries (relays that send no deltas)."""
        for index, item in enumerate(response.get("output") or []):
            item = as_dict(item)
            if item.get("type") in _CALL_ITEMS:
                self._item(item, index, out)
            elif item.get("type") == "message" and not self._text_seen:
                for part in item.get("content") or []:
                    text = as_dict(part).get("text")
                    if as_dict(part).get("type") == "output_text" and text:
                        out.append(StreamEvent(kind="text", text=str(text)))

    def _lookup(self, item_id: Any, output_index: Any) -> _Call | None:
        call = self._calls.get(item_id) if isinstance(item_id, str) else None
        if call is None and isinstance(output_index, int):
            call = self._calls.get(("out", output_index))
        return call

    def _find(self, obj: dict[str, Any]) -> _Call | None:
        return self._lookup(obj.get("item_id"), obj.get("output_index"))

    def _item(self, item: dict[str, Any], output_index: Any, out: list[StreamEvent]) -> None:
        call = self._lookup(item.get("id"), output_index)
        if call is None:
            call = _Call(self._count)
            self._count += 1
            if isinstance(item.get("id"), str):
                self._calls[item["id"]] = call
            if isinstance(output_index, int):
                self._calls[("out", output_index)] = call
        call.custom = item.get("type") == "custom_tool_call"
        if not call.announced:
            call.announced = True
            call_id = item.get("call_id") or item.get("id")
            name = tools.qualified(item.get("namespace"), item.get("name"))
            out.append(StreamEvent(kind="tool_call", index=call.index, id=call_id, name=name))
        if call.custom:
            if (
                not call.args_seen
                and isinstance(item.get("input"), str)
                and item.get("status") == "completed"
            ):
                call.args_seen = True
                args = tools.custom_arguments(item["input"])
                out.append(StreamEvent(kind="tool_args", index=call.index, text=args))
        elif not call.args_seen and item.get("arguments"):
            call.args_seen = True
            out.append(StreamEvent(kind="tool_args", index=call.index, text=str(item["arguments"])))


class ResponsesStreamEncoder:
    """Internal events -> Responses stream events (`event:` lines, increasing `sequence_number`)."""

    def __init__(self, model: str, include_usage: bool = True, request: ChatRequest | None = None) -> None:
        self._request = request  # the client's request: the kinds of its tools
        self._id = new_id("resp_")
        self._model = model
        self._created = now()
        self._seq = 0
        self._started = False
        self._closed = False
        self._output: list[dict[str, Any]] = []  # completed items
        self._item: dict[str, Any] | None = None  # the open item
        self._text: list[str] = []  # text of the open message / reasoning item, or arguments of the open call
        self._calls: dict[int, dict[str, Any]] = {}  # internal tool index -> its item
        self._finish: str | None = None
        self._usage: Usage | None = None

    def _ev(self, kind: str, **fields: Any) -> bytes:
        data = {"type": kind, "sequence_number": self._seq, **fields}
        self._seq += 1
        return frame(data, kind)

    def _response(self, status: str, output: list[Any] | None = None) -> dict[str, Any]:
        usage = self._usage if status != "in_progress" else None
        out = self._output if output is None else output
        return response_object(
            self._id, self._model, self._created, status, out, usage, self._finish or "stop"
        )

    def _start(self) -> bytes:
        if self._started:
            return b""
        self._started = True
        snapshot = self._response("in_progress", [])
        return self._ev("response.created", response=snapshot) + self._ev(
            "response.in_progress", response=snapshot
        )

    def _open(self, item: dict[str, Any]) -> bytes:
        out = self._close()
        self._item, self._text = item, []
        out += self._ev("response.output_item.added", output_index=len(self._output), item=item)
        part = None
        if item["type"] == "message":
            part = {"type": "output_text", "text": "", "annotations": [], "logprobs": []}
        elif item["type"] == "reasoning":
            part = {"type": "reasoning_text", "text": ""}
        if part is not None:
            out += self._ev(
                "response.content_part.added",
                item_id=item["id"],
                output_index=len(self._output),
                content_index=0,
                part=part,
            )
        return out

    def _close(self) -> bytes:
        item = self._item
        if item is None:
            return b""
        self._item = None
        text, idx, iid = "".join(self._text), len(self._output), item["id"]
        where = {"item_id": iid, "output_index": idx}
        out = b""
        if item["type"] == "message":
            part = {"type": "output_text", "text": text, "annotations": [], "logprobs": []}
            out += self._ev("response.output_text.done", **where, content_index=0, text=text, logprobs=[])
            out += self._ev("response.content_part.done", **where, content_index=0, part=part)
            item = _message(iid, "completed", [part])
        elif item["type"] == "reasoning":
            part = {"type": "reasoning_text", "text": text}
            out += self._ev("response.reasoning_text.done", **where, content_index=0, text=text)
            out += self._ev("response.content_part.done", **where, content_index=0, part=part)
            item = {**item, "content": [part], "status": "completed"}
        elif item["type"] == "custom_tool_call":
            raw = tools.custom_input(text)
            if raw:
                out += self._ev("response.custom_tool_call_input.delta", **where, delta=raw)
            out += self._ev("response.custom_tool_call_input.done", **where, input=raw)
            item = {**item, "input": raw, "status": "completed"}
        else:
            out += self._ev(
                "response.function_call_arguments.done", **where, name=item["name"], arguments=text
            )
            item = {**item, "arguments": text, "status": "completed"}
        self._output.append(item)
        return out + self._ev("response.output_item.done", output_index=idx, item=item)

    def encode(self, event: StreamEvent) -> bytes:
        if self._closed:
            return b""
        kind = event.kind
        if kind == "usage":
            if event.usage is not None:
                self._usage = merge_usage(self._usage, event.usage)
            return b""
        if kind == "finish":
            self._finish = event.finish_reason
            return b""
        out = self._start()
        item = self._item
        if kind == "text" and event.text:
            if item is None or item["type"] != "message":
                out += self._open(_message(new_id("msg_"), "in_progress", []))
            out += self._delta("response.output_text.delta", event.text, content_index=0, logprobs=[])
        elif kind == "reasoning" and event.text:
            if item is None or item["type"] != "reasoning":
                out += self._open(
                    {"id": new_id("rs_"), "type": "reasoning", "summary": [], "status": "in_progress"}
                )
            out += self._delta("response.reasoning_text.delta", event.text, content_index=0)
        elif kind == "tool_call":
            call = ToolCall(event.id or new_id("call_"), event.name or "")
            tool = self._request.tool(call.name) if self._request is not None else None
            custom = tool is not None and tool.kind == "custom"
            new = tools.responses_call_item(call, tool, new_id("ctc_" if custom else "fc_"), "in_progress")
            self._calls[event.index] = new
            out += self._open(new)
        elif kind == "tool_args" and event.text and item is not None and self._calls.get(event.index) is item:
            # Arguments of a call whose item is already closed cannot be sent any more (upstreams send each
            # call's arguments before the next call starts). A custom call's input is sent whole at its end.
            if item["type"] == "custom_tool_call":
                self._text.append(event.text)
            else:
                out += self._delta("response.function_call_arguments.delta", event.text)
        return out

    def _delta(self, kind: str, text: str, **fields: Any) -> bytes:
        assert self._item is not None
        self._text.append(text)
        return self._ev(kind, item_id=self._item["id"], output_index=len(self._output), delta=text, **fields)

    def finish(self) -> bytes:
        if self._closed:
            return b""
        self._closed = True
        out = self._start() + self._close()
        if self._finish is None and self._calls:
            self._finish = "tool_calls"
        if self._finish in INCOMPLETE_OUT:
            return out + self._ev("response.incomplete", response=self._response("incomplete"))
        return out + self._ev("response.completed", response=self._response("completed"))

    @property
    def response_id(self) -> str:
        return self._id

    @property
    def output(self) -> list[dict[str, Any]]:
        """The completed output items sent so far."""
        return list(self._output)

    def adopt(self, event: SSEEvent) -> None:
        """Passthrough: note an upstream event sent to the client unchanged, so `error()` continues its stream
        (same response id, later sequence numbers) instead of starting a second response."""
        self._seq += 1
        if (
            not self._started
            and event.event in ("response.created", None)
            and '"response.created"' in event.data
        ):
            try:
                response = as_dict(as_dict(orjson.loads(event.data)).get("response"))
            except orjson.JSONDecodeError:
                return
            self._started = True
            self._id = str(response.get("id") or self._id)
            created = response.get("created_at")
            self._created = created if isinstance(created, int) else self._created

    def error(self, failure: Failure) -> bytes:
        """The spec's flat `error` event (with clawgate's fields), then `response.failed`."""
        self._closed = True
        out = self._start()
        fields = clawgate_fields(failure)
        param = fields.pop("param", None)
        message = client_message(failure)
        out += self._ev("error", code=failure.code, message=message, param=param, **fields)
        response = self._response("failed")
        code = "rate_limit_exceeded" if failure.owner == "rate_limit" else "server_error"
        response["error"] = {
            "code": code,
            "message": message,
            "type": OPENAI_TYPES.get(failure.owner, "runtime_error"),
            "clawgate_code": failure.code,
            **fields,
        }
        return out + self._ev("response.failed", response=response)
