"""`doctor --fix`: only safe, reversible repairs, shown before they are applied, with a backup written first.

Fixes: remove a duplicate `.env` line (keeping the one in effect), remove a stored profile that the provider
rejected while another credential works, move a plaintext key from the config into `.env` with a `${VAR}`
reference, and unset an agent's model override that shadows the default.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from clawgate.auth.profiles import delete_profile
from clawgate.catalog.presets import key_variables
from clawgate.config.edit import modify_config, parse_path, unset_path
from clawgate.diagnose.findings import Finding
from clawgate.envfile import dedupe_variable
from clawgate.paths import Paths, create_private_dirs, display_path, ensure_private_dir
from clawgate.plan.snapshot import Snapshot
from clawgate.store.base import HealthRecord


@dataclass
class Fix:
    code: str
    description: str
    files: list[Path]
    apply: Callable[[], None] = field(repr=False)

    def to_json(self) -> dict[str, object]:
        return {"code": self.code, "description": self.description, "files": [str(f) for f in self.files]}


def plan_fixes(snap: Snapshot, findings: list[Finding], health: list[HealthRecord]) -> list[Fix]:
    paths = snap.paths
    fixes: list[Fix] = []
    seen: set[str] = set()
    rejected = {(h.provider, h.fingerprint) for h in health if h.state == "rejected"}
    for f in findings:
        if f.code == "env.duplicate_definition":
            name = f.subject.get("variable")
            defs = f.evidence.get("definitions", [])
            files = {d["origin"].rsplit(":", 1)[0] for d in defs}
            if not name or len(files) != 1 or f"dup:{name}" in seen:
                continue  # across files: which one the user meant is theirs to decide
            file = next(iter(files))
            target = _real(paths, file)
            if target is None:
                continue
            seen.add(f"dup:{name}")
            lines = [d.get("line") for d in defs]
            fixes.append(
                Fix(
                    f.code,
                    f"remove the earlier {name} line(s) {lines[:-1]} from {file}, keeping line "
                    f"{lines[-1]} (the one in effect)",
                    [target],
                    _call(dedupe_variable, target, name),
                )
            )
        elif f.code in ("auth.rejected", "auth.shadowed_credential", "auth.region_mismatch"):
            fx = _remove_rejected_profile(snap, f, rejected)
            if fx is not None and fx.description not in seen:
                seen.add(fx.description)
                fixes.append(fx)
        elif f.code == "config.plaintext_secret":
            fx = _move_plaintext(snap, f)
            if fx is not None:
                fixes.append(fx)
        elif f.code == "secrets.file_permissions":
            target = _real(paths, f.subject.get("file", ""))
            if target is not None:
                fixes.append(Fix(f.code, f"chmod 600 {display_path(target)}", [], _call(target.chmod, 0o600)))
        elif f.code == "model.override_shadows_default":
            path = f.evidence.get("winner", {}).get("from", "")
            if path.startswith("agents.list[") and path not in seen:
                seen.add(path)
                shadowed = f.evidence.get("shadowed", {})
                parts = parse_path(path)
                fixes.append(
                    Fix(
                        f.code,
                        f"unset {path} so agent {f.subject.get('agent')} uses "
                        f"{shadowed.get('from')} = {shadowed.get('ref')}",
                        [paths.config],
                        _call(modify_config, paths, _unsetter(parts)),
                    )
                )
    return fixes


def _call(fn: Callable[..., object], *args: object) -> Callable[[], None]:
    """A fix's apply: `fn(*args)`, its result dropped."""

    def run() -> None:
        fn(*args)

    return run


def _unsetter(parts: list[str | int]) -> Callable[[dict[str, Any]], None]:
    def mutate(data: dict[str, Any]) -> None:
        unset_path(data, parts)

    return mutate


def _real(paths: Paths, shown: str) -> Path | None:
    for candidate in (paths.env_file,):
        if display_path(candidate) == shown or str(candidate) == shown:
            return candidate
    p = Path(shown.replace("~", str(Path.home()), 1)) if shown.startswith("~") else Path(shown)
    return p if p.is_file() else None


def _remove_rejected_profile(snap: Snapshot, f: Finding, rejected: set[tuple[str, str]]) -> Fix | None:
    provider = f.subject.get("provider")
    agent = f.subject.get("agent") or snap.main_agent()
    if not provider:
        return None
    view = snap.catalog.get(provider)
    if view is None:
        return None
    res = snap.credentials(view, agent)
    winner = res.winner
    if winner is None or winner.profile_id is None or (provider, winner.fingerprint) not in rejected:
        return None
    others = [
        c
        for c in res.candidates
        if c.usable and c.fingerprint != winner.fingerprint and (provider, c.fingerprint) not in rejected
    ]
    if not others:
        return None  # removing the only key would leave nothing: not a safe fix
    owner = winner.inherited_from or winner.agent or agent
    store_path = snap.paths.profiles_file(owner)
    return Fix(
        f.code,
        f"remove profile {winner.profile_id} of agent {owner} ({winner.fingerprint}, rejected by "
        f"{provider}); {others[0].source} ({others[0].fingerprint}) takes over",
        [store_path],
        lambda: delete_profile(snap.paths, owner, winner.profile_id or ""),
    )


def _move_plaintext(snap: Snapshot, f: Finding) -> Fix | None:
    from clawgate.config.secret_move import move_literal

    path = f.subject.get("path", "")
    provider = f.subject.get("provider")
    if not provider or not path.endswith(".apiKey"):
        return None
    pc = snap.config.models.providers.get(provider)
    if pc is None or not isinstance(pc.api_key, str):
        return None
    view = snap.catalog.get(provider)
    var = (view.env_vars if view and view.env_vars else key_variables(provider))[0]
    existing = snap.env.var(var)
    if existing is not None and existing.value.strip() != pc.api_key.strip():
        return None  # the variable already holds a different key: moving would change which key is used
    env_file = snap.paths.env_file

    def apply() -> None:
        move_literal(snap.paths, path, var)

    return Fix(
        f.code,
        f"move the literal key at {path} into {display_path(env_file)} as {var} and set {path} to ${{{var}}}",
        [snap.paths.config, env_file],
        apply,
    )


def backup(paths: Paths, files: list[Path]) -> Path:
    """Copy every file a fix will touch into backups/<timestamp>/ (0700 dirs, files 0600). A secret moved out of
    the config afterwards is replaced in these copies too (config/secret_move.py)."""
    ensure_private_dir(paths.backups_dir)
    dest = paths.backups_dir / time.strftime("%Y%m%d-%H%M%S")
    n = 0
    while dest.exists():
        n += 1
        dest = paths.backups_dir / (time.strftime("%Y%m%d-%H%M%S") + f"-{n}")
    dest.mkdir(mode=0o700)
    for f in files:
        if f.exists():
            target = paths.backup_copy(dest, f)
            create_private_dirs(target.parent)
            shutil.copy2(f, target)
            target.chmod(0o600)
    return dest
