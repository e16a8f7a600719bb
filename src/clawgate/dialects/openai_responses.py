"""OpenAI Responses (`openai-responses`, POST /responses) <-> the internal form."""

from __future__ import annotations

from typing import Any

from clawgate.dialects import common
from clawgate.dialects.common import StreamContext, own_extra, own_stash
from clawgate.dialects.envelope import openai_error_body
from clawgate.dialects.ids import new_id, now
from clawgate.dialects.internal import ChatRequest, ChatResult, Message, Part, ToolCall, Usage
from clawgate.dialects.openai_chat import content_text
from clawgate.dialects.responses_stream import (
    ResponsesStreamDecoder,
    ResponsesStreamEncoder,
    finish_of,
    output_items,
    response_object,
    usage_in,
)
from clawgate.failures import Failure

API = "openai-responses"
PATH = "/responses"

_KNOWN = frozenset(
    {
        "model",
        "input",
        "instructions",
        "tools",
        "tool_choice",
        "max_output_tokens",
        "temperature",
        "top_p",
        "stream",
        "user",
    }
)
_TEXT_PARTS = frozenset({"input_text", "output_text", "text"})
_OWN_PARTS = frozenset({"input_file", "input_audio"})  # content parts re-emitted only to this dialect


# --- requests ---------------------------------------------------------------------------------------------


def _parts_in(content: Any) -> list[Part]:
    if isinstance(content, str):
        return [Part(type="text", text=content)]
    parts: list[Part] = []
    for p in content if isinstance(content, list) else []:
        if not isinstance(p, dict):
            continue
        kind = p.get("type")
        if kind in _TEXT_PARTS:
            parts.append(Part(type="text", text=str(p.get("text") or "")))
        elif kind == "refusal":
            parts.append(Part(type="text", text=str(p.get("refusal") or "")))
        elif kind == "input_image" and isinstance(p.get("image_url"), str):
            parts.append(common.image_part(p["image_url"], raw=p))
        else:
            parts.append(Part(type="other", raw=p))
    return parts


def _input_in(raw: Any) -> tuple[list[str], list[Message]]:
    if isinstance(raw, str):
        return [], [Message(role="user", content=[Part(type="text", text=raw)])]
    system: list[str] = []
    out: list[Message] = []

    def assistant() -> Message:  # consecutive model-side items make one assistant message
        if not out or out[-1].role != "assistant":
            out.append(Message(role="assistant"))
        return out[-1]

    for item in raw if isinstance(raw, list) else []:
        if not isinstance(item, dict):
            continue
        kind = item.get("type") or ("message" if "role" in item else None)
        role = item.get("role")
        if kind == "message" and role in ("system", "developer"):
            text = content_text(item.get("content")) or "".join(
                p.text for p in _parts_in(item.get("content"))
            )
            if out:
                out.append(Message(role="system", content=[Part(type="text", text=text)]))
            else:
                system.append(text)
        elif kind == "message" and role == "assistant":
            assistant().content.extend(_parts_in(item.get("content")))
        elif kind == "message":
            out.append(Message(role="user", content=_parts_in(item.get("content"))))
        elif kind == "function_call":
            call_id = str(item.get("call_id") or item.get("id") or "")
            call = ToolCall(call_id, str(item.get("name") or ""), str(item.get("arguments") or ""))
            assistant().tool_calls.append(call)
        elif kind == "function_call_output":
            call_id = str(item.get("call_id") or "")
            out.append(Message(role="tool", content=_parts_in(item.get("output")), tool_call_id=call_id))
        else:  # reasoning, item_reference, hosted tool calls: kept for this dialect only
            assistant().content.append(Part(type="other", raw=item))
    return system, out


def _image_out(p: Part) -> dict[str, Any]:
    return {"type": "input_image", "image_url": p.image_url, "detail": common.image_detail(p) or "auto"}


def _parts_out(parts: list[Part]) -> str | list[dict[str, Any]]:
    if all(p.type == "text" for p in parts) and len(parts) <= 1:
        return parts[0].text if parts else ""
    out: list[dict[str, Any]] = []
    for p in parts:
        if p.type == "text":
            out.append({"type": "input_text", "text": p.text})
        elif p.type == "image" and p.image_url:
            out.append(_image_out(p))
        elif p.type == "other" and isinstance(p.raw, dict) and p.raw.get("type") in _OWN_PARTS:
            out.append(p.raw)
    return out


def _own_item(part: Part) -> bool:
    """Whether an "other" part is an input item of this dialect (not a content part, not another dialect's)."""
    raw = part.raw
    if part.type != "other" or not isinstance(raw, dict):
        return False
    kind = raw.get("type")
    return kind in ("reasoning", "item_reference") or (isinstance(kind, str) and kind.endswith("_call"))


def _input_out(messages: list[Message]) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for m in common.normalize(messages):
        if m.role in ("system", "user"):
            items.append({"type": "message", "role": m.role, "content": _parts_out(m.content)})
        elif m.role == "assistant":
            items += [p.raw for p in m.content if _own_item(p)]
            if m.text():
                items.append({"type": "message", "role": "assistant", "content": m.text()})
            items += [
                {"type": "function_call", "call_id": tc.id, "name": tc.name, "arguments": tc.arguments}
                for tc in m.tool_calls
            ]
        else:
            output: str | list[dict[str, Any]] = m.text()
            if any(p.type == "image" for p in m.content):
                output = [
                    {"type": "input_text", "text": p.text} if p.type == "text" else _image_out(p)
                    for p in m.content
                    if p.type == "text" or (p.type == "image" and p.image_url)
                ]
            items.append({"type": "function_call_output", "call_id": m.tool_call_id or "", "output": output})
    return items


