"""DeepSeek (`/deepseek/v1`): `code` always "invalid_request_error", keep-alives while inference is queued."""

from __future__ import annotations

from typing import Any, ClassVar

from ..formats import chat
from ..reply import Reply
from .base import AUTH_MISSING, Ctx, ErrorReply, uuid_like
from .compat import OpenAICompat


def ds_error(message: str, type_: str) -> dict[str, Any]:
    return {"error": {"message": message, "type": type_, "param": None, "code": "invalid_request_error"}}


def ds_usage(reply: Reply) -> dict[str, Any]:
    return {
        "prompt_tokens": reply.prompt_tokens,
        "completion_tokens": reply.completion_tokens,
        "total_tokens": reply.total_tokens,
        "prompt_tokens_details": {"cached_tokens": 0},
        "prompt_cache_hit_tokens": 0,
        "prompt_cache_miss_tokens": reply.prompt_tokens,
    }


class DeepSeek(OpenAICompat):
    name = "deepseek"
    owned_by = "deepseek"
    early_headers_stream = True
    early_headers_body = True
    stream_keepalive = b": keep-alive\n\n"
    default_models = ("deepseek-chat", "deepseek-reasoner")
    flavor: ClassVar[chat.ChatFlavor] = chat.ChatFlavor(
        top={"system_fingerprint": "fp_emulator"},
        choice_extra={"logprobs": None},
        usage_fn=ds_usage,
    )

    def prefix(self, region: str | None) -> str:
        return "/deepseek/v1"

    def request_id(self, ctx: Ctx) -> str:
        return uuid_like(ctx.seq)

    def chat_id(self, ctx: Ctx) -> str:
        return uuid_like(ctx.seq)

    def auth_error(self, ctx: Ctx, state: str) -> ErrorReply:
        if state == AUTH_MISSING:
            message = "Authentication Fails (auth header format should be Bearer sk-...)"
        else:
            message = f"Authentication Fails, Your api key: ****{(ctx.key or '')[-4:]} is invalid"
        return self.reply(401, ds_error(message, "authentication_error"))

    def not_found(self, ctx: Ctx) -> ErrorReply:
        return self.reply(404, ds_error("Not Found", "invalid_request_error"))

    def invalid_request(self, ctx: Ctx, message: str | None) -> ErrorReply:
        return self.reply(
            400, ds_error(message or "Failed to deserialize the JSON body", "invalid_request_error")
        )

    def err_billing(self, ctx: Ctx) -> ErrorReply:
        return self.reply(402, ds_error("Insufficient Balance", "unknown_error"))

    def err_forbidden(self, ctx: Ctx) -> ErrorReply:
        return self.reply(403, ds_error("Forbidden", "permission_error"))

    def err_rate_limit(self, ctx: Ctx) -> ErrorReply:
        return self.reply(429, ds_error("Rate Limit Reached", "rate_limit_error"))

    def err_overloaded(self, ctx: Ctx) -> ErrorReply:
        return self.reply(503, ds_error("Server Overloaded", "server_error"))

    def err_server_error(self, ctx: Ctx) -> ErrorReply:
        return self.reply(500, ds_error("Server Error", "server_error"))

    def err_unknown_model(self, ctx: Ctx) -> ErrorReply:
        return self.reply(400, ds_error("Model Not Exist", "invalid_request_error"))

    def err_context_length(self, ctx: Ctx) -> ErrorReply:
        message = (
            "This model's maximum context length is 131072 tokens. However, you requested 131134 tokens "
            "(131134 in the messages, 0 in the completion). Please reduce the length of the messages or completion."
        )
        return self.reply(400, ds_error(message, "invalid_request_error"))
