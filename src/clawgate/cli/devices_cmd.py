"""`clawgate devices list|approve|reject|revoke` on the gateway's machine, and `clawgate devices pair` on a
client's: a TUI, chat or control UI on another machine asks to be paired, and is approved here. A revoked
device is refused with its own code (`gateway.device_revoked`)."""

from __future__ import annotations

import json
import platform
import time
import urllib.error
import urllib.request
from typing import Any

import click

from clawgate.cli.clients_common import ago, with_admin, with_store
from clawgate.cli.context import json_option, state
from clawgate.cli.output import console, emit_json, esc
from clawgate.errors import ClawgateError

_STYLE = {"pending": "yellow", "approved": "green", "rejected": "red", "revoked": "red"}


@click.group("devices")
def devices() -> None:
    """Paired devices: other machines' TUI, chat and control UI, approved here.

    \b
    On the other machine:   clawgate devices pair --url http://GATEWAY:18789
    Here (the gateway's):   clawgate devices list   ·   clawgate devices approve ID
    """


def _pending_seconds() -> float:
    try:
        return float(state().snapshot().config.gateway.pairing.pending_seconds)
    except ClawgateError:
        return 3600.0


def _line(d: dict[str, Any], ttl: float) -> str:
    state_ = d["state"]
    expired = state_ == "pending" and time.time() - d["requested_at"] > ttl
    label = "expired" if expired else state_
    out = (
        f"[{_STYLE.get(state_, 'white')}]{label:<8}[/] [bold]{esc(d['id'])}[/] {esc(d['name'])} "
        f"({esc(d['kind'])}{', ' + esc(d['platform']) if d.get('platform') else ''}) code {esc(d['code'])}"
        f"  [dim]asked {ago(d['requested_at'])} from {esc(d.get('requested_from') or '?')}"
        + (f", last seen {ago(d['last_seen_at'])}" if d.get("last_seen_at") else "")
        + "[/]"
    )
    if d.get("refusals"):
        out += (
            f"\n         [red]refused {d['refusals']}×[/], last {ago(d.get('last_refused_at'))}: "
            f"{esc(d.get('last_refused_code'))}"
        )
    return out


@devices.command("list")
@click.option("--all", "show_all", is_flag=True, help="Include rejected and revoked devices.")
@json_option
def list_cmd(show_all: bool, as_json: bool) -> None:
    """Devices waiting for approval, and paired ones."""
    from clawgate.clients.views import device_json

    rows = [device_json(d) for d in with_store(lambda s: list(s.devices()))]
    if not show_all:
        rows = [r for r in rows if r["state"] in ("pending", "approved")]
    if as_json:
        emit_json({"devices": rows})
        return
    c = console()
    if not rows:
        c.print(
            "no devices" + ("" if show_all else " pending or paired") + " · a device asks with: "
            "clawgate devices pair --url GATEWAY_URL"
        )
        return
    ttl = _pending_seconds()
    for r in rows:
        c.print(_line(r, ttl))
    if any(r["state"] == "pending" for r in rows):
        c.print("[dim]approve one: clawgate devices approve ID (compare the code with the device's)[/]")


def _act(verb: str, ref: str, as_json: bool) -> None:
    from clawgate.clients.views import device_json

    ttl = _pending_seconds()

    def go(a: Any) -> Any:
        if verb == "approve":
            return a.approve(ref, ttl)
        return getattr(a, verb)(ref)

    rec = with_admin(go)
    if as_json:
        emit_json({"ok": True, "device": device_json(rec)})
        return
    past = {"approve": "approved", "reject": "rejected", "revoke": "revoked"}[verb]
    console().print(f"{past} device [bold]{esc(rec.id)}[/] {esc(rec.name)} (code {esc(rec.code)})")


@devices.command("approve")
@click.argument("ref")
@json_option
def approve_cmd(ref: str, as_json: bool) -> None:
    """Approve the pairing request of device REF (its id, code or name)."""
    _act("approve", ref, as_json)


@devices.command("reject")
@click.argument("ref")
@json_option
def reject_cmd(ref: str, as_json: bool) -> None:
    """Reject the pairing request of device REF."""
    _act("reject", ref, as_json)


@devices.command("revoke")
@click.argument("ref")
@json_option
def revoke_cmd(ref: str, as_json: bool) -> None:
    """Revoke device REF: every gateway process refuses it from now on (`gateway.device_revoked`)."""
    _act("revoke", ref, as_json)


# -- the device's side -----------------------------------------------------------------------------------