def _choice_in(choice: Any) -> tuple[Any, Any]:
    if choice is None or choice in ("auto", "none", "required"):
        return choice, None
    if isinstance(choice, dict) and choice.get("type") == "function" and choice.get("name"):
        return {"name": choice["name"]}, None
    return None, choice


def _choice_out(choice: Any) -> Any:
    if isinstance(choice, dict) and choice.get("name"):
        return {"type": "function", "name": choice["name"]}
    return choice if choice in ("auto", "none", "required") else None


# --- the dialect ----------------------------------------------------------------------------------------


class OpenAIResponses:
    """The `openai-responses` dialect."""

    api = API
    path = PATH

    def decode_request(self, body: dict[str, Any]) -> ChatRequest:
        system, messages = _input_in(body.get("input"))
        instructions = body.get("instructions")
        if isinstance(instructions, str) and instructions:
            system.insert(0, instructions)
        tools, other_tools = [], []
        for t in body.get("tools") or []:
            if isinstance(t, dict) and t.get("type") == "function" and t.get("name"):
                tools.append(common.tool_in(t["name"], t.get("description"), t.get("parameters")))
            else:
                other_tools.append(t)
        choice, raw_choice = _choice_in(body.get("tool_choice"))
        extra = common.collect_extra(body, _KNOWN, API, tools=other_tools, tool_choice=raw_choice)
        return ChatRequest(
            model=str(body.get("model") or ""),
            messages=messages,
            system=common.joined_text(system),
            tools=tools,
            tool_choice=choice,
            max_tokens=body.get("max_output_tokens"),
            temperature=body.get("temperature"),
            top_p=body.get("top_p"),
            stream=bool(body.get("stream")),
            user=body.get("user"),
            extra=extra,
        )

    def encode_request(self, req: ChatRequest, model: str) -> dict[str, Any]:
        """Responses has no stop sequences: `req.stop` is not sent."""
        body: dict[str, Any] = {"model": model}
        if req.system:
            body["instructions"] = req.system
        body["input"] = _input_out(req.messages)
        body.update(own_extra(req, API))
        tools: list[dict[str, Any]] = [
            {
                "type": "function",
                "name": t.name,
                **({"description": t.description} if t.description else {}),
                "parameters": t.parameters or {"type": "object", "properties": {}},
                "strict": False,  # Responses would default to strict schemas; the other dialects do not
            }
            for t in req.tools
        ]
        tools += own_stash(req, API, "tools") or []
        if tools:
            body["tools"] = tools
            choice = _choice_out(req.tool_choice) or own_stash(req, API, "tool_choice")
            if choice is not None:
                body["tool_choice"] = choice
        if req.max_tokens is not None:
            body["max_output_tokens"] = req.max_tokens
        for key in ("temperature", "top_p", "user"):
            if getattr(req, key) is not None:
                body[key] = getattr(req, key)
        if req.stream:
            body["stream"] = True
        return body

    def decode_response(self, body: dict[str, Any]) -> ChatResult:
        text, reasoning, calls = [], [], []
        for item in body.get("output") or []:
            if not isinstance(item, dict):
                continue
            kind = item.get("type")
            if kind == "message":
                text += [p.text for p in _parts_in(item.get("content")) if p.type == "text"]
            elif kind == "function_call":
                call_id = str(item.get("call_id") or item.get("id") or "")
                calls.append(ToolCall(call_id, str(item.get("name") or ""), str(item.get("arguments") or "")))
            elif kind == "reasoning":
                for part in (item.get("content") or []) + (item.get("summary") or []):
                    if isinstance(part, dict) and part.get("text"):
                        reasoning.append(str(part["text"]))
        return ChatResult(
            id=str(body.get("id") or ""),
            model=str(body.get("model") or ""),
            text="".join(text),
            tool_calls=calls,
            finish_reason=finish_of(body, bool(calls)),
            usage=self.usage_of(body),
            reasoning="\n\n".join(reasoning) or None,
        )

    def encode_response(self, result: ChatResult, model: str) -> dict[str, Any]:
        incomplete = result.finish_reason in ("length", "content_filter")
        status = "incomplete" if incomplete else "completed"
        usage = result.usage if result.usage.total_tokens is not None else None
        return response_object(
            result.id or new_id("resp_"),
            model,
            now(),
            status,
            output_items(result),
            usage,
            result.finish_reason,
        )

    def stream_decoder(self, provider: str, host: str | None, model: str | None) -> ResponsesStreamDecoder:
        return ResponsesStreamDecoder(StreamContext(provider, host, model, API))

    def stream_encoder(self, model: str, include_usage: bool = True) -> ResponsesStreamEncoder:
        return ResponsesStreamEncoder(model, include_usage)

    def usage_of(self, body: dict[str, Any]) -> Usage:
        u = body.get("usage")
        return usage_in(u) if isinstance(u, dict) else Usage()

    def error_body(self, failure: Failure, status: int) -> dict[str, Any]:
        return openai_error_body(failure)


DIALECT = OpenAIResponses()
