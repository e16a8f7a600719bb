"""The `clawgate` entry point: global options, command registration, and the top-level error boundary."""

from __future__ import annotations

import os
import sys
import traceback
from typing import Any

import click

from clawgate import __version__
from clawgate.cli.context import STATE, CliState
from clawgate.cli.output import echo, emit_json
from clawgate.errors import ClawgateError
from clawgate.redaction import redact

EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 70


class LazyGroup(click.Group):
    """Imports a subcommand's module only when it runs, keeping `clawgate --help` and each command fast."""

    def __init__(
        self, *args: Any, lazy: dict[str, tuple[str, str, str]] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self._lazy = lazy or {}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self._lazy})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in self._lazy:
            import importlib

            module, attr, _help = self._lazy[name]
            return getattr(importlib.import_module(module), attr)
        return super().get_command(ctx, name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, self._lazy[name][2]) for name in sorted(self._lazy)]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


COMMANDS = {
    "config": ("clawgate.cli.config_cmd", "config", "Read, change and validate clawgate.json."),
    "models": (
        "clawgate.cli.models_cmd",
        "models",
        "The model catalog and each agent's plan (with --probe).",
    ),
    "auth": ("clawgate.cli.auth_cmd", "auth", "Stored credentials (auth profiles) per agent."),
    "env": ("clawgate.cli.env_cmd", "env", "Relevant environment variables, where each comes from."),
    "secrets": (
        "clawgate.cli.secrets_cmd",
        "secrets",
        "Audit plaintext keys, unresolved and shadowed credentials.",
    ),
    "doctor": ("clawgate.cli.doctor_cmd", "doctor", "Find what is wrong and the command that fixes it."),
    "infer": ("clawgate.cli.infer_cmd", "infer", "Make one real model call through the gateway's path."),
    "health": (
        "clawgate.cli.health_cmd",
        "health",
        "Credentials that are rejected or cooling down, and why.",
    ),
    "emulate": ("clawgate.cli.emulate_cmd", "emulate", "Run a local provider emulator with scripted faults."),
    "gateway": ("clawgate.cli.gateway_cmd", "gateway", "Run, start, stop and check the gateway service."),
    "logs": ("clawgate.cli.logs_cmd", "logs", "The gateway's structured log."),
    "status": ("clawgate.cli.status_cmd", "status", "One screen: gateway, agents, providers, failures."),
    "explain": (
        "clawgate.cli.explain_cmd",
        "explain",
        "Name the failing layer of a pasted error and the next step.",
    ),
    "import": ("clawgate.cli.import_cmd", "import_group", "Import an OpenClaw setup and diagnose it."),
    "chat": ("clawgate.cli.chat_cmd", "chat", "Chat with an agent through the gateway, line by line."),
    "dashboard": ("clawgate.cli.dashboard_cmd", "dashboard", "Open the control UI (a one-time login link)."),
    "tui": ("clawgate.cli.tui_cmd", "tui", "Chat with an agent in a terminal UI (streamed, with a footer)."),
    "cron": ("clawgate.cli.cron_cmd", "cron", "Scheduled agent jobs: list, run one now, history."),
    "keys": (
        "clawgate.cli.keys_cmd",
        "keys",
        "Client keys for the gateway: scopes, expiry, limits, budgets.",
    ),
    "devices": (
        "clawgate.cli.devices_cmd",
        "devices",
        "Pair other machines' TUI, chat and UI; approve or revoke them.",
    ),
    "spend": ("clawgate.cli.spend_cmd", "spend", "What was spent, by key, agent, model and day."),
    "onboard": (
        "clawgate.cli.onboard_cmd",
        "onboard",
        "Choose a provider, add a key or sign in, pick a model.",
    ),
}


def register(name: str, module: str, attr: str, help_text: str) -> None:
    COMMANDS[name] = (module, attr, help_text)


@click.group(cls=LazyGroup, lazy=COMMANDS, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="clawgate")
@click.option(
    "--home",
    type=click.Path(file_okay=False),
    envvar=None,
    help="State directory (default: $CLAWGATE_HOME or ~/.clawgate).",
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    help="Config file (default: $CLAWGATE_CONFIG or HOME/clawgate.json).",
)
@click.pass_context
def cli(ctx: click.Context, home: str | None, config_path: str | None) -> None:
    """clawgate — a self-hosted AI agent gateway that tells you which layer failed and what to run next.

    \b
    Start here:
      clawgate doctor            what is wrong, and the next command
      clawgate models status     which model, provider and key a call would use, and why
      clawgate env               which variables clawgate sees, and from where
    """
    st = CliState(environ=dict(os.environ))
    if home:
        st.environ["CLAWGATE_HOME"] = os.path.abspath(os.path.expanduser(home))
        st.flags["CLAWGATE_HOME"] = "--home"
    if config_path:
        st.environ["CLAWGATE_CONFIG"] = os.path.abspath(os.path.expanduser(config_path))
        st.flags["CLAWGATE_CONFIG"] = "--config"
    ctx.obj = st


def _openclaw_refusals() -> None:
    """OpenClaw's top-level verbs that clawgate spells differently (`configure`, `migrate`): hidden, exit 2."""
    from clawgate.cli.openclaw_verbs import install

    install(cli, "")


_openclaw_refusals()


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; every error leaves through here as a message, never a traceback."""
    STATE.json = False
    code = 0
    try:
        rv = cli.main(args=argv, prog_name="clawgate", standalone_mode=False)
    except click.exceptions.Abort:
        echo("aborted", err=True)
        code = 130
    except click.exceptions.Exit as exc:
        code = exc.exit_code
    except click.ClickException as exc:
        exc.show()
        code = EXIT_USAGE
    except ClawgateError as exc:
        code = exc.exit_code
        if STATE.json:
            emit_json({"ok": False, "error": exc.to_json()})
        else:
            echo(f"error: {exc}", err=True)
            for step in exc.next_steps:
                echo(f"  next: {step}", err=True)
            if exc.hint:
                echo(f"  hint: {exc.hint}", err=True)
    except KeyboardInterrupt:
        echo("interrupted", err=True)
        code = 130
    except BrokenPipeError:
        code = 0
    except Exception as exc:  # the last line of defence: summary + redacted traceback in a file
        code = EXIT_INTERNAL
        path = _write_crash(exc)
        echo(f"internal error: {type(exc).__name__}: {redact(str(exc))[:300]}", err=True)
        if path:
            echo(f"  details (secrets redacted): {path}", err=True)
        if os.environ.get("CLAWGATE_DEBUG"):
            echo(redact(traceback.format_exc()), err=True)
    else:
        # in non-standalone mode click returns ctx.exit()'s code instead of raising
        code = rv if isinstance(rv, int) else 0
    sys.exit(code)


def _write_crash(exc: BaseException) -> str | None:
    try:
        import tempfile
        import time

        from clawgate.paths import Paths

        paths = Paths.discover(STATE.environ)
        logs = paths.logs_dir if paths.home.is_dir() else None
        base = str(logs) if logs else tempfile.gettempdir()
        os.makedirs(base, mode=0o700, exist_ok=True)
        path = os.path.join(base, f"crash-{time.strftime('%Y%m%d-%H%M%S')}.log")
        with open(path, "w", encoding="utf-8") as fh:
            os.chmod(path, 0o600)
            fh.write(redact("".join(traceback.format_exception(exc))))
        return path
    except Exception:
        return None
