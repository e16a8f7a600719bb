"""Read an OpenClaw state dir: openclaw.json (JSON5), .env, and each agent's auth-profiles.json and models.json."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from clawgate.config import json5io
from clawgate.errors import ClawgateError, NotFoundError
from clawgate.paths import display_path

CONFIG_NAME = "openclaw.json"


@dataclass
class AgentFiles:
    """One `agents/<id>/agent/` directory."""

    id: str
    dir: Path
    profiles_path: Path | None = None
    profiles_text: str | None = None
    models_path: Path | None = None
    models: Any = None  # parsed models.json
    models_error: str | None = None


@dataclass
class OpenClawHome:
    """Everything read from the state dir (values are kept in memory only, never printed)."""

    dir: Path
    config_path: Path
    config_text: str | None
    config: dict[str, Any]
    env_path: Path
    env_bytes: bytes | None
    agents: list[AgentFiles] = field(default_factory=list)

    @property
    def display(self) -> str:
        return display_path(self.dir)


def default_dir(environ: Mapping[str, str]) -> Path:
    """$OPENCLAW_STATE_DIR, else ~/.openclaw."""
    raw = environ.get("OPENCLAW_STATE_DIR") or "~/.openclaw"
    return Path(os.path.expanduser(raw)).absolute()


def read_openclaw(directory: Path) -> OpenClawHome:
    """Read the state dir. A missing dir is an error; a missing file is simply absent."""
    directory = directory.expanduser().absolute()
    if not directory.is_dir():
        raise NotFoundError(
            f"no OpenClaw state dir at {display_path(directory)}",
            next_steps=["clawgate import openclaw --from DIR   # the directory that holds openclaw.json"],
        )
    config_path = directory / CONFIG_NAME
    text = _read(config_path)
    data = json5io.parse(text, display_path(config_path)) if text is not None else {}
    if not isinstance(data, dict):
        raise ClawgateError(
            f"{display_path(config_path)}: the top level must be an object",
            code="config.parse_error",
            next_steps=[f"check {display_path(config_path)}"],
        )
    env_path = directory / ".env"
    env_bytes = env_path.read_bytes() if env_path.is_file() else None
    home = OpenClawHome(directory, config_path, text, data, env_path, env_bytes)
    agents_dir = directory / "agents"
    if agents_dir.is_dir():
        for sub in sorted(p for p in agents_dir.iterdir() if p.is_dir()):
            home.agents.append(_read_agent(sub))
    return home


def _read_agent(sub: Path) -> AgentFiles:
    adir = sub / "agent"
    files = AgentFiles(id=sub.name, dir=adir)
    prof = adir / "auth-profiles.json"
    text = _read(prof)
    if text is not None:
        files.profiles_path, files.profiles_text = prof, text
    models = adir / "models.json"
    mtext = _read(models)
    if mtext is not None:
        files.models_path = models
        try:
            files.models = json5io.parse(mtext, display_path(models))
        except ClawgateError as exc:
            files.models_error = str(exc)
    return files


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except UnicodeDecodeError:
        return path.read_bytes().decode("utf-8", "replace")
