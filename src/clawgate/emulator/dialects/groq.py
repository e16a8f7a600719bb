"""Groq (`/groq/openai/v1`): OpenAI-style errors without `param`, usage under `x_groq` in the last chunk."""

from __future__ import annotations

from typing import Any, ClassVar

from ..formats import chat
from ..reply import Reply
from .base import Ctx, ErrorReply
from .compat import OpenAICompat

INVALID_KEY = (
    b'{"error":{"message":"Invalid API Key","type":"invalid_request_error","code":"invalid_api_key"}}'
)


def groq_usage(reply: Reply) -> dict[str, Any]:
    return {
        "queue_time": 0.0001,
        "prompt_tokens": reply.prompt_tokens,
        "prompt_time": 0.0001,
        "completion_tokens": reply.completion_tokens,
        "completion_time": 0.001,
        "total_tokens": reply.total_tokens,
        "total_time": 0.0011,
    }


def groq_error(message: str, type_: str, code: str | None, param: str | None = None) -> dict[str, Any]:
    err: dict[str, Any] = {"message": message, "type": type_}
    if param is not None:
        err["param"] = param
    if code is not None:
        err["code"] = code
    return {"error": err}


RATE_HEADERS = {
    "x-groq-region": "emu-local",
    "x-ratelimit-limit-requests": "14400",
    "x-ratelimit-limit-tokens": "6000",
    "x-ratelimit-remaining-requests": "14399",
    "x-ratelimit-remaining-tokens": "5990",
    "x-ratelimit-reset-requests": "6s",
    "x-ratelimit-reset-tokens": "100ms",
}


class Groq(OpenAICompat):
    name = "groq"
    owned_by = "Meta"
    default_models = ("llama-3.3-70b-versatile", "llama-3.1-8b-instant")
    flavor: ClassVar[chat.ChatFlavor] = chat.ChatFlavor(
        top={"system_fingerprint": "fp_emulator"},
        choice_extra={"logprobs": None},
        usage_fn=groq_usage,
    )

    def prefix(self, region: str | None) -> str:
        return "/groq/openai/v1"

    def request_id(self, ctx: Ctx) -> str:
        return f"req_01emu{ctx.seq:021d}"

    def base_headers(self, ctx: Ctx) -> dict[str, str]:
        return {"x-request-id": self.request_id(ctx), "Server": self.server, **RATE_HEADERS}

    def chat_body(self, ctx: Ctx, reply: Reply) -> dict[str, Any]:
        out = super().chat_body(ctx, reply)
        out["x_groq"] = {"id": self.request_id(ctx)}
        return out

    def chunk_extras(self, ctx: Ctx, reply: Reply) -> dict[str, Any]:
        rid = self.request_id(ctx)
        return {
            "first_extra": {"x_groq": {"id": rid}},
            "finish_extra": {"x_groq": {"id": rid, "usage": groq_usage(reply)}},
        }

    def model_entry(self, model: str) -> dict[str, Any]:
        return {
            "id": model,
            "object": "model",
            "created": 1700000000,
            "owned_by": self.owned_by,
            "active": True,
            "context_window": 131072,
            "public_apps": None,
            "max_completion_tokens": 32768,
        }

    def auth_error(self, ctx: Ctx, state: str) -> ErrorReply:
        return self.reply(401, INVALID_KEY)

    def not_found(self, ctx: Ctx) -> ErrorReply:
        path = ctx.path.removeprefix("/groq")
        message = (
            f"Unknown request URL: {ctx.method} {path}. Please check the URL for typos, "
            "or see the docs at https://console.groq.com/docs/"
        )
        return self.reply(404, groq_error(message, "invalid_request_error", "unknown_url"))

    def invalid_request(self, ctx: Ctx, message: str | None) -> ErrorReply:
        return self.reply(
            400, groq_error(message or "failed to parse request body", "invalid_request_error", None)
        )

    def err_billing(self, ctx: Ctx) -> ErrorReply:
        message = (
            "Organization has been restricted. Please reach out to support if you believe this was in error."
        )
        return self.reply(400, groq_error(message, "invalid_request_error", "organization_restricted"))

    def err_forbidden(self, ctx: Ctx) -> ErrorReply:
        return self.reply(
            403,
            groq_error(
                "Access denied. Please check your network settings.", "permission_error", "access_denied"
            ),
        )

    def err_rate_limit(self, ctx: Ctx) -> ErrorReply:
        secs = ctx.fault.retry_seconds() if ctx.fault else 1.0
        message = (
            f"Rate limit reached for model `{ctx.model}` in organization `org_01emulator` service tier "
            f"`on_demand` on tokens per minute (TPM): Limit 6000, Used 5990, Requested 1200. Please try again "
            f"in {secs:g}s. Need more tokens? Upgrade to Dev Tier today at https://console.groq.com/settings/billing"
        )
        headers = {"x-ratelimit-remaining-tokens": "0", "x-ratelimit-reset-tokens": f"{secs:g}s"}
        return self.reply(429, groq_error(message, "tokens", "rate_limit_exceeded"), headers)

    def err_overloaded(self, ctx: Ctx) -> ErrorReply:
        message = "Groq is currently over capacity. Please try again later."
        return self.reply(503, groq_error(message, "internal_server_error", "service_unavailable"))

    def err_server_error(self, ctx: Ctx) -> ErrorReply:
        return self.reply(500, groq_error("Internal Server Error", "internal_server_error", None))

    def err_unknown_model(self, ctx: Ctx) -> ErrorReply:
        message = f"The model `{ctx.model}` does not exist or you do not have access to it."
        return self.reply(404, groq_error(message, "invalid_request_error", "model_not_found"))

    def err_context_length(self, ctx: Ctx) -> ErrorReply:
        message = "Please reduce the length of the messages or completion."
        return self.reply(
            400, groq_error(message, "invalid_request_error", "context_length_exceeded", "messages")
        )
