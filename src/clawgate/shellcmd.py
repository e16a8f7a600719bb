"""Commands printed for the user to run: every argument shell-quoted, so that what is printed runs as printed
(`agents.list[0].model` is a glob to zsh and bash; a JSON list has spaces and quotes)."""

from __future__ import annotations

import shlex


def command(*args: str) -> str:
    """`command("config", "unset", "agents.list[0].model")` -> `clawgate config unset 'agents.list[0].model'`."""
    return shlex.join(["clawgate", *args])
