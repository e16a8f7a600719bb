"""Ollama (`/ollama`): the host URL as OpenClaw writes it; OpenAI chat under `/v1`, the native model list at
`/api/tags`. No key is needed (any bearer token is accepted and ignored, as by a local Ollama)."""

from __future__ import annotations

from typing import Any

from .base import CHAT, MODELS, Ctx, dumps
from .openai import OpenAI


class Ollama(OpenAI):
    name = "ollama"
    has_responses = False
    default_models = ("llama3.3", "qwen3.5:27b")

    def prefix(self, region: str | None) -> str:
        return "/ollama"

    def routes(self, region: str | None) -> list[tuple[str, str, str]]:
        return [
            ("POST", "/v1/chat/completions", CHAT),
            ("GET", "/v1/models", MODELS),
            ("GET", "/api/tags", MODELS),
        ]

    def credential(self, headers: Any, query: Any) -> str | None:
        return super().credential(headers, query) or "ollama-local"

    def models_body(self, ctx: Ctx) -> bytes:
        if ctx.path.endswith("/api/tags"):
            return dumps({"models": [{"name": m, "model": m, "size": 1} for m in self.models]})
        return super().models_body(ctx)
