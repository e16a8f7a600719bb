"""The ChatGPT backend (`/chatgpt/backend-api`): OpenAI Codex subscriptions' Responses endpoint
(`/codex/responses`) and model list (`/codex/models`).

It takes only access tokens from ChatGPT sign-in (the emulator's `/oauth/openai`), with the account they were
issued for in `chatgpt-account-id`, and refuses bodies the way the backend does: `{"detail": "Store must be
set to false"}`, `{"detail": "Stream must be set to true"}`, `{"detail": "Instructions are required"}` (those
three captured from the service), an expired token with `token_expired`. The bodies for a missing or
mismatched account header are the emulator's own wording."""

from __future__ import annotations

from typing import Any

from .base import AUTH_MISSING, MODELS, RESPONSES, Ctx, ErrorReply
from .openai import OpenAI

UNPARSEABLE = "Could not parse your authentication token. Please try signing in again."
EXPIRED = "Provided authentication token is expired. Please try signing in again."


class ChatGPT(OpenAI):
    name = "chatgpt"
    has_responses = True
    default_models = ("gpt-5.4", "gpt-5.5", "gpt-5.3-codex")

    def prefix(self, region: str | None) -> str:
        return "/chatgpt/backend-api"

    def routes(self, region: str | None) -> list[tuple[str, str, str]]:
        return [("POST", "/codex/responses", RESPONSES), ("GET", "/codex/models", MODELS)]

    def _detail(self, status: int, detail: str) -> ErrorReply:
        return self.reply(status, {"detail": detail})

    def auth_error(self, ctx: Ctx, state: str) -> ErrorReply:
        return self._detail(401, "Unauthorized" if state == AUTH_MISSING else UNPARSEABLE)

    def precheck(self, ctx: Ctx) -> ErrorReply | None:
        info = ctx.oauth.access_info(ctx.key) if ctx.oauth is not None else None
        if info is None or info.provider != "openai":
            return self._detail(401, UNPARSEABLE)
        if info.expired:
            return self.reply(
                401,
                {
                    "error": {"message": EXPIRED, "type": None, "code": "token_expired", "param": None},
                    "status": 401,
                },
            )
        account = ctx.headers.get("chatgpt-account-id")
        if not account:
            return self._detail(400, "emulator: the chatgpt-account-id header is required")
        if account != info.account:
            return self._detail(403, "emulator: chatgpt-account-id does not match the signed-in account")
        if ctx.endpoint != RESPONSES:
            return None
        data: dict[str, Any] = ctx.data
        if data.get("store") is not False:
            return self._detail(400, "Store must be set to false")
        if data.get("stream") is not True:
            return self._detail(400, "Stream must be set to true")
        if not isinstance(data.get("instructions"), str) or not data["instructions"].strip():
            return self._detail(400, "Instructions are required")
        return None
