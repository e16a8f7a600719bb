"""`clawgate auth login|paste-token|setup-token|order|logout`: subscription sign-in (OAuth), pasted tokens,
and the per-agent profile order. Attached to the `auth` group by auth_cmd."""

from __future__ import annotations

import time
from typing import Any

import click

from clawgate.cli import auth_flows
from clawgate.cli.context import json_option, state
from clawgate.cli.output import console, emit_json, esc


def _when(ms: int | None) -> str:
    if not ms:
        return "no expiry"
    left = (ms - time.time() * 1000) / 3_600_000
    stamp = time.strftime("%Y-%m-%d %H:%M", time.localtime(ms / 1000))
    return f"expires {stamp} ({left:.1f} h)" if left >= 0 else f"expired {stamp}"


def show_stored(out: dict[str, Any], as_json: bool) -> None:
    if as_json:
        emit_json(out)
        return
    c = console()
    verb = "replaced" if out.get("replaced") else "stored"
    c.print(
        f"[green]{verb}[/] {esc(out['profile'])} ({esc(out['type'])}) for agent {esc(out['agent'])}: "
        f"{esc(out.get('fingerprint'))}, {esc(_when(out.get('expires')))}"
    )
    if out.get("account"):
        c.print(
            f"  account {esc(out['account'])}" + (f", plan {esc(out['plan'])}" if out.get("plan") else "")
        )
    for r in out.get("removed") or []:
        c.print(f"  removed {esc(r)}")
    if out.get("default_model"):
        c.print(f"  default model: {esc(out['default_model'])}")
    for w in out.get("warnings") or []:
        c.print(f"[yellow]warning:[/] {esc(w)}")
    c.print(f"check it: clawgate models status --agent {out['agent']} --probe")


def do_login(
    provider: str,
    agent: str | None,
    profile: str | None,
    method: str | None,
    no_browser: bool,
    set_default: bool,
    force: bool,
    as_json: bool,
) -> None:
    say = (
        (lambda line: console(stderr=True).print(esc(line)))
        if as_json
        else (lambda line: console().print(esc(line)))
    )
    out = auth_flows.login(
        state(),
        provider,
        agent=agent,
        profile=profile,
        method=method,
        open_browser=not no_browser,
        set_default=set_default,
        force=force,
        say=say,
    )
    show_stored(out, as_json)


