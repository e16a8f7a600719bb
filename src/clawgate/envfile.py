"""Edit .env files by variable name: set one, move a definition to $CLAWGATE_HOME/.env, keep only the line in
effect, or remove one.

Lines are found with python-dotenv's parser (the one `environment.py` reads with), so quoting and multi-line
values move intact; every other line stays as it was. Writes are atomic and locked; values are never printed.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

from dotenv.parser import parse_stream

from clawgate.atomicfile import atomic_write, locked
from clawgate.errors import NotFoundError
from clawgate.paths import display_path
from clawgate.redaction import fingerprint


def _split(text: str, name: str) -> tuple[str, list[str], str | None]:
    """(text without NAME's lines, NAME's raw definitions, the effective value)."""
    kept: list[str] = []
    found: list[str] = []
    value: str | None = None
    for b in parse_stream(io.StringIO(text)):
        raw = b.original.string
        if not b.error and b.key is not None and b.key.lstrip("\ufeff") == name:
            found.append(raw if raw.endswith("\n") else raw + "\n")
            value = b.value or ""
        else:
            kept.append(raw)
    return "".join(kept), found, value


def defines(text: str, name: str) -> bool:
    """Whether the .env text `text` has a line defining NAME."""
    return bool(_split(text, name)[1])


_PLAIN = re.compile(r"^[A-Za-z0-9_\-./:@+=,~%^]*$")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def dotenv_line(name: str, value: str) -> str:
    """`NAME=value`, single-quoted when the value needs it (python-dotenv reads it back exactly)."""
    if _PLAIN.match(value):
        return f"{name}={value}\n"
    return f"{name}='" + value.replace("\\", "\\\\").replace("'", "\\'") + "'\n"


def set_variable(path: Path, name: str, value: str) -> dict[str, Any]:
    """Define NAME=value in the .env file at `path`, replacing every earlier definition (atomic, 0600)."""
    from clawgate.errors import UsageError

    if not _NAME.match(name):
        raise UsageError(f"{name!r} is not a variable name", next_steps=["clawgate env --help"])
    if "\n" in value or "\r" in value:
        raise UsageError(f"the value for {name} spans lines; give it on one line", next_steps=[])
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    with locked(path):
        text = path.read_text(encoding="utf-8") if path.exists() else ""
        rest, found, _ = _split(text, name)
        if rest and not rest.endswith("\n"):
            rest += "\n"
        atomic_write(path, rest + dotenv_line(name, value))
    return {
        "ok": True,
        "name": name,
        "file": display_path(path),
        "replaced": len(found),
        "fingerprint": fingerprint(value) if value else "(empty)",
    }


def dedupe_variable(path: Path, name: str) -> dict[str, Any]:
    """Keep only the definition of NAME that is in effect (the last line) in the .env file at `path`."""
    with locked(path):
        text = path.read_text(encoding="utf-8") if path.exists() else ""
        bindings = list(parse_stream(io.StringIO(text)))
        lines = [i for i, b in enumerate(bindings) if not b.error and b.key == name]
        if not lines:
            raise NotFoundError(f"{name} is not defined in {display_path(path)}", next_steps=["clawgate env"])
        keep = lines[-1]
        out = "".join(b.original.string for i, b in enumerate(bindings) if b.key != name or i == keep)
        atomic_write(path, out)
    return {"ok": True, "name": name, "file": display_path(path), "removed": len(lines) - 1}


def unset_variable(path: Path, name: str) -> dict[str, Any]:
    """Remove every definition of NAME from the .env file at `path`."""
    with locked(path):
        text = path.read_text(encoding="utf-8") if path.exists() else ""
        rest, found, _ = _split(text, name)
        if not found:
            raise NotFoundError(f"{name} is not defined in {display_path(path)}", next_steps=["clawgate env"])
        atomic_write(path, rest)
    return {"ok": True, "name": name, "file": display_path(path), "removed": len(found)}


def move_variable(source: Path, dest: Path, name: str) -> dict[str, Any]:
    """Move NAME's effective definition from `source` to `dest` (replacing any there)."""
    if source.resolve() == dest.resolve():
        raise NotFoundError(
            f"{display_path(source)} is already {display_path(dest)}", next_steps=["clawgate env"]
        )
    text = source.read_text(encoding="utf-8") if source.exists() else ""
    rest, found, value = _split(text, name)
    if not found:
        raise NotFoundError(f"{name} is not defined in {display_path(source)}", next_steps=["clawgate env"])
    dest.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    with locked(dest):
        old = dest.read_text(encoding="utf-8") if dest.exists() else ""
        kept, _, _ = _split(old, name)
        if kept and not kept.endswith("\n"):
            kept += "\n"
        atomic_write(dest, kept + found[-1])
    with locked(source):
        atomic_write(source, rest, mode=source.stat().st_mode & 0o777)
    return {
        "ok": True,
        "name": name,
        "from": display_path(source),
        "to": display_path(dest),
        "fingerprint": fingerprint(value) if value else "(empty)",
    }
