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
    flags: dict[str, str] = field(default_factory=dict)  # variable -> the flag that set it (`--home`)
    _service: Any = field(default=None, repr=False)
    _gateway_status: Any = field(default=None, repr=False)

    @property
    def paths(self) -> Paths:
        return Paths.discover(self.environ, self.flags)

    def snapshot(self, cli_env: bool = False):  # -> Snapshot
        """This CLI's own setup: its process environment, no `.env` of the current directory — what it uses
        to reach the gateway (URL, client token) and edit files. `cli_env=True`: ./.env included (for `env` and
        `explain`, which say what this shell has). Reads that predict the gateway use `service_snapshot()`."""
        from clawgate.plan.snapshot import Snapshot

        return Snapshot.load(self.paths, self.environ, cwd=Path.cwd() if cli_env else None)

    def service(self):  # -> diagnose.prediction.ServicePrediction
        """The gateway service's environment: the running gateway's (when one runs for this home), else the
        one `gateway start` / the unit would give it. Asked once per command."""
        if self._service is None:
            from clawgate.diagnose.prediction import predict_for_cli

            self._service, self._gateway_status = predict_for_cli(self.paths, self.environ, Path.cwd())
        return self._service

    def gateway_status(self) -> dict[str, Any] | None:
        """`gateway.lifecycle.status()` as this CLI sees it (fetched with `service()`)."""
        self.service()
        return self._gateway_status

    def service_environ(self) -> dict[str, str]:
        return dict(self.service().environ)

    def service_snapshot(self):  # -> Snapshot
        """The setup as the gateway service sees it (see `service()`): what `models status`, probes, `infer`,
        `doctor` and `status` plan with."""
        from clawgate.plan.snapshot import Snapshot

        return Snapshot.load(self.paths, self.service_environ(), cwd=None)


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
