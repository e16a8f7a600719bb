"""Anthropic (`/anthropic`): Messages and models; x-api-key/OAuth auth, `request-id`, `x-should-retry`."""

from __future__ import annotations

from typing import Any

from ..formats import messages
from ..reply import Reply
from .base import (
    AUTH_MISSING,
    COUNT_TOKENS,
    MESSAGES,
    MODEL,
    MODELS,
    Ctx,
    Dialect,
    ErrorReply,
    StreamSpec,
    bearer,
    dumps,
)

CREDIT_TOO_LOW = (
    "Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or "
    "purchase credits."
)
RATE_LIMIT = "This request would exceed your account's rate limit. Please try again later."
RETRYABLE = frozenset({408, 409, 429, 500, 502, 503, 504, 529})
OAUTH_BETA = "oauth-2025-04-20"
CLAUDE_CODE_IDENTITY = "You are Claude Code, Anthropic's official CLI for Claude."
CLAUDE_CODE_ONLY = (
    "This credential is only authorized for use with Claude Code and cannot be used for other API requests."
)
OAUTH_EXPIRED = "OAuth token has expired. Please obtain a new token or refresh your existing token."


def _claude_code_first(system: Any) -> bool:
    if isinstance(system, str):
        return system.startswith(CLAUDE_CODE_IDENTITY)
    if isinstance(system, list) and system and isinstance(system[0], dict):
        return str(system[0].get("text") or "").startswith(CLAUDE_CODE_IDENTITY)
    return False


DISPLAY_NAMES = {
    "claude-sonnet-4-6": "Claude Sonnet 4.6",
    "claude-opus-4-6": "Claude Opus 4.6",
    "claude-haiku-4-5": "Claude Haiku 4.5",
    "claude-opus-5-5": "Claude Opus 5.5",
    "claude-sonnet-5-5": "Claude Sonnet 5.5",
    "claude-haiku-5-5": "Claude Haiku 5.5",
}


