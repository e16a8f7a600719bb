"""Anthropic Messages (`anthropic-messages`, POST /v1/messages) <-> the internal form."""

from __future__ import annotations

from typing import Any

from clawgate.dialects import common, reasoning, structured, tools
from clawgate.dialects.anthropic_stream import (
    STOP_IN,
    STOP_OUT,
    MessagesStreamDecoder,
    MessagesStreamEncoder,
    tool_id,
    usage_in,
    usage_out,
)
from clawgate.dialects.base import Target
from clawgate.dialects.common import StreamContext, as_dict, input_to_args, own_extra, own_stash
from clawgate.dialects.crossing import Unsupported
from clawgate.dialects.envelope import anthropic_error_body
from clawgate.dialects.ids import new_id
from clawgate.dialects.internal import ChatRequest, ChatResult, Message, Part, ToolCall, Usage
from clawgate.failures import Failure

API = "anthropic-messages"
PATH = "/v1/messages"
DEFAULT_MAX_TOKENS = 4096  # when neither the client nor the catalog gives a limit
MAX_DEFAULT_TOKENS = 64000  # the most a default (the catalog's limit) asks for
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
        "thinking",
        "output_config",
        "output_format",
    }
)
_OUTPUT_CONFIG = frozenset({"effort", "format"})  # output_config keys with an internal meaning
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


def _cache_of(block: dict[str, Any]) -> dict[str, Any] | None:
    cc = block.get("cache_control")
    return cc if isinstance(cc, dict) else None


def _last_cache(content: Any) -> dict[str, Any] | None:
    marks = [_cache_of(b) for b in _blocks(content) if _cache_of(b)]
    return marks[-1] if marks else None


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


def _result_parts(block: dict[str, Any], loaded: set[str]) -> list[Part]:
    content = block.get("content")
    parts: list[Part] = []
    for b in _blocks(content) if content is not None else []:
        if b.get("type") == "text":
            parts.append(Part(type="text", text=str(b.get("text") or "")))
        elif b.get("type") == "image":
            parts.append(_image_in(b))
        elif b.get("type") == "tool_reference" and b.get("tool_name"):
            loaded.add(str(b["tool_name"]))  # a tool search loaded this deferred tool
            parts.append(Part(type="text", text=f"Tool {b['tool_name']} is now available."))
    if block.get("is_error"):
        parts = parts or [Part(type="text")]
        for p in parts:
            p.is_error = True
    return parts


