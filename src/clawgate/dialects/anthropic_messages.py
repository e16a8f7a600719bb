"""Anthropic Messages (`anthropic-messages`, POST /v1/messages) <-> the internal form."""

from __future__ import annotations

from typing import Any

from clawgate.dialects import common
from clawgate.dialects.anthropic_stream import (
    STOP_IN,
    STOP_OUT,
    MessagesStreamDecoder,
    MessagesStreamEncoder,
    tool_id,
    usage_in,
    usage_out,
)
from clawgate.dialects.common import StreamContext, as_dict, input_to_args, own_extra, own_stash
from clawgate.dialects.envelope import anthropic_error_body
from clawgate.dialects.ids import new_id
from clawgate.dialects.internal import ChatRequest, ChatResult, Message, Part, ToolCall, Usage
from clawgate.failures import Failure

API = "anthropic-messages"
PATH = "/v1/messages"
DEFAULT_MAX_TOKENS = 4096
FILLER = "."  # the text of a user turn that Anthropic requires but the conversation lacks

_KNOWN = frozenset(
    {
        "model",
        "messages",
        "system",
        "tools",
        "tool_choice",
        "max_tokens",
        "temperature",
        "top_p",
        "stop_sequences",
        "stream",
        "metadata",
    }
)
# Content blocks kept as "other" that belong to this dialect (re-emitted only to Anthropic).
_OWN_BLOCKS = frozenset(
    {
        "image",  # images by file id (base64 and url images become image parts)
        "thinking",
        "redacted_thinking",
        "document",
        "search_result",
        "server_tool_use",
        "web_search_tool_result",
    }
)
_LEADING_BLOCKS = frozenset({"thinking", "redacted_thinking"})  # must come first in an assistant turn


# --- requests ---------------------------------------------------------------------------------------------


def _blocks(content: Any) -> list[dict[str, Any]]:
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    return [b for b in content if isinstance(b, dict)] if isinstance(content, list) else []


def _text_of(content: Any) -> str:
    return "\n\n".join(str(b.get("text") or "") for b in _blocks(content) if b.get("type") == "text")


def _image_in(block: dict[str, Any]) -> Part:
    src = as_dict(block.get("source"))
    if src.get("type") == "base64" and src.get("data"):
        media = str(src.get("media_type") or "image/png")
        return Part(
            type="image", image_url=common.data_url(media, str(src["data"])), media_type=media, raw=block
        )
    if src.get("type") == "url" and src.get("url"):
        return common.image_part(str(src["url"]), raw=block)
    return Part(type="other", raw=block)


def _result_parts(block: dict[str, Any]) -> list[Part]:
    content = block.get("content")
    parts: list[Part] = []
    for b in _blocks(content) if content is not None else []:
        if b.get("type") == "text":
            parts.append(Part(type="text", text=str(b.get("text") or "")))
        elif b.get("type") == "image":
            parts.append(_image_in(b))
    if block.get("is_error"):
        parts = parts or [Part(type="text")]
        for p in parts:
            p.is_error = True
    return parts


def _messages_in(raw: Any) -> list[Message]:
    out: list[Message] = []
    for m in raw if isinstance(raw, list) else []:
        if not isinstance(m, dict):
            continue
        parts: list[Part] = []
        if m.get("role") == "assistant":
            calls = []
            for b in _blocks(m.get("content")):
                if b.get("type") == "text":
                    parts.append(Part(type="text", text=str(b.get("text") or "")))
                elif b.get("type") == "tool_use":
                    calls.append(
                        ToolCall(
                            str(b.get("id") or ""), str(b.get("name") or ""), input_to_args(b.get("input"))
                        )
                    )
                else:
                    parts.append(Part(type="other", raw=b))
            out.append(Message(role="assistant", content=parts, tool_calls=calls))
            continue
        results = 0
        for b in _blocks(m.get("content")):
            kind = b.get("type")
            if kind == "text":
                parts.append(Part(type="text", text=str(b.get("text") or "")))
            elif kind == "image":
                parts.append(_image_in(b))
            elif kind == "tool_result":
                results += 1
                call_id = str(b.get("tool_use_id") or "")
                out.append(Message(role="tool", content=_result_parts(b), tool_call_id=call_id))
            else:
                parts.append(Part(type="other", raw=b))
        if parts or not results:
            out.append(Message(role="user", content=parts))
    return out


