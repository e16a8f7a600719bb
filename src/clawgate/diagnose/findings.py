"""The Finding shape, the code registry (severity, owner, causal rank) and the report ordering."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from clawgate.diagnose.commands import split_steps

SEVERITY_RANK = {"error": 0, "warn": 1, "info": 2}

# code -> (default severity, owner, causal rank: lower = more of a cause, shown first within a severity)
REGISTRY: dict[str, tuple[str, str, int]] = {
    "config.parse_error": ("error", "config", 0),
    "config.invalid_value": ("error", "config", 1),
    "gateway.config_mismatch": ("error", "config", 2),
    "env.unresolved_ref": ("error", "environment", 10),
    "env.shell_only": ("error", "environment", 11),
    "env.cwd_only": ("warn", "environment", 12),
    "env.gateway_only": ("warn", "environment", 12),
    "env.process_override": ("warn", "environment", 13),
    "env.duplicate_definition": ("warn", "environment", 14),
    "env.dotenv_parse": ("warn", "environment", 15),
    "env.shell_import_failed": ("warn", "environment", 16),
    "auth.profile_invalid": ("error", "provider_auth", 20),
    "auth.key_malformed": ("error", "provider_auth", 21),
    "auth.oauth_expired": ("error", "provider_auth", 22),
    "auth.missing_credential": ("error", "provider_auth", 23),
    "auth.all_providers_rejected": ("error", "environment", 24),
    "auth.region_mismatch": ("error", "provider_auth", 25),
    "auth.rejected": ("error", "provider_auth", 26),
    "auth.key_provider_mismatch": ("warn", "provider_auth", 27),
    "auth.shadowed_credential": ("warn", "provider_auth", 28),
    "auth.order_unknown_profile": ("warn", "config", 28),
    "auth.oauth_status": ("info", "provider_auth", 29),
    "auth.oauth_refresh_failed": ("error", "provider_auth", 29),
    "access.billing": ("error", "provider_access", 30),
    "access.forbidden": ("error", "provider_access", 31),
    "provider.base_url_suspect": ("error", "config", 40),
    "provider.api_mismatch": ("error", "config", 41),
    "provider.unreachable": ("error", "network", 42),
    "model.not_configured": ("warn", "config", 50),
    "model.unknown": ("error", "request", 51),
    "model.override_shadows_default": ("warn", "config", 52),
    "model.no_catalog": ("warn", "config", 53),
    "model.unlisted": ("info", "config", 54),
    "fallback.not_ready": ("warn", "provider_auth", 60),
    "health.cooling": ("info", "rate_limit", 70),  # its owner is the first failure's (diagnose/live.py)
    "health.recent_failure": ("warn", "upstream", 71),  # likewise
    "state.database_unreachable": ("error", "runtime", 75),
    "state.redis_unreachable": ("error", "runtime", 76),
    "observability.otlp_rejected": ("warn", "config", 77),
    "observability.otlp_unreachable": ("warn", "environment", 78),
    "observability.export_failing": ("warn", "environment", 79),
    "gateway.not_running": ("info", "runtime", 80),
    "gateway.token_missing": ("error", "gateway_auth", 81),
    "gateway.token_mismatch": ("error", "gateway_auth", 82),
    "gateway.pairing_required": ("error", "gateway_auth", 83),
    "gateway.device_token_mismatch": ("error", "gateway_auth", 84),
    "gateway.device_revoked": ("info", "gateway_auth", 85),
    "gateway.key_expired": ("warn", "gateway_auth", 86),
    "access.budget_exceeded": ("warn", "gateway_auth", 87),
    "session.stuck_run": ("warn", "runtime", 90),
    "config.plaintext_secret": ("warn", "config", 95),
    "secrets.file_permissions": ("warn", "config", 96),
}


@dataclass
class Finding:
    code: str
    message: str
    severity: str = ""
    owner: str = ""
    subject: dict[str, Any] = field(default_factory=dict)
    evidence: dict[str, Any] = field(default_factory=dict)
    next_steps: list[str] = field(default_factory=list)  # commands, runnable as printed, in order
    hint: str = ""  # prose: alternatives, what a placeholder `<NAME>` in a next command stands for

    def __post_init__(self) -> None:
        default_sev, owner, _ = REGISTRY.get(self.code, ("warn", "config", 99))
        if not self.severity:
            self.severity = default_sev
        if not self.owner:
            self.owner = owner
        self._settle_steps()

    def _settle_steps(self) -> None:
        """`next` holds only commands runnable as printed; any prose moves to `hint` (diagnose/commands.py)."""
        commands, prose = split_steps(self.next_steps)
        self.next_steps = commands
        if prose:
            self.hint = "; ".join(p for p in (self.hint, *prose) if p)

    @property
    def rank(self) -> tuple[int, int]:
        return (SEVERITY_RANK.get(self.severity, 3), REGISTRY.get(self.code, ("", "", 99))[2])

    def key(self) -> tuple[str, str, str]:
        return (
            self.code,
            self.message,
            str(sorted((k, str(v)) for k, v in self.subject.items() if k != "agent")),
        )

    def to_json(self) -> dict[str, Any]:
        self._settle_steps()
        return {
            "code": self.code,
            "severity": self.severity,
            "owner": self.owner,
            "subject": self.subject,
            "message": self.message,
            "evidence": self.evidence,
            "next": self.next_steps,
            "hint": self.hint or None,
        }


def order(findings: list[Finding]) -> list[Finding]:
    """Dedupe (merging the agents a finding applies to), then sort by severity and cause before symptom."""
    merged: dict[tuple[str, str, str], Finding] = {}
    for f in findings:
        k = f.key()
        if k in merged:
            prev = merged[k]
            agents = prev.subject.get("agents") or (
                [prev.subject["agent"]] if "agent" in prev.subject else []
            )
            new = f.subject.get("agent")
            if new and new not in agents:
                agents.append(new)
            if agents:
                prev.subject.pop("agent", None)
                prev.subject["agents"] = agents
            continue
        merged[k] = f
    return sorted(merged.values(), key=lambda f: f.rank)


def report(findings: list[Finding]) -> dict[str, Any]:
    ordered = order(findings)
    return {"ok": not any(f.severity == "error" for f in ordered), "findings": [f.to_json() for f in ordered]}
