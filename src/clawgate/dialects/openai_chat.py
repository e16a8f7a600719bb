"""OpenAI chat completions (`openai-completions`, POST /chat/completions) <-> the internal form."""

from __future__ import annotations

import re
from typing import Any

from clawgate.dialects import common, reasoning, structured, tools
from clawgate.dialects.base import Target
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
        "stream_options",  # include_usage: honoured for the client by the gateway
        "user",
        "response_format",
        "reasoning_effort",
        "parallel_tool_calls",
        "verbosity",
    }
)
_OWN_PARTS = frozenset({"input_audio", "file"})  # content parts kept as "other" and re-emitted as they were
# Models that reject `max_tokens` and want `max_completion_tokens` (OpenAI's reasoning models).
_COMPLETION_TOKENS_MODEL = re.compile(r"^(?:openai/)?(?:o\d|gpt-5|gpt-[6-9])")
# Models reached through a chat-format router that forwards Anthropic's cache_control on content parts.
_CACHE_PARTS_MODEL = re.compile(r"(?:^|/)(?:anthropic/|claude)")


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
        cc = p.get("cache_control") if isinstance(p.get("cache_control"), dict) else None
        if kind == "text":
            parts.append(Part(type="text", text=str(p.get("text") or ""), cache_control=cc))
        elif kind == "image_url":
            img = p.get("image_url")
            url = img.get("url") if isinstance(img, dict) else img
            if isinstance(url, str):
                part = common.image_part(url, raw=p)
                part.cache_control = cc
                parts.append(part)
        else:
            parts.append(Part(type="other", raw=p))
    return parts


def _image_out(part: Part) -> dict[str, Any]:
    img: dict[str, Any] = {"url": part.image_url}
    detail = common.image_detail(part)
    if detail:
        img["detail"] = detail
    return {"type": "image_url", "image_url": img}


def _parts_out(parts: list[Part], cache: bool = False) -> str | list[dict[str, Any]]:
    marked = cache and any(p.cache_control for p in parts)
    if all(p.type == "text" for p in parts) and len(parts) <= 1 and not marked:
        return parts[0].text if parts else ""
    out: list[dict[str, Any]] = []
    for p in parts:
        item: dict[str, Any] | None = None
        if p.type == "text":
            item = {"type": "text", "text": p.text}
        elif p.type == "image" and p.image_url:
            item = _image_out(p)
        elif p.type == "other" and isinstance(p.raw, dict) and p.raw.get("type") in _OWN_PARTS:
            item = p.raw
        if item is not None:
            if cache and p.cache_control:
                item = {**item, "cache_control": p.cache_control}
            out.append(item)
    return out


def _calls_in(raw: Any) -> list[ToolCall]:
    calls = []
    for tc in raw if isinstance(raw, list) else []:
        call_id = str(as_dict(tc).get("id") or new_id("call_"))
        custom = as_dict(as_dict(tc).get("custom"))
        if as_dict(tc).get("type") == "custom" and custom:
            args = tools.custom_arguments(custom.get("input"))
            calls.append(ToolCall(call_id, str(custom.get("name") or ""), args))
            continue
        fn = as_dict(as_dict(tc).get("function"))
        calls.append(ToolCall(call_id, str(fn.get("name") or ""), str(fn.get("arguments") or "")))
    return calls


def _messages_in(raw: Any) -> tuple[str | None, list[Message], dict[str, Any] | None]:
    system: list[str] = []
    messages: list[Message] = []
    system_cache: dict[str, Any] | None = None
    for m in raw if isinstance(raw, list) else []:
        if not isinstance(m, dict):
            continue
        role, content, name = m.get("role"), m.get("content"), m.get("name")
        if role in ("system", "developer"):
            if not messages:
                system_cache = next((p.cache_control for p in _parts_in(content) if p.cache_control), None)
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
    return common.joined_text(system), messages, system_cache


