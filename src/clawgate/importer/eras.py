"""What changed between OpenClaw's eras, applied to its config before mapping:

- `agents.entries` (a map keyed by agent id, from 2026-07) replaced `agents.list`; `default` was retired.
- Since 2026-04-28 an agent's own model is strict: a string (or `{primary}` without `fallbacks`) gets no default
  fallbacks. Before, it used `agents.defaults.model.fallbacks`, which is what clawgate does with a string, so
  strict models are written as `{primary, fallbacks: []}`.
- ChatGPT/Codex subscriptions moved from provider `openai-codex` to `openai` (OpenClaw's runtime picks the
  Codex backend from the credential). clawgate keeps the ChatGPT backend a provider of its own: `openai` OAuth
  profiles and, when OpenAI has no API key, `openai/…` model refs become `openai-codex`.

The era comes from `meta.lastTouchedVersion` (OpenClaw versions are dates: 2026.4.14), else from what only a
newer OpenClaw writes (`agents.entries`, the SQLite store)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

STRICT_SINCE = (2026, 4, 28)
_VERSION = re.compile(r"^v?(\d{4})\.(\d{1,2})\.(\d{1,2})")
CODEX_KINDS = ("openai-codex-responses", "openai-chatgpt-responses")


@dataclass
class Era:
    version: str | None
    strict_agent_models: bool
    why: str


def detect(config: Mapping[str, Any], has_sqlite: bool) -> Era:
    meta = config.get("meta") if isinstance(config.get("meta"), dict) else {}
    raw = meta.get("lastTouchedVersion") if isinstance(meta, dict) else None
    m = _VERSION.match(raw) if isinstance(raw, str) else None
    if m:
        date = tuple(int(x) for x in m.groups())
        strict = date >= STRICT_SINCE
        return Era(str(raw), strict, f"OpenClaw {raw} (meta.lastTouchedVersion)")
    agents = config.get("agents") if isinstance(config.get("agents"), dict) else {}
    if isinstance(agents, dict) and isinstance(agents.get("entries"), dict):
        return Era(None, True, "agents.entries (written by OpenClaw 2026-07 or later)")
    if has_sqlite:
        return Era(None, True, "the SQLite auth store (OpenClaw 2026-06 or later)")
    return Era(
        None,
        False,
        "no meta.lastTouchedVersion and nothing only a newer OpenClaw writes: read as before 2026-04-28 "
        "(an agent's own model used the default fallbacks)",
    )


def entries_to_list(config: dict[str, Any], notes: list[str]) -> None:
    """`agents.entries` -> `agents.list` (clawgate's shape), with one default agent."""
    agents = config.get("agents")
    if not isinstance(agents, dict) or not isinstance(agents.get("entries"), dict):
        return
    entries: dict[str, Any] = agents.pop("entries")
    if "list" in agents:
        notes.append(
            "agents.list was replaced by agents.entries in this OpenClaw; agents.entries was imported"
        )
        agents.pop("list")
    out = []
    for aid, entry in entries.items():
        item = {"id": aid, **(entry if isinstance(entry, dict) else {})}
        item.pop("default", None)
        out.append(item)
    if out:
        main = next((i for i, e in enumerate(out) if str(e["id"]).lower() == "main"), 0)
        out[main]["default"] = True
        notes.append(
            f"agents.entries ({len(out)} agents) written as agents.list; {out[main]['id']} is the default agent "
            "(OpenClaw retired `default`; clawgate needs one for calls that name no agent)"
        )
    agents["list"] = out


def strict_models(config: dict[str, Any], era: Era, notes: list[str], from_entries: bool = False) -> None:
    """Give each agent's own model the era's fallback semantics."""
    agents = config.get("agents")
    items = agents.get("list") if isinstance(agents, dict) else None
    if not isinstance(items, list):
        return
    for i, entry in enumerate(items):
        if not isinstance(entry, dict) or "model" not in entry:
            continue
        model = entry["model"]
        who = f"agents.entries.{entry.get('id')}" if from_entries else f"agents.list[{i}] ({entry.get('id')})"
        if not era.strict_agent_models:
            continue
        if isinstance(model, str):
            entry["model"] = {"primary": model, "fallbacks": []}
        elif isinstance(model, dict) and "fallbacks" not in model:
            entry["model"] = {**model, "fallbacks": []}
        else:
            continue
        notes.append(
            f"{who}: its model is strict in {era.why} (no default fallbacks): written as "
            "{primary, fallbacks: []}"
        )


def _openai_key_present(config: Mapping[str, Any], stores: Any, env_names: set[str]) -> bool:
    prov = ((config.get("models") or {}).get("providers") or {}).get("openai") or {}
    if isinstance(prov, dict) and prov.get("apiKey"):
        return True
    if "OPENAI_API_KEY" in env_names:
        return True
    return any(
        isinstance(p, dict) and p.get("provider") == "openai" and p.get("type") in ("api_key", "token")
        for s in stores
        for p in s.profiles.values()
    )


def codex_provider(config: dict[str, Any], stores: Any, env_names: set[str], notes: list[str]) -> None:
    """ChatGPT/Codex subscriptions onto clawgate's `openai-codex` provider (see the module docstring)."""
    prov = ((config.get("models") or {}).get("providers") or {}).get("openai")
    if isinstance(prov, dict) and prov.get("api") in CODEX_KINDS:
        return  # this OpenAI provider is itself configured on the ChatGPT backend: keep it as written
    moved = 0
    for s in stores:
        for pid, p in s.profiles.items():
            if isinstance(p, dict) and p.get("provider") == "openai" and p.get("type") == "oauth":
                p["provider"] = "openai-codex"
                moved += 1
                notes.append(
                    f"agent {s.id}: OAuth profile {pid} (ChatGPT sign-in) moved to provider openai-codex, "
                    "clawgate's ChatGPT backend"
                )
    codex_oauth = any(
        isinstance(p, dict) and p.get("provider") == "openai-codex" and p.get("type") == "oauth"
        for s in stores
        for p in s.profiles.values()
    )
    rewrite_openai = codex_oauth and not _openai_key_present(config, stores, env_names)

    def fix(ref: Any, where: str) -> Any:
        if not isinstance(ref, str):
            return ref
        head, _, tail = ref.partition("/")
        new = None
        if (head in ("codex", "codex-cli") and tail) or (head == "openai" and tail and rewrite_openai):
            new = f"openai-codex/{tail}"
        if new is None:
            return ref
        notes.append(f"{where}: {ref} -> {new} (served by the ChatGPT subscription)")
        return new

    agents: dict[str, Any] = config["agents"] if isinstance(config.get("agents"), dict) else {}
    defaults: dict[str, Any] = agents["defaults"] if isinstance(agents.get("defaults"), dict) else {}
    _fix_spec(defaults, "model", "agents.defaults.model", fix)
    subs = defaults.get("subagents") if isinstance(defaults.get("subagents"), dict) else None
    if subs:
        _fix_spec(subs, "model", "agents.defaults.subagents.model", fix)
    models = defaults.get("models")
    if isinstance(models, dict):
        for key in list(models):
            new = fix(key, f"agents.defaults.models.{key}")
            if new != key:
                models[new] = models.pop(key)
    for i, entry in enumerate(agents.get("list") or []):
        if isinstance(entry, dict):
            _fix_spec(entry, "model", f"agents.list[{i}].model", fix)


def _fix_spec(holder: dict[str, Any], key: str, where: str, fix: Any) -> None:
    spec = holder.get(key)
    if isinstance(spec, str):
        holder[key] = fix(spec, where)
    elif isinstance(spec, dict):
        if "primary" in spec:
            spec["primary"] = fix(spec["primary"], f"{where}.primary")
        if isinstance(spec.get("fallbacks"), list):
            spec["fallbacks"] = [fix(r, f"{where}.fallbacks[{i}]") for i, r in enumerate(spec["fallbacks"])]
