"""OpenClaw's credential stores across its eras, read into one clawgate profile store per agent.

- `agents/<id>/agent/openclaw-agent.sqlite`, table `auth_profile_store` (since mid 2026): one row per store key
  (`primary`), its `store_json` the same `{version, profiles, order, lastGood}` document as the older file;
  `auth_profile_state` holds the order and last-good state.
- `agents/<id>/agent/auth-profiles.json` (and the flat legacy map `{provider: {apiKey}}`).
- legacy `agents/<id>/agent/auth.json` (provider -> credential) and the shared `credentials/oauth.json`
  (provider -> OAuth tokens, imported by OpenClaw into the main agent on first use).

When the SQLite store holds an agent's profiles, OpenClaw no longer reads the older files for that agent, so
neither does the import; their profiles are reported, by id, as not imported and why. A source never overrides
a profile id a stronger source already has."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from clawgate.paths import display_path
from clawgate.redaction import register_secret

SQLITE_NAME = "openclaw-agent.sqlite"
_SECRET_FIELDS = ("key", "token", "access", "refresh", "idToken", "apiKey")


@dataclass
class AgentStore:
    """One agent's profiles as they will be written, and where each came from."""

    id: str
    data: dict[str, Any] = field(default_factory=lambda: {"version": 1, "profiles": {}})
    sources: list[str] = field(default_factory=list)  # display paths actually imported from
    primary: Path | None = None  # the file that is this agent's store in OpenClaw
    notes: list[str] = field(default_factory=list)
    error: str | None = None
    raw_text: str | None = (
        None  # an unreadable auth-profiles.json, copied as it is (the report names the fix)
    )

    @property
    def profiles(self) -> dict[str, Any]:
        profiles: dict[str, Any] = self.data["profiles"]
        return profiles

    def add(self, profiles: dict[str, Any], source: Path, *, kind: str) -> list[str]:
        """Add the profiles whose ids are not there yet; the ids added."""
        added = []
        for pid, prof in profiles.items():
            if pid in self.profiles:
                self.notes.append(
                    f"{display_path(source)}: profile {pid!r} not imported ({kind}): the store already has it"
                )
                continue
            self.profiles[pid] = prof
            added.append(pid)
        if added:
            self.sources.append(display_path(source))
        return added


def _register(profiles: dict[str, Any]) -> None:
    for prof in profiles.values():
        if isinstance(prof, dict):
            for f in _SECRET_FIELDS:
                if isinstance(prof.get(f), str):
                    register_secret(prof[f])


def read_sqlite(path: Path) -> tuple[dict[str, Any] | None, str | None]:
    """The store document in `auth_profile_store` (order merged from `auth_profile_state`), or an error."""
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
    except sqlite3.Error as exc:
        return None, f"cannot open {display_path(path)}: {exc}"
    try:
        try:
            rows = con.execute(
                "SELECT store_key, store_json FROM auth_profile_store ORDER BY store_key != 'primary', store_key"
            ).fetchall()
        except sqlite3.Error as exc:
            return None, f"{display_path(path)} has no readable auth_profile_store table ({exc})"
        doc: dict[str, Any] = {"version": 1, "profiles": {}}
        for key, raw in rows:
            try:
                part = json.loads(raw)
            except (TypeError, ValueError):
                return None, f"{display_path(path)}: auth_profile_store row {key!r} is not JSON"
            if isinstance(part, dict) and isinstance(part.get("profiles"), dict):
                for pid, prof in part["profiles"].items():
                    doc["profiles"].setdefault(pid, prof)
                for k in ("order", "lastGood"):
                    if isinstance(part.get(k), dict):
                        doc.setdefault(k, {}).update(part[k])
        try:
            states = con.execute("SELECT state_json FROM auth_profile_state").fetchall()
        except sqlite3.Error:
            states = []
        for (raw,) in states:
            try:
                state = json.loads(raw)
            except (TypeError, ValueError):
                continue
            if isinstance(state, dict) and isinstance(state.get("order"), dict):
                doc.setdefault("order", {}).update(
                    {k: v for k, v in state["order"].items() if isinstance(v, list)}
                )
        _register(doc["profiles"])
        return doc, None
    finally:
        con.close()


def store_from_json(data: Any) -> tuple[dict[str, Any], bool]:
    """(canonical store, was it the flat legacy map `{provider: {apiKey}}`)."""
    if isinstance(data, dict) and isinstance(data.get("profiles"), dict):
        _register(data["profiles"])
        return data, False
    flat: dict[str, Any] = {}
    if isinstance(data, dict):
        for provider, entry in data.items():
            if isinstance(entry, dict) and isinstance(entry.get("apiKey") or entry.get("key"), str):
                flat[f"{provider}:default"] = {
                    "type": "api_key",
                    "provider": provider,
                    "key": entry.get("apiKey") or entry.get("key"),
                }
    _register(flat)
    return {"version": 1, "profiles": flat}, True


