"""The shared base of OpenAI-compatible dialects: chat completions, Responses and the model list."""

from __future__ import annotations

from typing import Any, ClassVar

from ..formats import chat, responses
from ..reply import Reply
from .base import (
    CHAT,
    COUNT_TOKENS,
    EMBEDDINGS,
    MODEL,
    MODELS,
    RESPONSES,
    Ctx,
    Dialect,
    StreamSpec,
    dumps,
)


class OpenAICompat(Dialect):
    """OpenAI wire shapes; subclasses set the flavor, the mount and the error bodies."""

    flavor: ClassVar[chat.ChatFlavor] = chat.ChatFlavor()
    has_responses: ClassVar[bool] = False
    has_models: ClassVar[bool] = True
    has_embeddings: ClassVar[bool] = False
    owned_by: ClassVar[str] = "system"

    def routes(self, region: str | None) -> list[tuple[str, str, str]]:
        out = [("POST", "/chat/completions", CHAT)]
        if self.has_responses:
            out.append(("POST", "/responses", RESPONSES))
            out.append(("POST", "/responses/input_tokens", COUNT_TOKENS))
        if self.has_models:
            out.append(("GET", "/models", MODELS))
            out.append(("GET", "/models/{model_id:.+}", MODEL))
        if self.has_embeddings:
            out.append(("POST", "/embeddings", EMBEDDINGS))
        return out

    # ids
    def chat_id(self, ctx: Ctx) -> str:
        return f"{self.flavor.id_prefix}emu{ctx.seq:012d}"

    def call_id(self, ctx: Ctx) -> str:
        return f"call_emu{ctx.seq:012d}"

    # chat hooks for quirky providers
    def chunk_extras(self, ctx: Ctx, reply: Reply) -> dict[str, Any]:
        """Keyword arguments for `chat.chunks` (first/finish chunk extras)."""
        return {}

    def chat_body(self, ctx: Ctx, reply: Reply) -> dict[str, Any]:
        return chat.body(self.flavor, self.chat_id(ctx), self.call_id(ctx), ctx.created, ctx.model, reply)

    def body(self, ctx: Ctx, reply: Reply) -> bytes:
        if ctx.endpoint == RESPONSES:
            return dumps(
                responses.body(
                    f"resp_emu{ctx.seq:012d}",
                    self._item_id(ctx, reply),
                    self.call_id(ctx),
                    ctx.created,
                    ctx.model,
                    reply,
                )
            )
        return dumps(self.chat_body(ctx, reply))

    def _item_id(self, ctx: Ctx, reply: Reply) -> str:
        return f"{'fc' if reply.tool else 'msg'}_emu{ctx.seq:012d}"

    def stream(self, ctx: Ctx, reply: Reply) -> StreamSpec:
        if ctx.endpoint == RESPONSES:
            rid = f"resp_emu{ctx.seq:012d}"
            items = responses.events(
                rid, self._item_id(ctx, reply), self.call_id(ctx), ctx.created, ctx.model, reply
            )
            variant = ctx.fault.variant if ctx.fault is not None else None
            return StreamSpec(
                items,
                [],
                lambda seq: responses.inband_error(rid, ctx.created, ctx.model, seq, variant),
            )
        opts = ctx.data.get("stream_options")
        include_usage = isinstance(opts, dict) and bool(opts.get("include_usage"))
        items = chat.chunks(
            self.flavor,
            self.chat_id(ctx),
            self.call_id(ctx),
            ctx.created,
            ctx.model,
            reply,
            include_usage,
            **self.chunk_extras(ctx, reply),
        )
        return StreamSpec(items, [b"data: [DONE]\n\n"], lambda seq: self.chat_inband(ctx))

    def chat_inband(self, ctx: Ctx) -> list[tuple[bytes, bool]]:
        return chat.inband_error()

    def inband_body(self, ctx: Ctx, reply: Reply) -> bytes:
        if ctx.endpoint == RESPONSES:
            return dumps(responses.failed_body(f"resp_emu{ctx.seq:012d}", ctx.created, ctx.model))
        return chat.OPENAI_INBAND_ERROR[len(b"data: ") : -2]

    def model_entry(self, model: str) -> dict[str, Any]:
        return {"id": model, "object": "model", "created": 1700000000, "owned_by": self.owned_by}

    def models_body(self, ctx: Ctx) -> bytes:
        return dumps({"object": "list", "data": [self.model_entry(m) for m in self.models]})

    def model_body(self, ctx: Ctx) -> bytes:
        return dumps(self.model_entry(ctx.model))
