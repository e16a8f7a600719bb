"""DashScope / Model Studio: PAYG regions (`cn`, `intl`, `us`) and Coding Plan hosts (`coding-cn`, `coding-intl`)."""

from __future__ import annotations

from typing import Any

from .base import CHAT, Ctx, ErrorReply, uuid_like
from .compat import OpenAICompat

PAYG_REGIONS = ("cn", "intl", "us")
CODING_REGIONS = ("coding-cn", "coding-intl")
CN_KEY_LINK = "https://help.aliyun.com/zh/model-studio/error-code#apikey-error"
INTL_KEY_LINK = "https://www.alibabacloud.com/help/en/model-studio/error-code#apikey-error"
CODING_TOKEN = "invalid access token or token expired"
CODING_AGENTS_ONLY = b'{"error": "Coding Plan is currently only available for Coding Agents"}'


def is_coding(region: str | None) -> bool:
    return region is not None and region.startswith("coding-")


class DashScope(OpenAICompat):
    name = "dashscope"
    regions = PAYG_REGIONS + CODING_REGIONS
    default_region = "cn"
    server = "istio-envoy"
    has_responses = True
    default_models = ("qwen-plus", "qwen-max", "qwen3-coder-plus")

    def prefix(self, region: str | None) -> str:
        if is_coding(region):
            return f"/dashscope/{region}/v1"
        return f"/dashscope/{region}/compatible-mode/v1"

    def routes(self, region: str | None) -> list[tuple[str, str, str]]:
        if is_coding(region):
            return [("POST", "/chat/completions", CHAT)]  # no /models, no /responses: 404, empty body
        return super().routes(region)

    def request_id(self, ctx: Ctx) -> str:
        return uuid_like(ctx.seq)

    def chat_id(self, ctx: Ctx) -> str:
        return f"chatcmpl-{uuid_like(ctx.seq)}"

    def _error(self, ctx: Ctx, status: int, code: str, message: str, type_: str | None = None) -> ErrorReply:
        body = {
            "error": {"code": code, "param": None, "message": message, "type": type_ or code},
            "request_id": self.request_id(ctx),
        }
        return self.reply(status, body)

    def auth_error(self, ctx: Ctx, state: str) -> ErrorReply:
        if is_coding(ctx.region):
            body: dict[str, Any] = {
                "error": {
                    "message": CODING_TOKEN,
                    "type": "invalid_request_error",
                    "param": None,
                    "code": "invalid_api_key",
                }
            }
            return self.reply(401, body)
        link = CN_KEY_LINK if ctx.region == "cn" else INTL_KEY_LINK
        body = {
            "error": {
                "message": f"Incorrect API key provided. For details, see: {link}",
                "type": "invalid_request_error",
                "code": "invalid_api_key",
            }
        }
        return self.reply(401, body)

    def not_found(self, ctx: Ctx) -> ErrorReply:
        if is_coding(ctx.region):
            return ErrorReply(404, b"", {}, "")
        return self._error(ctx, 404, "NotFound", "Not Found")

    def invalid_request(self, ctx: Ctx, message: str | None) -> ErrorReply:
        text = message or "<400> InternalError.Algo.InvalidParameter: The request body is not valid JSON"
        return self._error(ctx, 400, "invalid_parameter_error", text, "invalid_request_error")

    def err_billing(self, ctx: Ctx) -> ErrorReply:
        return self._error(
            ctx, 403, "Arrearage", "Access denied, please make sure your account is in good standing."
        )

    def err_forbidden(self, ctx: Ctx) -> ErrorReply:
        if is_coding(ctx.region):
            return self.reply(405, CODING_AGENTS_ONLY)
        return self._error(ctx, 403, "Model.AccessDenied", "Model access denied.")

    def err_rate_limit(self, ctx: Ctx) -> ErrorReply:
        message = "Requests rate limit exceeded, please try again later."
        return self._error(ctx, 429, "Throttling.RateQuota", message)

    def err_overloaded(self, ctx: Ctx) -> ErrorReply:
        return self._error(
            ctx, 503, "ServiceUnavailable", "The service is temporarily overloaded, please try again later."
        )

    def err_server_error(self, ctx: Ctx) -> ErrorReply:
        message = "An internal error has occured, please try again later or contact service support."
        return self._error(ctx, 500, "InternalError", message)

    def err_unknown_model(self, ctx: Ctx) -> ErrorReply:
        body = {
            "error": {
                "message": f"The model `{ctx.model}` does not exist or you do not have access to it.",
                "type": "invalid_request_error",
                "param": None,
                "code": "model_not_found",
            },
            "request_id": self.request_id(ctx),
        }
        return self.reply(404, body)

    def err_context_length(self, ctx: Ctx) -> ErrorReply:
        body = {
            "error": {
                "code": "invalid_parameter_error",
                "message": "<400> InternalError.Algo.InvalidParameter: Range of input length should be [1, 983616]",
                "param": None,
                "type": "invalid_request_error",
            },
            "request_id": self.request_id(ctx),
        }
        return self.reply(400, body)
