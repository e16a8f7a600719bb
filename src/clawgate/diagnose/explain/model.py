"""What `explain` returns: the Explanation of a pasted error and the Causes checked for it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

UNKNOWN = "<provider>"  # stands for the provider in messages and commands when the text does not name it


@dataclass
class Cause:
    """One likely cause; `holds` is True/False when the local setup answers it, None when it cannot."""

    id: str
    cause: str
    holds: bool | None = None
    evidence: str | None = None
    next_steps: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "cause": self.cause, "holds": self.holds, "evidence": self.evidence}


@dataclass
class Explanation:
    """What the pasted text says: the failing layer, its code, the causes to check and the next commands."""

    owner: str
    code: str
    message: str
    provider: str | None = None
    provider_from: str | None = None  # "--provider" | "text" | a guess from the agent's plan
    status: int | None = None
    via: str = ""  # how it was recognised: provider body, stream error, clawgate error, phrase, status
    host: str | None = None
    model: str | None = None
    detail: str | None = None  # e.g. the missing-vs-rejected kind of an auth failure, a cooldown's reason
    causes: list[Cause] = field(default_factory=list)
    next_steps: list[str] = field(default_factory=list)
    checked: dict[str, Any] | None = None  # {"config", "agent"} when causes were checked
    confidence: str = "medium"  # "high": stated status and typed error; "medium": one of them; "low": a guess
    evidence: list[str] = field(default_factory=list)  # what the answer was read from, in words

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "owner": self.owner,
            "code": self.code,
            "provider": self.provider,
            "message": self.message,
            "causes": [c.to_json() for c in self.causes],
            "next": list(self.next_steps),
            "status": self.status,
            "via": self.via,
            "provider_from": self.provider_from,
            "confidence": self.confidence,
            "evidence": list(self.evidence),
        }
        if self.checked:
            out["checked"] = self.checked
        return out
