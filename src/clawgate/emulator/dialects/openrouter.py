"""OpenRouter (`/openrouter/api/v1`): integer-code error envelope, `: OPENROUTER PROCESSING`, in-band errors."""

from __future__ import annotations

from typing import Any, ClassVar

from .. import sse
from ..formats import chat
from ..reply import Reply
from .base import AUTH_MISSING, RESPONSES, Ctx, ErrorReply, dumps
from .compat import OpenAICompat

PROCESSING = b": OPENROUTER PROCESSING\n\n"
USER_ID = "user_2emulatorEmulatorEmulator0"


def or_error(
    code: int, message: str, metadata: dict[str, Any] | None = None, user: bool = False
) -> dict[str, Any]:
    err: dict[str, Any] = {"message": message, "code": code}
    if metadata is not None:
        err["metadata"] = metadata
    out: dict[str, Any] = {"error": err}
    if user:
        out["user_id"] = USER_ID
    return out


class OpenRouter(OpenAICompat):
    name = "openrouter"
    has_responses = True
    early_headers_stream = True
    stream_keepalive = PROCESSING
    default_models = ("openai/gpt-4o-mini", "anthropic/claude-sonnet-4.5", "deepseek/deepseek-chat")
    flavor: ClassVar[chat.ChatFlavor] = chat.ChatFlavor(
        id_prefix="gen-",
        top={"provider": "Emulator", "system_fingerprint": None},
        message_extra={"refusal": None, "reasoning": None},
        choice_extra={"logprobs": None, "native_finish_reason": None},
        stream_usage="always",
    )

    def prefix(self, region: str | None) -> str:
        return "/openrouter/api/v1"

    def chat_id(self, ctx: Ctx) -> str:
        return f"gen-{ctx.created}-Emu{ctx.seq:016d}"

    def base_headers(self, ctx: Ctx) -> dict[str, str]:
        headers = {"x-request-id": self.request_id(ctx), "Server": self.server}
        if ctx.endpoint in ("chat", RESPONSES):
            headers["x-generation-id"] = self.chat_id(ctx)
        return headers

    def chat_body(self, ctx: Ctx, reply: Reply) -> dict[str, Any]:
        out = super().chat_body(ctx, reply)
        choice = out["choices"][0]
        choice["native_finish_reason"] = choice["finish_reason"]
        return out

    def chunk_extras(self, ctx: Ctx, reply: Reply) -> dict[str, Any]:
        finish = "tool_calls" if reply.tool is not None else "stop"
        return {"finish_choice_extra": {"native_finish_reason": finish}}

    def stream(self, ctx: Ctx, reply: Reply) -> Any:
        spec = super().stream(ctx, reply)
        spec.preamble = [PROCESSING, PROCESSING]
        return spec

    def chat_inband(self, ctx: Ctx) -> list[sse.Item]:
        obj = {
            "id": self.chat_id(ctx),
            "object": "chat.completion.chunk",
            "created": ctx.created,
            "model": ctx.model,
            "provider": "Emulator",
            "error": {
                "code": 429,
                "message": "Rate limit exceeded",
                "metadata": {"error_type": "rate_limit_exceeded"},
            },
            "choices": [{"index": 0, "delta": {"content": ""}, "finish_reason": "error"}],
        }
        return [(sse.data(obj), False)]

    def inband_body(self, ctx: Ctx, reply: Reply) -> bytes:
        if ctx.endpoint == RESPONSES:
            return super().inband_body(ctx, reply)
        out = self.chat_body(ctx, reply)
        choice = out["choices"][0]
        choice["finish_reason"] = choice["native_finish_reason"] = "error"
        choice["error"] = {"code": 502, "message": "Upstream error from Emulator: connection reset"}
        return dumps(out)

    def model_entry(self, model: str) -> dict[str, Any]:
        return {
            "id": model,
            "canonical_slug": model,
            "name": model,
            "created": 1700000000,
            "description": f"Emulated model {model}",
            "context_length": 131072,
            "architecture": {
                "modality": "text->text",
                "input_modalities": ["text"],
                "output_modalities": ["text"],
                "tokenizer": "Other",
                "instruct_type": None,
            },
            "pricing": {"prompt": "0.000001", "completion": "0.000002", "request": "0", "image": "0"},
            "top_provider": {"context_length": 131072, "max_completion_tokens": 16384, "is_moderated": False},
            "per_request_limits": None,
            "supported_parameters": ["max_tokens", "temperature", "tools", "tool_choice", "stream"],
        }

    def models_body(self, ctx: Ctx) -> bytes:
        data = [self.model_entry(m) for m in self.models]
        return dumps({"data": data, "total_count": len(data), "links": {"next": None}})

    # Errors -----------------------------------------------------------------------------
    def auth_error(self, ctx: Ctx, state: str) -> ErrorReply:
        message = "Missing Authentication header" if state == AUTH_MISSING else "User not found."
        return self.reply(401, or_error(401, message))

    def not_found(self, ctx: Ctx) -> ErrorReply:
        return self.reply(404, or_error(404, "Not Found"))

    def invalid_request(self, ctx: Ctx, message: str | None) -> ErrorReply:
        return self.reply(400, or_error(400, message or "Invalid JSON body"))

    def err_billing(self, ctx: Ctx) -> ErrorReply:
        max_tokens = ctx.data.get("max_tokens") or ctx.data.get("max_completion_tokens") or 32000
        message = (
            f"This request requires more credits, or fewer max_tokens. You requested up to {max_tokens} tokens, "
            "but can only afford 27342. To increase, visit https://openrouter.ai/settings/credits and upgrade "
            "to a paid account"
        )
        return self.reply(402, or_error(402, message, {"provider_name": None}, user=True))

    def err_forbidden(self, ctx: Ctx) -> ErrorReply:
        message = "Request blocked: prompt injection patterns detected"
        return self.reply(403, or_error(403, message, {"patterns": ["ignore all previous instructions"]}))

    def err_rate_limit(self, ctx: Ctx) -> ErrorReply:
        message = "Rate limit exceeded: free-models-per-day. Add 10 credits to unlock 1000 free model requests per day"
        meta = {
            "headers": {
                "X-RateLimit-Limit": "50",
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset": "1767225600000",
            }
        }
        return self.reply(429, or_error(429, message, meta, user=True))

    def err_overloaded(self, ctx: Ctx) -> ErrorReply:
        meta = {"error_type": "provider_overloaded", "provider_name": "Emulator"}
        return self.reply(503, or_error(503, "Provider returned error", meta, user=True))

    def err_server_error(self, ctx: Ctx) -> ErrorReply:
        return self.reply(500, or_error(500, "Internal Server Error"))

    def err_unknown_model(self, ctx: Ctx) -> ErrorReply:
        return self.reply(400, or_error(400, f"{ctx.model} is not a valid model ID", user=True))

    def err_context_length(self, ctx: Ctx) -> ErrorReply:
        message = (
            "This endpoint's maximum context length is 131072 tokens. However, you requested about 140000 "
            'tokens (140000 of text input). Please reduce the length of either one, or use the "middle-out" '
            "transform to compress your prompt automatically."
        )
        meta = {"provider_name": None, "error_type": "context_length_exceeded"}
        return self.reply(400, or_error(400, message, meta, user=True))
