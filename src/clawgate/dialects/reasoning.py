"""Reasoning controls in each wire format: chat `reasoning_effort`, Responses `reasoning`, Anthropic `thinking`
(manual budget or adaptive) with `output_config.effort` — and which models take them.

A reasoning control is only sent to a model known to accept it (catalog `reasoning`, else the model id's
family): a model without one would reject the request, and not sending it changes nothing it would do.
"""

from __future__ import annotations

import re
from typing import Any

from clawgate.dialects.internal import ReasoningSpec

OPENAI_EFFORTS = ("none", "minimal", "low", "medium", "high", "xhigh")
ANTHROPIC_EFFORTS = ("low", "medium", "high", "max")
_BUDGET_FOR = {"minimal": 1024, "low": 2048, "medium": 8192, "high": 16384, "xhigh": 32000, "max": 32000}
MIN_BUDGET = 1024  # Anthropic's smallest thinking budget

# Model ids that take OpenAI-style reasoning controls, and Anthropic models with (adaptive) thinking.
_OPENAI_REASONING = re.compile(r"^(?:o\d|gpt-5|gpt-[6-9]|gemini-(?:2\.5|[3-9])|codex-)")
_ANTHROPIC_THINKING = re.compile(r"^claude-(?:3-7|(?:opus|sonnet|haiku|fable|mythos)-[4-9])")
_ANTHROPIC_ADAPTIVE = re.compile(r"^claude-(?:(?:opus|sonnet|haiku|fable|mythos)-(?:[5-9]|4-[6-9]))")
# `output_config.effort`: Opus 4.5, then every model from 4.6 on
_ANTHROPIC_EFFORT = re.compile(
    r"^claude-(?:opus-4-[5-9]|(?:opus|sonnet|haiku|fable|mythos)-(?:[5-9]|4-[6-9]))"
)


def bare(model: str) -> str:
    return model.rsplit("/", 1)[-1].lower()


def openai_reasons(model: str, known: bool | None) -> bool:
    return known if known is not None else bool(_OPENAI_REASONING.match(bare(model)))


def anthropic_thinks(model: str, known: bool | None) -> bool:
    return known if known is not None else bool(_ANTHROPIC_THINKING.match(bare(model)))


def effort_of_budget(budget: int) -> str:
    return "low" if budget < 4096 else "medium" if budget < 16384 else "high"


def openai_effort(spec: ReasoningSpec) -> str | None:
    """The OpenAI effort for a spec (None: let the model pick its default)."""
    if not spec.enabled:
        return "none"
    if spec.effort:
        return {"max": "xhigh"}.get(spec.effort, spec.effort)
    if spec.budget_tokens:
        return effort_of_budget(spec.budget_tokens)
    return None


# --- decoding ------------------------------------------------------------------------------------------


def chat_in(value: Any) -> ReasoningSpec | None:
    if not isinstance(value, str) or not value:
        return None
    return ReasoningSpec(enabled=value != "none", effort=None if value == "none" else value)


def responses_in(value: Any) -> ReasoningSpec | None:
    if not isinstance(value, dict):
        return None
    effort = value.get("effort")
    summary = value.get("summary") or value.get("generate_summary")
    if effort is None and summary is None:
        return None
    return ReasoningSpec(
        enabled=effort != "none",
        effort=effort if isinstance(effort, str) and effort != "none" else None,
        summary=summary if isinstance(summary, str) else None,
    )


def anthropic_in(thinking: Any, effort: Any) -> ReasoningSpec | None:
    """Anthropic `thinking` plus `output_config.effort`."""
    kind = thinking.get("type") if isinstance(thinking, dict) else None
    eff = effort if isinstance(effort, str) else None
    if kind is None and eff is None:
        return None
    if kind == "disabled":
        return ReasoningSpec(enabled=False)
    budget = thinking.get("budget_tokens") if isinstance(thinking, dict) else None
    display = thinking.get("display") if isinstance(thinking, dict) else None
    return ReasoningSpec(
        enabled=True,
        effort=eff,
        budget_tokens=budget if isinstance(budget, int) else None,
        adaptive=kind == "adaptive",
        display=display if isinstance(display, str) else None,
    )


# --- encoding -----------------------------------------------------------------------------------------


def responses_out(spec: ReasoningSpec) -> dict[str, Any] | None:
    effort = openai_effort(spec)
    out: dict[str, Any] = {}
    if effort:
        out["effort"] = effort
    if spec.summary:
        out["summary"] = spec.summary
    return out or None


def anthropic_out(
    spec: ReasoningSpec, model: str, max_tokens: int
) -> tuple[dict[str, Any] | None, str | None, int]:
    """(thinking, output_config.effort, max_tokens) for an Anthropic model that thinks. A manual budget must
    stay below max_tokens: max_tokens grows to budget + 1024 when needed."""
    name = bare(model)
    effort = spec.effort
    if effort is None and spec.budget_tokens:
        effort = effort_of_budget(spec.budget_tokens)
    anth_effort = None
    if effort and _ANTHROPIC_EFFORT.match(name):
        anth_effort = {"minimal": "low", "xhigh": "max", "none": "low"}.get(effort, effort)
    if not spec.enabled:
        return ({"type": "disabled"} if not _ANTHROPIC_ADAPTIVE.match(name) else None), None, max_tokens
    if _ANTHROPIC_ADAPTIVE.match(name):
        thinking: dict[str, Any] = {"type": "adaptive"}
        if spec.display:
            thinking["display"] = spec.display
        return thinking, anth_effort, max_tokens
    budget = spec.budget_tokens or _BUDGET_FOR.get(effort or "medium", 8192)
    budget = max(MIN_BUDGET, budget)
    if max_tokens <= budget:
        max_tokens = budget + 1024
    return {"type": "enabled", "budget_tokens": budget}, anth_effort, max_tokens
