"""`clawgate keys create|list|update|rotate|revoke`: client keys for the gateway — named, scoped to agents and
models, with expiry, RPM/TPM limits and a budget. A key is shown once, when it is made (or rotated); the
gateway keeps only its hash. The gateway token remains the owner's key (docs/clients.md)."""

from __future__ import annotations

import time
from typing import Any

import click

from clawgate.cli.clients_common import ago, reveal, reveal_json, when, with_admin, with_store
from clawgate.cli.context import json_option
from clawgate.cli.output import console, emit_json, esc


def _scopes(agents: tuple[str, ...], models: tuple[str, ...]) -> Any:
    from clawgate.clients.scopes import Scopes

    return Scopes(tuple(a for a in agents if a), tuple(m for m in models if m))


def _limits_options(f: Any) -> Any:
    for opt in reversed(
        [
            click.option(
                "--agent", "agents", multiple=True, help="An agent this key may use (repeat; default: any)."
            ),
            click.option(
                "--model",
                "models",
                multiple=True,
                help="A model ref, alias or glob this key may use, e.g. 'openai/*' (repeat; default: any).",
            ),
            click.option(
                "--expires", help="When the key stops working: 30d, 12h, 90m, or a date (2026-01-31)."
            ),
            click.option("--rpm", type=int, help="Requests per minute, on every gateway process together."),
            click.option(
                "--tpm", type=int, help="Tokens per minute (input + output), on every process together."
            ),
            click.option("--budget", type=float, help="USD the key may spend per budget period."),
            click.option(
                "--budget-period",
                type=click.Choice(["day", "week", "month", "total"]),
                help="The budget's period (UTC; default month).",
            ),
            click.option("--note", help="What the key is for (shown in lists)."),
        ]
    ):
        f = opt(f)
    return f


@click.group("keys")
def keys() -> None:
    """Client keys for the gateway: scoped, limited, budgeted, revocable.

    \b
    A client uses its key like any API key (OpenAI base_url <gateway>/v1, Anthropic base_url <gateway>):
      clawgate keys create ci-bot --model 'openai/*' --rpm 60 --budget 20
    The gateway token (CLAWGATE_GATEWAY_TOKEN) is the owner's key: it may do everything and is never limited.
    """


def _key_lines(d: dict[str, Any]) -> list[str]:
    scopes = d["scopes"] or {}
    scope = "; ".join(f"{k} {', '.join(v)}" for k, v in scopes.items()) or "any agent and model"
    limits = ", ".join(f"{k} {d[k]}" for k in ("rpm", "tpm") if d.get(k)) or "no rate limit"
    b = d.get("budget")
    budget = "no budget"
    if b:
        spent = b.get("spent_usd")
        budget = (
            f"${spent:.4f} of ${b['usd']:g} this {b['period']}"
            if spent is not None
            else f"${b['usd']:g}/{b['period']}"
        )
    expires = (
        f"expires {when(d['expires_at'])} ({ago(d['expires_at'])})" if d.get("expires_at") else "no expiry"
    )
    return [f"scopes: {scope}", f"limits: {limits} · budget: {budget} · {expires}"]


@keys.command("create")
@click.argument("name")
@_limits_options
@json_option
def create_cmd(
    name: str,
    agents: tuple[str, ...],
    models: tuple[str, ...],
    expires: str | None,
    rpm: int | None,
    tpm: int | None,
    budget: float | None,
    budget_period: str | None,
    note: str | None,
    as_json: bool,
) -> None:
    """Make a client key NAME. The key is printed once: store it now."""
    from clawgate.clients.admin import parse_when
    from clawgate.clients.views import key_json

    expires_at = parse_when(expires, time.time()) if expires else None
    rec, token = with_admin(
        lambda a: a.create_key(
            name, _scopes(agents, models), expires_at, rpm, tpm, budget, budget_period, note
        )
    )
    data = key_json(rec)
    if as_json:
        reveal_json({"ok": True, "key": data, "token": token, "shown_once": True})
        return
    c = console()
    c.print(f"created client key [bold]{esc(rec.name)}[/] ({esc(rec.hint)})")
    for line in _key_lines(data):
        c.print(f"  {esc(line)}")
    c.print("the key (shown once; the gateway keeps only its hash):")
    reveal(token)
    c.print(
        "[dim]use it as the API key of an OpenAI or Anthropic client, e.g. OPENAI_API_KEY=<key> with "
        "base_url <gateway>/v1[/]"
    )


