"""Per-agent auth profiles (`agents/<id>/auth-profiles.json`, OpenClaw's format), validated strictly.

A malformed profile is never skipped silently: it stays in the store as an invalid entry with the file,
profile and field named, so resolution and `doctor` can show it.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from clawgate.atomicfile import atomic_write, locked, read_text_if_exists
from clawgate.catalog.presets import canonical_provider_id
from clawgate.config.schema import SecretRef
from clawgate.errors import Location, NotFoundError, ProfileError, UsageError
from clawgate.paths import Paths, display_path

PROFILE_TYPES = ("api_key", "token", "oauth")
_COMMON = {
    "type",
    "provider",
    "email",
    "accountId",
    "label",
    "displayName",
    "copyToAgents",
    "createdAt",
    "updatedAt",
    "metadata",
}
_BY_TYPE = {
    "api_key": {"key", "keyRef"},
    "token": {"token", "tokenRef", "expires"},
    "oauth": {
        "access",
        "refresh",
        "expires",
        "idToken",
        "projectId",
        "enterpriseUrl",
        "clientId",
        "chatgptPlanType",
        "subscriptionType",
        "rateLimitTier",
        "oauthRef",
    },
}
# Fields of today's OpenClaw schema that clawgate keeps in the file but does not act on (the importer notes
# them). `copyToAgents` only steers OpenClaw's explicit copy flows; clawgate's read-through inheritance is
# the same either way.
IGNORED_FIELDS = {
    "copyToAgents": "only steers OpenClaw's `agents add` copy flow; clawgate inherits read-through either way",
    "subscriptionType": "informational (the provider's plan name)",
    "rateLimitTier": "informational (the provider's rate-limit tier)",
    "oauthRef": "a legacy pointer to an external CLI's token store; clawgate refreshes with `refresh`",
    "projectId": "used only by Google Cloud OAuth providers, which clawgate does not serve",
}
_WRONG_NAMES = {
    "apiKey": "key",
    "api_key": "key",
    "apikey": "key",
    "secret": "key",
    "value": "key",
    "mode": "type",
    "kind": "type",
    "accessToken": "access",
    "access_token": "access",
    "refreshToken": "refresh",
    "refresh_token": "refresh",
    "expiresAt": "expires",
    "expires_at": "expires",
}
_TOP_LEVEL = {"version", "profiles", "order", "lastGood", "usageStats"}


@dataclass
class Profile:
    """One stored credential. The secret is kept off repr and JSON output."""

    id: str
    type: str
    provider: str
    secret: str | None = field(default=None, repr=False)
    secret_ref: SecretRef | None = None
    refresh_present: bool = False
    expires: int | None = None  # epoch milliseconds
    email: str | None = None
    error: str | None = None  # set when the profile is malformed
    error_field: str | None = None
    account_id: str | None = None  # OAuth: ChatGPT account id (sent as chatgpt-account-id)
    display_name: str | None = None
    plan_type: str | None = None  # OAuth: chatgptPlanType / subscriptionType
    client_id: str | None = None  # OAuth: the client the refresh token was issued to
    enterprise_url: str | None = None  # GitHub Copilot Enterprise domain
    extra_fields: tuple[str, ...] = ()  # fields kept but not acted on (IGNORED_FIELDS)

    @property
    def valid(self) -> bool:
        return self.error is None


@dataclass
class ProfileStore:
    agent: str
    path: Path
    exists: bool = False
    profiles: dict[str, Profile] = field(default_factory=dict)
    order: dict[str, list[str]] = field(default_factory=dict)
    file_error: ProfileError | None = None
    problems: list[ProfileError] = field(default_factory=list)

    @property
    def display(self) -> str:
        return display_path(self.path)

    def for_provider(self, provider: str, config_order: list[str] | None = None) -> list[Profile]:
        """This agent's profiles for `provider`, in `auth.order` (config, then store), then by id."""
        return [p for p, _ in self.ranked(provider, config_order)]

    def ranked(
        self, provider: str, config_order: list[str] | None = None
    ) -> list[tuple[Profile, str | None]]:
        """`for_provider`, each with what put it there: `auth.order.<provider>` (the config's order), the
        stored order (`clawgate auth order set`, in this store's file), or None (`:default` first, then by id)."""
        mine = {pid: p for pid, p in self.profiles.items() if p.provider == provider}
        ordered: list[tuple[Profile, str | None]] = []
        seen: set[str] = set()
        for source, ids in (
            (f"auth.order.{provider}", config_order or []),
            (f"stored order ({self.display})", self.order.get(provider, [])),
        ):
            for pid in ids:
                if pid in mine and pid not in seen:
                    seen.add(pid)
                    ordered.append((mine[pid], source))
        rest = sorted(
            (p for p in mine.values() if p.id not in seen),
            key=lambda p: (not p.id.endswith(":default"), p.id),
        )
        return ordered + [(p, None) for p in rest]


