"""The config of clients' limits (docs/clients.md): RPM/TPM per provider credential, a credential's share under
`balance: weighted`, the window limits are counted in, and pairing requests. Client keys and devices themselves
are not config: they live in the durable store."""

from __future__ import annotations

from pydantic import Field

from clawgate.config.base import Strict


class RateLimits(Strict):
    """Requests and tokens per minute (`gateway.limits.windowSeconds` sets the window they are counted in)."""

    rpm: int | None = Field(default=None, gt=0)
    tpm: int | None = Field(default=None, gt=0)


class CredentialTuning(RateLimits):
    """One credential of a provider (`models.providers.<id>.credentials.<source or profile id>`): its share of
    the load under `balance: weighted`, and limits of its own (instead of the provider's `limits`)."""

    weight: float | None = Field(default=None, gt=0)


class GatewayLimitsConfig(Strict):
    """How RPM/TPM limits are counted (client keys, provider credentials): fixed windows of this length,
    aligned to the clock and shared by every gateway process. A window allows rpm × windowSeconds / 60."""

    window_seconds: float = Field(default=60.0, ge=1, le=3600)


class PairingConfig(Strict):
    """Devices asking to pair (`POST /api/devices/pair`): whether the gateway takes requests, how many may
    wait at once, and how long one waits for `clawgate devices approve`."""

    enabled: bool = True
    max_pending: int = Field(default=20, ge=1, le=1000)
    pending_seconds: float = Field(default=3600.0, ge=60, le=7 * 86400)
