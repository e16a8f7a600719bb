"""Known provider hosts, read from the preset table, whatever provider id a config gives them.

A custom provider id pointing at a preset's host (seed 001: `alibaba-token-plan` on the Token Plan host) is
held to that host's facts: the path it serves and the adapters it speaks.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from clawgate.catalog.presets import PRESETS, Host, Preset


@dataclass(frozen=True)
class KnownHost:
    preset: Preset
    base_url: str  # the documented base URL on that host
    host: Host | None  # the region/plan host entry (None: the preset's main base URL)

    @property
    def label(self) -> str:
        return f"{self.preset.name} {self.host.label}" if self.host else self.preset.name

    @property
    def apis(self) -> tuple[str, ...]:
        return self.host.apis if self.host else self.preset.apis


def known_hosts(hostname: str) -> list[KnownHost]:
    """Every documented base URL on `hostname`, from every preset (local servers excluded)."""
    name = hostname.lower()
    out: list[KnownHost] = []
    for p in PRESETS:
        if p.local:
            continue
        if (urlsplit(p.base_url).hostname or "").lower() == name and not p.host_for(p.base_url):
            out.append(KnownHost(p, p.base_url, None))
        for h in p.hosts:
            if (urlsplit(h.base_url).hostname or "").lower() == name:
                out.append(KnownHost(p, h.base_url, h))
    return out