def load_store(paths: Paths, agent: str) -> ProfileStore:
    path = paths.profiles_file(agent)
    store = ProfileStore(agent=agent, path=path)
    text = read_text_if_exists(path)
    if text is None:
        return store
    store.exists = True
    shown = display_path(path)
    try:
        data = json.loads(text) if text.strip() else {}
    except json.JSONDecodeError as exc:
        store.file_error = ProfileError(
            f"auth profile store is not valid JSON: {exc.msg}",
            location=Location(file=shown, line=exc.lineno, column=exc.colno),
            next_steps=[f"fix {shown} or remove it and run: clawgate auth add PROVIDER --agent {agent}"],
        )
        return store
    if not isinstance(data, dict):
        store.file_error = ProfileError(
            "auth profile store must be a JSON object", location=Location(file=shown), next_steps=[]
        )
        return store
    for key in data:
        if key not in _TOP_LEVEL:
            store.problems.append(
                ProfileError(
                    f"unknown top-level key {key!r} (allowed: {', '.join(sorted(_TOP_LEVEL))})",
                    location=Location(file=shown, key=key),
                    next_steps=[f"remove {key!r} from {shown}"],
                )
            )
    version = data.get("version", 1)
    if version != 1:
        store.problems.append(
            ProfileError(
                f"unsupported version {version!r} (expected 1)", location=Location(file=shown, key="version")
            )
        )
    profiles = data.get("profiles") or {}
    if not isinstance(profiles, dict):
        store.file_error = ProfileError(
            "'profiles' must be an object of profile-id -> profile",
            location=Location(file=shown, key="profiles"),
        )
        return store
    for pid, raw in profiles.items():
        prof = _parse_profile(pid, raw, shown, agent)
        store.profiles[pid] = prof
        if prof.error:
            store.problems.append(
                ProfileError(
                    f"profile {pid!r}: {prof.error}",
                    location=Location(
                        file=shown,
                        key=f"profiles.{pid}" + (f".{prof.error_field}" if prof.error_field else ""),
                    ),
                    evidence={"profile": pid, "field": prof.error_field, "agent": agent},
                    next_steps=[
                        f"edit {shown} (rename the field), or re-add the key: "
                        f"clawgate auth add {prof.provider or 'PROVIDER'} --agent {agent} --profile {pid}"
                    ],
                )
            )
    order = data.get("order") or {}
    if isinstance(order, dict):
        for prov, ids in order.items():
            if isinstance(ids, list):
                store.order[canonical_provider_id(prov)] = [str(i) for i in ids]
    return store


