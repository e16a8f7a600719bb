"""Moonshot / Kimi (`/moonshot/<ai|cn>/v1`): region-bound keys, `{message,type}` errors, usage in the choice."""

from __future__ import annotations

from typing import Any, ClassVar

from ..formats import chat
from ..reply import Reply
from .base import Ctx, ErrorReply
from .compat import OpenAICompat

INVALID_AUTH = b'{"error":{"message":"Invalid Authentication","type":"invalid_authentication_error"}}'
ORG = "org-emulator0000000000000000"


def ms_error(message: str, type_: str) -> dict[str, Any]:
    return {"error": {"message": message, "type": type_}}


class Moonshot(OpenAICompat):
    name = "moonshot"
    regions = ("ai", "cn")
    default_region = "ai"
    owned_by = "moonshot"
    default_models = ("kimi-k2-0905-preview", "kimi-k2-turbo-preview", "moonshot-v1-8k")
    flavor: ClassVar[chat.ChatFlavor] = chat.ChatFlavor(stream_usage="none")

    def prefix(self, region: str | None) -> str:
        return f"/moonshot/{region}/v1"

    def chunk_extras(self, ctx: Ctx, reply: Reply) -> dict[str, Any]:
        # Moonshot puts the stream's usage inside the last chunk's choice.
        return {"finish_choice_extra": {"usage": chat.plain_usage(reply)}}

    def auth_error(self, ctx: Ctx, state: str) -> ErrorReply:
        return self.reply(401, INVALID_AUTH)

    def not_found(self, ctx: Ctx) -> ErrorReply:
        return self.reply(404, ms_error("Not Found", "resource_not_found_error"))

    def invalid_request(self, ctx: Ctx, message: str | None) -> ErrorReply:
        return self.reply(
            400, ms_error(message or "Invalid request: invalid JSON body", "invalid_request_error")
        )

    def err_billing(self, ctx: Ctx) -> ErrorReply:
        message = (
            f"Your account {ORG}<ak-emulator> is not active, organization {ORG} exceeded current quota, "
            "please check your plan and billing details"
        )
        return self.reply(403, ms_error(message, "exceeded_current_quota_error"))

    def err_forbidden(self, ctx: Ctx) -> ErrorReply:
        return self.reply(403, ms_error("The API you are accessing is not open", "permission_denied_error"))

    def err_rate_limit(self, ctx: Ctx) -> ErrorReply:
        secs = ctx.fault.retry_seconds() if ctx.fault else 1.0
        message = (
            f"Your account {ORG}<ak-emulator> request reached organization max RPM: 20, "
            f"please try again after {max(1, round(secs))} seconds"
        )
        return self.reply(429, ms_error(message, "rate_limit_reached_error"))

    def err_overloaded(self, ctx: Ctx) -> ErrorReply:
        message = "The engine is currently overloaded, please try again later"
        return self.reply(429, ms_error(message, "engine_overloaded_error"))

    def err_server_error(self, ctx: Ctx) -> ErrorReply:
        return self.reply(500, ms_error("Internal server error", "server_error"))

    def err_unknown_model(self, ctx: Ctx) -> ErrorReply:
        message = f"Not found the model {ctx.model} or Permission denied"
        return self.reply(404, ms_error(message, "resource_not_found_error"))

    def err_context_length(self, ctx: Ctx) -> ErrorReply:
        message = "Invalid request: Your request exceeded model token limit: 262144 (requested: 269030)"
        return self.reply(400, ms_error(message, "invalid_request_error"))
