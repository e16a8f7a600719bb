"""`clawgate tui`: a terminal chat UI (Textual) over the running gateway."""

from __future__ import annotations

import click

from clawgate.cli.chat_cmd import gateway_options
from clawgate.cli.context import state


@click.command("tui")
@gateway_options
def tui(agent_id: str | None, model_ref: str | None, session_id: str | None, url: str | None) -> None:
    """Chat in a terminal UI: streamed replies, slash commands, and a footer with agent, session, model (and
    where it comes from), tokens against the context window, and the gateway connection.

    \b
    Slash commands:  /new [model]  /stop (or Esc, or Ctrl-C during a reply)  /model REF[@profile]
                     /status  /quit (or Ctrl-C / Ctrl-Q)
    """
    from clawgate.chat.target import resolve_target
    from clawgate.tui.app import ChatApp

    target = resolve_target(state(), url)
    app = ChatApp(target, agent=agent_id, model=model_ref, session_id=session_id)
    code = app.run()
    raise click.exceptions.Exit(code or 0)