def _parse_profile(pid: str, raw: Any, shown: str, agent: str) -> Profile:
    provider_guess = pid.split(":", 1)[0] if ":" in pid else ""
    if not isinstance(raw, dict):
        return Profile(pid, "?", canonical_provider_id(provider_guess), error="must be an object")
    provider = raw.get("provider", provider_guess)
    provider = canonical_provider_id(provider) if isinstance(provider, str) else ""
    ptype = raw.get("type")

    def bad(msg: str, fld: str | None) -> Profile:
        return Profile(pid, str(ptype), provider, error=msg, error_field=fld)

    for wrong, right in _WRONG_NAMES.items():
        if wrong in raw:
            return bad(f"field {wrong!r} is not recognised; the field is named {right!r}", wrong)
    if ptype not in PROFILE_TYPES:
        return bad(f"'type' must be one of {', '.join(PROFILE_TYPES)} (got {ptype!r})", "type")
    if not provider:
        return bad("'provider' is missing", "provider")
    allowed = _COMMON | _BY_TYPE[ptype]
    for key in raw:
        if key not in allowed:
            return bad(
                f"field {key!r} is not allowed for type {ptype!r} (allowed: {', '.join(sorted(allowed))})",
                key,
            )
    secret: str | None = None
    ref: SecretRef | None = None
    if ptype == "api_key":
        if "keyRef" in raw:
            try:
                ref = SecretRef.model_validate(raw["keyRef"])
            except Exception:
                return bad("'keyRef' must be {source, provider, id}", "keyRef")
        elif isinstance(raw.get("key"), str):
            secret = raw["key"]
        else:
            return bad("an api_key profile needs 'key' (a string) or 'keyRef'", "key")
    elif ptype == "token":
        if "tokenRef" in raw:
            try:
                ref = SecretRef.model_validate(raw["tokenRef"])
            except Exception:
                return bad("'tokenRef' must be {source, provider, id}", "tokenRef")
        elif isinstance(raw.get("token"), str):
            secret = raw["token"]
        else:
            return bad("a token profile needs 'token' (a string) or 'tokenRef'", "token")
    else:
        if not isinstance(raw.get("access"), str):
            return bad("an oauth profile needs 'access' (a string)", "access")
        secret = raw["access"]
    expires = raw.get("expires")
    if expires is not None and not isinstance(expires, (int, float)):
        return bad("'expires' must be epoch milliseconds (a number)", "expires")
    for fld in (
        "displayName",
        "accountId",
        "clientId",
        "chatgptPlanType",
        "subscriptionType",
        "enterpriseUrl",
    ):
        if fld in raw and raw[fld] is not None and not isinstance(raw[fld], str):
            return bad(f"{fld!r} must be a string", fld)
    if "copyToAgents" in raw and not isinstance(raw["copyToAgents"], bool):
        return bad("'copyToAgents' must be true or false", "copyToAgents")

    def text(fld: str) -> str | None:
        v = raw.get(fld)
        return v if isinstance(v, str) and v else None

    return Profile(
        id=pid,
        type=ptype,
        provider=provider,
        secret=secret,
        secret_ref=ref,
        refresh_present=isinstance(raw.get("refresh"), str) and bool(raw.get("refresh")),
        expires=int(expires) if expires is not None else None,
        email=text("email"),
        account_id=text("accountId"),
        display_name=text("displayName") or text("label"),
        plan_type=text("chatgptPlanType") or text("subscriptionType"),
        client_id=text("clientId"),
        enterprise_url=text("enterpriseUrl"),
        extra_fields=tuple(f for f in raw if f in IGNORED_FIELDS),
    )


def read_raw(path: Path) -> dict[str, Any]:
    text = read_text_if_exists(path)
    if not text or not text.strip():
        return {"version": 1, "profiles": {}}
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ProfileError(
            f"auth profile store is not valid JSON: {exc.msg}; refusing to overwrite it",
            location=Location(file=display_path(path), line=exc.lineno, column=exc.colno),
            next_steps=[f"fix or move away {display_path(path)}"],
        ) from None
    if not isinstance(data, dict):
        raise ProfileError(
            "auth profile store is not a JSON object; refusing to overwrite it",
            location=Location(file=display_path(path)),
        )
    data.setdefault("version", 1)
    data.setdefault("profiles", {})
    return data


def save_profile(
    paths: Paths,
    agent: str,
    profile_id: str,
    provider: str,
    ptype: str,
    secret: str,
    expires: int | None = None,
) -> bool:
    """Add or replace one profile atomically under the store's lock. Returns True when it replaced one."""
    if ptype not in ("api_key", "token"):
        raise UsageError(f"cannot add a profile of type {ptype!r} from the CLI (use api_key or token)")
    entry: dict[str, Any] = {"type": ptype, "provider": provider}
    entry["key" if ptype == "api_key" else "token"] = secret
    if expires is not None and ptype == "token":
        entry["expires"] = expires
    return put_profile(paths, agent, profile_id, entry)


def put_profile(paths: Paths, agent: str, profile_id: str, entry: dict[str, Any]) -> bool:
    """Write one profile entry (any type) atomically under the store's lock. True when it replaced one."""
    path = paths.profiles_file(agent)
    paths.ensure_home()
    with locked(path):
        data = read_raw(path)
        profiles = data["profiles"]
        replaced = profile_id in profiles
        profiles[profile_id] = {**entry, "updatedAt": int(time.time() * 1000)}
        atomic_write(path, json.dumps(data, indent=2) + "\n")
    return replaced


def delete_profile(paths: Paths, agent: str, profile_id: str) -> None:
    path = paths.profiles_file(agent)
    with locked(path):
        data = read_raw(path)
        if profile_id not in data["profiles"]:
            known = ", ".join(sorted(data["profiles"])) or "none"
            raise NotFoundError(
                f"agent {agent!r} has no profile {profile_id!r} (profiles: {known})",
                next_steps=[f"clawgate auth list --agent {agent}"],
            )
        del data["profiles"][profile_id]
        for ids in (data.get("order") or {}).values():
            if isinstance(ids, list) and profile_id in ids:
                ids.remove(profile_id)
        atomic_write(path, json.dumps(data, indent=2) + "\n")