def register(auth: click.Group) -> None:
    @auth.command("login")
    @click.argument("provider")
    @click.option("--agent", "agent_id", help="Agent id (default: the default agent).")
    @click.option("--profile", "profile_id", help="Profile id (default: PROVIDER:default).")
    @click.option(
        "--method", type=click.Choice(["pkce", "device", "device-code", "oauth"]), help="Sign-in flow."
    )
    @click.option("--no-browser", is_flag=True, help="Print the URL only (paste the redirect URL back).")
    @click.option("--set-default", is_flag=True, help="Also make the provider's first model the default.")
    @click.option("--force", is_flag=True, help="Remove this agent's other profiles for the provider first.")
    @json_option
    def login_cmd(
        provider: str,
        agent_id: str | None,
        profile_id: str | None,
        method: str | None,
        no_browser: bool,
        set_default: bool,
        force: bool,
        as_json: bool,
    ) -> None:
        """Sign in to a subscription and store it as an OAuth profile: openai-codex (ChatGPT, browser),
        anthropic (Claude Pro/Max, browser + pasted code), github-copilot (device code).

        \b
          clawgate auth login openai-codex
          clawgate auth login github-copilot --agent work
        Tokens are refreshed before they expire, on every call path.
        """
        do_login(provider, agent_id, profile_id, method, no_browser, set_default, force, as_json)

    @auth.command("paste-token")
    @click.argument("provider")
    @click.option("--agent", "agent_id", help="Agent id (default: the default agent).")
    @click.option("--profile", "profile_id", help="Profile id (default: PROVIDER:manual).")
    @click.option("--expires-in", help="When the token expires, e.g. 365d or 12h.")
    @json_option
    def paste_token_cmd(
        provider: str, agent_id: str | None, profile_id: str | None, expires_in: str | None, as_json: bool
    ) -> None:
        """Store a token generated elsewhere (e.g. `claude setup-token` for anthropic), read from a hidden
        prompt or stdin: `printf '%s' "$TOKEN" | clawgate auth paste-token anthropic`."""
        show_stored(
            auth_flows.paste_token(
                state(), provider, agent=agent_id, profile=profile_id, expires_in=expires_in
            ),
            as_json,
        )

    @auth.command("setup-token")
    @click.argument("provider")
    @click.option("--agent", "agent_id", help="Agent id (default: the default agent).")
    @click.option("--profile", "profile_id", help="Profile id (default: PROVIDER:default).")
    @click.option("--expires-in", default="365d", show_default=True, help="When the token expires.")
    @json_option
    def setup_token_cmd(
        provider: str, agent_id: str | None, profile_id: str | None, expires_in: str, as_json: bool
    ) -> None:
        """Store a long-lived subscription token. For anthropic: run `claude setup-token` (Claude Code, on any
        machine), then paste the sk-ant-oat… token it prints."""
        if not as_json:
            console(stderr=True).print(
                "Run `claude setup-token` on a machine with Claude Code, then paste the token."
            )
        show_stored(
            auth_flows.paste_token(
                state(),
                provider,
                agent=agent_id,
                profile=profile_id,
                expires_in=expires_in,
                default_suffix="default",
            ),
            as_json,
        )

    @auth.group("order")
    def order_group() -> None:
        """The order in which an agent's profiles for one provider are tried (stored with the profiles)."""

    @order_group.command("get")
    @click.option("--provider", required=True)
    @click.option("--agent", "agent_id")
    @json_option
    def order_get(provider: str, agent_id: str | None, as_json: bool) -> None:
        """Show the stored order, the config's `auth.order`, and the effective order."""
        out = auth_flows.order(state(), "get", provider, agent_id, ())
        if as_json:
            emit_json(out)
            return
        c = console()
        c.print(f"[bold]{esc(out['provider'])}[/] agent {esc(out['agent'])}")
        c.print(f"  stored:    {esc(', '.join(out['order']) or '(none)')}")
        c.print(f"  config:    {esc(', '.join(out['config_order']) or '(none)')}")
        c.print(f"  effective: {esc(', '.join(out['effective']) or '(no profiles)')}")

    @order_group.command("set")
    @click.option("--provider", required=True)
    @click.option("--agent", "agent_id")
    @click.argument("profile_ids", nargs=-1, required=True)
    @json_option
    def order_set(provider: str, agent_id: str | None, profile_ids: tuple[str, ...], as_json: bool) -> None:
        """Try PROFILE_IDS first, in this order (config `auth.order` still comes first)."""
        out = auth_flows.order(state(), "set", provider, agent_id, profile_ids)
        emit_json(out) if as_json else console().print(f"[green]order[/] {esc(', '.join(out['order']))}")

    @order_group.command("clear")
    @click.option("--provider", required=True)
    @click.option("--agent", "agent_id")
    @json_option
    def order_clear(provider: str, agent_id: str | None, as_json: bool) -> None:
        """Drop the stored order (profiles are tried by config order, then `:default` first, then by id)."""
        out = auth_flows.order(state(), "clear", provider, agent_id, ())
        emit_json(out) if as_json else console().print(
            f"[green]cleared[/] the order for {esc(out['provider'])}"
        )

    @auth.command("logout")
    @click.argument("profile_id")
    @click.option("--agent", "agent_id")
    @click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
    @json_option
    def logout_cmd(profile_id: str, agent_id: str | None, yes: bool, as_json: bool) -> None:
        """Remove a stored profile and its mentions in the config's `auth.order`."""
        import sys

        if not yes and sys.stdin is not None and sys.stdin.isatty():
            click.confirm(f"remove {profile_id}?", abort=True)
        out = auth_flows.logout(state(), profile_id, agent_id)
        if as_json:
            emit_json(out)
        else:
            console().print(f"[green]removed[/] {esc(out['removed'])} from agent {esc(out['agent'])}")
            for p in out["config_pruned"]:
                console().print(f"  and from {esc(p)}")
