"""`clawgate explain`: name the failing layer of a pasted error, its likely causes (checked locally) and next steps."""

from __future__ import annotations

import sys
from typing import Any

import click

from clawgate.cli.context import json_option, state
from clawgate.cli.output import console, emit_json, esc
from clawgate.errors import ClawgateError, UsageError
from clawgate.paths import display_path

EXIT_UNMATCHED = 2
_MARK = {True: "[red]✓ holds  [/]", False: "[dim]✗ no     [/]", None: "[yellow]? unknown[/]"}


def _read_text(words: tuple[str, ...], file: str | None) -> str:
    if words and file:
        raise UsageError("give the error text or --file, not both", next_steps=["clawgate explain --help"])
    if file:
        if file == "-":
            return sys.stdin.read()
        try:
            with open(file, encoding="utf-8", errors="replace") as fh:
                return fh.read()
        except OSError as exc:
            raise UsageError(
                f"cannot read {file}: {exc.strerror}", next_steps=["clawgate explain --help"]
            ) from None
    if words:
        return " ".join(words)
    if sys.stdin is not None and not sys.stdin.isatty():
        return sys.stdin.read()
    raise UsageError(
        "nothing to explain: paste the error as an argument, use --file F, or pipe it in",
        next_steps=[
            "clawgate explain 'HTTP 401: {\"error\":{...}}'",
            "clawgate logs -n 50 | clawgate explain",
        ],
    )


def _snapshot() -> tuple[Any, str | None]:
    """The local setup when a clawgate home exists; (None, why-not) otherwise or when it does not load."""
    st = state()
    paths = st.paths
    if not (paths.config.exists() or paths.env_file.exists() or paths.agents_dir.exists()):
        return None, None
    try:
        return st.snapshot(cli_env=True), None
    except ClawgateError as exc:
        return None, str(exc)


@click.command("explain")
@click.argument("text", nargs=-1)
@click.option(
    "--file",
    "-f",
    "file",
    type=click.Path(dir_okay=False, allow_dash=True),
    help="Read the error from a file ('-' for stdin).",
)
@click.option("--provider", "-p", help="The provider the error came from (default: detected from the text).")
@click.option("--agent", "agent_id", help="Check causes for this agent (default: the default agent).")
@json_option
def explain(
    text: tuple[str, ...], file: str | None, provider: str | None, agent_id: str | None, as_json: bool
) -> None:
    """Explain a pasted error: a provider's JSON body (with or without 'HTTP 4xx'), a clawgate error, or a
    log line from another gateway. Names the owner (failing layer), the code, the likely causes — checked
    against this clawgate home when one exists — and the next commands.

    \b
      clawgate explain 'run error: 401 Missing Authentication header'
      clawgate explain --provider openrouter '{"error":{"message":"Missing Authentication header","code":401}}'
      clawgate logs -n 20 | clawgate explain

    Exit status: 0 when the text was classified, 2 when nothing matched.
    """
    from clawgate.diagnose.explain import explain as run

    raw = _read_text(text, file)
    if not raw.strip():
        raise UsageError("nothing to explain: the text is empty", next_steps=["clawgate explain --help"])
    snap, load_error = _snapshot()
    ex = run(raw, provider=provider, snap=snap, agent=agent_id)
    if ex is None:
        _unmatched(as_json)
        raise click.exceptions.Exit(EXIT_UNMATCHED)
    if load_error:
        from clawgate.diagnose.explain import Cause

        ex.causes.insert(
            0, Cause("config.invalid_value", "clawgate's own config does not load", True, load_error)
        )
        ex.next_steps.insert(0, "clawgate config validate")
    if as_json:
        emit_json(ex.to_json())
    else:
        _render(ex)


def _unmatched(as_json: bool) -> None:
    msg = "no known error pattern matched this text"
    nxt = ["clawgate doctor", "clawgate logs -n 50   # paste the first error line, not the last"]
    if as_json:
        emit_json({"owner": None, "code": None, "provider": None, "message": msg, "causes": [], "next": nxt})
        return
    c = console()
    c.print(f"[yellow]{esc(msg)}[/] — paste the provider's error body or the log line with the status.")
    for n in nxt:
        c.print(f"  [cyan]next:[/] {esc(n)}")


def _render(ex: Any) -> None:
    c = console()
    prov = f" · provider [bold]{esc(ex.provider)}[/] [dim]({esc(ex.provider_from)})[/]" if ex.provider else ""
    c.print(f"owner [bold]{esc(ex.owner)}[/] · code [bold]{esc(ex.code)}[/]{prov}")
    c.print(f"  {esc(ex.message)}")
    if ex.causes:
        where = (
            f"checked against {display_path(ex.checked['config'])}, agent {ex.checked['agent']}"
            if ex.checked
            else "not checked: no clawgate home here (set CLAWGATE_HOME, or run clawgate import openclaw)"
        )
        c.print(f"likely causes [dim]({esc(where)})[/]:")
        for cause in ex.causes:
            mark = _MARK[cause.holds]
            c.print(f"  {mark} {esc(cause.cause)}")
            if cause.evidence:
                c.print(f"            [dim]{esc(cause.evidence)}[/]")
    if ex.next_steps:
        c.print("next:")
        for n in ex.next_steps:
            c.print(f"  [cyan]{esc(n)}[/]")
