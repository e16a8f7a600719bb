"""The import report: files written, key paths that did not map, profile and models.json problems, doctor's findings."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class ImportReport:
    """Everything `import openclaw` did or would do, and what doctor finds on the result."""

    source: str
    home: str
    config: str
    dry_run: bool
    files: list[dict[str, str]] = field(default_factory=list)
    # files a real run would refuse to overwrite without --force (dry runs only)
    refused: list[str] = field(default_factory=list)
    backups: list[str] = field(default_factory=list)
    mapped: list[str] = field(default_factory=list)  # top-level config sections carried over
    unmapped: list[dict[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    profiles: list[dict[str, Any]] = field(default_factory=list)
    models_json: list[dict[str, Any]] = field(default_factory=list)
    findings: list[dict[str, Any]] = field(default_factory=list)
    era: dict[str, Any] = field(default_factory=dict)  # which OpenClaw era the source is, and how it was told
    sources: dict[str, Any] = field(default_factory=dict)  # the files read: config, includes, agent stores
    summary: dict[str, Any] = field(default_factory=dict)  # agents, their models, profiles: what came over

    @property
    def ok(self) -> bool:
        return not any(f["severity"] == "error" for f in self.findings)

    def invalid_profiles(self) -> list[dict[str, Any]]:
        return [dict(i, agent=p["agent"], file=p["file"]) for p in self.profiles for i in p["invalid"]]

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "home": self.home,
            "config": self.config,
            "dry_run": self.dry_run,
            "files": self.files,
            "refused": self.refused,
            "backups": self.backups,
            "mapped": self.mapped,
            "unmapped": self.unmapped,
            "notes": self.notes,
            "profiles": self.profiles,
            "models_json": self.models_json,
            "era": self.era,
            "sources": self.sources,
            "summary": self.summary,
            "doctor": {"ok": self.ok, "findings": self.findings},
        }
