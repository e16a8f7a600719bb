"""The control UI's Clients view: client keys (list, create, revoke, rotate), devices (list, approve, reject,
revoke) and spend (by key, agent, model and day). Anyone the UI lets in may read; only the owner (the gateway
token, or a browser logged in with `clawgate dashboard`) may change anything — a paired device may not mint
keys or approve devices. A new key is answered once, unredacted, and never again."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from clawgate.clients.admin import parse_seconds, parse_when
from clawgate.clients.scopes import Scopes
from clawgate.clients.views import budget_spend, device_json, key_json, spend_rows
from clawgate.errors import ClawgateError
from clawgate.failures import failure

from .respond import JSON_HEADERS, auth_denial, bad_request, fail, json_response, read_body

if TYPE_CHECKING:
    from clawgate.gateway.app import GatewayApp

SPEND_WINDOW = 30 * 86400.0


def _owner_only(gw: GatewayApp, request: Request) -> Response | None:
    denied = auth_denial(gw, request)
    if denied is not None:
        return denied
    client = request.scope.get("client")
    who = gw.auth.identify(dict(request.scope["headers"]), client[0] if client else None)
    if getattr(who, "kind", "owner") != "owner":
        return fail(
            failure(
                "gateway.scope_denied",
                f"{who.describe()} may read keys and devices, not change them: that takes the gateway token "  # type: ignore[union-attr]
                "(or a browser logged in with clawgate dashboard)",
                next_steps=["clawgate dashboard"],
            ),
            403,
        )
    return None


def _revealed(obj: dict[str, Any], status: int) -> Response:
    """The one answer that carries a key: not passed through the redactor (it would hide the key)."""
    return Response(
        orjson.dumps(obj), status_code=status, media_type="application/json", headers=JSON_HEADERS
    )


def keys_view(gw: GatewayApp) -> dict[str, Any]:
    keys = list(gw.rt.store.client_keys())
    spent = budget_spend(gw.rt.store, keys)
    last = gw.rt.store.client_last_used()
    return {"keys": [key_json(k, spent) | {"last_used_at": last.get(f"key:{k.id}")} for k in keys]}


def devices_view(gw: GatewayApp) -> dict[str, Any]:
    return {"devices": [device_json(d) for d in gw.rt.store.devices()]}


def spend_view(gw: GatewayApp, by: tuple[str, ...], since: float) -> dict[str, Any]:
    rows = spend_rows(gw.rt.store, by, since)
    return {
        "by": list(by),
        "since": since,
        "rows": rows,
        "total_usd": round(sum(r["cost_usd"] for r in rows), 10),
    }


def client_routes(gw: GatewayApp) -> list[Route]:
    def reader(fn: Any) -> Any:
        async def endpoint(request: Request) -> Response:
            denied = auth_denial(gw, request)
            if denied is not None:
                return denied
            try:
                return json_response(await asyncio.to_thread(fn, gw))
            except ClawgateError as exc:
                return json_response({"error": exc.to_json()}, 503)

        return endpoint

    async def spend(request: Request) -> Response:
        denied = auth_denial(gw, request)
        if denied is not None:
            return denied
        by = tuple(
            b.strip() for b in (request.query_params.get("by") or "client,day").split(",") if b.strip()
        )
        by = tuple("client" if b == "key" else b for b in by)
        try:
            window = float(request.query_params.get("window") or SPEND_WINDOW)
            return json_response(await asyncio.to_thread(spend_view, gw, by, time.time() - window))
        except ValueError as exc:
            return bad_request(str(exc))

    async def create_key(request: Request) -> Response:
        denied = _owner_only(gw, request)
        if denied is not None:
            return denied
        body = await read_body(request)
        name = body.get("name")
        if not isinstance(name, str) or not name:
            return bad_request("'name' is required")
        try:
            scopes = Scopes(tuple(_strings(body.get("agents"))), tuple(_strings(body.get("models"))))
            expires = parse_when(str(body["expires"]), time.time()) if body.get("expires") else None
            rec, token = await asyncio.to_thread(
                gw.access.admin().create_key,
                name,
                scopes,
                expires,
                _int(body.get("rpm")),
                _int(body.get("tpm")),
                float(body["budget"]) if body.get("budget") not in (None, "") else None,
                body.get("budget_period") or None,
                body.get("note") or None,
            )
        except (ClawgateError, ValueError, TypeError) as exc:
            return bad_request(getattr(exc, "message", str(exc)))
        return _revealed({"key": key_json(rec), "token": token, "shown_once": True}, 201)

    async def key_action(request: Request) -> Response:
        denied = _owner_only(gw, request)
        if denied is not None:
            return denied
        name, action = request.path_params["name"], request.path_params["action"]
        admin = gw.access.admin()
        try:
            if action == "revoke":
                rec = await asyncio.to_thread(admin.revoke_key, name)
                return json_response({"key": key_json(rec)})
            if action == "rotate":
                body = await read_body(request)
                grace = parse_seconds(str(body["grace"])) if body.get("grace") else 0.0
                rec, token = await asyncio.to_thread(admin.rotate_key, name, grace)
                return _revealed({"key": key_json(rec), "token": token, "shown_once": True}, 200)
        except ClawgateError as exc:
            return json_response({"error": exc.to_json()}, 404 if exc.code == "config.not_found" else 400)
        return bad_request(f"unknown action {action!r} (revoke, rotate)")

    async def device_action(request: Request) -> Response:
        denied = _owner_only(gw, request)
        if denied is not None:
            return denied
        ref, action = request.path_params["ref"], request.path_params["action"]
        admin = gw.access.admin()
        pending = gw.rt.snapshot.config.gateway.pairing.pending_seconds
        try:
            if action == "approve":
                rec = await asyncio.to_thread(admin.approve, ref, pending)
            elif action == "reject":
                rec = await asyncio.to_thread(admin.reject, ref)
            elif action == "revoke":
                rec = await asyncio.to_thread(admin.revoke, ref)
            else:
                return bad_request(f"unknown action {action!r} (approve, reject, revoke)")
        except ClawgateError as exc:
            return json_response({"error": exc.to_json()}, 404 if exc.code == "config.not_found" else 400)
        return json_response({"device": device_json(rec)})

    return [
        Route("/api/ui/keys", reader(keys_view), methods=["GET"]),
        Route("/api/ui/keys", create_key, methods=["POST"]),
        Route("/api/ui/keys/{name}/{action}", key_action, methods=["POST"]),
        Route("/api/ui/devices", reader(devices_view), methods=["GET"]),
        Route("/api/ui/devices/{ref}/{action}", device_action, methods=["POST"]),
        Route("/api/ui/spend", spend, methods=["GET"]),
    ]


def _strings(value: Any) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    if isinstance(value, list):
        return [str(v).strip() for v in value if str(v).strip()]
    raise TypeError("agents and models are lists (or comma-separated text)")


def _int(value: Any) -> int | None:
    if value in (None, ""):
        return None
    return int(value)
