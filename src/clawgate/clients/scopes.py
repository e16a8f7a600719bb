"""What a client key may use: agents, and models or aliases (glob patterns such as `openai/*`). An empty list
allows everything of its kind. A request passes when its agent is allowed and — with a model list — the model
it names (as sent: a ref, an alias, a bare id) or the model its plan resolves to matches a pattern."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from fnmatch import translate
from typing import Any


@dataclass(frozen=True)
class Scopes:
    agents: tuple[str, ...] = ()
    models: tuple[str, ...] = ()
    _match: Any = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.models:  # every model pattern in one compiled expression (checked on each call)
            joined = "|".join(f"(?:{translate(p)})" for p in self.models)
            object.__setattr__(self, "_match", re.compile(joined).match)

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> Scopes:
        data = data or {}
        return cls(tuple(data.get("agents") or ()), tuple(data.get("models") or ()))

    def to_json(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        if self.agents:
            out["agents"] = list(self.agents)
        if self.models:
            out["models"] = list(self.models)
        return out

    @property
    def unrestricted(self) -> bool:
        return not self.agents and not self.models

    def describe(self) -> str:
        if self.unrestricted:
            return "any agent and model"
        parts = []
        if self.agents:
            parts.append("agents " + ", ".join(self.agents))
        if self.models:
            parts.append("models " + ", ".join(self.models))
        return "; ".join(parts)

    def lists(self, model_id: str) -> bool:
        """Whether `/v1/models` shows `model_id` to this key: an `agent/<id>` by its agents, the rest by its
        models (the list shows what the key may name)."""
        if model_id.startswith("agent/"):
            return not self.agents or model_id[len("agent/") :] in self.agents
        return not self.models or bool(self._match(model_id))

    def denies(self, agent: str, requested: str | None, resolved: str | None) -> str | None:
        """Why this request is outside the scopes (None: allowed). `requested`: the model name as the client
        sent it; `resolved`: the model ref the plan chose."""
        if self.agents and agent not in self.agents:
            return f"agent {agent!r} is not one of its agents ({', '.join(self.agents)})"
        if not self.models:
            return None
        names = [n for n in (requested, resolved) if n]
        if any(self._match(n) for n in names):
            return None
        what = requested or resolved or "the agent's default model"
        return f"model {what!r} is not one of its models ({', '.join(self.models)})"
