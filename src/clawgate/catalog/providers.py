"""The provider catalog: built-in presets merged with `models.providers`, every field with its source."""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field

from clawgate.catalog.presets import (
    PRESETS,
    PRESETS_BY_ID,
    ModelInfo,
    Preset,
    canonical_provider_id,
    key_variables,
)
from clawgate.catalog.prices import Price
from clawgate.config.schema import (
    Config,
    CredentialTuning,
    OAuthEndpoints,
    ProviderConfig,
    RateLimits,
    SecretInput,
)
from clawgate.provenance import Valued


@dataclass
class CatalogModel:
    info: ModelInfo
    source: str  # "preset:<id>" | "config:models.providers.<id>.models[i]"
    price: Price | None = None  # models[].cost (catalog/prices.py); None: no price known


@dataclass
class ProviderView:
    """One provider as clawgate will use it."""

    id: str
    preset: Preset | None
    configured: bool
    api: Valued[str]
    base_url: Valued[str]  # raw; may contain ${VAR} (expanded by the resolver)
    timeout: Valued[float]
    idle_timeout: Valued[float | None]
    headers: dict[str, Valued[SecretInput]]
    api_key: SecretInput | None
    models: dict[str, CatalogModel] = field(default_factory=dict)
    accepts_any_model: bool = False
    has_models_endpoint: bool | None = None
    auth_optional: bool = False
    auth_mode: str | None = None
    oauth: OAuthEndpoints | None = None  # `models.providers.<id>.oauth` (None: the provider's own endpoints)
    drop_unsupported: bool | list[str] | None = None  # models.providers.<id>.dropUnsupported
    structured_output: str | None = None  # models.providers.<id>.structuredOutput
    families: tuple[str, ...] = ()  # the preset's first-party model families (globs)
    embeddings: bool | None = None
    balance: str = "order"  # models.providers.<id>.balance: how several credentials share the load
    limits: RateLimits | None = None  # models.providers.<id>.limits: RPM/TPM of each credential
    credential_tuning: dict[str, CredentialTuning] = field(default_factory=dict)  # .credentials

    def tuning(self, source: str, profile_id: str | None) -> CredentialTuning | None:
        """A credential's own settings, by its source (`env:OPENAI_API_KEY`) or its profile id."""
        t = self.credential_tuning
        if not t:
            return None
        return t.get(source) or (t.get(profile_id) if profile_id else None)

    @property
    def env_vars(self) -> tuple[str, ...]:
        return key_variables(self.id, self.preset)

    @property
    def name(self) -> str:
        return self.preset.name if self.preset else self.id


class Catalog:
    def __init__(self, providers: dict[str, ProviderView], mode: str) -> None:
        self.providers = providers
        self.mode = mode

    def get(self, provider_id: str) -> ProviderView | None:
        return self.providers.get(canonical_provider_id(provider_id))

    def find_model(self, model_id: str) -> list[tuple[ProviderView, CatalogModel]]:
        return [(p, p.models[model_id]) for p in self.providers.values() if model_id in p.models]

    def find_family(self, model_id: str) -> list[tuple[ProviderView, str]]:
        """First-party providers whose model family (a glob such as `claude-*`) takes this bare id."""
        out = []
        for p in self.providers.values():
            pattern = next((f for f in p.families if fnmatch.fnmatchcase(model_id, f)), None)
            if pattern is not None:
                out.append((p, pattern))
        return out


def build_catalog(config: Config) -> Catalog:
    mode = config.models.mode
    cfg_providers = {canonical_provider_id(k): (k, v) for k, v in config.models.providers.items()}
    out: dict[str, ProviderView] = {}
    ids: list[str] = []
    if mode == "merge":
        ids.extend(p.id for p in PRESETS)
    ids.extend(pid for pid in cfg_providers if pid not in ids)
    for pid in ids:
        preset = PRESETS_BY_ID.get(pid)
        raw_key, pc = cfg_providers.get(pid, (pid, None))
        out[pid] = _view(pid, raw_key, preset, pc, mode)
    return Catalog(out, mode)


def _view(
    pid: str, raw_key: str, preset: Preset | None, pc: ProviderConfig | None, mode: str
) -> ProviderView:
    base = f"config:models.providers.{raw_key}"

    def pick(cfg_val: object, cfg_name: str, preset_val: object, default: object) -> Valued:
        if cfg_val is not None:
            shadows = ((f"preset:{pid}", preset_val),) if preset is not None and preset_val != cfg_val else ()
            return Valued(cfg_val, f"{base}.{cfg_name}", shadows)
        if preset is not None:
            return Valued(preset_val, f"preset:{pid}")
        return Valued(default, "default")

    api = pick(pc.api if pc else None, "api", preset.api if preset else None, "openai-completions")
    base_url = pick(pc.base_url if pc else None, "baseUrl", preset.base_url if preset else None, "")
    timeout = pick(
        pc.timeout_seconds if pc else None,
        "timeoutSeconds",
        preset.timeout_seconds if preset else None,
        600.0,
    )
    idle_timeout = pick(pc.idle_timeout_seconds if pc else None, "idleTimeoutSeconds", None, None)
    headers: dict[str, Valued[SecretInput]] = {}
    if preset:
        for k, v in preset.headers:
            headers[k.lower()] = Valued(v, f"preset:{pid}")
    if pc:
        for name, value in pc.headers.items():
            prev = headers.get(name.lower())
            headers[name.lower()] = Valued(
                value, f"{base}.headers.{name}", ((prev.source, prev.value),) if prev else ()
            )
    models: dict[str, CatalogModel] = {}
    if preset and not (mode == "replace" and pc and pc.models is not None):
        for m in preset.models:
            models[m.id] = CatalogModel(m, f"preset:{pid}")
    if pc and pc.models:
        for i, m_ in enumerate(pc.models):
            info = ModelInfo(
                id=m_.id,
                name=m_.name,
                context_window=m_.context_window,
                max_tokens=m_.max_tokens,
                input=tuple(m_.input or ("text",)),
                api=m_.api,
                reasoning=m_.reasoning,
            )
            price = Price.from_config(m_.cost) if m_.cost is not None else None
            models[m_.id] = CatalogModel(info, f"{base}.models[{i}]", price)
    auth_mode = pc.auth if pc else None
    return ProviderView(
        id=pid,
        preset=preset,
        configured=pc is not None,
        api=api,
        base_url=base_url,
        timeout=timeout,
        idle_timeout=idle_timeout,
        headers=headers,
        api_key=pc.api_key if pc else None,
        models=models,
        accepts_any_model=bool(preset and preset.accepts_any_model),
        has_models_endpoint=preset.has_models_endpoint if preset else None,
        auth_optional=bool(preset and preset.auth_optional) or auth_mode == "none",
        auth_mode=auth_mode,
        oauth=pc.oauth if pc else None,
        drop_unsupported=pc.drop_unsupported if pc else None,
        structured_output=pc.structured_output if pc else None,
        families=preset.families if preset else (),
        embeddings=preset.embeddings if preset else None,
        balance=(pc.balance if pc and pc.balance else "order"),
        limits=pc.limits if pc else None,
        credential_tuning=dict(pc.credentials) if pc else {},
    )