def _messages_out(req: ChatRequest, cache: bool = False) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    if req.system:
        if cache and req.system_cache:
            part = {"type": "text", "text": req.system, "cache_control": req.system_cache}
            out.append({"role": "system", "content": [part]})
        else:
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
            msg = {"role": "user", "content": _parts_out(m.content, cache)}
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
    if isinstance(choice, dict) and choice.get("type") in ("function", "custom"):
        name = as_dict(choice.get(choice["type"])).get("name")
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
        system, messages, system_cache = _messages_in(body.get("messages"))
        tool_list, other_tools = tools.chat_in(body.get("tools"))
        choice, raw_choice = _choice_in(body.get("tool_choice"))
        stop = body.get("stop")
        max_key = "max_completion_tokens" if body.get("max_completion_tokens") is not None else None
        output, understood = structured.chat_in(body.get("response_format"))
        extra = common.collect_extra(
            body, _KNOWN, API, tools=other_tools, tool_choice=raw_choice, max_key=max_key
        )
        if not understood:  # a response_format this form cannot carry stays the client's own
            extra.update({"response_format": body["response_format"], common.ORIGIN_KEY: API})
        parallel = body.get("parallel_tool_calls")
        verbosity = body.get("verbosity")
        return ChatRequest(
            model=str(body.get("model") or ""),
            messages=messages,
            system=system,
            tools=tool_list,
            tool_choice=choice,
            max_tokens=body.get("max_completion_tokens") or body.get("max_tokens"),
            temperature=body.get("temperature"),
            top_p=body.get("top_p"),
            stop=[stop] if isinstance(stop, str) else (list(stop) if stop else None),
            stream=bool(body.get("stream")),
            user=body.get("user"),
            output=output,
            reasoning=reasoning.chat_in(body.get("reasoning_effort")),
            parallel_tool_calls=parallel if isinstance(parallel, bool) else None,
            system_cache=system_cache,
            verbosity=verbosity if isinstance(verbosity, str) else None,
            extra=extra,
        )

    def encode_request(self, req: ChatRequest, model: str, target: Target | None = None) -> dict[str, Any]:
        target = target or Target(model)
        own = req.extra.get(common.ORIGIN_KEY) == API
        cache = _CACHE_PARTS_MODEL.search(model) is not None
        body: dict[str, Any] = {"model": model, "messages": _messages_out(req, cache)}
        body.update(own_extra(req, API))
        tool_list = tools.chat_out(req.tools, native_custom=own) + (own_stash(req, API, "tools") or [])
        if tool_list:
            body["tools"] = tool_list
            choice = _choice_out(req.tool_choice) or own_stash(req, API, "tool_choice")
            if choice is not None:
                body["tool_choice"] = choice
            if req.parallel_tool_calls is not None:
                body["parallel_tool_calls"] = req.parallel_tool_calls
        max_tokens = target.clamp(req.max_tokens)
        if max_tokens is not None:
            key = own_stash(req, API, "max_key") or (
                "max_completion_tokens" if _COMPLETION_TOKENS_MODEL.match(model) else "max_tokens"
            )
            body[key] = max_tokens
        for key in ("temperature", "top_p", "stop", "user"):
            if getattr(req, key) is not None:
                body[key] = getattr(req, key)
        if req.output is not None:
            body["response_format"] = structured.chat_out(req.output)
        if req.reasoning is not None and (own or reasoning.openai_reasons(model, target.reasoning)):
            effort = reasoning.openai_effort(req.reasoning)
            if effort:
                body["reasoning_effort"] = effort
        if req.verbosity and (own or reasoning.openai_reasons(model, target.reasoning)):
            body["verbosity"] = req.verbosity
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

    def encode_response(
        self, result: ChatResult, model: str, request: ChatRequest | None = None
    ) -> dict[str, Any]:
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

    def stream_encoder(
        self, model: str, include_usage: bool = True, request: ChatRequest | None = None
    ) -> ChatStreamEncoder:
        return ChatStreamEncoder(model, include_usage)

    def usage_of(self, body: dict[str, Any]) -> Usage:
        u = usage_obj(body)
        return usage_in(u) if u is not None else Usage()

    def error_body(self, failure: Failure, status: int) -> dict[str, Any]:
        return openai_error_body(failure)


DIALECT = OpenAIChat()
