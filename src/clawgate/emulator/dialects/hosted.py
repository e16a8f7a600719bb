"""The hosted providers that speak a dialect the emulator already has, each under its own mount:

    zai        /zai/api/paas/v4          OpenAI chat (Z.AI general API)
    mistral    /mistral/v1               OpenAI chat
    cerebras   /cerebras/v1              OpenAI chat
    together   /together/v1              OpenAI chat
    opencode   /opencode/zen/v1          OpenAI chat (OpenCode Zen)
    xai        /xai/v1                   OpenAI chat and Responses
    minimax    /minimax/anthropic        Anthropic Messages
    kimi       /kimi/coding              Anthropic Messages (Kimi Coding)

Error bodies are OpenAI's (or Anthropic's) shapes; what differs per provider here is only where it lives and
which models it lists."""

from __future__ import annotations

from .anthropic import Anthropic
from .openai import OpenAI


class Zai(OpenAI):
    name = "zai"
    has_responses = False
    default_models = ("glm-5.2", "glm-5.1", "glm-4.7")

    def prefix(self, region: str | None) -> str:
        return "/zai/api/paas/v4"


class Mistral(OpenAI):
    name = "mistral"
    has_responses = False
    default_models = ("mistral-large-latest", "mistral-small-latest", "codestral-latest")

    def prefix(self, region: str | None) -> str:
        return "/mistral/v1"


class Cerebras(OpenAI):
    name = "cerebras"
    has_responses = False
    default_models = ("zai-glm-4.7", "gpt-oss-120b")

    def prefix(self, region: str | None) -> str:
        return "/cerebras/v1"


class Together(OpenAI):
    name = "together"
    has_responses = False
    default_models = ("meta-llama/Llama-3.3-70B-Instruct-Turbo",)

    def prefix(self, region: str | None) -> str:
        return "/together/v1"


class OpenCode(OpenAI):
    name = "opencode"
    has_responses = False
    default_models = ("glm-5.1", "kimi-k2.6")

    def prefix(self, region: str | None) -> str:
        return "/opencode/zen/v1"


class XAI(OpenAI):
    name = "xai"
    has_responses = True
    default_models = ("grok-4.3", "grok-code-fast-1")

    def prefix(self, region: str | None) -> str:
        return "/xai/v1"


class MiniMax(Anthropic):
    name = "minimax"
    default_models = ("MiniMax-M2.7", "MiniMax-M3")

    def prefix(self, region: str | None) -> str:
        return "/minimax/anthropic"


class Kimi(Anthropic):
    name = "kimi"
    default_models = ("kimi-for-coding", "k3")

    def prefix(self, region: str | None) -> str:
        return "/kimi/coding"


HOSTED = (Zai, Mistral, Cerebras, Together, OpenCode, XAI, MiniMax, Kimi)
