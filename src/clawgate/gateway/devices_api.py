"""Pairing: a new client (a TUI, chat or control UI on another machine) asks to be paired, and is approved on
the gateway's machine (`clawgate devices approve`, or the control UI).

The device makes its own token (`cgd_<id>_<secret>`, kept in its own home or browser) and sends it with the
request; the gateway stores only its hash, so approving a device sends nothing secret anywhere.

    POST /api/devices/pair   Authorization: Bearer cgd_…   {"name", "kind": tui|chat|ui|cli, "platform"}
         202 pending (with the code to compare) · 200 approved · 401 gateway.device_token_mismatch /
         gateway.device_revoked · 429 too many requests waiting
    GET  /api/devices/pair   Authorization: Bearer cgd_…   the device's state (it polls this while it waits)

Also hooks the clients layer into the gateway's lifecycle (start: follow changes, seed budgets; stop)."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from clawgate.clients import tokens
from clawgate.clients.admin import PENDING_PER_ADDRESS
from clawgate.clients.views import device_json
from clawgate.failures import Failure, failure
from clawgate.gateway import access_hooks, extensions  # noqa: F401  (access_hooks: the lifecycle hooks)
from clawgate.gateway.auth import presented_token
from clawgate.gateway.errors import request_error
from clawgate.gateway.ui_api.respond import fail, json_response

if TYPE_CHECKING:
    from clawgate.gateway.app import GatewayApp


def _answer(rec: Any) -> Response:
    if rec.state in ("revoked", "rejected"):
        return fail(
            failure(
                "gateway.device_revoked",
                f"device {rec.name!r} ({rec.id}) was {rec.state}; pair again with a new identity",
                next_steps=["clawgate devices pair --url GATEWAY_URL --new"],
            )
        )
    body: dict[str, Any] = {"device": device_json(rec)}
    if rec.state == "pending":
        body["next"] = [f"clawgate devices approve {rec.id}"]
        body["message"] = (
            f"pairing requested: on the gateway's machine run `clawgate devices approve {rec.id}` "
            f"(code {rec.code}), or approve it in the control UI"
        )
        return json_response(body, 202)
    body["message"] = "this device is paired"
    return json_response(body, 200)


def _device_token(request: Request) -> tuple[str, str] | Failure:
    presented = presented_token(dict(request.scope["headers"]))
    parsed = tokens.parse(presented or "")
    if parsed is None or parsed[0] != tokens.DEVICE_PREFIX:
        f = request_error(
            "a pairing request carries the device's own new token: Authorization: Bearer cgd_<id>_<secret> "
            "(clawgate devices pair makes one and keeps it)"
        )
        f.next_steps = ["clawgate devices pair --url GATEWAY_URL"]
        return f
    return parsed[1], parsed[2]


def _routes(gw: GatewayApp) -> list[Route]:
    async def pair(request: Request) -> Response:
        cfg = gw.rt.snapshot.config.gateway.pairing
        if not cfg.enabled:
            return fail(
                failure(
                    "gateway.pairing_required",
                    "this gateway takes no pairing requests (gateway.pairing.enabled is false)",
                    next_steps=["clawgate config set gateway.pairing.enabled true"],
                )
            )
        got = _device_token(request)
        if isinstance(got, Failure):
            return fail(got)
        ident, secret = got
        try:
            raw = await request.body()
            body = orjson.loads(raw) if raw.strip() else {}
        except orjson.JSONDecodeError:
            return fail(request_error("the pairing request's body is not JSON"))
        if not isinstance(body, dict):
            return fail(request_error("the pairing request's body must be an object"))
        peer = request.scope.get("client")
        # the address the request is from: behind a trusted proxy, the client the proxy saw
        address = gw.auth.client_key(dict(request.scope["headers"]), peer[0] if peer else None)
        admin = gw.access.admin()
        try:
            rec, _new = await asyncio.to_thread(
                admin.request_pairing,
                ident,
                secret,
                str(body.get("name") or ""),
                str(body.get("kind") or "other"),
                body.get("platform") if isinstance(body.get("platform"), str) else None,
                address,
                cfg.max_pending,
                cfg.pending_seconds,
            )
        except ValueError:
            return fail(
                failure(
                    "gateway.device_token_mismatch",
                    f"device {ident} is known to this gateway with another token: this identity was copied or "
                    "replaced",
                    next_steps=[
                        "clawgate devices pair --url GATEWAY_URL --new",
                        "clawgate devices list --all",
                    ],
                )
            )
        except OverflowError as exc:
            return fail(
                failure(
                    "gateway.pairing_required",
                    f"{exc.args[0]} pairing requests are waiting already (from this address at most "
                    f"{PENDING_PER_ADDRESS}; in all gateway.pairing.maxPending): approve or reject them first",
                    next_steps=["clawgate devices list"],
                ),
                429,
            )
        return _answer(rec)

    async def pair_state(request: Request) -> Response:
        got = _device_token(request)
        if isinstance(got, Failure):
            return fail(got)
        ident, secret = got
        rec = gw.access.registry.devices.get(ident)
        if rec is None:
            rec = next((d for d in await asyncio.to_thread(gw.rt.store.devices) if d.id == ident), None)
        if rec is None:
            return fail(
                failure(
                    "gateway.pairing_required",
                    f"device {ident} has not asked to pair with this gateway",
                    next_steps=["clawgate devices pair --url GATEWAY_URL"],
                )
            )
        if not tokens.matches(secret, rec.secret_hash):
            return fail(
                failure(
                    "gateway.device_token_mismatch",
                    f"device {rec.name!r} ({rec.id}) sent a token that is not the one it paired with",
                    next_steps=["clawgate devices pair --url GATEWAY_URL --new"],
                )
            )
        return _answer(rec)

    return [
        Route("/api/devices/pair", pair, methods=["POST"]),
        Route("/api/devices/pair", pair_state, methods=["GET"]),
    ]


extensions.register(_routes)