def _request(method: str, url: str, token: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(
        url + "/api/devices/pair",
        data=data,
        method=method,
        headers={"Authorization": f"Bearer {token}", "content-type": "application/json"},
    )
    try:
        with urllib.request.urlopen(req, timeout=15) as resp:
            return resp.status, json.loads(resp.read() or b"{}")
    except urllib.error.HTTPError as exc:
        try:
            return exc.code, json.loads(exc.read() or b"{}")
        except ValueError:
            return exc.code, {}
    except (urllib.error.URLError, OSError) as exc:
        raise ClawgateError(
            f"no gateway answers at {url} ({getattr(exc, 'reason', exc)})",
            code="gateway.unreachable",
            owner="runtime",
            next_steps=["check the URL (and that the gateway listens there): clawgate gateway status"],
        ) from None


def _refusal(status: int, body: Any, url: str) -> ClawgateError:
    err = body.get("error") if isinstance(body, dict) else None
    err = err if isinstance(err, dict) else {}
    code = err.get("code") or "gateway.error"
    nxt = err.get("next")
    return ClawgateError(
        f"the gateway at {url} refused the pairing request (HTTP {status}): {err.get('message') or body}",
        code=code if isinstance(code, str) else "gateway.error",
        owner=str(err.get("owner") or "gateway_auth"),
        next_steps=[nxt] if isinstance(nxt, str) else list(nxt or []),
    )


@devices.command("pair")
@click.option("--url", required=True, help="The gateway to pair with, e.g. http://10.0.0.5:18789.")
@click.option("--name", help="How the gateway lists this device (default: this machine's name).")
@click.option(
    "--kind", type=click.Choice(["tui", "chat", "cli", "ui", "other"]), default="cli", show_default=True
)
@click.option(
    "--wait", default=300.0, show_default=True, help="Seconds to wait for the approval (0: do not)."
)
@click.option(
    "--new", "fresh", is_flag=True, help="Forget this machine's identity for that gateway; ask anew."
)
@json_option
def pair_cmd(url: str, name: str | None, kind: str, wait: float, fresh: bool, as_json: bool) -> None:
    """Ask the gateway at URL to pair this machine, and wait until it is approved there.

    The device token is made here and kept in this home (devices/); chat and tui use it for that gateway.
    """
    from clawgate.chat.target import normalize_url
    from clawgate.clients import identity_file

    url = normalize_url(url)
    paths = state().paths
    ident = None if fresh else identity_file.load(paths, url)
    if ident is None:
        ident = identity_file.create(paths, url, name or platform.node() or "device", kind)
    c = console(stderr=as_json)
    status, body = _request(
        "POST", url, ident.token, {"name": ident.name, "kind": ident.kind, "platform": platform.system()}
    )
    if status not in (200, 202):
        raise _refusal(status, body, url)
    dev = body.get("device") or {}
    if status == 202:
        c.print(
            f"pairing requested as device [bold]{esc(ident.device_id)}[/] ({esc(ident.name)}), code "
            f"[bold]{esc(dev.get('code'))}[/]"
        )
        c.print(f"on the gateway's machine run: clawgate devices approve {esc(ident.device_id)}")
    deadline = time.monotonic() + max(0.0, wait)
    next_note = time.monotonic() + 30
    while status == 202 and time.monotonic() < deadline:
        time.sleep(1.0)
        status, body = _request("GET", url, ident.token)
        if status not in (200, 202):
            raise _refusal(status, body, url)
        if time.monotonic() >= next_note:
            next_note += 30
            c.print(f"[dim]still waiting for the approval ({deadline - time.monotonic():.0f} s left)…[/]")
    dev = body.get("device") or dev
    out = {
        "ok": status == 200,
        "state": dev.get("state"),
        "device": {"id": ident.device_id, "name": ident.name, "code": dev.get("code"), "hint": ident.hint},
        "url": url,
        "identity": str(identity_file.identity_path(paths, url)),
    }
    if as_json:
        emit_json(out)
    elif status == 200:
        c.print(
            f"[green]paired[/] with {esc(url)} as {esc(ident.name)} ({esc(ident.hint)}); "
            f"clawgate chat --url {esc(url)} uses it"
        )
    else:
        c.print(f"not approved yet (waited {wait:g} s); run this again to keep waiting")
    if status != 200:
        raise click.exceptions.Exit(1)


@devices.command("forget", hidden=True)
@click.option("--url", required=True)
def forget_cmd(url: str) -> None:
    """Delete this machine's device identity for URL."""
    from clawgate.chat.target import normalize_url
    from clawgate.clients import identity_file

    path = identity_file.identity_path(state().paths, normalize_url(url))
    path.unlink(missing_ok=True)
    console().print(f"forgot {esc(path)}")
