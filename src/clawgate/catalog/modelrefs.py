"""Model references: `provider/model[@profile]` split on the first `/`, aliases, bare ids via the catalog."""

from __future__ import annotations

from dataclasses import dataclass

from clawgate.catalog.presets import canonical_provider_id
from clawgate.catalog.providers import Catalog
from clawgate.errors import ClawgateError


class ModelRefError(ClawgateError):
    owner = "request"
    code = "model.unknown"


@dataclass(frozen=True)
class ModelRef:
    provider: str
    model: str
    raw: str
    profile: str | None = None
    via_alias: str | None = None
    normalized_from: str | None = None
    via_family: str | None = None  # the first-party family glob that took a bare id (`claude-*`)

    @property
    def ref(self) -> str:
        return f"{self.provider}/{self.model}"


def split_profile(raw: str) -> tuple[str, str | None]:
    """`openrouter/auto@openrouter:work` -> (`openrouter/auto`, `openrouter:work`)."""
    if "@" in raw:
        base, _, prof = raw.rpartition("@")
        if base and ":" in prof:
            return base, prof
    return raw, None


def parse_ref(raw: str, catalog: Catalog, aliases: dict[str, str] | None = None) -> ModelRef:
    text = raw.strip()
    if not text:
        raise ModelRefError("empty model reference", next_steps=["clawgate models list"])
    text, profile = split_profile(text)
    via_alias = None
    if aliases:
        lowered = {k.lower(): v for k, v in aliases.items()}
        if text.lower() in lowered:
            via_alias = text
            text = lowered[text.lower()]
    if "/" in text:
        prov_raw, _, model = text.partition("/")
        provider = canonical_provider_id(prov_raw)
        if not model:
            raise ModelRefError(
                f"model reference {raw!r} has no model after '{prov_raw}/'",
                next_steps=[f"clawgate models list --provider {provider}"],
            )
        view = catalog.get(provider)
        normalized_from = None
        preset = view.preset if view is not None else None
        if preset is not None and preset.model_normalizer == "openrouter" and "/" not in model:
            normalized_from = model
            model = f"openrouter/{model}"
        return ModelRef(provider, model, raw, profile, via_alias, normalized_from)
    matches = catalog.find_model(text)
    if len(matches) == 1:
        return ModelRef(matches[0][0].id, text, raw, profile, via_alias)
    if len(matches) > 1:  # listed by several: the provider whose first-party family it is, if one is
        owners = {v.id for v, _ in catalog.find_family(text)}
        owned = [v for v, _ in matches if v.id in owners]
        if len(owned) == 1:
            return ModelRef(owned[0].id, text, raw, profile, via_alias)
    if len(matches) > 1:
        opts = ", ".join(f"{p.id}/{text}" for p, _ in matches)
        raise ModelRefError(
            f"model {text!r} is offered by several providers; write it as provider/model ({opts})",
            next_steps=["clawgate models list"],
        )
    families = catalog.find_family(text)
    if len(families) == 1:
        view, pattern = families[0]
        return ModelRef(view.id, text, raw, profile, via_alias, via_family=pattern)
    known = [f"{p.id}/{m}" for p in catalog.providers.values() for m in p.models] + list(aliases or {})
    import difflib  # only for this error's hint

    guess = difflib.get_close_matches(text, known, n=1, cutoff=0.5)
    hint = f" (did you mean {guess[0]!r}?)" if guess else ""
    raise ModelRefError(
        f"model {text!r} has no provider prefix and is not an alias or a catalog model{hint}",
        next_steps=[
            "write it as provider/model, e.g. openrouter/moonshotai/kimi-k2.5",
            "clawgate models list",
        ],
    )
