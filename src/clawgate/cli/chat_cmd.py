"""`clawgate chat`: talk to an agent through the running gateway, one line at a time (SSH- and pipe-friendly)."""

from __future__ import annotations

import asyncio
from typing import Any

import click

from clawgate.cli.context import state


def gateway_options(f: Any) -> Any:
    """--agent/--model/--session/--url, shared by `chat` and `tui`."""
    for opt in reversed(
        [
            click.option("--agent", "agent_id", help="Agent to talk to (default: the default agent)."),
            click.option("--model", "model_ref", help="Model ref (REF[@profile]) for a new session."),
            click.option("--session", "session_id", help="Continue this session id instead of starting one."),
            click.option(
                "--url",
                help="Gateway URL (default: $CLAWGATE_GATEWAY_URL, else gateway.bind/gateway.port).",
            ),
        ]
    ):
        f = opt(f)
    return f


def warn_mismatch() -> None:
    """Say on stderr when the gateway this CLI reaches runs from another home or config (the same check as
    doctor's): its replies come from that gateway's setup, not this home's."""
    from clawgate.diagnose.live import mismatch_findings

    for f in mismatch_findings(state().gateway_status()):
        click.echo(f"{f.severity} {f.code}: {f.message}", err=True)
        for n in f.next_steps[:2]:
            click.echo(f"  next: {n}", err=True)


@click.command("chat")
@gateway_options
def chat(agent_id: str | None, model_ref: str | None, session_id: str | None, url: str | None) -> None:
    """Chat in line mode: each line of stdin goes to the agent, the streamed reply is printed.

    \b
    Slash commands:  /new [model]   a fresh session for the same agent
                     /stop          stop the reply (Ctrl-C during a reply does the same)
                     /model REF[@profile]   pin a model for this session (/model alone clears it)
                     /status        the session's plan, with provenance
                     /quit          leave (so does EOF: `echo hi | clawgate chat`)

    Exit status: 0 when every reply succeeded, 1 when one failed, 3 when no gateway answers.
    """
    from clawgate.chat.client import ChatError, GatewayClient
    from clawgate.chat.line import LineChat
    from clawgate.chat.target import resolve_target

    target = resolve_target(state(), url)
    if not url:
        warn_mismatch()
    client = GatewayClient(target)
    chat_ = LineChat(client, agent=agent_id, model=model_ref, session_id=session_id)

    async def go() -> int:
        async with client:
            return await chat_.run()

    try:
        code = asyncio.run(go())
    except ChatError as exc:
        chat_.print_error(exc.as_event())
        code = exc.exit_code
    raise click.exceptions.Exit(code)
