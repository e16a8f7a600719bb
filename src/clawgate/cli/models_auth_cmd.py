"""`clawgate models auth …`: OpenClaw's spellings (`--provider`, `--profile-id`, `--device-code`) of the
`clawgate auth` commands, with the same meanings. Attached to the `models` group."""

from __future__ import annotations

import sys
from typing import Any

import click

from clawgate.cli import auth_flows
from clawgate.cli.context import json_option, state


def _agent(ctx: click.Context, agent: str | None) -> str | None:
    """The subcommand's --agent, else the group's (`models auth --agent ID list`)."""
    return agent or ctx.meta.get("models_auth_agent")


def register(models: click.Group) -> None:
    from clawgate.cli import auth_cmd
    from clawgate.cli.auth_login_cmd import do_login, show_stored

    @models.group("auth")
    @click.option("--agent", "agent_id", help="Agent whose store the subcommand works on.")
    @click.pass_context
    def auth_group(ctx: click.Context, agent_id: str | None) -> None:
        """Stored credentials, as OpenClaw's `models auth` (same as `clawgate auth`)."""
        ctx.meta["models_auth_agent"] = agent_id

    @auth_group.command("list")
    @click.option("--provider", "provider_id")
    @click.option("--agent", "agent_id")
    @json_option
    @click.pass_context
    def list_cmd(ctx: click.Context, provider_id: str | None, agent_id: str | None, as_json: bool) -> None:
        """Stored profiles (no secret is printed). Same as `clawgate auth list`."""
        ctx.invoke(
            auth_cmd.list_cmd, agent_id=_agent(ctx, agent_id), provider_id=provider_id, as_json=as_json
        )

    @auth_group.command("login")
    @click.option("--provider", "provider", required=True)
    @click.option("--agent", "agent_id")
    @click.option("--profile-id", "profile_id")
    @click.option("--method", help="pkce | device | api-key (api-key: paste a key instead of signing in).")
    @click.option("--device-code", is_flag=True, help="Same as --method device.")
    @click.option("--set-default", is_flag=True)
    @click.option("--force", is_flag=True)
    @click.option("--no-browser", is_flag=True)
    @json_option
    @click.pass_context
    def login_cmd(
        ctx: click.Context,
        provider: str,
        agent_id: str | None,
        profile_id: str | None,
        method: str | None,
        device_code: bool,
        set_default: bool,
        force: bool,
        no_browser: bool,
        as_json: bool,
    ) -> None:
        """Sign in (same as `clawgate auth login PROVIDER`); `--method api-key` pastes a key instead."""
        agent = _agent(ctx, agent_id)
        if method == "api-key":
            out = auth_flows.paste_token(
                state(), provider, agent=agent, profile=profile_id, expires_in=None, ptype="api_key"
            )
            show_stored(out, as_json)
            return
        do_login(
            provider,
            agent,
            profile_id,
            "device" if device_code else method,
            no_browser,
            set_default,
            force,
            as_json,
        )

    @auth_group.command("login-github-copilot")
    @click.option("--agent", "agent_id")
    @click.option("--yes", is_flag=True, help="Overwrite an existing profile without asking.")
    @json_option
    @click.pass_context
    def copilot_cmd(ctx: click.Context, agent_id: str | None, yes: bool, as_json: bool) -> None:
        """GitHub device sign-in for Copilot (same as `clawgate auth login github-copilot`)."""
        do_login("github-copilot", _agent(ctx, agent_id), None, "device", False, False, False, as_json)

    @auth_group.command("logout")
    @click.argument("profile_id")
    @click.option("--agent", "agent_id")
    @click.option("--yes", is_flag=True)
    @json_option
    @click.pass_context
    def logout_cmd(
        ctx: click.Context, profile_id: str, agent_id: str | None, yes: bool, as_json: bool
    ) -> None:
        """Remove one profile (same as `clawgate auth logout`)."""
        ctx.invoke(
            auth_cmd.auth.commands["logout"],
            profile_id=profile_id,
            agent_id=_agent(ctx, agent_id),
            yes=yes,
            as_json=as_json,
        )

    def _paste(ptype: str, suffix: str, name: str, help_text: str) -> None:
        @auth_group.command(name, help=help_text)
        @click.option("--provider", "provider", required=True)
        @click.option("--agent", "agent_id")
        @click.option("--profile-id", "profile_id")
        @click.option("--expires-in", default=None)
        @json_option
        @click.pass_context
        def cmd(
            ctx: click.Context,
            provider: str,
            agent_id: str | None,
            profile_id: str | None,
            expires_in: str | None,
            as_json: bool,
        ) -> None:
            if name == "setup-token" and not as_json:
                click.echo(
                    "Run `claude setup-token` on a machine with Claude Code, then paste the token.", err=True
                )
                expires_in = expires_in or "365d"
            out = auth_flows.paste_token(
                state(),
                provider,
                agent=_agent(ctx, agent_id),
                profile=profile_id,
                expires_in=expires_in if ptype == "token" else None,
                ptype=ptype,
                default_suffix=suffix,
            )
            show_stored(out, as_json)

    _paste(
        "api_key",
        "manual",
        "paste-api-key",
        "Store an API key from a prompt or stdin (profile PROVIDER:manual).",
    )
    _paste(
        "token", "manual", "paste-token", "Store a token from a prompt or stdin (profile PROVIDER:manual)."
    )
    _paste(
        "token", "default", "setup-token", "Store a `claude setup-token` token (profile PROVIDER:default)."
    )

    @auth_group.command("add")
    @click.option("--provider", "provider")
    @click.option("--agent", "agent_id")
    @json_option
    @click.pass_context
    def add_cmd(ctx: click.Context, provider: str | None, agent_id: str | None, as_json: bool) -> None:
        """Interactive: choose a provider, then sign in (subscriptions) or paste its key."""
        from clawgate.auth.oauth import spec_for

        interactive = sys.stdin is not None and sys.stdin.isatty()
        if provider is None:
            if not interactive:
                raise click.UsageError("--provider is required when stdin is not a terminal")
            provider = click.prompt("provider (e.g. openai, anthropic, openai-codex, github-copilot)")
        snap = state().snapshot()
        view = snap.catalog.get(auth_flows.LOGIN_ALIASES.get(provider, provider)) or snap.catalog.get(
            provider
        )
        agent = _agent(ctx, agent_id)
        oauth = view is not None and spec_for(view.id, view.oauth) is not None
        if (
            view is not None
            and oauth
            and interactive
            and click.confirm(f"sign in to {view.id}?", default=True)
        ):
            do_login(view.id, agent, None, None, False, False, False, as_json)
            return
        out = auth_flows.paste_token(
            state(), provider, agent=agent, profile=None, expires_in=None, ptype="api_key"
        )
        show_stored(out, as_json)

    @auth_group.group("order")
    def order_group() -> None:
        """Per-agent profile order for one provider (same as `clawgate auth order`)."""

    for action in ("get", "set", "clear"):

        def make(action: str) -> None:
            @order_group.command(action)
            @click.option("--provider", required=True)
            @click.option("--agent", "agent_id")
            @click.argument("profile_ids", nargs=-1, required=action == "set")
            @json_option
            @click.pass_context
            def cmd(
                ctx: click.Context,
                provider: str,
                agent_id: str | None,
                profile_ids: tuple[str, ...],
                as_json: bool,
            ) -> None:
                target = auth_cmd.auth.commands["order"].commands[action]  # type: ignore[attr-defined]
                kwargs: dict[str, Any] = {
                    "provider": provider,
                    "agent_id": _agent(ctx, agent_id),
                    "as_json": as_json,
                }
                if action == "set":
                    kwargs["profile_ids"] = profile_ids
                ctx.invoke(target, **kwargs)

        make(action)
