"""`Valued`: an effective value together with where it came from and what it shadows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Valued(Generic[T]):
    value: T
    source: str  # e.g. "preset:openrouter", "config:models.providers.openrouter.baseUrl", "default"
    shadows: tuple[tuple[str, Any], ...] = ()  # (source, value) pairs this one beats

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"value": self.value, "from": self.source}
        if self.shadows:
            out["shadows"] = [{"from": s, "value": v} for s, v in self.shadows]
        return out