def _image_out(p: Part) -> dict[str, Any]:
    parts = common.data_url_parts(p.image_url or "")
    if parts:
        return {"type": "image", "source": {"type": "base64", "media_type": parts[0], "data": parts[1]}}
    return {"type": "image", "source": {"type": "url", "url": p.image_url}}


def _user_blocks(parts: list[Part]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for p in parts:
        if p.type == "text" and p.text.strip():
            out.append({"type": "text", "text": p.text})
        elif p.type == "image" and p.image_url:
            out.append(_image_out(p))
        elif p.type == "other" and isinstance(p.raw, dict) and p.raw.get("type") in _OWN_BLOCKS:
            out.append(p.raw)
    return out


def _turn(m: Message) -> tuple[str, list[dict[str, Any]]]:
    if m.role == "assistant":
        blocks = [p.raw for p in m.content if p.type == "other" and isinstance(p.raw, dict)]
        blocks = [b for b in blocks if b.get("type") in _LEADING_BLOCKS]
        blocks += [b for b in _user_blocks(m.content) if b.get("type") not in _LEADING_BLOCKS]
        blocks += [
            {
                "type": "tool_use",
                "id": tool_id(tc.id),
                "name": tc.name,
                "input": common.args_to_input(tc.arguments),
            }
            for tc in m.tool_calls
        ]
        return "assistant", blocks
    if m.role == "tool":
        result: dict[str, Any] = {"type": "tool_result", "tool_use_id": tool_id(m.tool_call_id)}
        inner = _user_blocks(m.content)
        if any(b["type"] != "text" for b in inner):
            result["content"] = inner
        elif m.text():
            result["content"] = m.text()
        if any(p.is_error for p in m.content):
            result["is_error"] = True
        return "user", [result]
    return "user", _user_blocks(m.content)


def _messages_out(messages: list[Message]) -> list[dict[str, Any]]:
    turns: list[dict[str, Any]] = []
    for m in common.normalize(messages):
        if m.role == "system":
            continue
        role, blocks = _turn(m)
        if not blocks:
            continue
        if turns and turns[-1]["role"] == role:  # Anthropic wants strictly alternating roles
            turns[-1]["content"].extend(blocks)
        else:
            turns.append({"role": role, "content": blocks})
    for t in turns:  # tool results lead their user turn
        if t["role"] == "user":
            t["content"].sort(key=lambda b: b.get("type") != "tool_result")
    if not turns or turns[0]["role"] != "user":
        turns.insert(0, {"role": "user", "content": [{"type": "text", "text": FILLER}]})
    last = turns[-1]
    if (
        last["role"] == "assistant" and last["content"][-1].get("type") == "text"
    ):  # no trailing space in prefill
        last["content"][-1]["text"] = last["content"][-1]["text"].rstrip() or FILLER
    for t in turns:
        c = t["content"]
        if len(c) == 1 and c[0].get("type") == "text" and set(c[0]) == {"type", "text"}:
            t["content"] = c[0]["text"]
    return turns


def _choice_in(choice: Any) -> Any:
    if not isinstance(choice, dict):
        return None
    kind = choice.get("type")
    if kind == "tool" and choice.get("name"):
        return {"name": choice["name"]}
    return {"auto": "auto", "any": "required", "none": "none"}.get(str(kind))


def _choice_out(choice: Any) -> dict[str, Any] | None:
    if isinstance(choice, dict) and choice.get("name"):
        return {"type": "tool", "name": choice["name"]}
    kind = (
        {"auto": "auto", "required": "any", "none": "none"}.get(choice) if isinstance(choice, str) else None
    )
    return {"type": kind} if kind else None


# --- the dialect ----------------------------------------------------------------------------------------


class AnthropicMessages:
    """The `anthropic-messages` dialect."""

    api = API
    path = PATH

    def decode_request(self, body: dict[str, Any]) -> ChatRequest:
        tools, other_tools = [], []
        for t in body.get("tools") or []:
            if isinstance(t, dict) and t.get("type") in (None, "custom") and t.get("name"):
                tools.append(common.tool_in(t["name"], t.get("description"), t.get("input_schema")))
            else:
                other_tools.append(t)
        choice = body.get("tool_choice")
        parallel = isinstance(choice, dict) and choice.get("disable_parallel_tool_use")
        meta = as_dict(body.get("metadata"))
        other_meta = {k: v for k, v in meta.items() if k != "user_id"}
        stop = body.get("stop_sequences")
        extra = common.collect_extra(
            body, _KNOWN, API, tools=other_tools, disable_parallel=parallel, metadata=other_meta
        )
        return ChatRequest(
            model=str(body.get("model") or ""),
            messages=_messages_in(body.get("messages")),
            system=_text_of(body.get("system")) or None,
            tools=tools,
            tool_choice=_choice_in(choice),
            max_tokens=body.get("max_tokens"),
            temperature=body.get("temperature"),
            top_p=body.get("top_p"),
            stop=list(stop) if stop else None,
            stream=bool(body.get("stream")),
            user=meta.get("user_id"),
            extra=extra,
        )

    def encode_request(self, req: ChatRequest, model: str) -> dict[str, Any]:
        body: dict[str, Any] = {"model": model, "max_tokens": req.max_tokens or DEFAULT_MAX_TOKENS}
        system = common.joined_text(
            [req.system or ""] + [m.text() for m in req.messages if m.role == "system"]
        )
        if system:
            body["system"] = system
        body["messages"] = _messages_out(req.messages)
        body.update(own_extra(req, API))
        tools: list[dict[str, Any]] = [
            {
                "name": t.name,
                **({"description": t.description} if t.description else {}),
                "input_schema": t.parameters or {"type": "object", "properties": {}},
            }
            for t in req.tools
        ]
        tools += own_stash(req, API, "tools") or []
        if tools:
            body["tools"] = tools
            choice = _choice_out(req.tool_choice)
            if own_stash(req, API, "disable_parallel"):
                choice = {**(choice or {"type": "auto"}), "disable_parallel_tool_use": True}
            if choice is not None:
                body["tool_choice"] = choice
        if req.temperature is not None:
            body["temperature"] = min(req.temperature, 1.0)  # Anthropic's range is 0..1
        if req.top_p is not None:
            body["top_p"] = req.top_p
        if req.stop:
            body["stop_sequences"] = list(req.stop)
        if req.stream:
            body["stream"] = True
        meta = dict(own_stash(req, API, "metadata") or {})
        if req.user:
            meta["user_id"] = req.user
        if meta:
            body["metadata"] = meta
        return body

    def decode_response(self, body: dict[str, Any]) -> ChatResult:
        text, reasoning, calls = [], [], []
        for b in _blocks(body.get("content")):
            kind = b.get("type")
            if kind == "text":
                text.append(str(b.get("text") or ""))
            elif kind == "thinking":
                reasoning.append(str(b.get("thinking") or ""))
            elif kind == "tool_use":
                calls.append(
                    ToolCall(str(b.get("id") or ""), str(b.get("name") or ""), input_to_args(b.get("input")))
                )
        finish = STOP_IN.get(str(body.get("stop_reason")), "stop")
        return ChatResult(
            id=str(body.get("id") or new_id("msg_")),
            model=str(body.get("model") or ""),
            text="".join(text),
            tool_calls=calls,
            finish_reason=finish,
            usage=self.usage_of(body),
            reasoning="".join(reasoning) or None,
        )

    def encode_response(self, result: ChatResult, model: str) -> dict[str, Any]:
        content: list[dict[str, Any]] = []
        if result.reasoning:
            content.append({"type": "thinking", "thinking": result.reasoning, "signature": ""})
        if result.text:
            content.append({"type": "text", "text": result.text})
        content += [
            {
                "type": "tool_use",
                "id": tool_id(tc.id),
                "name": tc.name,
                "input": common.args_to_input(tc.arguments),
            }
            for tc in result.tool_calls
        ]
        return {
            "id": result.id or new_id("msg_"),
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": content,
            "stop_reason": STOP_OUT.get(result.finish_reason, "end_turn"),
            "stop_sequence": None,
            "usage": usage_out(result.usage),
        }

    def stream_decoder(self, provider: str, host: str | None, model: str | None) -> MessagesStreamDecoder:
        return MessagesStreamDecoder(StreamContext(provider, host, model, API))

    def stream_encoder(self, model: str, include_usage: bool = True) -> MessagesStreamEncoder:
        return MessagesStreamEncoder(model, include_usage)

    def usage_of(self, body: dict[str, Any]) -> Usage:
        u = body.get("usage")
        return usage_in(u) if isinstance(u, dict) else Usage()

    def error_body(self, failure: Failure, status: int) -> dict[str, Any]:
        return anthropic_error_body(failure, status)


DIALECT = AnthropicMessages()
