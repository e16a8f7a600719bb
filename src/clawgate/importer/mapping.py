"""Map openclaw.json onto clawgate.json: keep the keys both share, report every key path that did not map."""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from clawgate.catalog.presets import canonical_provider_id
from clawgate.config.schema import Config

ANY = True  # take the value whole (the strict schema checks it)

# The keys clawgate shares with OpenClaw. A dict maps key -> sub-spec ("*" for any key, e.g. provider ids);
# a one-element list is "a list of <spec>".
SHARED: dict[str, Any] = {
    "env": ANY,
    "secrets": {"providers": ANY},
    "auth": {"order": ANY},
    "models": {
        "mode": ANY,
        "providers": {
            "*": {
                "baseUrl": ANY,
                "apiKey": ANY,
                "api": ANY,
                "auth": ANY,
                "headers": ANY,
                "timeoutSeconds": ANY,
                "models": ANY,
            }
        },
    },
    "agents": {
        "defaults": {"model": ANY, "models": ANY, "subagents": ANY},
        "list": [{"id": ANY, "default": ANY, "name": ANY, "model": ANY, "subagents": ANY}],
    },
    "gateway": {"port": ANY, "bind": ANY, "auth": {"mode": ANY, "token": ANY}},
}

# Why well-known OpenClaw sections have no clawgate equivalent (else: "not supported by clawgate").
_REASONS = {
    "channels": "chat channels (Telegram, Discord, WhatsApp, …) are not part of clawgate",
    "tools": "agent tools are not part of clawgate (it serves model calls only)",
    "skills": "skills are not part of clawgate",
    "plugins": "plugins are not part of clawgate",
    "ui": "the control UI settings are not part of clawgate",
    "hooks": "hooks are not part of clawgate",
    "browser": "the browser tool is not part of clawgate",
    "session": "chat sessions are not part of clawgate's config",
    "messages": "message formatting is not part of clawgate",
    "commands": "chat commands are not part of clawgate",
    "cron": "OpenClaw cron jobs have another shape: re-create them under cron.jobs",
    "meta": "OpenClaw bookkeeping (its lastTouchedVersion tells the era: see `era`)",
    "wizard": "OpenClaw onboarding state",
    "update": "OpenClaw's updater settings",
    "logging": "clawgate logs to $CLAWGATE_HOME/logs",
    "auth.profiles": "profile metadata (provider, mode); the profiles themselves are imported from each agent's "
    "store (agents/<id>/agent/openclaw-agent.sqlite, or auth-profiles.json before it)",
    "auth.cooldowns": "clawgate keeps health/cooldown state itself (clawgate health list)",
    "gateway.auth.password": "password auth is not supported: clawgate's gateway uses a token",
    "gateway.mode": "clawgate's gateway always runs locally",
    "$include": "the included file could not be followed (see the reason reported for it)",
    "models.providers.*.agentRuntime": "agent runtimes (Codex app-server, Claude CLI) are not part of clawgate: "
    "it calls the provider's API itself",
    "models.providers.*.request": "transport overrides (proxy mode, private-network access) are not part of "
    "clawgate's provider config: clawgate env set HTTPS_PROXY",
    "models.providers.*.compat": "request-shaping flags for OpenClaw's runner; clawgate's dialect codecs shape "
    "each request for its wire format",
    "models.providers.*.params": "per-provider stream params (thinking, cache retention) are not part of clawgate",
    "models.providers.*.maxTokens": "a provider-wide output default; clawgate sends each request's max_tokens "
    "(per-model maxTokens is kept)",
    "models.providers.*.authHeader": "clawgate sends each dialect's own auth header; put custom auth in headers",
    "models.providers.*.models.contextTokens": "a context cap for OpenClaw's agent loop; clawgate keeps "
    "contextWindow",
    "models.providers.*.models.compat": "request-shaping flags for OpenClaw's runner; clawgate's dialect codecs "
    "shape each request for its wire format",
    "models.providers.*.models.params": "per-model stream params are not part of clawgate",
    "models.catalogRefresh": "clawgate has no hosted catalog to refresh (presets + models.providers)",
    "agents.defaults.modelPolicy": "an allowlist for /model overrides in OpenClaw's chat sessions; clawgate's "
    "agents call the model they are configured with",
    "agents.defaults.utilityModel": "a model for OpenClaw's internal tasks (titles, narration), not part of clawgate",
    "agents.defaults.imageModel": "clawgate serves model calls only; it has no image-model role",
    "agents.defaults.params": "per-agent stream params are not part of clawgate",
}
_BIND_OK = re.compile(r"^(loopback|localhost|lan|all|any|\d{1,3}(\.\d{1,3}){3}|[0-9a-fA-F:]+)$")


