"""The one exception hierarchy for clawgate's own errors: every error knows its owner, code and next step."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Location:
    """Where a problem sits: a file, optionally a line/column and a key path inside it."""

    file: str | None = None
    line: int | None = None
    column: int | None = None
    key: str | None = None

    def __str__(self) -> str:
        parts = []
        if self.file:
            pos = self.file
            if self.line is not None:
                pos += f":{self.line}"
                if self.column is not None:
                    pos += f":{self.column}"
            parts.append(pos)
        if self.key:
            parts.append(self.key)
        return ": ".join(parts)

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


class ClawgateError(Exception):
    """Base of every error clawgate raises on purpose. Never carries a secret in its message."""

    owner = "config"
    code = "config.error"
    exit_code = 2

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        owner: str | None = None,
        next_steps: list[str] | tuple[str, ...] = (),
        location: Location | None = None,
        evidence: dict[str, Any] | None = None,
        hint: str = "",
    ) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint  # prose beside the next commands (which stay runnable as printed)
        if code:
            self.code = code
        if owner:
            self.owner = owner
        self.next_steps = list(next_steps)
        self.location = location
        self.evidence = evidence or {}

    def __str__(self) -> str:
        where = str(self.location) if self.location else ""
        return f"{where}: {self.message}" if where else self.message

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"code": self.code, "owner": self.owner, "message": str(self)}
        if self.location:
            out["location"] = self.location.to_json()
        if self.evidence:
            out["evidence"] = self.evidence
        out["next"] = self.next_steps
        if self.hint:
            out["hint"] = self.hint
        return out


class ConfigError(ClawgateError):
    """The configuration file is invalid (schema, value, reference)."""

    owner = "config"
    code = "config.invalid_value"


class ConfigParseError(ConfigError):
    """The configuration file is not valid JSON5."""

    code = "config.parse_error"


class ProfileError(ClawgateError):
    """A stored auth profile file is malformed."""

    owner = "provider_auth"
    code = "auth.profile_invalid"


class UsageError(ClawgateError):
    """The command line asked for something that cannot be done as asked."""

    owner = "config"
    code = "cli.usage"


class NotFoundError(ClawgateError):
    """A named thing (agent, provider, profile, path) does not exist."""

    owner = "config"
    code = "config.not_found"


@dataclass
class Problem:
    """A non-fatal issue found while loading (used where loading continues and reports later)."""

    code: str
    severity: str
    owner: str
    message: str
    location: Location | None = None
    next_steps: list[str] = field(default_factory=list)
    evidence: dict[str, Any] = field(default_factory=dict)
