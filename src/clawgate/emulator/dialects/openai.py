"""OpenAI (`/openai/v1`): chat completions, Responses, models; OpenAI error bodies and rate-limit headers."""

from __future__ import annotations

from typing import Any, ClassVar

from ..formats import chat
from ..reply import Reply
from .base import AUTH_MISSING, Ctx, ErrorReply
from .compat import OpenAICompat

MISSING_KEY = (
    b'{"error":{"message":"You didn\'t provide an API key. You need to provide your API key in an Authorization '
    b"header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (with blank "
    b"username) if you're accessing the API from your browser and are prompted for a username and password. "
    b'You can obtain an API key from https://platform.openai.com/account/api-keys.","type":"invalid_request_error",'
    b'"param":null,"code":null}}'
)
FORBIDDEN_REGION = (
    b'{"error":{"code":"unsupported_country_region_territory","message":"Country, region, or territory not '
    b'supported","param":null,"type":"request_forbidden"}}'
)
INSUFFICIENT_QUOTA = (
    b'{"error":{"message":"You exceeded your current quota, please check your plan and billing details. For more '
    b'information on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.",'
    b'"type":"insufficient_quota","param":null,"code":"insufficient_quota"}}'
)
CONTEXT_LENGTH = (
    b'{"error":{"message":"This model\'s maximum context length is 4097 tokens. However, your messages resulted '
    b'in 4294 tokens. Please reduce the length of the messages.","type":"invalid_request_error",'
    b'"param":"messages","code":"context_length_exceeded"}}'
)
SERVER_ERROR = (
    b'{"error":{"message":"The server had an error while processing your request. Sorry about that!",'
    b'"type":"server_error","param":null,"code":null}}'
)
OVERLOADED = (
    b'{"error":{"message":"Our servers are currently overloaded. Please try again later.",'
    b'"type":"service_unavailable_error","param":null,"code":"server_is_overloaded"}}'
)
BAD_JSON = (
    "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP "
    "library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON. If you "
    "have trouble figuring out how to fix this, please contact us through our help center at help.openai.com.)"
)


def mask_key(key: str) -> str:
    """OpenAI's masking: first 8 characters, one `*` per hidden character, last 4 (short keys verbatim)."""
    if len(key) <= 12:
        return key
    return key[:8] + "*" * (len(key) - 12) + key[-4:]


def fmt_seconds(value: float) -> str:
    return f"{value:g}"


def openai_error(message: str, type_: str, param: str | None, code: str | None) -> dict[str, Any]:
    return {"error": {"message": message, "type": type_, "param": param, "code": code}}


def openai_usage(reply: Reply) -> dict[str, Any]:
    return {
        "prompt_tokens": reply.prompt_tokens,
        "completion_tokens": reply.completion_tokens,
        "total_tokens": reply.total_tokens,
        "prompt_tokens_details": {"cached_tokens": reply.cache_read_tokens, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": 0,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }


RATE_HEADERS = {
    "openai-organization": "user-emulator",
    "openai-processing-ms": "1",
    "openai-version": "2020-10-01",
    "x-ratelimit-limit-requests": "10000",
    "x-ratelimit-limit-tokens": "30000000",
    "x-ratelimit-remaining-requests": "9999",
    "x-ratelimit-remaining-tokens": "29999000",
    "x-ratelimit-reset-requests": "6ms",
    "x-ratelimit-reset-tokens": "0s",
}


class OpenAI(OpenAICompat):
    name = "openai"
    has_responses = True
    has_embeddings = True
    default_models: ClassVar[tuple[str, ...]] = (
        "gpt-4o-mini",
        "gpt-4.1",
        "gpt-5",
        "gpt-5.5",
        "text-embedding-3-small",
    )
    flavor: ClassVar[chat.ChatFlavor] = chat.ChatFlavor(
        top={"service_tier": "default", "system_fingerprint": "fp_emulator"},
        message_extra={"refusal": None, "annotations": []},
        choice_extra={"logprobs": None},
        first_delta_extra={"refusal": None},
        usage_fn=openai_usage,
        obfuscation=True,
    )

    def prefix(self, region: str | None) -> str:
        return "/openai/v1"

    def base_headers(self, ctx: Ctx) -> dict[str, str]:
        return {"x-request-id": self.request_id(ctx), "Server": self.server, **RATE_HEADERS}

    def auth_error(self, ctx: Ctx, state: str) -> ErrorReply:
        if state == AUTH_MISSING:
            return self.reply(401, MISSING_KEY)
        message = (
            f"Incorrect API key provided: {mask_key(ctx.key or '')}. "
            "You can find your API key at https://platform.openai.com/account/api-keys."
        )
        return self.reply(401, openai_error(message, "invalid_request_error", None, "invalid_api_key"))

    def not_found(self, ctx: Ctx) -> ErrorReply:
        path = ctx.path.removeprefix("/openai")
        return self.reply(
            404, openai_error(f"Invalid URL ({ctx.method} {path})", "invalid_request_error", None, None)
        )

    def invalid_request(self, ctx: Ctx, message: str | None) -> ErrorReply:
        return self.reply(400, openai_error(message or BAD_JSON, "invalid_request_error", None, None))

    def err_billing(self, ctx: Ctx) -> ErrorReply:
        return self.reply(429, INSUFFICIENT_QUOTA)

    def err_forbidden(self, ctx: Ctx) -> ErrorReply:
        return self.reply(403, FORBIDDEN_REGION)

    def err_rate_limit(self, ctx: Ctx) -> ErrorReply:
        secs = fmt_seconds(ctx.fault.retry_seconds() if ctx.fault else 1.0)
        message = (
            f"Rate limit reached for {ctx.model} in organization org-******* on tokens per min (TPM): "
            f"Limit 200000, Used 162960, Requested 42288. Please try again in {secs}s. "
            "Visit https://platform.openai.com/account/rate-limits to learn more."
        )
        headers = {"x-ratelimit-remaining-tokens": "0", "x-ratelimit-reset-tokens": f"{secs}s"}
        return self.reply(429, openai_error(message, "tokens", None, "rate_limit_exceeded"), headers)

    def err_overloaded(self, ctx: Ctx) -> ErrorReply:
        return self.reply(503, OVERLOADED)

    def err_server_error(self, ctx: Ctx) -> ErrorReply:
        return self.reply(500, SERVER_ERROR)

    def err_unknown_model(self, ctx: Ctx) -> ErrorReply:
        message = f"The model `{ctx.model}` does not exist or you do not have access to it."
        return self.reply(404, openai_error(message, "invalid_request_error", None, "model_not_found"))

    def err_context_length(self, ctx: Ctx) -> ErrorReply:
        return self.reply(400, CONTEXT_LENGTH)