@dataclass
class Unmapped:
    path: str
    reason: str

    def to_json(self) -> dict[str, str]:
        return {"path": self.path, "reason": self.reason}


def _fmt(parts: list[Any]) -> str:
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else ("." if out else "") + str(p)
    return out


def _reason(parts: list[Any]) -> str:
    return _specific_reason(parts) or _generic_reason(parts)


def _specific_reason(parts: list[Any]) -> str | None:
    path = _fmt(parts)
    named = [p for p in parts if not isinstance(p, int)]
    keys = [path, _fmt(named)]
    if named[:2] == ["models", "providers"] and len(named) > 2:
        keys.append(_fmt(["models", "providers", "*", *named[3:]]))
    keys.append(str(parts[0]))
    for key in keys:
        if key in _REASONS:
            return _REASONS[key]
    return None


def _generic_reason(parts: list[Any]) -> str:
    if len(parts) >= 2 and parts[0] == "agents":
        return "per-agent runtime settings (workspace, sandbox, tools, identity, …) are not part of clawgate"
    return "not supported by clawgate"


def _pick(value: Any, spec: Any, parts: list[Any], dropped: list[Unmapped]) -> Any:
    if spec is ANY:
        return copy.deepcopy(value)
    if isinstance(spec, list):
        if not isinstance(value, list):
            return copy.deepcopy(value)  # the schema reports the wrong type
        return [_pick(v, spec[0], [*parts, i], dropped) for i, v in enumerate(value)]
    if not isinstance(value, dict):
        return copy.deepcopy(value)
    out: dict[str, Any] = {}
    for key, sub in value.items():
        if key in spec:
            out[key] = _pick(sub, spec[key], [*parts, key], dropped)
        elif "*" in spec:
            out[key] = _pick(sub, spec["*"], [*parts, key], dropped)
        else:
            dropped.append(Unmapped(_fmt([*parts, key]), _reason([*parts, key])))
    return out


def _normalize(cfg: dict[str, Any], notes: list[str], dropped: list[Unmapped]) -> None:
    """OpenClaw spellings clawgate reads differently: provider ids' case, model ids as bare strings, bind modes."""
    providers = (cfg.get("models") or {}).get("providers")
    if isinstance(providers, dict):
        for pid in list(providers):
            low = pid.strip().lower()
            if low != pid and low not in providers:
                providers[low] = providers.pop(pid)
                notes.append(f"models.providers.{pid} renamed to {low} (clawgate provider ids are lowercase)")
        for pid, pc in providers.items():
            models = pc.get("models") if isinstance(pc, dict) else None
            if isinstance(models, list) and any(isinstance(m, str) for m in models):
                pc["models"] = [{"id": m} if isinstance(m, str) else m for m in models]
                notes.append(f"models.providers.{pid}.models: bare model ids written as {{id: …}} objects")
    order = (cfg.get("auth") or {}).get("order")
    if isinstance(order, dict):
        for pid in list(order):
            canon = canonical_provider_id(pid)
            if canon != pid and canon not in order:
                order[canon] = order.pop(pid)
                notes.append(f"auth.order.{pid} renamed to {canon} (clawgate's id for that provider)")
    gw = cfg.get("gateway")
    if isinstance(gw, dict) and isinstance(gw.get("bind"), str) and not _BIND_OK.match(gw["bind"].strip()):
        dropped.append(
            Unmapped(
                "gateway.bind",
                f"bind mode {gw['bind']!r} has no clawgate equivalent (use loopback, lan or an address)",
            )
        )
        del gw["bind"]


