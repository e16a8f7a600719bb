"""GitHub Copilot's API (`/copilot`, the `endpoints.api` the emulator's token exchange hands out): OpenAI
chat completions and models, taking only Copilot API tokens from that exchange (never the GitHub token
itself) and, as the service does, refusing IDE-auth requests without `Editor-Version`."""

from __future__ import annotations

from .base import Ctx, ErrorReply
from .openai import OpenAI, openai_error


class Copilot(OpenAI):
    name = "copilot"
    has_responses = False
    default_models = ("gpt-4.1", "gpt-5-mini", "claude-sonnet-4.5")

    def prefix(self, region: str | None) -> str:
        return "/copilot"

    def precheck(self, ctx: Ctx) -> ErrorReply | None:
        info = ctx.oauth.access_info(ctx.key) if ctx.oauth is not None else None
        if info is None or info.provider != "copilot":
            return self.reply(
                401, openai_error("unauthorized: token invalid", "invalid_request_error", None, None)
            )
        if info.expired:
            return self.reply(
                401, openai_error("unauthorized: token expired", "invalid_request_error", None, None)
            )
        if not ctx.headers.get("Editor-Version"):
            return self.reply(
                400,
                openai_error(
                    "bad request: missing Editor-Version header for IDE auth",
                    "invalid_request_error",
                    None,
                    None,
                ),
            )
        return None
