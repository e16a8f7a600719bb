"""The credential flows behind `clawgate auth login|paste-token|setup-token|order|logout` and OpenClaw's
`models auth …` spellings of them: one function per flow, with no click in it."""

from __future__ import annotations

import sys
import time
from typing import Any

from clawgate.cli.context import CliState
from clawgate.errors import NotFoundError, UsageError
from clawgate.redaction import fingerprint, register_secret

# OpenClaw's canonical `openai` OAuth login is the ChatGPT/Codex subscription: clawgate's `openai-codex`.
LOGIN_ALIASES = {"openai": "openai-codex"}
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400, "y": 365 * 86400}


def parse_duration_ms(text: str) -> int:
    """`365d`, `12h`, `30m`, `90s` (or plain seconds) -> milliseconds."""
    raw = text.strip().lower()
    unit = raw[-1:] if raw[-1:] in _UNITS else "s"
    number = raw[:-1] if raw[-1:] in _UNITS else raw
    try:
        value = float(number)
    except ValueError:
        raise UsageError(
            f"cannot read duration {text!r}", next_steps=["use a number with s, m, h, d, w or y, e.g. 365d"]
        ) from None
    if value <= 0:
        raise UsageError(f"duration {text!r} must be positive")
    return int(value * _UNITS[unit] * 1000)


def read_secret(what: str) -> str:
    import click

    if sys.stdin is not None and sys.stdin.isatty():
        value = click.prompt(f"{what} (input hidden)", hide_input=True, prompt_suffix=": ")
    else:
        value = sys.stdin.read() if sys.stdin is not None else ""
        value = value.rstrip("\r\n")
    register_secret(value)
    return value


def read_line() -> str | None:
    if sys.stdin is None:
        return None
    try:
        return sys.stdin.readline()
    except (OSError, ValueError):
        return None


def _provider(st: CliState, raw: str) -> Any:
    snap = st.snapshot()
    view = snap.catalog.get(LOGIN_ALIASES.get(raw.strip().lower(), raw))
    if view is None:
        raise NotFoundError(
            f"unknown provider {raw!r} (known: {', '.join(sorted(snap.catalog.providers))})",
            next_steps=["clawgate models list --all"],
        )
    return snap, view


def login(
    st: CliState,
    provider: str,
    *,
    agent: str | None,
    profile: str | None,
    method: str | None,
    open_browser: bool,
    set_default: bool,
    force: bool,
    say: Any,
) -> dict[str, Any]:
    """Sign in to PROVIDER and store the OAuth profile; what was stored (no secret)."""
    from clawgate.auth.oauth import spec_for
    from clawgate.auth.oauth.login import login_device, login_pkce
    from clawgate.auth.profiles import delete_profile, put_profile

    snap, view = _provider(st, provider)
    spec = spec_for(view.id, view.oauth)
    if spec is None:
        raise UsageError(
            f"{view.id} has no sign-in (OAuth); it takes an API key",
            next_steps=[f"clawgate auth add {view.id}", f"clawgate auth paste-token {view.id}   # a token"],
        )
    flow = {
        "device-code": "device",
        "device": "device",
        "pkce": "pkce",
        "oauth": spec.flow,
        None: spec.flow,
    }.get(method, method)
    if flow not in ("pkce", "device"):
        raise UsageError(
            f"method {method!r} is not offered by {view.id} (it offers: {spec.flow})",
            next_steps=[f"clawgate auth login {view.id}"],
        )
    if flow != spec.flow:
        raise UsageError(
            f"{view.id} signs in with {'a device code' if spec.flow == 'device' else 'a browser (PKCE)'}, "
            f"not {'a device code' if flow == 'device' else 'a browser'}",
            next_steps=[f"clawgate auth login {view.id}"],
        )
    aid = snap.agent(agent).id
    pid = profile or f"{view.id}:default"
    if flow == "device":
        fields = login_device(spec, say=say)
    else:
        fields = login_pkce(spec, say=say, read_paste=read_line, open_browser=open_browser)
    removed: list[str] = []
    if force:
        for old in snap.store(aid).for_provider(view.id):
            if old.id != pid:
                delete_profile(st.paths, aid, old.id)
                removed.append(old.id)
    entry = {"type": "oauth", "provider": view.id, **fields}
    replaced = put_profile(st.paths, aid, pid, entry)
    out: dict[str, Any] = {
        "ok": True,
        "agent": aid,
        "profile": pid,
        "provider": view.id,
        "type": "oauth",
        "fingerprint": fingerprint(fields["access"]) if fields.get("access") else None,
        "expires": fields.get("expires"),
        "account": fields.get("accountId"),
        "plan": fields.get("chatgptPlanType"),
        "replaced": replaced,
        "removed": removed,
        "file": str(st.paths.profiles_file(aid)),
    }
    if set_default:
        out["default_model"] = set_default_model(st, view)
    return out