def _messages_in(raw: Any, loaded: set[str]) -> list[Message]:
    out: list[Message] = []
    for m in raw if isinstance(raw, list) else []:
        if not isinstance(m, dict):
            continue
        parts: list[Part] = []
        if m.get("role") == "system":  # a system turn inside the conversation
            text = Part(
                type="text", text=_text_of(m.get("content")), cache_control=_last_cache(m.get("content"))
            )
            out.append(Message(role="system", content=[text]))
            continue
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
                parts.append(Part(type="text", text=str(b.get("text") or ""), cache_control=_cache_of(b)))
            elif kind == "image":
                image = _image_in(b)
                image.cache_control = _cache_of(b)
                parts.append(image)
            elif kind == "tool_result":
                results += 1
                call_id = str(b.get("tool_use_id") or "")
                out.append(Message(role="tool", content=_result_parts(b, loaded), tool_call_id=call_id))
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
        block: dict[str, Any] | None = None
        if p.type == "text" and p.text.strip():
            block = {"type": "text", "text": p.text}
        elif p.type == "image" and p.image_url:
            block = _image_out(p)
        elif p.type == "other" and isinstance(p.raw, dict) and p.raw.get("type") in _OWN_BLOCKS:
            block = p.raw
        if block is not None:
            if p.cache_control and "cache_control" not in block:
                block = {**block, "cache_control": p.cache_control}
            out.append(block)
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
        tool_list, other_tools = tools.anthropic_in(body.get("tools"))
        choice = body.get("tool_choice")
        parallel = isinstance(choice, dict) and choice.get("disable_parallel_tool_use")
        meta = as_dict(body.get("metadata"))
        other_meta = {k: v for k, v in meta.items() if k != "user_id"}
        stop = body.get("stop_sequences")
        config = as_dict(body.get("output_config"))
        output, understood = structured.anthropic_in(config.get("format") or body.get("output_format"))
        rest = [f"output_config.{k}" for k in config if k not in _OUTPUT_CONFIG]
        if not understood:
            rest.append("output_config.format")
        own = {k: body[k] for k in ("thinking", "output_config", "output_format") if k in body}
        extra = common.collect_extra(
            body, _KNOWN, API, tools=other_tools, metadata=other_meta, output_config_rest=rest, raw=own
        )
        loaded: set[str] = set()
        messages = _messages_in(body.get("messages"), loaded)
        for tool in tool_list:
            if tool.deferred and tool.name in loaded:
                tool.deferred = False
        if any(t.deferred for t in tool_list):
            extra["__defer_without_search__"] = True
            extra[common.ORIGIN_KEY] = API
        system = body.get("system")
        return ChatRequest(
            model=str(body.get("model") or ""),
            messages=messages,
            system=_text_of(system) or None,
            tools=tool_list,
            tool_choice=_choice_in(choice),
            max_tokens=body.get("max_tokens"),
            temperature=body.get("temperature"),
            top_p=body.get("top_p"),
            stop=list(stop) if stop else None,
            stream=bool(body.get("stream")),
            user=meta.get("user_id"),
            output=output,
            reasoning=reasoning.anthropic_in(body.get("thinking"), config.get("effort")),
            parallel_tool_calls=False if parallel else None,
            system_cache=_last_cache(system),
            extra=extra,
        )

    def encode_request(self, req: ChatRequest, model: str, target: Target | None = None) -> dict[str, Any]:
        target = target or Target(model)
        own = req.extra.get(common.ORIGIN_KEY) == API
        default = min(target.max_output, MAX_DEFAULT_TOKENS) if target.max_output else DEFAULT_MAX_TOKENS
        max_tokens = target.clamp(req.max_tokens) or default
        body: dict[str, Any] = {"model": model, "max_tokens": max_tokens}
        system = common.joined_text(
            [req.system or ""] + [m.text() for m in req.messages if m.role == "system"]
        )
        if system:
            if req.system_cache:
                body["system"] = [{"type": "text", "text": system, "cache_control": req.system_cache}]
            else:
                body["system"] = system
        body["messages"] = _messages_out(req.messages)
        body.update(own_extra(req, API))
        tool_list = tools.anthropic_out(req.tools) + (own_stash(req, API, "tools") or [])
        choice = _choice_out(req.tool_choice)
        if req.output is not None and not own:
            mode = structured.anthropic_mode(model, target.structured)
            if mode == "tool":
                if tool_list or req.tool_choice not in (None, "auto"):
                    raise Unsupported(
                        "response_format",
                        f"{model} has no native structured outputs, and a forced answer tool would stop "
                        "it from calling the request's own tools",
                    )
                tool_list = [structured.forced_tool(req.output)]
                choice = {"type": "tool", "name": structured.FORCED_TOOL}
            else:
                body["output_config"] = {"format": structured.anthropic_out(req.output)}
        if tool_list:
            body["tools"] = tool_list
            if req.parallel_tool_calls is False:
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
        if own:
            body.update(own_stash(req, API, "raw") or {})
        elif thinking_allowed(req, model, target):
            assert req.reasoning is not None
            thinking, effort, body["max_tokens"] = reasoning.anthropic_out(req.reasoning, model, max_tokens)
            if thinking is not None:
                body["thinking"] = thinking
            if effort is not None:
                body.setdefault("output_config", {})["effort"] = effort
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

    def encode_response(
        self, result: ChatResult, model: str, request: ChatRequest | None = None
    ) -> dict[str, Any]:
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

    def stream_encoder(
        self, model: str, include_usage: bool = True, request: ChatRequest | None = None
    ) -> MessagesStreamEncoder:
        return MessagesStreamEncoder(model, include_usage)

    def usage_of(self, body: dict[str, Any]) -> Usage:
        u = body.get("usage")
        return usage_in(u) if isinstance(u, dict) else Usage()

    def error_body(self, failure: Failure, status: int) -> dict[str, Any]:
        return anthropic_error_body(failure, status)


def thinking_allowed(req: ChatRequest, model: str, target: Target) -> bool:
    """Whether a translated request may turn on thinking: the client asked for it, the model thinks, no
    sampling setting forbids it, and no tool call of the current turn lacks the thinking block Anthropic
    then requires (calls made by another provider carry none)."""
    spec = req.reasoning
    if spec is None or not spec.enabled or not reasoning.anthropic_thinks(model, target.reasoning):
        return False
    if req.temperature not in (None, 1, 1.0) or req.tool_choice not in (None, "auto", "none"):
        return False
    if req.output is not None and structured.anthropic_mode(model, target.structured) == "tool":
        return False  # a forced tool and thinking do not go together
    for m in reversed(req.messages):
        if m.role == "user" and any(p.type == "text" and p.text.strip() for p in m.content):
            break  # the current turn starts here
        if m.role == "assistant" and m.tool_calls:
            return False
    return True


DIALECT = AnthropicMessages()