class Anthropic(Dialect):
    name = "anthropic"
    default_models = tuple(DISPLAY_NAMES)
    stream_keepalive = messages.PING

    def prefix(self, region: str | None) -> str:
        return "/anthropic"

    def routes(self, region: str | None) -> list[tuple[str, str, str]]:
        return [
            ("POST", "/v1/messages", MESSAGES),
            ("POST", "/v1/messages/count_tokens", COUNT_TOKENS),
            ("GET", "/v1/models", MODELS),
            ("GET", "/v1/models/{model_id:.+}", MODEL),
        ]

    # Auth -------------------------------------------------------------------------------
    def credential(self, headers: Any, query: Any) -> str | None:
        """`x-api-key`, else an `Authorization: Bearer` token.

        Bearer carries OAuth tokens (`sk-ant-oat…`), and current official SDKs send API keys that way too, so
        any key is accepted on either header and checked against the keyring.
        """
        return headers.get("x-api-key") or bearer(headers)

    def auth_error(self, ctx: Ctx, state: str) -> ErrorReply:
        message = "x-api-key header is required" if state == AUTH_MISSING else "invalid x-api-key"
        return self._error(ctx, 401, "authentication_error", message)

    def precheck(self, ctx: Ctx) -> ErrorReply | None:
        if not ctx.headers.get("anthropic-version"):
            return self._error(ctx, 400, "invalid_request_error", "anthropic-version: header is required")
        if self.name == "anthropic" and (ctx.key or "").startswith("sk-ant-oat"):
            return self._oauth_check(ctx)
        return None

    def _oauth_check(self, ctx: Ctx) -> ErrorReply | None:
        """What the API requires of subscription tokens (OAuth sign-in and `claude setup-token`)."""
        if ctx.headers.get("x-api-key") == ctx.key:
            return self.auth_error(ctx, "wrong")  # an OAuth token is not an API key
        info = ctx.oauth.access_info(ctx.key) if ctx.oauth is not None else None
        if info is not None and info.expired:
            return self._error(ctx, 401, "authentication_error", OAUTH_EXPIRED)
        betas = {b.strip() for b in (ctx.headers.get("anthropic-beta") or "").split(",")}
        if OAUTH_BETA not in betas:
            return self._error(
                ctx, 401, "authentication_error", "OAuth authentication is currently not supported."
            )
        if ctx.endpoint == MESSAGES and not _claude_code_first(ctx.data.get("system")):
            return self._error(ctx, 400, "invalid_request_error", CLAUDE_CODE_ONLY)
        return None

    # Headers ----------------------------------------------------------------------------
    def request_id(self, ctx: Ctx) -> str:
        return f"req_011CEmu{ctx.seq:017d}"

    def base_headers(self, ctx: Ctx) -> dict[str, str]:
        return {
            "request-id": self.request_id(ctx),
            "anthropic-organization-id": "00000000-0000-4000-8000-00000000e0e0",
            "Server": self.server,
        }

    def error_headers(self, ctx: Ctx, status: int) -> dict[str, str]:
        headers = self.base_headers(ctx)
        headers["x-should-retry"] = "true" if status in RETRYABLE else "false"
        return headers

    # Errors -----------------------------------------------------------------------------
    def _error(
        self, ctx: Ctx, status: int, type_: str, message: str, headers: dict[str, str] | None = None
    ) -> ErrorReply:
        body = {
            "type": "error",
            "error": {"type": type_, "message": message},
            "request_id": self.request_id(ctx),
        }
        return self.reply(status, body, headers)

    def not_found(self, ctx: Ctx) -> ErrorReply:
        return self._error(ctx, 404, "not_found_error", "Not Found")

    def invalid_request(self, ctx: Ctx, message: str | None) -> ErrorReply:
        return self._error(
            ctx, 400, "invalid_request_error", message or "There was an issue with your JSON body."
        )

    def err_billing(self, ctx: Ctx) -> ErrorReply:
        return self._error(ctx, 400, "invalid_request_error", CREDIT_TOO_LOW)

    def err_forbidden(self, ctx: Ctx) -> ErrorReply:
        message = "Your API key does not have permission to use the specified resource."
        return self._error(ctx, 403, "permission_error", message)

    def err_rate_limit(self, ctx: Ctx) -> ErrorReply:
        headers = {
            "anthropic-ratelimit-requests-limit": "50",
            "anthropic-ratelimit-requests-remaining": "0",
            "anthropic-ratelimit-requests-reset": "2025-08-21T12:40:59Z",
            "anthropic-ratelimit-input-tokens-limit": "30000",
            "anthropic-ratelimit-input-tokens-remaining": "0",
            "anthropic-ratelimit-input-tokens-reset": "2025-08-21T12:40:59Z",
        }
        return self._error(ctx, 429, "rate_limit_error", RATE_LIMIT, headers)

    def err_overloaded(self, ctx: Ctx) -> ErrorReply:
        return self._error(ctx, 529, "overloaded_error", "Overloaded")

    def err_server_error(self, ctx: Ctx) -> ErrorReply:
        return self._error(ctx, 500, "api_error", "Internal server error")

    def err_unknown_model(self, ctx: Ctx) -> ErrorReply:
        # The captured body has this trailing space.
        return self._error(ctx, 404, "not_found_error", f"model: {ctx.model} ")

    def err_context_length(self, ctx: Ctx) -> ErrorReply:
        return self._error(
            ctx, 400, "invalid_request_error", "prompt is too long: 205429 tokens > 200000 maximum"
        )

    # Success ----------------------------------------------------------------------------
    def _ids(self, ctx: Ctx) -> tuple[str, str]:
        return f"msg_011CEmu{ctx.seq:017d}", f"toolu_01Emu{ctx.seq:017d}"

    def body(self, ctx: Ctx, reply: Reply) -> bytes:
        return dumps(messages.body(*self._ids(ctx), ctx.model, reply))

    def stream(self, ctx: Ctx, reply: Reply) -> StreamSpec:
        return StreamSpec(
            messages.events(*self._ids(ctx), ctx.model, reply), [], lambda seq: messages.inband_error()
        )

    def inband_body(self, ctx: Ctx, reply: Reply) -> bytes:
        return messages.INBAND_OVERLOADED.split(b"data: ", 1)[1].rstrip(b"\n")

    def _model(self, model: str) -> dict[str, Any]:
        return {
            "type": "model",
            "id": model,
            "display_name": DISPLAY_NAMES.get(model, model),
            "created_at": "2025-09-29T00:00:00Z",
        }

    def model_body(self, ctx: Ctx) -> bytes:
        return dumps(self._model(ctx.model))

    def count_body(self, ctx: Ctx, tokens: int) -> bytes:
        return dumps({"input_tokens": tokens})

    def models_body(self, ctx: Ctx) -> bytes:
        data = [self._model(m) for m in self.models]
        return dumps(
            {
                "data": data,
                "has_more": False,
                "first_id": data[0]["id"] if data else None,
                "last_id": data[-1]["id"] if data else None,
            }
        )