def set_default_model(st: CliState, view: Any) -> str:

    model = next(iter(view.models), None)
    if model is None:
        raise UsageError(
            f"{view.id} lists no model to make the default", next_steps=["clawgate models set REF"]
        )
    ref = f"{view.id}/{model}"
    set_primary(st, ref)
    return ref


def set_primary(st: CliState, ref: str) -> None:
    """`agents.defaults.model.primary = ref`, keeping configured fallbacks."""
    from clawgate.config.edit import modify_config

    def mutate(d: dict[str, Any]) -> None:
        defaults = d.setdefault("agents", {}).setdefault("defaults", {})
        cur = defaults.get("model")
        if isinstance(cur, dict):
            cur["primary"] = ref
        else:
            defaults["model"] = {"primary": ref}

    modify_config(st.paths, mutate)


def paste_token(
    st: CliState,
    provider: str,
    *,
    agent: str | None,
    profile: str | None,
    expires_in: str | None,
    ptype: str = "token",
    default_suffix: str = "manual",
    prompt: str | None = None,
) -> dict[str, Any]:
    """Store a token (or API key) read from a hidden prompt or stdin."""
    from clawgate.auth.keycheck import check_key
    from clawgate.auth.profiles import save_profile

    snap, view = _provider(st, provider)
    aid = snap.agent(agent).id
    pid = profile or f"{view.id}:{default_suffix}"
    raw = read_secret(prompt or f"{view.id} {'token' if ptype == 'token' else 'key'}")
    checked = check_key(raw, view.id, view.preset)
    fatal = [i for i in checked.issues if i.fatal]
    if fatal or checked.value is None:
        raise UsageError(
            f"refusing to store this {'token' if ptype == 'token' else 'key'} for {view.id}: "
            + "; ".join(i.reason for i in fatal or checked.issues),
            next_steps=["copy it again (no quotes, no 'Bearer ')"],
        )
    expires = int(time.time() * 1000) + parse_duration_ms(expires_in) if expires_in else None
    replaced = save_profile(st.paths, aid, pid, view.id, ptype, checked.value, expires=expires)
    return {
        "ok": True,
        "agent": aid,
        "profile": pid,
        "provider": view.id,
        "type": ptype,
        "fingerprint": fingerprint(checked.value),
        "expires": expires,
        "replaced": replaced,
        "warnings": [i.reason for i in checked.issues],
        "file": str(st.paths.profiles_file(aid)),
    }


def order(
    st: CliState, action: str, provider: str, agent: str | None, ids: tuple[str, ...]
) -> dict[str, Any]:
    """Get, set or clear the agent store's profile order for one provider (`order` in auth-profiles.json)."""
    import json

    from clawgate.atomicfile import atomic_write, locked
    from clawgate.auth.profiles import read_raw

    snap, view = _provider(st, provider)
    aid = snap.agent(agent).id
    path = st.paths.profiles_file(aid)
    if action == "get":
        store = snap.store(aid)
        return {
            "agent": aid,
            "provider": view.id,
            "order": store.order.get(view.id, []),
            "config_order": snap.config.auth.order.get(view.id, []),
            "effective": [p.id for p in store.for_provider(view.id, snap.config.auth.order.get(view.id))],
        }
    known = set(snap.store(aid).profiles)
    unknown = [i for i in ids if i not in known]
    if unknown:
        raise NotFoundError(
            f"agent {aid!r} has no profile {unknown[0]!r} (profiles: {', '.join(sorted(known)) or 'none'})",
            next_steps=[f"clawgate auth list --agent {aid}"],
        )
    st.paths.ensure_home()
    with locked(path):
        data = read_raw(path)
        orders = data.setdefault("order", {})
        if action == "set":
            orders[view.id] = list(ids)
        else:
            orders.pop(view.id, None)
            if not orders:
                data.pop("order", None)
        atomic_write(path, json.dumps(data, indent=2) + "\n")
    return {"ok": True, "agent": aid, "provider": view.id, "order": list(ids) if action == "set" else []}


def logout(st: CliState, profile: str, agent: str | None) -> dict[str, Any]:
    """Remove a profile, and its mentions in `auth.order` of the config."""
    from clawgate.auth.profiles import delete_profile
    from clawgate.config.edit import modify_config

    snap = st.snapshot()
    aid = snap.agent(agent).id
    delete_profile(st.paths, aid, profile)
    pruned: list[str] = []
    if any(profile in ids for ids in snap.config.auth.order.values()):

        def mutate(d: dict[str, Any]) -> None:
            orders = (d.get("auth") or {}).get("order") or {}
            for prov in list(orders):
                if isinstance(orders[prov], list) and profile in orders[prov]:
                    orders[prov] = [i for i in orders[prov] if i != profile]
                    pruned.append(f"auth.order.{prov}")
                    if not orders[prov]:
                        del orders[prov]

        modify_config(st.paths, mutate)
    return {"ok": True, "agent": aid, "removed": profile, "config_pruned": pruned}
