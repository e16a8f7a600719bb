"""The files an import writes: refuse to overwrite without --force, back up what --force replaces, write atomically."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from clawgate.atomicfile import atomic_write, locked
from clawgate.errors import ClawgateError
from clawgate.paths import Paths, display_path, ensure_private_dir


@dataclass
class FileWrite:
    """One file to write. `data` may hold secrets: it is written, never printed."""

    target: Path
    data: bytes
    what: str  # "config" | "env" | "profiles:<agent>"
    source: str  # where it came from (display path)
    exists: bool = False

    @property
    def action(self) -> str:
        return "overwrite" if self.exists else "create"

    def to_json(self) -> dict[str, str]:
        return {
            "file": display_path(self.target),
            "what": self.what,
            "from": self.source,
            "action": self.action,
        }


def _occupied(path: Path) -> bool:
    try:
        return path.is_file() and path.stat().st_size > 0
    except OSError:
        return False


def check_conflicts(writes: list[FileWrite]) -> list[FileWrite]:
    """Mark writes whose target already holds something; return those."""
    for w in writes:
        w.exists = _occupied(w.target)
    return [w for w in writes if w.exists]


def refuse(conflicts: list[FileWrite]) -> ClawgateError:
    files = ", ".join(display_path(w.target) for w in conflicts)
    return ClawgateError(
        f"refusing to overwrite existing clawgate files: {files}",
        code="import.would_overwrite",
        owner="config",
        next_steps=[
            "clawgate import openclaw --dry-run   # see what would change",
            "clawgate import openclaw --force     # overwrite (each replaced file is kept as <file>.bak)",
            "CLAWGATE_HOME=~/.clawgate-openclaw clawgate import openclaw   # import into a fresh home",
        ],
    )


def apply(writes: list[FileWrite], paths: Paths, backup: bool = True) -> list[Path]:
    """Write every file atomically (0600), backing up replaced ones as <file>.bak. Returns the backups."""
    paths.ensure_home()
    ensure_private_dir(paths.agents_dir)
    backups: list[Path] = []
    for w in writes:
        with locked(w.target):
            if backup and _occupied(w.target):
                bak = w.target.with_name(w.target.name + ".bak")
                shutil.copy2(w.target, bak)
                bak.chmod(0o600)
                backups.append(bak)
            atomic_write(w.target, w.data, mode=0o600)
    return backups


def rebase(writes: list[FileWrite], real: Paths, other: Paths) -> list[FileWrite]:
    """The same writes aimed at another home (a dry run's scratch copy)."""
    out = []
    for w in writes:
        target = other.config if w.target == real.config else other.home / w.target.relative_to(real.home)
        out.append(FileWrite(target, w.data, w.what, w.source, w.exists))
    return out


def copy_existing(real: Paths, other: Paths) -> None:
    """Seed a dry run's scratch home with the real home's config, .env and profiles (what doctor would read)."""
    pairs = [(real.config, other.config), (real.env_file, other.env_file)]
    if real.agents_dir.is_dir():
        for prof in real.agents_dir.glob("*/auth-profiles.json"):
            pairs.append((prof, other.home / prof.relative_to(real.home)))
    for src, dst in pairs:
        if src.is_file():
            dst.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            shutil.copy2(src, dst)
            dst.chmod(0o600)
