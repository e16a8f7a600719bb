"""Done-when 4: `clawgate tui` driven in tmux (send-keys / capture-pane) streams a reply, shows the footer, runs
`/new` and `/stop`, and shows a provider 401 with its owner — polling the pane with deadlines, never sleeping."""

from __future__ import annotations

import re
import sys

from .conftest import PLAIN_REPLY, REJECTED_REF, SLOW_REF, ChatHome, Tmux

FOOTER = re.compile(
    r"agent (?P<agent>\S+) \| session (?P<session>.+?) \| (?P<ref>\S+) \((?P<src>[^)]*\)?)\) \| "
    r"tokens (?P<used>\S+)/(?P<window>\S+) \| gateway (?P<state>.+?)\s*$",
    re.M,
)


def footer(screen: str) -> dict[str, str] | None:
    found = [m.groupdict() for m in FOOTER.finditer(screen)]
    return found[-1] if found else None


def flat(screen: str) -> str:
    """The pane's text with wrapped lines joined (Textual wraps at spaces)."""
    return " ".join(line.strip() for line in screen.splitlines() if line.strip())


def partial_reply(screen: str) -> str | None:
    """The text of a reply still streaming (shown with the cursor ▍)."""
    m = re.search(r"main: (.*?)▍", screen)
    return m.group(1) if m else None


def test_tui_streams_shows_footer_runs_new_and_stop_and_shows_a_provider_401(
    chat_home: ChatHome, tmux: Tmux
) -> None:
    # no --url: the TUI finds the gateway from clawgate.json and the token from $CLAWGATE_HOME/.env
    tmux.start([sys.executable, "-m", "clawgate", "tui"], chat_home.env(), chat_home.path.parent)

    # the footer: agent, session, model (and where it comes from), tokens/context window, connection
    f = tmux.wait(lambda s: (f := footer(s)) and f["state"] == "connected" and f, 20, "the footer, connected")
    assert (f["agent"], f["ref"], f["src"], f["window"]) == (
        "main",
        "openai/gpt-4o",
        "agents.defaults.model.primary",
        "128k",
    )
    first_session = f["session"]

    # a streamed reply; the footer's token count follows the session
    tmux.type("hello")
    tmux.wait(lambda s: f"main: {PLAIN_REPLY}" in s, 15, "the reply")
    f = tmux.wait(lambda s: (f := footer(s)) and f["used"] != "?" and f, 15, "token usage in the footer")
    assert re.fullmatch(r"\d+(\.\d)?[km]?", f["used"]), f

    # /new with a slow model: a fresh session, named in the footer
    tmux.type(f"/new {SLOW_REF}")
    f = tmux.wait(
        lambda s: (f := footer(s)) and f["session"] != first_session and f["ref"] == SLOW_REF and f,
        15,
        "the new session in the footer",
    )
    assert f["state"] == "connected"

    # the reply streams in (the text grows while the cursor shows) …
    tmux.type("take your time")
    first = tmux.wait(partial_reply, 15, "the first streamed chunk")
    tmux.wait(lambda s: (p := partial_reply(s)) is not None and len(p) > len(first), 15, "more streamed text")
    # … until /stop ends it
    tmux.type("/stop")
    screen = tmux.wait(lambda s: "[stopped]" in s and "stopped run r_" in s and s, 15, "the stopped run")
    assert "chunks20 [stopped]" not in screen  # it did not finish
    assert partial_reply(screen) is None

    # a provider 401: an error line with owner, code and the next command — not an empty bubble
    tmux.type(f"/model {REJECTED_REF}")
    tmux.wait(lambda s: (f := footer(s)) and f["ref"] == REJECTED_REF, 15, "the pinned model in the footer")
    tmux.type("are you there?")
    # wait for the whole error line: the pane may be captured while the TUI is still painting it
    error_line = re.compile(
        r"✖ provider_auth auth\.rejected — .*openrouter.* · next: clawgate models status --probe"
    )
    screen = tmux.wait(
        lambda s: error_line.search(flat(s)) and s, 15, "the provider error and its next command"
    )
    assert not re.search(r"^\s*main:\s*▍?\s*$", screen, re.M), screen
    assert footer(screen)["state"] == "connected"  # type: ignore[index]

    tmux.type("/quit")
    tmux.wait(lambda s: "[exited with status 0]" in s, 15, "the TUI to exit")
