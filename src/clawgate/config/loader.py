"""Load `clawgate.json` from disk: read, parse JSON5, validate; a missing file is an empty config."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from clawgate.atomicfile import read_text_if_exists
from clawgate.config import json5io
from clawgate.config.schema import Config, validate
from clawgate.errors import ConfigError, ConfigParseError, Location
from clawgate.paths import Paths, blocking_file, display_path


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
    paths.check_home()
    text = read_config_text(paths)
    exists = text is not None
    text = text or ""
    name = display_path(paths.config)
    data = json5io.parse(text, name) if exists else {}
    config = validate(data, name, text)
    mtime = paths.config.stat().st_mtime_ns if exists else 0
    return LoadedConfig(
        path=paths.config, exists=exists, text=text, data=data, config=config, mtime_ns=mtime, origin=name
    )


def read_config_text(paths: Paths) -> str | None:
    """The config file's text, None when there is none. Whatever else stops it being read is a ConfigError
    naming the file: a directory there, a file where a folder above it should be, no permission, not UTF-8."""
    path = paths.config
    name = display_path(path)
    try:
        return read_text_if_exists(path)
    except UnicodeDecodeError as exc:
        line = exc.object[: exc.start].count(b"\n") + 1
        raise ConfigParseError(
            f"not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at offset {exc.start})",
            location=Location(file=name, line=line),
            next_steps=["clawgate config validate"],
            hint="save the file as UTF-8 (e.g. `iconv -f latin1 -t utf-8`), then check it again",
        ) from None
    except IsADirectoryError:
        raise _is_a_directory(paths) from None
    except NotADirectoryError:
        raise _under_a_file(paths, blocking_file(path.parent) or path.parent) from None
    except PermissionError:
        raise ConfigError(
            "the config cannot be read (permission denied)",
            location=Location(file=name),
            next_steps=[f"ls -l {display_path(path)}"],
            hint="clawgate reads it as the user it runs as; `chmod 600` it as its owner",
        ) from None


def check_config_path(paths: Paths) -> None:
    """Before a write: raise the same ConfigError a read would when the config path is a directory, or a
    folder above it is a file."""
    paths.check_home()
    if paths.config.is_dir():
        raise _is_a_directory(paths)
    blocker = blocking_file(paths.config.parent)
    if blocker is not None:
        raise _under_a_file(paths, blocker)


def _is_a_directory(paths: Paths) -> ConfigError:
    return ConfigError(
        "this is a directory, not a config file",
        location=Location(file=display_path(paths.config)),
        next_steps=["clawgate config path"],
        hint="point CLAWGATE_CONFIG at a file (`clawgate config set` creates it), or move the directory away",
    )


def _under_a_file(paths: Paths, blocker: Path) -> ConfigError:
    return ConfigError(
        f"this is a file, so the config {display_path(paths.config)} cannot be under it",
        location=Location(file=display_path(blocker)),
        next_steps=["clawgate config path"],
        hint="point CLAWGATE_CONFIG at a path whose folders are directories",
    )
