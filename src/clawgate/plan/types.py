"""The plan's types: which agent, which model and why, and the ordered attempts (provider, model, dialect,
base URL, credential) a call will make, each value with where it came from."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from clawgate.auth.resolve import CredentialResolution
from clawgate.catalog.presets import Host
from clawgate.catalog.providers import CatalogModel, ProviderView
from clawgate.catalog.routing import RouteMatch
from clawgate.config.schema import AgentEntry
from clawgate.redaction import mask_url

IMPLICIT_AGENT = "main"


@dataclass
class AgentInfo:
    id: str
    name: str | None
    path: str | None  # "agents.list[0]" or None for the implicit agent
    entry: AgentEntry | None
    is_default: bool = False


@dataclass
class ModelChoice:
    """Which model an agent uses and why: the winning config path and what it shadows."""

    ref: str | None
    source: str
    shadows: list[tuple[str, str]] = field(default_factory=list)  # (config path, ref)
    fallbacks: list[tuple[str, str]] = field(default_factory=list)  # (ref, config path)
    fallbacks_from: str = "none"  # the config path of the fallback list that wins ("none": no list is set)
    fallback_shadows: list[tuple[str, list[str]]] = field(
        default_factory=list
    )  # (config path, refs) it beats

    def fallback_json(self) -> dict[str, Any]:
        """Where the fallback list comes from and the (different) lists it shadows."""
        return {
            "fallbacks_from": self.fallbacks_from,
            "fallback_shadows": [{"from": s, "refs": list(r)} for s, r in self.fallback_shadows],
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "ref": self.ref,
            "from": self.source,
            "shadows": [{"from": s, "ref": r} for s, r in self.shadows],
            "fallbacks": [{"ref": r, "from": s} for r, s in self.fallbacks],
            **self.fallback_json(),
        }


@dataclass
class Attempt:
    """One step of a plan: a model on a provider with the credentials to try, in order."""

    index: int
    role: str  # primary | fallback
    ref: str
    ref_from: str
    provider: str
    model: str
    api: str
    api_from: str
    base_url: str | None
    base_url_from: str
    timeout: float
    credential: CredentialResolution | None
    model_info: CatalogModel | None
    catalog_status: str  # listed | any | unlisted | no_catalog
    host: Host | None = None
    headers: dict[str, str] = field(default_factory=dict, repr=False)
    header_sources: dict[str, str] = field(default_factory=dict)
    error: dict[str, Any] | None = None  # set when the attempt cannot be made at all
    view: ProviderView | None = field(default=None, repr=False)
    api_kind: str = (
        ""  # the configured api (`ollama`, `openai-codex-responses`, …); `api` is the wire dialect
    )
    idle_timeout: float | None = None  # models.providers.<id>.idleTimeoutSeconds (None: the default)
    # what every try of this attempt sends alike (call/wire.py `static`), made on its first try; not copied by
    # dataclasses.replace (a changed attempt makes its own)
    wire: Any = field(default=None, init=False, repr=False, compare=False)

    @property
    def ready(self) -> bool:
        if self.error:
            return False
        if self.credential is None:
            return False
        return self.credential.winner is not None or self.credential.optional

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "ref": self.ref,
            "role": self.role,
            "from": self.ref_from,
            "provider": self.provider,
            "model": self.model,
            "api": self.api,
            **({"api_kind": self.api_kind} if self.api_kind and self.api_kind != self.api else {}),
            "base_url": mask_url(self.base_url) if self.base_url else self.base_url,
            "catalog": self.catalog_status,
        }
        if self.model_info and self.model_info.info.context_window:
            out["context_window"] = self.model_info.info.context_window
        if self.header_sources:
            out["headers"] = self.header_sources
        out["credential"] = self.credential.to_json() if self.credential else {"source": "none"}
        if self.error:
            out["error"] = self.error
        return out


@dataclass
class Plan:
    agent: str
    agent_from: str
    model: ModelChoice
    attempts: list[Attempt]
    route: RouteMatch | None = None  # the models.routes rule that rewrote the requested model, if any

    def to_json(self) -> dict[str, Any]:
        return {
            "agent": self.agent,
            "agent_from": self.agent_from,
            "route": self.route.to_json() if self.route else None,
            "model": {
                "ref": self.model.ref,
                "from": self.model.source,
                "shadows": [{"from": s, "ref": r} for s, r in self.model.shadows],
                **self.model.fallback_json(),
            },
            "attempts": [a.to_json() for a in self.attempts],
        }
