"""Where clawgate keeps its state: CLAWGATE_HOME, the config file, .env, auth profiles, state.db, logs."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from clawgate.errors import ConfigError, Location, UsageError

DEFAULT_HOME = "~/.clawgate"
CONFIG_NAME = "clawgate.json"
_AGENT_ID = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")


def normalize_agent_id(agent_id: str) -> str:
    """Agent ids are lowercase; reject anything that could escape the agents directory."""
    norm = agent_id.strip().lower()
    if not _AGENT_ID.match(norm):
        raise UsageError(
            f"invalid agent id {agent_id!r}: use lowercase letters, digits, '-', '_' or '.'",
            next_steps=["clawgate config get agents.list --json"],
        )
    return norm


def display_path(path: Path | str) -> str:
    """A path as a person would type it: under $HOME shown with `~`."""
    p = str(path)
    home = os.path.expanduser("~")
    if home and home != "/" and (p == home or p.startswith(home + os.sep)):
        return "~" + p[len(home) :]
    return p


@dataclass(frozen=True)
class Paths:
    """Every file location clawgate uses, and where the choice of home and config came from."""

    home: Path
    home_from: str
    config: Path
    config_from: str

    @classmethod
    def discover(
        cls, environ: Mapping[str, str] | None = None, flags: Mapping[str, str] | None = None
    ) -> Paths:
        """`flags`: the variables a command-line flag set (`{"CLAWGATE_HOME": "--home"}`), labelled as the flag."""
        env = os.environ if environ is None else environ
        flags = flags or {}
        if env.get("CLAWGATE_HOME"):
            home = Path(os.path.expanduser(env["CLAWGATE_HOME"])).absolute()
            home_from = f"flag:{flags['CLAWGATE_HOME']}" if "CLAWGATE_HOME" in flags else "env:CLAWGATE_HOME"
        else:
            home = Path(os.path.expanduser(DEFAULT_HOME)).absolute()
            home_from = "default"
        if env.get("CLAWGATE_CONFIG"):
            config = Path(os.path.expanduser(env["CLAWGATE_CONFIG"])).absolute()
            config_from = (
                f"flag:{flags['CLAWGATE_CONFIG']}" if "CLAWGATE_CONFIG" in flags else "env:CLAWGATE_CONFIG"
            )
        else:
            config = home / CONFIG_NAME
            config_from = home_from if home_from != "default" else "default"
        return cls(home=home, home_from=home_from, config=config, config_from=config_from)

    @property
    def config_explicit(self) -> bool:
        """The config file was named on its own ($CLAWGATE_CONFIG or --config), not found in the home."""
        return self.config_from in ("env:CLAWGATE_CONFIG", "flag:--config")

    @property
    def env_file(self) -> Path:
        return self.home / ".env"

    @property
    def agents_dir(self) -> Path:
        return self.home / "agents"

    @property
    def state_db(self) -> Path:
        return self.home / "state.db"

    @property
    def shared_db(self) -> Path:
        """The shared state (leases, lockouts, UI logins, health replicas' source, notifications) when no
        Redis is configured: processes on this home coordinate through this file."""
        return self.home / "shared.db"

    @property
    def logs_dir(self) -> Path:
        return self.home / "logs"

    @property
    def run_dir(self) -> Path:
        return self.home / "run"

    @property
    def backups_dir(self) -> Path:
        """`doctor --fix` / `secrets configure` copy what they change into backups/<stamp>/ (0700)."""
        return self.home / "backups"

    @property
    def config_backup(self) -> Path:
        """The previous config, kept by every config write (`clawgate.json.bak`, beside the config)."""
        return self.config.with_name(self.config.name + ".bak")

    def backup_copy(self, stamp_dir: Path, file: Path) -> Path:
        """Where a copy of `file` sits in the backup folder `stamp_dir` (its path inside the home, else its
        name)."""
        try:
            return stamp_dir / file.relative_to(self.home)
        except ValueError:
            return stamp_dir / file.name

    def agent_dir(self, agent_id: str) -> Path:
        return self.agents_dir / normalize_agent_id(agent_id)

    def profiles_file(self, agent_id: str) -> Path:
        return self.agent_dir(agent_id) / "auth-profiles.json"

    def ensure_home(self) -> None:
        """Create the state dir (0700) on first use; tighten it if it is open to others."""
        self.check_home()
        ensure_private_dir(self.home)

    def check_home(self) -> None:
        """Raise a ConfigError naming the file when the home, or a folder above it, is a file: nothing clawgate
        keeps there could be read or written."""
        blocker = blocking_file(self.home)
        if blocker is None:
            return
        where = "CLAWGATE_HOME" if self.home_from == "env:CLAWGATE_HOME" else "the default home"
        what = (
            f"the clawgate home ({where}) is a file, not a directory"
            if blocker == self.home
            else f"this is a file, so the clawgate home {display_path(self.home)} ({where}) cannot be a directory"
        )
        raise ConfigError(
            what,
            location=Location(file=display_path(blocker)),
            next_steps=["clawgate config path"],
            hint="point CLAWGATE_HOME at a directory (it is created when missing), or move the file away"
            if self.home_from == "env:CLAWGATE_HOME"
            else "move the file away (clawgate keeps its state in that directory), or set CLAWGATE_HOME",
        )


def blocking_file(path: Path) -> Path | None:
    """The nearest of `path` and the folders above it that exists but is not a directory, if any."""
    for p in (path, *path.parents):
        if p.is_dir():
            return None
        if p.exists() or p.is_symlink():
            return p
    return None


def create_private_dirs(path: Path) -> None:
    """Create `path` and any missing parents as 0700 (mkdir's mode applies only to the last component). A
    directory that exists already keeps its mode: it is not clawgate's to change (a project folder, the
    folder of a `CLAWGATE_CONFIG` outside the home)."""
    missing = []
    p = path
    while not p.exists() and p != p.parent:
        missing.append(p)
        p = p.parent
    for d in reversed(missing):
        try:
            d.mkdir(mode=0o700)
        except FileExistsError:
            pass
    path.mkdir(parents=True, exist_ok=True, mode=0o700)


def ensure_private_dir(path: Path) -> None:
    """Create `path` like `create_private_dirs`, and tighten it to 0700 if it is open to group or others: only
    for clawgate's own directories (the home, folders inside it)."""
    create_private_dirs(path)
    try:
        mode = path.stat().st_mode & 0o777
        if mode & 0o077:
            path.chmod(0o700)
    except OSError:
        pass
