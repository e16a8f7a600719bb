"""Per-invocation CLI state: the environment (with --home/--config applied) and output mode."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click

from clawgate.paths import Paths


@dataclass
class CliState:
    environ: dict[str, str] = field(default_factory=lambda: dict(os.environ))
    json: bool = False

    @property
    def paths(self) -> Paths:
        return Paths.discover(self.environ)

    def snapshot(self, cli_env: bool = False):  # -> Snapshot
        """The setup as the gateway service sees it: no `.env` of the current directory (the gateway never
        reads it). `cli_env=True`: as this shell sees it, ./.env included (for `env` and `explain`)."""
        from clawgate.plan.snapshot import Snapshot

        return Snapshot.load(self.paths, self.environ, cwd=Path.cwd() if cli_env else None)


STATE = CliState()


def state() -> CliState:
    ctx = click.get_current_context(silent=True)
    if ctx is not None and isinstance(ctx.obj, CliState):
        return ctx.obj
    return STATE


def json_option(f: Callable[..., Any]) -> Callable[..., Any]:
    """`--json` on a read command: machine-readable output on stdout (errors too)."""

    def cb(ctx: click.Context, _param: click.Parameter, value: bool) -> bool:
        if value:
            st = ctx.find_object(CliState) or STATE
            st.json = True
            STATE.json = True
        return value

    return click.option(
        "--json",
        "as_json",
        is_flag=True,
        expose_value=True,
        callback=cb,
        is_eager=True,
        help="Print JSON instead of text.",
    )(f)
