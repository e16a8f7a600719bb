"""The dialects by api name: `get_dialect("openai-completions")` and the list of apis."""

from __future__ import annotations

from clawgate.dialects.anthropic_messages import DIALECT as ANTHROPIC_MESSAGES
from clawgate.dialects.base import Dialect
from clawgate.dialects.openai_chat import DIALECT as OPENAI_CHAT
from clawgate.dialects.openai_responses import DIALECT as OPENAI_RESPONSES

DIALECTS: dict[str, Dialect] = {d.api: d for d in (OPENAI_CHAT, OPENAI_RESPONSES, ANTHROPIC_MESSAGES)}
APIS: tuple[str, ...] = tuple(DIALECTS)


def get_dialect(api: str) -> Dialect:
    """The dialect for a provider's `api` setting; KeyError naming the known apis for anything else."""
    try:
        return DIALECTS[api]
    except KeyError:
        raise KeyError(f"unknown api {api!r}; known: {', '.join(APIS)}") from None
