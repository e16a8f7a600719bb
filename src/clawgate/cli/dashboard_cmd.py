"""`clawgate dashboard`: a link that logs a browser into the control UI once.

The CLI asks the running gateway — with the gateway token from the same resolver the gateway uses — for a
one-time login code (valid for two minutes), prints `URL/ui/login?code=…` and opens it where a graphical browser
exists. The browser trades the code for a session cookie holding a random id; the token never reaches it.
"""

from __future__ import annotations

import sys
from typing import Any

import click

from clawgate.cli.context import json_option, state
from clawgate.cli.output import echo, emit_json
from clawgate.errors import ClawgateError


def _post(url: str, token: str | None, timeout: float = 5.0) -> tuple[int, Any]:
    from clawgate.gateway.lifecycle import http_json

    return http_json("POST", url, token, {}, timeout)


def can_open_browser(environ: dict[str, str]) -> bool:
    """A graphical browser is plausible: macOS/Windows, or a display on Linux (never a text browser in this
    terminal)."""
    if sys.platform in ("darwin", "win32"):
        return True
    return bool(environ.get("DISPLAY") or environ.get("WAYLAND_DISPLAY"))


def login_link(st: Any, url: str | None = None) -> dict[str, Any]:
    """Ask the gateway for a login code; returns {url, expires_in, auth, gateway}."""
    from clawgate.chat.target import resolve_target
    from clawgate.gateway.token import COMPARE_STEP

    target = resolve_target(st, url)
    if target.token_error and not target.token:
        raise ClawgateError(
            f"cannot log in to the dashboard: {target.token_error}",
            code="gateway.token_missing",
            owner="gateway_auth",
            next_steps=["clawgate gateway status"],
        )
    status, body = _post(target.url + "/api/ui/login-codes", target.token)
    if status == 0:
        raise ClawgateError(
            f"no gateway answers at {target.url} ({target.url_from})",
            code="gateway.not_running",
            owner="runtime",
            next_steps=["clawgate gateway start", "clawgate gateway status"],
        ) from None
    err = body.get("error") if isinstance(body, dict) else None
    if status == 401 or (isinstance(err, dict) and err.get("owner") == "gateway_auth"):
        msg = err.get("message") if isinstance(err, dict) else ""
        raise ClawgateError(
            f"the gateway at {target.url} refused this CLI's token ({target.describe_token()})"
            + (f": {msg}" if msg else ""),
            code=str((err or {}).get("code") or "gateway.token_mismatch"),
            owner="gateway_auth",
            next_steps=[
                COMPARE_STEP,
                "clawgate gateway restart   # if the token was changed after the gateway started",
            ],
        )
    if status == 404:
        raise ClawgateError(
            f"the gateway at {target.url} has no control UI (it is older than this CLI)",
            code="gateway.no_ui",
            owner="runtime",
            next_steps=["clawgate gateway restart"],
        )
    if status not in (200, 201) or not isinstance(body, dict):
        raise ClawgateError(
            f"the gateway at {target.url} answered HTTP {status} to the login request",
            code=f"http.{status}",
            owner="runtime",
            next_steps=["clawgate logs --limit 20"],
        )
    path = body.get("path") or "/"
    return {
        "url": target.url + path,
        "expires_in": body.get("expires_in"),
        "auth": body.get("auth"),
        "gateway": target.url,
    }


@click.command("dashboard")
@click.option("--no-open", is_flag=True, help="Only print the link; do not open a browser.")
@click.option("--url", "url", help="The gateway's address (default: $CLAWGATE_GATEWAY_URL or the config).")
@json_option
def dashboard(no_open: bool, url: str | None, as_json: bool) -> None:
    """Print (and open) a link that logs this machine's browser into the control UI.

    The link works once, for two minutes; the browser then keeps a session cookie (a random id, never the
    gateway token) until the gateway restarts, its token changes, or a day passes.
    """
    st = state()
    data = login_link(st, url)
    opened = False
    if not no_open and can_open_browser(st.environ):
        import webbrowser

        try:
            opened = bool(webbrowser.open(data["url"], new=2))
        except webbrowser.Error:
            opened = False
    data["opened"] = opened
    if as_json:
        emit_json(data)
        return
    echo(data["url"])
    if data["auth"] == "token":
        ttl = int(data["expires_in"] or 120)
        note = f"this link logs one browser in; it works once, within {ttl} s"
    else:
        note = "gateway.auth.mode is none: no login needed"
    echo(note + ("; opened in your browser" if opened else ""), err=True)
