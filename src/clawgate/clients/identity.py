"""Who sent a request: the owner (the gateway token, or no token on a loopback-only gateway), a client key, or a
paired device — with what it may use (scopes) and its allowances (RPM/TPM, budget)."""

from __future__ import annotations

from dataclasses import dataclass, field

from clawgate.clients.scopes import Scopes


@dataclass(frozen=True, slots=True)
class Client:
    kind: str  # owner | key | device
    id: str | None
    name: str
    hint: str = ""  # what may be shown of its token (`cgk_<id>_…last4`)
    scopes: Scopes = field(default_factory=Scopes)
    rpm: int | None = None
    tpm: int | None = None
    budget_usd: float | None = None
    budget_period: str | None = None

    @property
    def ref(self) -> str | None:
        """How attempts record it (`key:<id>`, `device:<id>`); None for the owner."""
        return None if self.kind == "owner" else f"{self.kind}:{self.id}"

    @property
    def is_owner(self) -> bool:
        return self.kind == "owner"

    @property
    def limited(self) -> bool:
        return bool(self.rpm or self.tpm or self.budget_usd is not None or not self.scopes.unrestricted)

    def describe(self) -> str:
        if self.kind == "owner":
            return "the gateway token"
        return f"{'client key' if self.kind == 'key' else 'device'} {self.name!r} ({self.hint})"


OWNER = Client("owner", None, "owner")
