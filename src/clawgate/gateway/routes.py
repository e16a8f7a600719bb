"""The gateway's non-model endpoints (Starlette): health, readiness, status, the model list. Status and the
model list read the store and resolve plans, so they are built in a thread, never on the event loop."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import orjson
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from clawgate import __version__
from clawgate import logs as log
from clawgate.failures import Failure, failure
from clawgate.gateway.errors import error_response, request_error
from clawgate.gateway.service_env import env_view, launched_by
from clawgate.store.base import StoreUnavailable

if TYPE_CHECKING:
    from clawgate.gateway.app import GatewayApp


def _json(obj: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(obj, default=str), status_code=status, media_type="application/json")


def _guard(
    gw: GatewayApp, request: Request, api: str = "openai-completions", allow_keys: bool = False
) -> Response | None:
    denied = gw.check_auth(request.scope, allow_keys=allow_keys)
    return None if denied is None else _error(denied, api)


def status_payload(gw: GatewayApp) -> dict[str, Any]:
    rt = gw.rt
    snap = rt.snapshot
    agents = []
    for info in snap.agents():
        choice = snap.model_choice(info)
        agents.append(
            {
                "id": info.id,
                "name": info.name,
                "default": info.is_default,
                "model": choice.ref,
                "from": choice.source,
                "shadows": [{"from": s, "ref": r} for s, r in choice.shadows],
                "fallbacks": [r for r, _ in choice.fallbacks],
            }
        )
    try:
        total, by_owner = rt.store.failures_by_owner(since=time.time() - 3600)
    except StoreUnavailable:
        total, by_owner = 0, {}  # the database is away: state_findings says so
    err = rt.last_error
    return {
        "service": "clawgate",
        "version": __version__,
        "pid": os.getpid(),
        "started_at": gw.started,
        "uptime_s": round(time.time() - gw.started, 1),
        "address": gw.address,
        "home": str(rt.paths.home),
        "home_from": rt.paths.home_from,
        "config": str(rt.paths.config),
        "config_from": rt.paths.config_from,
        "state_db": str(rt.paths.state_db),
        "reload": {
            "count": rt.reloads,
            "last": gw.last_reload,
            "error": err.to_json() if err else None,
        },
        "auth": gw.auth.token.to_json(),
        "clients": gw.access.status(),
        "agents": agents,
        "health": [h.to_json() for h in rt.health.records()],
        "calls_last_hour": {"total": total, "failures_by_owner": by_owner},
        "env": env_view(snap),
        "launched_by": launched_by(),
        "inflight": gw.inflight,
        "streams": len(gw.streams),
        "draining": gw.draining,
        "state": state_view(gw),
        "state_findings": state_findings(gw),
        "observability": observability_view(gw),
    }


def observability_view(gw: GatewayApp) -> dict[str, Any]:
    """Where /metrics is served, where traces go and whether exporting works (this process's exporter)."""
    from clawgate.observability.report import status_view

    return status_view(gw)


def state_view(gw: GatewayApp) -> dict[str, Any]:
    """The engines this process shares state through (hosts only) and its place among the processes."""
    rt = gw.rt
    return {
        "shared": rt.shared.describe(),
        "database": rt.store.status(),
        "worker": rt.node.worker,
        "peers": rt.node.peers,
    }


def state_findings(gw: GatewayApp) -> list[dict[str, Any]]:
    from clawgate.state.report import findings

    return findings(gw.rt.shared.describe(), gw.rt.store.status())


def build_routes(gw: GatewayApp, more: list[Any] | None = None) -> Starlette:
    from clawgate.gateway.pidfile import health_body

    health = health_body(gw.rt.paths)  # built once

    async def healthz(request: Request) -> Response:
        return Response(health, media_type="application/json")

    async def readyz(request: Request) -> Response:
        # an engine that is away does not make the gateway unready: model calls keep serving (they say so)
        ready = not gw.draining
        body = {
            "ready": ready,
            "config_error": gw.rt.last_error.to_json() if gw.rt.last_error else None,
            "state": [{k: f[k] for k in ("code", "owner", "subject", "message")} for f in state_findings(gw)],
        }
        return _json(body, 200 if ready else 503)

    async def api_status(request: Request) -> Response:
        denied = _guard(gw, request)
        if denied:
            return denied
        # read this gateway's own writes: calls answered just before are in the store's coalescing queue
        await asyncio.wrap_future(gw.rt.store.barrier())
        return _json(await asyncio.to_thread(status_payload, gw))

    async def list_models(request: Request) -> Response:
        anthropic = "anthropic-version" in request.headers
        denied = _guard(gw, request, "anthropic-messages" if anthropic else "openai-completions", True)
        if denied:
            return denied
        peer = request.scope.get("client")
        who = gw.auth.identify(dict(request.scope["headers"]), peer[0] if peer else None)
        scopes = who.scopes if not isinstance(who, Failure) and who.kind == "key" else None
        return _json(await asyncio.to_thread(models_payload, gw, anthropic, scopes))

    async def get_model(request: Request) -> Response:
        anthropic = "anthropic-version" in request.headers
        api = "anthropic-messages" if anthropic else "openai-completions"
        denied = _guard(gw, request, api)
        if denied:
            return denied
        headers = dict(request.scope["headers"])
        found = await model_payload(gw, request.path_params["model_id"], anthropic, headers)
        return found if isinstance(found, Response) else _json(found)

    async def not_routed(request: Request, exc: Exception) -> Response:
        """404/405 in the OpenAI envelope with owner `request` (a route's own 404 keeps its detail)."""
        assert isinstance(exc, HTTPException)
        path, method = request.url.path, request.method
        if exc.status_code == 405:
            f = request_error(f"{path} does not accept {method}")
        elif exc.detail != "Not Found":
            f = request_error(str(exc.detail), code="request.not_found")
        else:
            f = request_error(f"no route {method} {path}", code="request.not_found")
            f.next_steps = ["OpenAI base_url: <gateway>/v1 · Anthropic base_url: <gateway>"]
        return _error(f, "openai-completions", exc.status_code, exc.headers)

    async def store_away(request: Request, exc: Exception) -> Response:
        """The durable store's engine is away: 503 with owner runtime (model calls still work)."""
        assert isinstance(exc, StoreUnavailable)
        f = Failure(
            owner="runtime", code=exc.code, message=exc.message, retryable=True, next_steps=exc.next_steps
        )
        return _error(f, "openai-completions", 503)

    async def internal_error(request: Request, exc: Exception) -> Response:
        log.event(
            "gateway.internal_error",
            f"{type(exc).__name__}: {exc}",
            level=40,
            path=request.url.path,
            exc_info=True,
        )
        f = failure(
            "runtime.internal",
            f"clawgate failed while handling this request ({type(exc).__name__}); this is a clawgate bug",
            next_steps=["clawgate logs --limit 20"],
        )
        return _error(f, "openai-completions")

    routes = [
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Route("/api/status", api_status),
        Route("/v1/models", list_models),
        Route("/models", list_models),
        Route("/v1/models/{model_id:path}", get_model),
        Route("/models/{model_id:path}", get_model),
        *(more or []),
    ]
    return Starlette(
        routes=routes,
        exception_handlers={
            404: not_routed,
            405: not_routed,
            StoreUnavailable: store_away,
            Exception: internal_error,
        },
    )


def _error(
    f: Failure, api: str, status: int | None = None, extra: Mapping[str, str] | None = None
) -> Response:
    status, headers, body = error_response(f, api, status)
    out = {k.decode(): v.decode() for k, v in headers}
    out.update(extra or {})
    return Response(body, status_code=status, headers=out)


def models_payload(gw: GatewayApp, anthropic: bool, scopes: Any = None) -> dict[str, Any]:
    """The model list; for a client key (`scopes`), what its scopes let it name."""
    snap = gw.rt.snapshot
    main = snap.main_agent()
    ids: list[tuple[str, str]] = []
    for view in snap.catalog.providers.values():
        cred = snap.credentials(view, main)
        if not (view.configured or cred.winner is not None):
            continue
        for m in view.models.values():
            ids.append((f"{view.id}/{m.info.id}", view.id))
    for alias in snap.aliases():
        ids.append((alias, "alias"))
    for info in snap.agents():
        ids.append((f"agent/{info.id}", "clawgate"))
    if scopes is not None and not scopes.unrestricted:
        ids = [(i, o) for i, o in ids if scopes.lists(i)]
    created = int(gw.started)
    if anthropic:
        data = [
            {"type": "model", "id": i, "display_name": i, "created_at": "2026-01-01T00:00:00Z"}
            for i, _ in ids
        ]
        return {
            "data": data,
            "has_more": False,
            "first_id": data[0]["id"] if data else None,
            "last_id": data[-1]["id"] if data else None,
        }
    return {
        "object": "list",
        "data": [{"id": i, "object": "model", "created": created, "owned_by": o} for i, o in ids],
    }


async def model_payload(
    gw: GatewayApp, model_id: str, anthropic: bool, headers: dict[bytes, bytes]
) -> dict[str, Any] | Response:
    """GET /v1/models/{id}: the model a call with this name would use, from the same plan (routes, aliases,
    families, agent/<id>); 404 in the endpoint's envelope when no attempt of the plan can be made."""
    api = "anthropic-messages" if anthropic else "openai-completions"
    plan = await gw.plan_request(model_id, headers, api)
    if isinstance(plan, Failure):
        return _error(plan, api, 404)
    att = next((a for a in plan.attempts if a.error is None), None)
    if att is None:
        first = plan.attempts[0] if plan.attempts else None
        err = first.error if first is not None and first.error else None
        f = failure(
            err["code"] if err else "model.unknown",
            err["message"] if err else f"no model {model_id!r}",
            next_steps=list(err.get("next", [])) if err else ["clawgate models list"],
        )
        return _error(f, api, 404)
    info = att.model_info.info if att.model_info else None
    extra = {
        "ref": att.ref,
        "provider": att.provider,
        "api": att.api,
        "catalog": att.catalog_status,
        "from": att.ref_from,
        "route": plan.route.to_json() if plan.route else None,
        "ready": att.ready,
        "context_window": info.context_window if info else None,
        "max_tokens": info.max_tokens if info else None,
    }
    if anthropic:
        return {
            "type": "model",
            "id": model_id,
            "display_name": (info.name if info and info.name else None) or model_id,
            "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(gw.started)),
            "lifecycle": "active",
            "max_input_tokens": extra["context_window"],
            "max_tokens": extra["max_tokens"],
            "clawgate": extra,
        }
    return {
        "id": model_id,
        "object": "model",
        "created": int(gw.started),
        "owned_by": att.provider,
        "clawgate": extra,
    }
