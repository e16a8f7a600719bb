"""OpenAI Responses (`openai-responses`, POST /responses) <-> the internal form."""

from __future__ import annotations

from typing import Any

from clawgate.dialects import common, reasoning, structured, tools
from clawgate.dialects.base import Target
from clawgate.dialects.common import StreamContext, as_dict, own_extra, own_stash
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
        "reasoning",
        "text",
        "parallel_tool_calls",
    }
)
_TEXT_KEYS = frozenset({"format", "verbosity"})  # `text` keys with an internal meaning
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
            name = tools.qualified(item.get("namespace"), item.get("name"))
            call = ToolCall(call_id, name, str(item.get("arguments") or ""))
            assistant().tool_calls.append(call)
        elif kind == "custom_tool_call":
            call_id = str(item.get("call_id") or item.get("id") or "")
            name = tools.qualified(item.get("namespace"), item.get("name"))
            assistant().tool_calls.append(ToolCall(call_id, name, tools.custom_arguments(item.get("input"))))
        elif kind in ("function_call_output", "custom_tool_call_output"):
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


def _input_out(messages: list[Message], req: ChatRequest) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for m in common.normalize(messages):
        if m.role in ("system", "user"):
            items.append({"type": "message", "role": m.role, "content": _parts_out(m.content)})
        elif m.role == "assistant":
            items += [p.raw for p in m.content if _own_item(p)]
            if m.text():
                items.append({"type": "message", "role": "assistant", "content": m.text()})
            for tc in m.tool_calls:
                item = tools.responses_call_item(tc, req.tool(tc.name), "", "completed")
                del item["id"], item["status"]
                items.append(item)
        else:
            output: str | list[dict[str, Any]] = m.text()
            if any(p.type == "image" for p in m.content):
                output = [
                    {"type": "input_text", "text": p.text} if p.type == "text" else _image_out(p)
                    for p in m.content
                    if p.type == "text" or (p.type == "image" and p.image_url)
                ]
            kind = "function_call_output"
            if any(t.kind == "custom" for t in req.tools) and _custom_call(messages, m.tool_call_id, req):
                kind = "custom_tool_call_output"
            items.append({"type": kind, "call_id": m.tool_call_id or "", "output": output})
    return items


def _custom_call(messages: list[Message], call_id: str | None, req: ChatRequest) -> bool:
    """Whether the call a tool result answers was a call of a custom tool."""
    for m in messages:
        for tc in m.tool_calls:
            if tc.id == call_id:
                tool = req.tool(tc.name)
                return tool is not None and tool.kind == "custom"
    return False


def _choice_in(choice: Any) -> tuple[Any, Any]:
    if choice is None or choice in ("auto", "none", "required"):
        return choice, None
    if isinstance(choice, dict) and choice.get("type") in ("function", "custom") and choice.get("name"):
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
        tool_list, other_tools = tools.responses_in(body.get("tools"))
        choice, raw_choice = _choice_in(body.get("tool_choice"))
        text = as_dict(body.get("text"))
        output, understood = structured.responses_in(text.get("format"))
        rest = [f"text.{k}" for k in text if k not in _TEXT_KEYS]
        if not understood:
            rest.append("text.format")
        own = {k: body[k] for k in ("reasoning", "text") if k in body}
        extra = common.collect_extra(
            body, _KNOWN, API, tools=other_tools, tool_choice=raw_choice, text_rest=rest, raw=own
        )
        parallel = body.get("parallel_tool_calls")
        verbosity = text.get("verbosity")
        return ChatRequest(
            model=str(body.get("model") or ""),
            messages=messages,
            system=common.joined_text(system),
            tools=tool_list,
            tool_choice=choice,
            max_tokens=body.get("max_output_tokens"),
            temperature=body.get("temperature"),
            top_p=body.get("top_p"),
            stream=bool(body.get("stream")),
            user=body.get("user"),
            output=output,
            reasoning=reasoning.responses_in(body.get("reasoning")),
            parallel_tool_calls=parallel if isinstance(parallel, bool) else None,
            verbosity=verbosity if isinstance(verbosity, str) else None,
            extra=extra,
        )

    def encode_request(self, req: ChatRequest, model: str, target: Target | None = None) -> dict[str, Any]:
        """Responses has no stop sequences: a request with `stop` is refused before it gets here."""
        target = target or Target(model)
        own = req.extra.get(common.ORIGIN_KEY) == API
        body: dict[str, Any] = {"model": model}
        if req.system:
            body["instructions"] = req.system
        body["input"] = _input_out(req.messages, req)
        body.update(own_extra(req, API))
        tool_list = tools.responses_out(req.tools) + (own_stash(req, API, "tools") or [])
        if tool_list:
            body["tools"] = tool_list
            choice = _choice_out(req.tool_choice) or own_stash(req, API, "tool_choice")
            if choice is not None:
                body["tool_choice"] = choice
            if req.parallel_tool_calls is not None:
                body["parallel_tool_calls"] = req.parallel_tool_calls
        max_tokens = target.clamp(req.max_tokens)
        if max_tokens is not None:
            body["max_output_tokens"] = max_tokens
        for key in ("temperature", "top_p", "user"):
            if getattr(req, key) is not None:
                body[key] = getattr(req, key)
        if req.stream:
            body["stream"] = True
        if own:
            body.update(own_stash(req, API, "raw") or {})
            return body
        text: dict[str, Any] = {}
        if req.output is not None:
            text["format"] = structured.responses_out(req.output)
        reasons = reasoning.openai_reasons(model, target.reasoning)
        if req.verbosity and reasons:
            text["verbosity"] = req.verbosity
        if text:
            body["text"] = text
        if req.reasoning is not None and reasons:
            spec = reasoning.responses_out(req.reasoning)
            if spec:
                body["reasoning"] = spec
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
                name = tools.qualified(item.get("namespace"), item.get("name"))
                calls.append(ToolCall(call_id, name, str(item.get("arguments") or "")))
            elif kind == "custom_tool_call":
                call_id = str(item.get("call_id") or item.get("id") or "")
                name = tools.qualified(item.get("namespace"), item.get("name"))
                calls.append(ToolCall(call_id, name, tools.custom_arguments(item.get("input"))))
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

    def encode_response(
        self, result: ChatResult, model: str, request: ChatRequest | None = None
    ) -> dict[str, Any]:
        incomplete = result.finish_reason in ("length", "content_filter")
        status = "incomplete" if incomplete else "completed"
        usage = result.usage if result.usage.total_tokens is not None else None
        rid = result.id if result.id.startswith("resp_") else new_id("resp_")
        return response_object(
            rid, model, now(), status, output_items(result, request), usage, result.finish_reason
        )

    def stream_decoder(self, provider: str, host: str | None, model: str | None) -> ResponsesStreamDecoder:
        return ResponsesStreamDecoder(StreamContext(provider, host, model, API))

    def stream_encoder(
        self, model: str, include_usage: bool = True, request: ChatRequest | None = None
    ) -> ResponsesStreamEncoder:
        return ResponsesStreamEncoder(model, include_usage, request)

    def usage_of(self, body: dict[str, Any]) -> Usage:
        u = body.get("usage")
        return usage_in(u) if isinstance(u, dict) else Usage()

    def error_body(self, failure: Failure, status: int) -> dict[str, Any]:
        return openai_error_body(failure)


DIALECT = OpenAIResponses()