def profiles_by_provider(data: Any, default_type: str | None = None) -> dict[str, Any]:
    """`auth.json` / `credentials/oauth.json`: provider -> credential, as `provider:default` profiles."""
    out: dict[str, Any] = {}
    if not isinstance(data, dict):
        return out
    for provider, entry in data.items():
        if not isinstance(entry, dict):
            continue
        prof: dict[str, Any] = {"provider": provider}
        kind = entry.get("type") or entry.get("mode") or default_type
        if kind in ("api_key", "apiKey") or (
            kind is None and isinstance(entry.get("key") or entry.get("apiKey"), str)
        ):
            prof.update(type="api_key", key=entry.get("key") or entry.get("apiKey"))
        elif kind == "token" or (kind is None and isinstance(entry.get("token"), str)):
            prof.update(type="token", token=entry.get("token"))
            if isinstance(entry.get("expires"), (int, float)):
                prof["expires"] = entry["expires"]
        elif isinstance(entry.get("access"), str):
            prof["type"] = "oauth"
            for k in (
                "access",
                "refresh",
                "expires",
                "email",
                "accountId",
                "enterpriseUrl",
                "projectId",
                "clientId",
            ):
                if entry.get(k) is not None:
                    prof[k] = entry[k]
        else:
            continue
        out[f"{provider}:default"] = prof
    _register(out)
    return out


def read_json_file(path: Path) -> tuple[Any, str | None]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None, None
    except (OSError, UnicodeDecodeError) as exc:
        return None, f"cannot read {display_path(path)}: {exc}"
    try:
        return (json.loads(text) if text.strip() else {}), None
    except ValueError as exc:
        return None, f"{display_path(path)} is not valid JSON: {exc}"


def read_agent(agent_id: str, adir: Path) -> AgentStore:
    """Everything this agent directory holds, strongest source first."""
    store = AgentStore(agent_id)
    db = adir / SQLITE_NAME
    js = adir / "auth-profiles.json"
    legacy = adir / "auth.json"
    in_sqlite = False
    if db.is_file():
        doc, err = read_sqlite(db)
        if err:
            store.notes.append(f"{err}; the older files of this agent are read instead")
        elif doc is not None:
            store.primary = db
            if doc["profiles"]:
                in_sqlite = True
                store.add(doc["profiles"], db, kind="sqlite")
            if isinstance(doc.get("order"), dict):
                store.data["order"] = doc["order"]
    for path, kind in ((js, "json"), (legacy, "auth.json")):
        data, err = read_json_file(path)
        if err:
            if kind == "json" and not in_sqlite:
                store.error = err
                store.primary = path
                store.raw_text = path.read_bytes().decode("utf-8", "replace")
                store.sources.append(display_path(path))
            else:
                store.notes.append(f"{err}: not imported")
            continue
        if data is None:
            continue
        file_doc: dict[str, Any] = {}
        if kind == "json":
            file_doc, flat = store_from_json(data)
            profiles = file_doc["profiles"]
        else:
            profiles, flat = profiles_by_provider(data), False
        if in_sqlite:
            if profiles:
                store.notes.append(
                    f"{display_path(path)}: profiles {', '.join(sorted(profiles))} not imported: OpenClaw no longer "
                    f"reads this file, the agent's SQLite store ({SQLITE_NAME}) holds its profiles"
                )
            continue
        added = store.add(profiles, path, kind=kind)
        if kind == "json":
            store.primary = store.primary or path
            if flat:
                store.notes.append(
                    f"{display_path(path)}: the flat legacy map was read as {', '.join(added)} (api_key profiles)"
                )
            if isinstance(file_doc.get("order"), dict) and "order" not in store.data:
                store.data["order"] = file_doc["order"]
        elif added:
            store.notes.append(f"{display_path(path)} (legacy) imported as {', '.join(added)}")
    if db.is_file() and not in_sqlite and store.profiles:
        store.notes.append(
            f"{display_path(db)} holds no profiles: OpenClaw would stop with AUTH_PROFILE_MIGRATION_REQUIRED "
            f"until `openclaw doctor --fix`; clawgate imports the older files directly"
        )
    return store


def shared_oauth(state_dir: Path, main: AgentStore) -> None:
    """`credentials/oauth.json`: OAuth tokens OpenClaw imports into the main agent on first use."""
    path = state_dir / "credentials" / "oauth.json"
    data, err = read_json_file(path)
    if err:
        main.notes.append(f"{err}: not imported")
        return
    if data is None:
        return
    profiles = profiles_by_provider(data, default_type="oauth")
    if main.primary is not None and main.primary.name == SQLITE_NAME and main.profiles:
        if profiles:
            main.notes.append(
                f"{display_path(path)}: {', '.join(sorted(profiles))} not imported: OpenClaw no longer reads this "
                "legacy file once the SQLite store holds profiles"
            )
        return
    added = main.add(profiles, path, kind="oauth.json")
    if added:
        main.notes.append(
            f"{display_path(path)} (legacy shared OAuth) imported into agent {main.id} as {', '.join(added)}"
        )
