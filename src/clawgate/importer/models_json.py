"""Find stale keys in OpenClaw's generated per-agent models.json: an apiKey that differs from the config/env one.

clawgate never reads models.json, so such a key is not imported; it is reported (by fingerprint only) because
OpenClaw may send it instead of the key the user configured.
"""

from __future__ import annotations

import re
from typing import Any

from clawgate.config.substitution import env_name_ref, references
from clawgate.redaction import fingerprint, register_secret

_ENV_NAME = re.compile(r"^[A-Z_][A-Z0-9_]*$")
# Non-secret placeholders OpenClaw writes into models.json instead of a key: `secretref-managed` (the key comes
# from a file/exec SecretRef), `secretref-env:NAME`, `<provider>-oauth`, `oauth:<provider>`, `ollama-local`.
_MARKER = re.compile(
    r"^(secretref-managed|secretref-env:[A-Za-z_][A-Za-z0-9_]*|[a-z0-9-]+-oauth|oauth:[a-z0-9-]+|ollama-local)$"
)


def _providers(models: Any) -> dict[str, Any]:
    if not isinstance(models, dict):
        return {}
    provs = models.get("providers")
    if not isinstance(provs, dict) and isinstance(models.get("models"), dict):
        provs = models["models"].get("providers")
    return provs if isinstance(provs, dict) else {}


def _config_refs(view: Any) -> list[str]:
    key = getattr(view, "api_key", None)
    if isinstance(key, str):
        bare = env_name_ref(key)
        return [bare] if bare else references(key)
    if key is not None and getattr(key, "source", None) == "env":
        return [key.id]
    return []


def stale_keys(snap: Any, agent: str, models: Any, shown: str) -> list[dict[str, Any]]:
    """One entry per provider whose models.json apiKey is not the key clawgate resolves from config/env."""
    from clawgate.config.substitution import expand

    out: list[dict[str, Any]] = []
    for raw_pid, entry in _providers(models).items():
        if not isinstance(entry, dict):
            continue
        pid = str(raw_pid)
        view = snap.catalog.get(pid)
        base = entry.get("baseUrl")
        if view is not None and isinstance(base, str) and view.base_url.value:
            exp = expand(view.base_url.value, snap.env)
            if exp.ok and (exp.value or "").rstrip("/") != base.rstrip("/"):
                out.append(
                    _row(
                        "stale",
                        agent,
                        pid,
                        shown,
                        "baseUrl",
                        f"{shown}: models.providers.{pid}.baseUrl is {base}, the config resolves "
                        f"{exp.value} ({view.base_url.source})",
                        None,
                        [],
                    )
                )
        raw = entry.get("apiKey")
        if not isinstance(raw, str) or not raw.strip():
            continue
        marker = None
        stripped = raw.strip()
        value: str | None = stripped
        if _MARKER.match(stripped):
            if stripped.startswith("secretref-env:"):
                stripped = stripped.split(":", 1)[1]  # names a variable, like a bare env name
            else:
                continue  # a placeholder, not a key: nothing to compare
        if stripped.startswith("!"):
            out.append(
                _row(
                    "unchecked",
                    agent,
                    pid,
                    shown,
                    "apiKey",
                    f"{shown}: models.providers.{pid}.apiKey runs a command; it was not run",
                    None,
                    [],
                )
            )
            continue
        refs = references(stripped)
        if refs or _ENV_NAME.match(stripped):
            marker = refs[0] if refs else stripped
            value = snap.env.get(marker)
        else:
            register_secret(raw)
        fp = fingerprint(value) if value else None
        what = f"names {marker}" + (f" ({fp})" if fp else " (not set)") if marker else f"holds a key ({fp})"
        if view is None:
            out.append(
                _row(
                    "orphan",
                    agent,
                    pid,
                    shown,
                    "apiKey",
                    f"{shown}: models.providers.{pid}.apiKey {what} for a provider clawgate does not know "
                    "(no preset, not in models.providers); it is not imported",
                    fp,
                    [],
                )
            )
            continue
        cred = snap.credentials(view, agent)
        sources = [c for c in cred.candidates if c.source.startswith(("config:", "env:")) and c.fingerprint]
        cfg_refs = _config_refs(view)
        if fp and any(c.fingerprint == fp for c in sources):
            continue  # the same key as the config/env one, whatever name it is reached by
        if marker and cfg_refs and marker not in cfg_refs:
            out.append(
                _row(
                    "stale",
                    agent,
                    pid,
                    shown,
                    "apiKey",
                    f"{shown}: models.providers.{pid}.apiKey {what}, but the config uses "
                    f"${{{cfg_refs[0]}}}: OpenClaw's generated catalog is stale",
                    fp,
                    [_brief(c) for c in sources],
                    _fix(shown, pid),
                )
            )
            continue
        if sources:
            first = sources[0]
            out.append(
                _row(
                    "stale",
                    agent,
                    pid,
                    shown,
                    "apiKey",
                    f"{shown}: models.providers.{pid}.apiKey {what}, which differs from {first.source} "
                    f"({first.fingerprint}); OpenClaw may send it instead — clawgate uses {first.source}",
                    fp,
                    [_brief(c) for c in sources],
                    _fix(shown, pid),
                )
            )
        elif fp:
            out.append(
                _row(
                    "orphan",
                    agent,
                    pid,
                    shown,
                    "apiKey",
                    f"{shown}: models.providers.{pid}.apiKey {what} is the only key for {pid}; clawgate does "
                    "not read models.json",
                    fp,
                    [],
                    [f"clawgate auth add {view.id} --agent {agent}   # if that key is the right one"],
                )
            )
    return out


def _brief(c: Any) -> dict[str, Any]:
    return {"source": c.source, "origin": c.origin, "fingerprint": c.fingerprint}


def _fix(shown: str, pid: str) -> list[str]:
    return [
        f"remove models.providers.{pid}.apiKey from {shown} (OpenClaw regenerates the file from openclaw.json)"
    ]


def _row(
    kind: str,
    agent: str,
    pid: str,
    shown: str,
    fld: str,
    message: str,
    fp: str | None,
    compared: list[dict[str, Any]],
    nxt: list[str] | None = None,
) -> dict[str, Any]:
    return {
        "kind": kind,
        "agent": agent,
        "provider": pid,
        "file": shown,
        "field": fld,
        "fingerprint": fp,
        "config": compared,
        "message": message,
        "next": nxt or [],
    }
