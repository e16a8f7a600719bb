"""OpenAI chat completions (`openai-completions`, POST /chat/completions) <-> the internal form."""

from __future__ import annotations

import re
from typing import Any

from clawgate.dialects import common
from clawgate.dialects.common import StreamContext, as_dict, own_extra, own_stash
from clawgate.dialects.envelope import openai_error_body
from clawgate.dialects.ids import new_id, now
from clawgate.dialects.internal import (
    ChatRequest,
    ChatResult,
    Message,
    Part,
    ToolCall,
    Usage,
)
from clawgate.dialects.openai_chat_stream import (
    FINISH_IN,
    FINISH_OUT,
    ChatStreamDecoder,
    ChatStreamEncoder,
    usage_in,
    usage_obj,
    usage_out,
)
from clawgate.failures import Failure

API = "openai-completions"
PATH = "/chat/completions"

_KNOWN = frozenset(
    {
        "model",
        "messages",
        "tools",
        "tool_choice",
        "max_tokens",
        "max_completion_tokens",
        "temperature",
        "top_p",
        "stop",
        "stream",
        "user",
    }
)
_OWN_PARTS = frozenset({"input_audio", "file"})  # content parts kept as "other" and re-emitted as they were
# Models that reject `max_tokens` and want `max_completion_tokens` (OpenAI's reasoning models).
_COMPLETION_TOKENS_MODEL = re.compile(r"^(?:openai/)?(?:o\d|gpt-5)")


# --- requests ---------------------------------------------------------------------------------------------


