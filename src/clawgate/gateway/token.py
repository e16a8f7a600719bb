"""Where the gateway's own client token comes from (config, SecretRef or CLAWGATE_GATEWAY_TOKEN)."""

from __future__ import annotations

from dataclasses import dataclass

from clawgate.config.schema import SecretRef
from clawgate.config.substitution import expand
from clawgate.plan.snapshot import Snapshot
from clawgate.redaction import fingerprint, register_secret

ENV_NAME = "CLAWGATE_GATEWAY_TOKEN"
# the step after a refused token: where `gateway status --json` shows each fingerprint (the gateway's own is there
# when the gateway accepts the token of the CLI that asks, on the gateway's machine)
COMPARE_STEP = (
    "clawgate gateway status --json   # compare with gateway.auth.fingerprint (the gateway's token); "
    "cli.token.fingerprint is the token this CLI sends"
)


@dataclass
class GatewayToken:
    mode: str  # "none" | "token"
    value: str | None
    source: str  # "config:gateway.auth.token" | "env:CLAWGATE_GATEWAY_TOKEN" | "none"
    origin: str | None = None
    error: str | None = None

    @property
    def fingerprint(self) -> str | None:
        return fingerprint(self.value) if self.value else None

    def to_json(self) -> dict[str, object]:
        return {
            "mode": self.mode,
            "source": self.source,
            "origin": self.origin,
            "fingerprint": self.fingerprint,
            "error": self.error,
        }


def resolve_gateway_token(snap: Snapshot) -> GatewayToken:
    auth = snap.config.gateway.auth
    value: str | None = None
    source, origin, error = "none", None, None
    raw = auth.token
    if raw is not None:
        source = "config:gateway.auth.token"
        if isinstance(raw, SecretRef):
            sv = snap.secrets.resolve(raw)
            value, origin, error = sv.value, sv.origin, sv.error
        else:
            exp = expand(raw, snap.env)
            if exp.ok:
                value = exp.value
                origin = ", ".join(exp.origins.values()) or snap.loaded.display
            else:
                error = f"gateway.auth.token references unset {', '.join(exp.missing)}"
    if value is None and error is None:
        var = snap.env.var(ENV_NAME)
        if var is not None and var.value.strip():
            value, source, origin = var.value, f"env:{ENV_NAME}", var.winner.origin
    if value is not None:
        value = value.strip()
        register_secret(value)
    mode = auth.mode or ("token" if value or error else "none")
    if mode == "token" and not value and error is None:
        error = f"gateway.auth.mode is token but no token is set (gateway.auth.token or {ENV_NAME})"
    return GatewayToken(mode=mode, value=value or None, source=source, origin=origin, error=error)