def _locate(cfg: Any, loc: tuple[Any, ...], msg: str) -> list[Any]:
    """The deepest existing key path along a pydantic error location (skipping union-branch labels)."""
    cur, parts = cfg, []
    for part in loc:
        in_dict = isinstance(cur, dict) and part in cur
        in_list = isinstance(cur, list) and isinstance(part, int) and 0 <= part < len(cur)
        if in_dict or in_list:
            cur = cur[part]
            parts.append(part)
    if isinstance(cur, dict):  # model validators name the offending key only in their message
        m = re.search(r"__unknown_key__:(\S+)|env\.(\w+) must be|'([^']+)' is not a valid variable name", msg)
        key = next((g for g in (m.groups() if m else ()) if g), None)
        if key and key in cur:
            parts.append(key)
        elif key and isinstance(cur.get("vars"), dict) and key in cur["vars"]:
            parts.extend(["vars", key])
    return parts


def _drop(cfg: Any, parts: list[Any]) -> None:
    cur = cfg
    for p in parts[:-1]:
        cur = cur[p]
    del cur[parts[-1]]


def _clean_msg(msg: str) -> str:
    msg = msg.removeprefix("Value error, ")
    if "__unknown_key__" in msg:
        return "unknown key"
    return msg


def drop_invalid(cfg: dict[str, Any], dropped: list[Unmapped]) -> None:
    """Remove what the strict schema rejects, one deepest offending path at a time, reporting each."""
    for _ in range(500):
        try:
            Config.model_validate(cfg)
            return
        except ValidationError as exc:
            best: tuple[list[Any], str] | None = None
            for err in exc.errors():
                msg = str((err.get("ctx") or {}).get("error") or err["msg"])
                parts = _locate(cfg, tuple(err["loc"]), msg)
                if parts and (best is None or len(parts) > len(best[0])):
                    best = (parts, _clean_msg(msg if err["type"] == "value_error" else err["msg"]))
            if best is None:
                raise
            parts, msg = best
            value = _value_at(cfg, parts)
            _drop(cfg, parts)
            dropped.append(Unmapped(_fmt(parts), _invalid_reason(parts, msg, value)))


def _value_at(cfg: Any, parts: list[Any]) -> Any:
    cur = cfg
    for p in parts:
        cur = cur[p]
    return cur


def _invalid_reason(parts: list[Any], msg: str, value: Any) -> str:
    """Why the schema refused a value, in clawgate's terms where it has them."""
    if parts and parts[-1] == "api" and isinstance(value, str):
        from clawgate.config.schema import API_KINDS

        return f"not valid for clawgate: api {value!r} is not a wire format clawgate speaks ({', '.join(API_KINDS)})"
    if msg == "unknown key":
        specific = _specific_reason(parts)
        if specific:
            return specific
    return f"not valid for clawgate: {msg}"


def map_config(data: dict[str, Any]) -> tuple[dict[str, Any], list[Unmapped], list[str]]:
    """(clawgate config, key paths that did not map with why, notes on what was rewritten)."""
    dropped: list[Unmapped] = []
    notes: list[str] = []
    cfg = _pick(data, SHARED, [], dropped)
    _normalize(cfg, notes, dropped)
    drop_invalid(cfg, dropped)
    _prune_empty(cfg)
    return cfg, dropped, notes


def _prune_empty(cfg: dict[str, Any]) -> None:
    """Drop top-level sections left empty by what did not map (e.g. `auth: {}` once auth.profiles went)."""
    for key in list(cfg):
        if isinstance(cfg[key], dict) and not cfg[key]:
            del cfg[key]
