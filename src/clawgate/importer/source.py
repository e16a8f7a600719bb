"""Read an OpenClaw state dir, whatever its era: the config (`OPENCLAW_CONFIG_PATH` or `openclaw.json`, with
`$include` followed), `.env`, and each agent's credentials and generated `models.json` (`agents/<id>/agent/`,
and the pre-multi-agent `agent/` directory as the main agent's)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from clawgate.config import json5io
from clawgate.errors import ClawgateError, NotFoundError
from clawgate.importer.includes import IncludeResult, resolve_includes
from clawgate.importer.stores import SQLITE_NAME, AgentStore, read_agent, shared_oauth
from clawgate.paths import display_path

CONFIG_NAME = "openclaw.json"


@dataclass
class AgentFiles:
    """One `agents/<id>/agent/` directory."""

    id: str
    dir: Path
    store: AgentStore
    models_path: Path | None = None
    models: Any = None  # parsed models.json
    models_error: str | None = None

    @property
    def profiles_path(self) -> Path | None:
        return self.store.primary


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
    includes: IncludeResult = field(default_factory=IncludeResult)
    config_from: str = "state dir"
    notes: list[str] = field(default_factory=list)

    @property
    def display(self) -> str:
        return display_path(self.dir)

    @property
    def has_sqlite(self) -> bool:
        return any((a.dir / SQLITE_NAME).is_file() for a in self.agents)


def default_dir(environ: Mapping[str, str]) -> Path:
    """$OPENCLAW_STATE_DIR, else ~/.openclaw."""
    raw = environ.get("OPENCLAW_STATE_DIR") or "~/.openclaw"
    return Path(os.path.expanduser(raw)).absolute()


def config_path_for(directory: Path, environ: Mapping[str, str]) -> tuple[Path, str]:
    raw = environ.get("OPENCLAW_CONFIG_PATH")
    if raw:
        return Path(os.path.expanduser(raw)).absolute(), "OPENCLAW_CONFIG_PATH"
    return directory / CONFIG_NAME, "state dir"


def read_openclaw(directory: Path, environ: Mapping[str, str] | None = None) -> OpenClawHome:
    """Read the state dir. A missing dir is an error; a missing file is simply absent."""
    environ = environ or {}
    directory = directory.expanduser().absolute()
    if not directory.is_dir():
        raise NotFoundError(
            f"no OpenClaw state dir at {display_path(directory)}",
            next_steps=["clawgate import openclaw --from DIR   # the directory that holds openclaw.json"],
        )
    config_path, config_from = config_path_for(directory, environ)
    text = _read(config_path)
    data = json5io.parse(text, display_path(config_path)) if text is not None else {}
    if not isinstance(data, dict):
        raise ClawgateError(
            f"{display_path(config_path)}: the top level must be an object",
            code="config.parse_error",
            next_steps=[f"check {display_path(config_path)}"],
        )
    data, includes = resolve_includes(data, config_path, environ)
    env_path = directory / ".env"
    env_bytes = env_path.read_bytes() if env_path.is_file() else None
    home = OpenClawHome(
        directory, config_path, text, data, env_path, env_bytes, includes=includes, config_from=config_from
    )
    agents_dir = directory / "agents"
    if agents_dir.is_dir():
        for sub in sorted(p for p in agents_dir.iterdir() if p.is_dir()):
            home.agents.append(_read_agent(sub.name, sub / "agent"))
    legacy = directory / "agent"
    if legacy.is_dir():
        if any(a.id.lower() == "main" for a in home.agents):
            home.notes.append(
                f"{display_path(legacy)} (the pre-multi-agent agent dir) not imported: agents/main/agent "
                "replaced it"
            )
        else:
            home.agents.insert(0, _read_agent("main", legacy))
            home.notes.append(
                f"{display_path(legacy)} (the pre-multi-agent agent dir) imported as agent main"
            )
    main = next((a for a in home.agents if a.id.lower() == "main"), None)
    if main is None and (directory / "credentials" / "oauth.json").is_file():
        main = _read_agent("main", agents_dir / "main" / "agent")
        home.agents.insert(0, main)
    if main is not None:
        shared_oauth(directory, main.store)
    return home


def _read_agent(agent_id: str, adir: Path) -> AgentFiles:
    files = AgentFiles(id=agent_id, dir=adir, store=read_agent(agent_id, adir))
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
