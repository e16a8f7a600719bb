"""Load `clawgate.json` from disk: read, parse JSON5, validate; a missing file is an empty config."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from clawgate.atomicfile import read_text_if_exists
from clawgate.config import json5io
from clawgate.config.schema import Config, validate
from clawgate.paths import Paths, display_path


@dataclass
class LoadedConfig:
    """A validated config plus the raw data and text it came from (for provenance and edits)."""

    path: Path
    exists: bool
    text: str
    data: dict[str, Any]
    config: Config
    mtime_ns: int = 0
    origin: str = field(default="")

    @property
    def display(self) -> str:
        return display_path(self.path)


def load_config(paths: Paths) -> LoadedConfig:
    """Read and validate the config file. Raises ConfigParseError / ConfigError (never a traceback)."""
    text = read_text_if_exists(paths.config)
    exists = text is not None
    text = text or ""
    name = display_path(paths.config)
    data = json5io.parse(text, name) if exists else {}
    config = validate(data, name, text)
    mtime = paths.config.stat().st_mtime_ns if exists else 0
    return LoadedConfig(
        path=paths.config, exists=exists, text=text, data=data, config=config, mtime_ns=mtime, origin=name
    )