def content_text(content: Any) -> str:
    """Text of a string or a content-part array (text and refusal parts)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(
            str(p.get("text") or p.get("refusal") or "")
            for p in content
            if isinstance(p, dict) and p.get("type") in ("text", "refusal")
        )
    return ""


def _parts_in(content: Any) -> list[Part]:
    if isinstance(content, str):
        return [Part(type="text", text=content)]
    parts: list[Part] = []
    for p in content if isinstance(content, list) else []:
        if not isinstance(p, dict):
            continue
        kind = p.get("type")
        if kind == "text":
            parts.append(Part(type="text", text=str(p.get("text") or "")))
        elif kind == "image_url":
            img = p.get("image_url")
            url = img.get("url") if isinstance(img, dict) else img
            if isinstance(url, str):
                parts.append(common.image_part(url, raw=p))
        else:
            parts.append(Part(type="other", raw=p))
    return parts


def _image_out(part: Part) -> dict[str, Any]:
    img: dict[str, Any] = {"url": part.image_url}
    detail = common.image_detail(part)
    if detail:
        img["detail"] = detail
    return {"type": "image_url", "image_url": img}


def _parts_out(parts: list[Part]) -> str | list[dict[str, Any]]:
    if all(p.type == "text" for p in parts) and len(parts) <= 1:
        return parts[0].text if parts else ""
    out: list[dict[str, Any]] = []
    for p in parts:
        if p.type == "text":
            out.append({"type": "text", "text": p.text})
        elif p.type == "image" and p.image_url:
            out.append(_image_out(p))
        elif p.type == "other" and isinstance(p.raw, dict) and p.raw.get("type") in _OWN_PARTS:
            out.append(p.raw)
    return out


def _calls_in(raw: Any) -> list[ToolCall]:
    calls = []
    for tc in raw if isinstance(raw, list) else []:
        fn = as_dict(as_dict(tc).get("function"))
        call_id = str(as_dict(tc).get("id") or new_id("call_"))
        calls.append(ToolCall(call_id, str(fn.get("name") or ""), str(fn.get("arguments") or "")))
    return calls


def _messages_in(raw: Any) -> tuple[str | None, list[Message]]:
    system: list[str] = []
    messages: list[Message] = []
    for m in raw if isinstance(raw, list) else []:
        if not isinstance(m, dict):
            continue
        role, content, name = m.get("role"), m.get("content"), m.get("name")
        if role in ("system", "developer"):
            if messages:
                messages.append(
                    Message(role="system", content=[Part(type="text", text=content_text(content))])
                )
            else:
                system.append(content_text(content))
        elif role == "user":
            messages.append(Message(role="user", content=_parts_in(content), name=name))
        elif role == "assistant":
            text = content_text(content)
            calls = _calls_in(m.get("tool_calls"))
            parts = [Part(type="text", text=text)] if text else []
            messages.append(Message(role="assistant", content=parts, tool_calls=calls, name=name))
        elif role in ("tool", "function"):
            call_id = m.get("tool_call_id") or name
            messages.append(Message(role="tool", content=_parts_in(content), tool_call_id=call_id, name=name))
    return common.joined_text(system), messages


def _messages_out(req: ChatRequest) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    if req.system:
        out.append({"role": "system", "content": req.system})
    images: list[dict[str, Any]] = []  # images inside tool results: chat tool messages take text only
    for m in common.normalize(req.messages):
        if m.role != "tool" and images:
            out.append({"role": "user", "content": images})
            images = []
        msg: dict[str, Any]
        if m.role == "system":
            msg = {"role": "system", "content": m.text()}
        elif m.role == "user":
            msg = {"role": "user", "content": _parts_out(m.content)}
        elif m.role == "assistant":
            text = m.text()
            msg = {"role": "assistant", "content": text or (None if m.tool_calls else "")}
            if m.tool_calls:
                msg["tool_calls"] = [
                    {
                        "id": tc.id,
                        "type": "function",
                        "function": {"name": tc.name, "arguments": tc.arguments},
                    }
                    for tc in m.tool_calls
                ]
        else:
            images += [_image_out(p) for p in m.content if p.type == "image" and p.image_url]
            msg = {"role": "tool", "tool_call_id": m.tool_call_id or "", "content": m.text()}
        if m.name and m.role in ("user", "assistant"):
            msg["name"] = m.name
        out.append(msg)
    if images:
        out.append({"role": "user", "content": images})
    return out


def _choice_in(choice: Any) -> tuple[Any, Any]:
    """(internal tool_choice, the original when it has no internal form)."""
    if choice is None or choice in ("auto", "none", "required"):
        return choice, None
    if isinstance(choice, dict) and choice.get("type") == "function":
        name = (choice.get("function") or {}).get("name")
        if name:
            return {"name": name}, None
    return None, choice


def _choice_out(choice: Any) -> Any:
    if isinstance(choice, dict) and choice.get("name"):
        return {"type": "function", "function": {"name": choice["name"]}}
    return choice if choice in ("auto", "none", "required") else None


# --- the dialect ----------------------------------------------------------------------------------------


class OpenAIChat:
    """The `openai-completions` dialect."""

    api = API
    path = PATH

    def decode_request(self, body: dict[str, Any]) -> ChatRequest:
        system, messages = _messages_in(body.get("messages"))
        tools, other_tools = [], []
        for t in body.get("tools") or []:
            fn = (
                t.get("function") if isinstance(t, dict) and t.get("type", "function") == "function" else None
            )
            if isinstance(fn, dict) and fn.get("name"):
                tools.append(common.tool_in(fn.get("name"), fn.get("description"), fn.get("parameters")))
            else:
                other_tools.append(t)
        choice, raw_choice = _choice_in(body.get("tool_choice"))
        stop = body.get("stop")
        max_key = "max_completion_tokens" if body.get("max_completion_tokens") is not None else None
        extra = common.collect_extra(
            body, _KNOWN, API, tools=other_tools, tool_choice=raw_choice, max_key=max_key
        )
        return ChatRequest(
            model=str(body.get("model") or ""),
            messages=messages,
            system=system,
            tools=tools,
            tool_choice=choice,
            max_tokens=body.get("max_completion_tokens") or body.get("max_tokens"),
            temperature=body.get("temperature"),
            top_p=body.get("top_p"),
            stop=[stop] if isinstance(stop, str) else (list(stop) if stop else None),
            stream=bool(body.get("stream")),
            user=body.get("user"),
            extra=extra,
        )

    def encode_request(self, req: ChatRequest, model: str) -> dict[str, Any]:
        body: dict[str, Any] = {"model": model, "messages": _messages_out(req)}
        body.update(own_extra(req, API))
        tools: list[dict[str, Any]] = [
            {
                "type": "function",
                "function": {
                    "name": t.name,
                    **({"description": t.description} if t.description else {}),
                    "parameters": t.parameters or {"type": "object", "properties": {}},
                },
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
            key = own_stash(req, API, "max_key") or (
                "max_completion_tokens" if _COMPLETION_TOKENS_MODEL.match(model) else "max_tokens"
            )
            body[key] = req.max_tokens
        for key in ("temperature", "top_p", "stop", "user"):
            if getattr(req, key) is not None:
                body[key] = getattr(req, key)
        if req.stream:
            body["stream"] = True
            options = body.get("stream_options")
            body["stream_options"] = {**as_dict(options), "include_usage": True}
        else:
            body.pop("stream_options", None)
        return body

    def decode_response(self, body: dict[str, Any]) -> ChatResult:
        choices = body.get("choices")
        choice = as_dict(choices[0]) if isinstance(choices, list) and choices else {}
        msg = as_dict(choice.get("message"))
        calls = _calls_in(msg.get("tool_calls"))
        finish = FINISH_IN.get(str(choice.get("finish_reason")), "stop")
        if finish == "stop" and calls:
            finish = "tool_calls"
        reasoning = msg.get("reasoning_content") or msg.get("reasoning")
        return ChatResult(
            id=str(body.get("id") or new_id("chatcmpl-")),
            model=str(body.get("model") or ""),
            text=content_text(msg.get("content")),
            tool_calls=calls,
            finish_reason=finish,
            usage=self.usage_of(body),
            reasoning=reasoning if isinstance(reasoning, str) and reasoning else None,
        )

    def encode_response(self, result: ChatResult, model: str) -> dict[str, Any]:
        message: dict[str, Any] = {
            "role": "assistant",
            "content": result.text or (None if result.tool_calls else ""),
            "refusal": None,
        }
        if result.tool_calls:
            message["tool_calls"] = [
                {"id": tc.id, "type": "function", "function": {"name": tc.name, "arguments": tc.arguments}}
                for tc in result.tool_calls
            ]
        if result.reasoning:
            message["reasoning_content"] = result.reasoning
        body: dict[str, Any] = {
            "id": result.id or new_id("chatcmpl-"),
            "object": "chat.completion",
            "created": now(),
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "message": message,
                    "logprobs": None,
                    "finish_reason": FINISH_OUT.get(result.finish_reason, "stop"),
                }
            ],
        }
        if result.usage.total_tokens is not None:
            body["usage"] = usage_out(result.usage)
        return body

    def stream_decoder(self, provider: str, host: str | None, model: str | None) -> ChatStreamDecoder:
        return ChatStreamDecoder(StreamContext(provider, host, model, API))

    def stream_encoder(self, model: str, include_usage: bool = True) -> ChatStreamEncoder:
        return ChatStreamEncoder(model, include_usage)

    def usage_of(self, body: dict[str, Any]) -> Usage:
        u = usage_obj(body)
        return usage_in(u) if u is not None else Usage()

    def error_body(self, failure: Failure, status: int) -> dict[str, Any]:
        return openai_error_body(failure)


DIALECT = OpenAIChat()
