"""OpenAI Responses API shapes: the `response` object and its named-event stream (no `[DONE]`)."""

from __future__ import annotations

from typing import Any

from .. import sse
from ..reply import Reply


def usage(reply: Reply) -> dict[str, Any]:
    return {
        "input_tokens": reply.prompt_tokens,
        "input_tokens_details": {"cached_tokens": 0},
        "output_tokens": reply.completion_tokens,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": reply.total_tokens,
    }


def response_object(
    rid: str,
    created: int,
    model: str,
    status: str,
    output: list[dict[str, Any]],
    usage_obj: dict[str, Any] | None,
    error: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "id": rid,
        "object": "response",
        "created_at": created,
        "status": status,
        "completed_at": created if status == "completed" else None,
        "error": error,
        "incomplete_details": None,
        "instructions": None,
        "max_output_tokens": None,
        "model": model,
        "output": output,
        "parallel_tool_calls": True,
        "previous_response_id": None,
        "reasoning": {"effort": None, "summary": None},
        "store": True,
        "temperature": 1.0,
        "text": {"format": {"type": "text"}},
        "tool_choice": "auto",
        "tools": [],
        "top_p": 1.0,
        "truncation": "disabled",
        "usage": usage_obj,
        "user": None,
        "metadata": {},
    }


def _output_item(item_id: str, call_id: str, reply: Reply, done: bool) -> dict[str, Any]:
    status = "completed" if done else "in_progress"
    if reply.tool is not None:
        return {
            "id": item_id,
            "type": "function_call",
            "status": status,
            "arguments": reply.tool.arguments if done else "",
            "call_id": call_id,
            "name": reply.tool.name,
        }
    content = [_text_part(reply.text)] if done else []
    return {"id": item_id, "type": "message", "status": status, "content": content, "role": "assistant"}


def _text_part(text: str) -> dict[str, Any]:
    return {"type": "output_text", "annotations": [], "logprobs": [], "text": text}


def body(rid: str, item_id: str, call_id: str, created: int, model: str, reply: Reply) -> dict[str, Any]:
    """The non-stream `response` object."""
    return response_object(
        rid, created, model, "completed", [_output_item(item_id, call_id, reply, True)], usage(reply)
    )


def events(rid: str, item_id: str, call_id: str, created: int, model: str, reply: Reply) -> list[sse.Item]:
    """created, in_progress, item/part added, N deltas, done events, then `response.completed`."""
    out: list[sse.Item] = []

    def emit(kind: str, content: bool = False, **fields: Any) -> None:
        out.append((sse.event(kind, {"type": kind, "sequence_number": len(out), **fields}), content))

    pending = response_object(rid, created, model, "in_progress", [], None)
    emit("response.created", response=pending)
    emit("response.in_progress", response=pending)
    emit("response.output_item.added", output_index=0, item=_output_item(item_id, call_id, reply, False))
    if reply.tool is not None:
        for piece in reply.pieces:
            emit("response.function_call_arguments.delta", True, item_id=item_id, output_index=0, delta=piece)
        emit(
            "response.function_call_arguments.done",
            item_id=item_id,
            output_index=0,
            arguments=reply.tool.arguments,
        )
    else:
        part: dict[str, Any] = {"item_id": item_id, "output_index": 0, "content_index": 0}
        emit("response.content_part.added", **part, part=_text_part(""))
        for piece in reply.pieces:
            emit("response.output_text.delta", True, **part, delta=piece, logprobs=[])
        emit("response.output_text.done", **part, text=reply.text, logprobs=[])
        emit("response.content_part.done", **part, part=_text_part(reply.text))
    done_item = _output_item(item_id, call_id, reply, True)
    emit("response.output_item.done", output_index=0, item=done_item)
    final = response_object(rid, created, model, "completed", [done_item], usage(reply))
    emit("response.completed", response=final)
    return out


def inband_error(rid: str, created: int, model: str, seq: int, variant: str | None) -> list[sse.Item]:
    """An `error` event then `response.failed`.

    Default is the nested shape a relay captured from a real upstream overload; variant "flat" gives the
    spec's flat `{"type":"error","code":…,"message":…,"param":null}`.
    """
    if variant == "flat":
        err: dict[str, Any] = {
            "type": "error",
            "code": "server_is_overloaded",
            "message": "Our servers are currently overloaded. Please try again later.",
            "param": None,
            "sequence_number": seq,
        }
    else:
        err = {
            "error": {
                "code": "server_is_overloaded",
                "message": "Our servers are currently overloaded. Please try again later.",
                "param": None,
                "type": "service_unavailable_error",
            },
            "sequence_number": seq,
            "type": "error",
        }
    failed = response_object(
        rid,
        created,
        model,
        "failed",
        [],
        None,
        {"code": "server_error", "message": "The model failed to generate a response."},
    )
    return [
        (sse.event("error", err), False),
        (
            sse.event(
                "response.failed", {"type": "response.failed", "sequence_number": seq + 1, "response": failed}
            ),
            False,
        ),
    ]


def failed_body(rid: str, created: int, model: str) -> dict[str, Any]:
    """A non-stream response that failed after starting (status 200, `status: failed`)."""
    return response_object(
        rid,
        created,
        model,
        "failed",
        [],
        None,
        {"code": "server_error", "message": "The model failed to generate a response."},
    )
