"""Model routes (`models.routes`): send a client's own model names where the operator wants them.

Clients ask for the names they were built with (Claude Code: `claude-opus-5-5`, `claude-haiku-5-5`; Codex:
`gpt-5.5`). A route rewrites such a name before it is resolved: `{"match": "claude-*", "to": "anthropic/*"}`,
`{"match": "claude-haiku-*", "to": "agent/fast"}`, or `{"match": "claude-sonnet-*", "to":
"openrouter/anthropic/claude-sonnet-4.5"}`. `match` is a glob (`*` any text, `?` one character); each `*`
in `to` takes the text the next `*` of `match` matched. The first matching route wins; a route's result is
not routed again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

AGENT_PREFIX = "agent/"


@dataclass(frozen=True)
class RouteMatch:
    """A route that took a client's model name: which one (its config path) and what it became."""

    path: str  # models.routes[i]
    match: str
    to: str
    requested: str  # the client's model name
    result: str  # what it was rewritten to

    @property
    def agent(self) -> str | None:
        """The agent id when the route sends the name to `agent/<id>`."""
        return self.result[len(AGENT_PREFIX) :] if self.result.startswith(AGENT_PREFIX) else None

    def describe(self) -> str:
        return f"{self.path} ({self.match} → {self.to})"

    def to_json(self) -> dict[str, Any]:
        return {
            "from": self.path,
            "match": self.match,
            "to": self.to,
            "requested": self.requested,
            "result": self.result,
        }


@lru_cache(maxsize=256)
def _compile(pattern: str) -> re.Pattern[str]:
    out = []
    for ch in pattern:
        if ch == "*":
            out.append("(.*)")
        elif ch == "?":
            out.append("(.)")
        else:
            out.append(re.escape(ch))
    return re.compile("".join(out) + r"\Z", re.S)


def _fill(template: str, captures: tuple[str, ...]) -> str:
    parts = template.split("*")
    out = [parts[0]]
    for i, rest in enumerate(parts[1:]):
        out.append(captures[i] if i < len(captures) else "")
        out.append(rest)
    return "".join(out)


def route(routes: list[Any], name: str) -> RouteMatch | None:
    """The first of `routes` (objects with `match` and `to`) that takes `name`, with its result."""
    for i, r in enumerate(routes):
        m = _compile(r.match).match(name)
        if m is None:
            continue
        captures = tuple(
            g for g, ch in zip(m.groups(), [c for c in r.match if c in "*?"], strict=True) if ch == "*"
        )
        return RouteMatch(f"models.routes[{i}]", r.match, r.to, name, _fill(r.to, captures))
    return None
