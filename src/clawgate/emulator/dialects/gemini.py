"""Gemini OpenAI-compat (`/gemini/v1beta/openai`): Google RPC errors wrapped in a JSON array."""

from __future__ import annotations

from typing import Any

from .base import AUTH_MISSING, CHAT, EMBEDDINGS, Ctx, ErrorReply
from .compat import OpenAICompat

API_KEY_INVALID = (
    b'[{"error":{"code":400,"message":"API key not valid. Please pass a valid API key.","status":"INVALID_ARGUMENT",'
    b'"details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"API_KEY_INVALID",'
    b'"domain":"googleapis.com","metadata":{"service":"generativelanguage.googleapis.com"}}]}}]'
)
RESOURCE_EXHAUSTED = (
    b'[{"error":{"code":429,"message":"Resource has been exhausted (e.g. check quota).",'
    b'"status":"RESOURCE_EXHAUSTED"}}]'
)
UNREGISTERED = (
    "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or "
    "other form of API consumer identity to call this API."
)


def rpc_error(code: int, message: str, status: str, details: list[Any] | None = None) -> list[dict[str, Any]]:
    err: dict[str, Any] = {"code": code, "message": message, "status": status}
    if details is not None:
        err["details"] = details
    return [{"error": err}]


class Gemini(OpenAICompat):
    name = "gemini"
    server = "scaffolding on HTTPServer2"
    json_type = "application/json; charset=UTF-8"
    default_models = ("gemini-2.5-flash", "gemini-2.5-pro", "gemini-embedding-001")

    def prefix(self, region: str | None) -> str:
        return "/gemini/v1beta/openai"

    def routes(self, region: str | None) -> list[tuple[str, str, str]]:
        return [("POST", "/chat/completions", CHAT), ("POST", "/embeddings", EMBEDDINGS)]

    def credential(self, headers: Any, query: Any) -> str | None:
        return super().credential(headers, query) or headers.get("x-goog-api-key") or query.get("key") or None

    def chat_id(self, ctx: Ctx) -> str:
        return f"emu{ctx.seq:019d}"

    def base_headers(self, ctx: Ctx) -> dict[str, str]:
        return {"Server": self.server, "x-request-id": self.request_id(ctx)}

    def auth_error(self, ctx: Ctx, state: str) -> ErrorReply:
        if state == AUTH_MISSING:
            return self.reply(403, rpc_error(403, UNREGISTERED, "PERMISSION_DENIED"))
        return self.reply(400, API_KEY_INVALID)

    def not_found(self, ctx: Ctx) -> ErrorReply:
        return self.reply(404, rpc_error(404, "Requested entity was not found.", "NOT_FOUND"))

    def invalid_request(self, ctx: Ctx, message: str | None) -> ErrorReply:
        return self.reply(
            400, rpc_error(400, message or "Invalid JSON payload received.", "INVALID_ARGUMENT")
        )

    def err_billing(self, ctx: Ctx) -> ErrorReply:
        details = [
            {
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": "BILLING_DISABLED",
                "domain": "googleapis.com",
                "metadata": {"service": "generativelanguage.googleapis.com"},
            }
        ]
        message = (
            "This API method requires billing to be enabled. Please enable billing on project #0 then retry."
        )
        return self.reply(403, rpc_error(403, message, "PERMISSION_DENIED", details))

    def err_forbidden(self, ctx: Ctx) -> ErrorReply:
        return self.reply(
            400, rpc_error(400, "User location is not supported for the API use.", "FAILED_PRECONDITION")
        )

    def err_rate_limit(self, ctx: Ctx) -> ErrorReply:
        return self.reply(429, RESOURCE_EXHAUSTED)

    def err_overloaded(self, ctx: Ctx) -> ErrorReply:
        return self.reply(
            503, rpc_error(503, "The model is overloaded. Please try again later.", "UNAVAILABLE")
        )

    def err_server_error(self, ctx: Ctx) -> ErrorReply:
        message = (
            "An internal error has occurred. Please retry or report in "
            "https://developers.generativeai.google/guide/troubleshooting"
        )
        return self.reply(500, rpc_error(500, message, "INTERNAL"))

    def err_unknown_model(self, ctx: Ctx) -> ErrorReply:
        message = (
            f"models/{ctx.model} is not found for API version v1main, or is not supported for generateContent. "
            "Call ListModels to see the list of available models and their supported methods."
        )
        return self.reply(404, rpc_error(404, message, "NOT_FOUND"))

    def err_context_length(self, ctx: Ctx) -> ErrorReply:
        message = "The input token count (1200000) exceeds the maximum number of tokens allowed (1048576)."
        return self.reply(400, rpc_error(400, message, "INVALID_ARGUMENT"))