@keys.command("list")
@click.option("--all", "show_all", is_flag=True, help="Include revoked and expired keys.")
@json_option
def list_cmd(show_all: bool, as_json: bool) -> None:
    """Every client key: state, scopes, limits, budget (with this period's spend), expiry, last use."""
    from clawgate.clients.views import budget_spend, key_json

    def read(store: Any) -> tuple[list[Any], dict[str, float], dict[str, float]]:
        recs = list(store.client_keys())
        last = store.client_last_used()
        return recs, budget_spend(store, recs), last

    recs, spent, last = with_store(read)
    rows = [key_json(k, spent) | {"last_used_at": last.get(f"key:{k.id}")} for k in recs]
    if not show_all:
        rows = [r for r in rows if r["state"] == "active"]
    if as_json:
        emit_json({"keys": rows})
        return
    c = console()
    if not rows:
        c.print(
            "no client keys" + ("" if show_all else " (active)") + " · make one: clawgate keys create NAME"
        )
        return
    for r in rows:
        style = {"active": "green", "revoked": "red", "expired": "yellow"}[r["state"]]
        c.print(
            f"[{style}]{r['state']:<8}[/] [bold]{esc(r['name'])}[/] {esc(r['hint'])}  "
            f"[dim]last used {ago(r['last_used_at'])}{' · ' + esc(r['note']) if r.get('note') else ''}[/]"
        )
        for line in _key_lines(r):
            c.print(f"         {esc(line)}")


@keys.command("update")
@click.argument("name")
@_limits_options
@click.option("--any-scope", is_flag=True, help="Remove every scope (any agent and model).")
@click.option("--no-expiry", is_flag=True, help="The key never expires.")
@click.option("--no-rpm", is_flag=True, help="Remove the RPM limit.")
@click.option("--no-tpm", is_flag=True, help="Remove the TPM limit.")
@click.option("--no-budget", is_flag=True, help="Remove the budget.")
@json_option
def update_cmd(
    name: str,
    agents: tuple[str, ...],
    models: tuple[str, ...],
    expires: str | None,
    rpm: int | None,
    tpm: int | None,
    budget: float | None,
    budget_period: str | None,
    note: str | None,
    any_scope: bool,
    no_expiry: bool,
    no_rpm: bool,
    no_tpm: bool,
    no_budget: bool,
    as_json: bool,
) -> None:
    """Change a key's scopes, expiry, limits, budget or note (running gateways follow at once)."""
    from clawgate.clients.admin import parse_when
    from clawgate.clients.views import key_json

    clear = [
        f
        for f, on in (
            ("scopes", any_scope),
            ("expires_at", no_expiry),
            ("rpm", no_rpm),
            ("tpm", no_tpm),
            ("budget_usd", no_budget),
        )
        if on
    ]
    changes: dict[str, Any] = {
        "scopes": _scopes(agents, models) if (agents or models) else None,
        "expires_at": parse_when(expires, time.time()) if expires else None,
        "rpm": rpm,
        "tpm": tpm,
        "budget_usd": budget,
        "budget_period": budget_period,
        "note": note,
        "clear": clear,
    }
    rec = with_admin(lambda a: a.update_key(name, **changes))
    data = key_json(rec)
    if as_json:
        emit_json({"ok": True, "key": data})
        return
    c = console()
    c.print(f"updated client key [bold]{esc(rec.name)}[/] ({esc(rec.hint)})")
    for line in _key_lines(data):
        c.print(f"  {esc(line)}")


@keys.command("rotate")
@click.argument("name")
@click.option(
    "--grace",
    default="0",
    help="How long the old key keeps working (e.g. 1h, 10m; default 0: it stops at once).",
)
@json_option
def rotate_cmd(name: str, grace: str, as_json: bool) -> None:
    """Give key NAME a new secret (same name, scopes, limits and spend). The new key is printed once."""
    from clawgate.clients.admin import parse_seconds
    from clawgate.clients.views import key_json

    seconds = parse_seconds(grace)
    rec, token = with_admin(lambda a: a.rotate_key(name, seconds))
    if as_json:
        reveal_json({"ok": True, "key": key_json(rec), "token": token, "shown_once": True})
        return
    c = console()
    old = (
        f"the old key works until {when(rec.prev_until)}" if rec.prev_until else "the old key stopped working"
    )
    c.print(f"rotated client key [bold]{esc(rec.name)}[/] ({esc(rec.hint)}); {old}")
    c.print("the new key (shown once):")
    reveal(token)


@keys.command("revoke")
@click.argument("name")
@json_option
def revoke_cmd(name: str, as_json: bool) -> None:
    """Revoke key NAME: every gateway process refuses it at once (`gateway.key_revoked`)."""
    from clawgate.clients.views import key_json

    rec = with_admin(lambda a: a.revoke_key(name))
    if as_json:
        emit_json({"ok": True, "key": key_json(rec)})
        return
    console().print(
        f"revoked client key [bold]{esc(rec.name)}[/] ({esc(rec.hint)}) at {when(rec.revoked_at)}"
    )
