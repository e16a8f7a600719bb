"""The next steps that put a variable into the home's `.env` (`$CLAWGATE_HOME/.env`, whichever home the command
runs with), runnable as printed: `clawgate env set NAME` reads the value from a hidden prompt or stdin and writes
the file atomically — never `echo ... >> ~/.clawgate/.env`, which names one home and duplicates lines."""

from __future__ import annotations

import shlex
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from clawgate.paths import Paths

GENERATE_GATEWAY_TOKEN = "clawgate doctor --generate-gateway-token"


def _in(paths: Paths | None) -> str:
    """`CLAWGATE_HOME=... ` when a process that knows its home (the gateway) prints a step for another shell,
    and that home is not the default one."""
    if paths is None or paths.home_from == "default":
        return ""
    return f"CLAWGATE_HOME={shlex.quote(str(paths.home))} "


def in_home(command: str, paths: Paths | None = None) -> str:
    """Any `clawgate …` step printed by a process that knows its home, for another shell (see `_in`)."""
    return f"{_in(paths)}{command}"


def set_var(name: str, paths: Paths | None = None) -> str:
    """Set NAME in the home's .env (the value at a hidden prompt, or piped)."""
    return f"{_in(paths)}clawgate env set {name}"


def generate_gateway_token(paths: Paths | None = None) -> str:
    """Create CLAWGATE_GATEWAY_TOKEN in the home's .env (unless a gateway token exists)."""
    return _in(paths) + GENERATE_GATEWAY_TOKEN


def set_var_from_shell(name: str) -> str:
    """Copy this shell's NAME into the home's .env."""
    return f"printf '%s' \"${name}\" | clawgate env set {name}"


def move_var(name: str) -> str:
    """Move NAME's line from this directory's .env into the home's."""
    return f"clawgate env move {name}"


def dedupe(steps: list[str]) -> list[str]:
    """`steps` without repeats, and without a command another step gives with more options
    (`clawgate auth add openai` beside `clawgate auth add openai --agent main`)."""
    unique = list(dict.fromkeys(steps))
    return [s for s in unique if not any(t != s and t.startswith(s + " ") for t in unique)]
