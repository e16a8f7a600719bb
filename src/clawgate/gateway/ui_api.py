"""The control UI's server side (issue 8).

- the page and its assets: `GET /` and `GET /ui/static/<file>` (plain files from `clawgate/ui/static`, no build
  step; public, they hold no data);
- the login: `POST /api/ui/login-codes` (gateway token required: `clawgate dashboard` asks for a one-time code),
  `GET /ui/login?code=…` (trades it for an HttpOnly, SameSite=Strict cookie holding a random session id that
  `GatewayAuth` accepts from then on), `POST /api/ui/logout`;
- the JSON the views read, each built from the same resolver, health registry, attempt log, probes and doctor
  as the CLI: `/api/ui/session`, `/api/ui/overview`, `/api/ui/agents`, `/api/ui/providers`,
  `POST /api/ui/probe`, `/api/ui/failures`, `POST /api/ui/doctor`, and `/api/ui/events` (SSE: what changed).

Sessions and chat use the sessions API (docs/sessions-api.md) directly, with the same cookie. Every JSON answer
passes the process-wide redactor on its way out: credentials only ever appear as source and fingerprint.
"""

from __future__ import annotations

import asyncio
import dataclasses
import mimetypes
import time
from collections.abc import AsyncIterator
from ipaddress import ip_address
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

import orjson
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response, StreamingResponse
from starlette.routing import Route

from clawgate import __version__
from clawgate.errors import ClawgateError
from clawgate.failures import Failure
from clawgate.gateway import extensions
from clawgate.gateway.auth import LOGIN_HINT, UI_COOKIE, UI_SESSION_TTL, _cookie, presented_token
from clawgate.gateway.errors import error_response
from clawgate.redaction import redact

if TYPE_CHECKING:
    from clawgate.gateway.app import GatewayApp
    from clawgate.plan.snapshot import Snapshot
    from clawgate.store.base import AttemptRecord, HealthRecord

STATIC = Path(__file__).resolve().parent.parent / "ui" / "static"
TICK_SECONDS = 1.5  # how often /api/ui/events looks for changes
PROBE_TIMEOUT = 120.0
FAILURE_WINDOW = 3600.0
OVERVIEW_ROWS = 20000  # tries read for the overview's last hour

# The page only talks to its own origin; nothing inline, nothing framed.
_PAGE_HEADERS = {
    "content-security-policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'",
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cache-control": "no-cache",
}
_JSON_HEADERS = {"cache-control": "no-store", "x-content-type-options": "nosniff"}
_STATIC_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}


# ------------------------------------------------------------------------------------------------ helpers


def _json(obj: Any, status: int = 200) -> Response:
    """JSON through the redactor: a secret that slipped into any message leaves as its fingerprint."""
    body = redact(orjson.dumps(obj, default=str).decode()).encode()
    return Response(body, status_code=status, media_type="application/json", headers=_JSON_HEADERS)


def _fail(f: Failure, status: int | None = None) -> Response:
    code, headers, body = error_response(f, "openai-completions", status)
    out = {k.decode(): v.decode() for k, v in headers}
    out.update(_JSON_HEADERS)
    return Response(redact(body.decode()).encode(), status_code=code, headers=out)


def _loopback_host(host: str) -> bool:
    name = host.rsplit("]", 1)[0].lstrip("[") if host.startswith("[") else host.rsplit(":", 1)[0]
    if name.lower() == "localhost":
        return True
    try:
        return ip_address(name).is_loopback
    except ValueError:
        return False


def _denied(gw: GatewayApp, request: Request) -> Response | None:
    f = gw.check_auth(request.scope)
    if f is None:
        if gw.auth.token.mode != "token" and not _loopback_host(request.headers.get("host", "")):
            # no token: only a page opened at a loopback address may read this (a DNS-rebinding page may not)
            return _fail(
                Failure(
                    owner="gateway_auth",
                    code="ui.host_not_loopback",
                    message="without a gateway token the control UI only answers at a loopback address "
                    f"(this request was for host {request.headers.get('host', '?')!r})",
                    next_steps=[
                        f"open {gw.address}/",
                        "or set a gateway token: echo 'CLAWGATE_GATEWAY_TOKEN='$(openssl rand -hex 24) >> "
                        "~/.clawgate/.env",
                    ],
                ),
                403,
            )
        return None
    if (
        f.code in ("gateway.token_missing", "gateway.token_mismatch")
        and "clawgate dashboard" not in f.next_steps
    ):
        f = dataclasses.replace(f, next_steps=["clawgate dashboard", *f.next_steps])
    return _fail(f)


def _bad(message: str) -> Response:
    return _fail(Failure(owner="request", code="request.invalid", message=message), 400)


async def _body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return {}
    return data if isinstance(data, dict) else {}


# -------------------------------------------------------------------------------------------- data: views


def overview(gw: GatewayApp) -> dict[str, Any]:
    from clawgate.gateway.routes import status_payload

    p = status_payload(gw)
    rows = gw.rt.store.recent_attempts(limit=OVERVIEW_ROWS, since=time.time() - 3600)
    calls: dict[str, tuple[bool, str | None, str]] = {}  # call_id -> (served, first failing owner, purpose)
    for r in sorted(rows, key=lambda r: r.id or 0):
        ok, owner, purpose = calls.get(r.call_id, (False, None, r.purpose))
        calls[r.call_id] = (ok or r.ok, owner or (None if r.ok else r.owner), purpose)
    failed_by_owner: dict[str, int] = {}
    by_purpose: dict[str, int] = {}
    for ok, owner, purpose in calls.values():
        by_purpose[purpose] = by_purpose.get(purpose, 0) + 1
        if not ok:
            key = owner or "unknown"
            failed_by_owner[key] = failed_by_owner.get(key, 0) + 1
    health: dict[str, int] = {}
    for h in gw.rt.health.records():
        if h.state != "ok":
            health[h.state] = health.get(h.state, 0) + 1
    served = sum(1 for ok, _, _ in calls.values() if ok)
    return {
        "service": "clawgate",
        "version": p["version"],
        "pid": p["pid"],
        "address": p["address"],
        "started_at": p["started_at"],
        "uptime_s": p["uptime_s"],
        "home": p["home"],
        "home_from": p["home_from"],
        "config": p["config"],
        "config_from": p["config_from"],
        "config_exists": gw.rt.paths.config.exists(),
        "state_db": p["state_db"],
        "reload": p["reload"],
        "auth": p["auth"],
        "agents": len(p["agents"]),
        "default_agent": next((a["id"] for a in p["agents"] if a["default"]), None),
        "health": health,
        "calls_last_hour": {
            "calls": len(calls),
            "served": served,
            "failed": len(calls) - served,
            "failed_by_owner": failed_by_owner,
            "by_purpose": by_purpose,
            "attempts": len(rows),
            "capped": len(rows) >= OVERVIEW_ROWS,  # counts are a lower bound past this many tries an hour
            "failed_attempts_by_owner": p["calls_last_hour"]["failures_by_owner"],
        },
        "inflight": p["inflight"],
        "streams": p["streams"],
        "draining": p["draining"],
    }


def _health_json(gw: GatewayApp, provider: str, fp: str | None, model: str) -> dict[str, Any]:
    if not fp:
        return {"state": "ok"}
    rec = gw.rt.health.get(provider, fp, model)
    if rec is None or rec.state == "ok":
        return {"state": "ok"}
    return rec.to_json()


def _limits(snap: Snapshot, agent: str, plan: Any) -> dict[str, Any] | None:
    try:
        from clawgate.agents.watchdog import limits_for
    except ImportError:
        return None
    att = plan.attempts[0] if plan.attempts else None
    local = bool(att and att.view and att.view.preset and att.view.preset.local)
    try:
        return limits_for(snap, agent, local).to_json()
    except Exception:
        return None


def agents(gw: GatewayApp) -> dict[str, Any]:
    from clawgate.cli.models_cmd import plan_json
    from clawgate.diagnose.findings import order
    from clawgate.diagnose.offline import offline_findings

    snap = gw.rt.snapshot
    out = []
    for info in snap.agents():
        row: dict[str, Any] = {
            "id": info.id,
            "name": info.name,
            "default": info.is_default,
            "path": info.path,
        }
        try:
            plan = gw.rt.plan(info.id)
            data = plan_json(snap, plan)
            choice = snap.model_choice(info)
            data["model"]["fallbacks"] = [{"ref": r, "from": s} for r, s in choice.fallbacks]
            for att, a in zip(plan.attempts, data["attempts"], strict=True):
                fp = att.credential.winner.fingerprint if att.credential and att.credential.winner else None
                a["health"] = _health_json(gw, att.provider, fp, att.model)
            row["plan"] = data
            row["watchdog"] = _limits(snap, info.id, plan)
            # this agent's own findings (its model, its attempts); the global ones are the Doctor view's
            provs = {a.provider for a in plan.attempts if a.provider}
            found = [
                f
                for f in offline_findings(snap, info.id)
                if f.severity in ("error", "warn")
                and (
                    f.subject.get("agent") == info.id
                    or (
                        f.subject.get("provider") in provs
                        and not ({"agent", "path", "file"} & f.subject.keys())
                    )
                )
            ]
            row["findings"] = [f.to_json() for f in order(found)]
        except ClawgateError as exc:
            row["error"] = exc.to_json()
        out.append(row)
    return {"agents": out, "default": snap.main_agent()}


def providers(gw: GatewayApp) -> dict[str, Any]:
    snap = gw.rt.snapshot
    used: dict[str, list[dict[str, Any]]] = {}
    expanded: dict[str, dict[str, Any]] = {}
    for info in snap.agents():
        try:
            plan = gw.rt.plan(info.id)
        except ClawgateError:
            continue
        for att in plan.attempts:
            if not att.provider:
                continue
            used.setdefault(att.provider, []).append({"agent": info.id, "ref": att.ref, "role": att.role})
            if att.base_url and att.provider not in expanded:
                expanded[att.provider] = {"value": att.base_url, "from": att.base_url_from}
    main = snap.main_agent()
    for pv in snap.catalog.providers.values():  # configured ones that no plan uses yet
        if pv.id not in used and (pv.configured or snap.credentials(pv, main).winner is not None):
            used[pv.id] = []
    records = gw.rt.health.records()
    out = []
    for pid, uses in used.items():
        view = snap.catalog.get(pid)
        if view is None:
            continue
        groups: dict[tuple[Any, ...], dict[str, Any]] = {}
        for agent in dict.fromkeys([u["agent"] for u in uses] or [main]):
            res = snap.credentials(view, agent).to_json()
            key = (res.get("source"), res.get("fingerprint"), orjson.dumps(res.get("shadowed")))
            g = groups.setdefault(key, {"agents": [], **res})
            g["agents"].append(agent)
        base = view.base_url.to_json()
        if pid in expanded and expanded[pid]["value"] != base["value"]:
            base["expanded"] = expanded[pid]["value"]
        out.append(
            {
                "id": pid,
                "name": view.name,
                "preset": view.preset is not None,
                "configured": view.configured,
                "api": view.api.to_json(),
                "base_url": base,
                "accepts_any_model": view.accepts_any_model,
                "models": len(view.models),
                "used_by": uses,
                "credentials": list(groups.values()),
                "health": [h.to_json() for h in records if h.provider == pid and h.state != "ok"],
                "probe": f"clawgate models status --probe --probe-provider {pid} --probe-all",
            }
        )
    return {"providers": out}


async def probe(gw: GatewayApp, provider: str, agent: str | None) -> dict[str, Any]:
    """The probe `clawgate models status --probe --probe-provider P --probe-all` runs, in the gateway's own
    runtime (executor, health, attempt log): every attempt on `provider` of every agent's plan (or one agent's),
    every usable credential, deduplicated by (model ref, credential)."""
    from clawgate.call.probe import probe_plan
    from clawgate.catalog.presets import canonical_provider_id

    rt = gw.rt
    snap = rt.snapshot
    pid = canonical_provider_id(provider)
    agent_ids = [snap.agent(agent).id] if agent else [a.id for a in snap.agents()]
    seen: set[tuple[str, str]] = set()
    jobs: list[tuple[str, Any, Any]] = []
    for aid in agent_ids:
        plan = rt.plan(aid)
        for att in plan.attempts:
            if att.provider != pid:
                continue
            fps = (
                ",".join(c.fingerprint or c.source for c in att.credential.candidates)
                if att.credential
                else ""
            )
            if (att.ref, fps) in seen:
                continue
            seen.add((att.ref, fps))
            jobs.append((aid, att, dataclasses.replace(plan, attempts=[att])))
    if not jobs:
        raise ClawgateError(
            f"no agent's plan uses provider {pid!r}, so there is nothing to probe",
            code="request.invalid",
            owner="request",
            next_steps=["clawgate models status --all-agents"],
        )
    async with asyncio.timeout(PROBE_TIMEOUT):
        results = await asyncio.gather(*(probe_plan(rt, p, pid, True) for _, _, p in jobs))
    out = []
    for (aid, att, _), res in zip(jobs, results, strict=True):
        r = res[0] or {}
        out.append({"agent": aid, "ref": att.ref, "role": att.role, **r})
    return {
        "provider": pid,
        "ok": all(r.get("ok") for r in out),
        "results": out,
        "at": time.time(),
        "cli": f"clawgate models status --probe --probe-provider {pid} --probe-all",
    }


def _next_for(snap: Snapshot, r: AttemptRecord) -> list[str]:
    """The next command for a logged failure, from the same table the classifier uses."""
    p = r.provider or "PROVIDER"
    code = r.code or ""
    if code == "auth.missing_credential":
        return [f"clawgate auth add {p}", "clawgate doctor"]
    if code == "env.unresolved_ref":
        return ["clawgate env", "clawgate doctor"]
    if code.startswith("runtime."):
        return ["clawgate logs --limit 20"]
    if code.startswith("gateway."):
        return ["clawgate gateway status --json"]
    try:
        from clawgate.failures.classify import next_steps

        view = snap.catalog.get(p)
        host = urlsplit(view.base_url.value or "").hostname if view else None
        return next_steps(code, p, host=host, model=r.model)
    except Exception:
        return [f"clawgate models status --probe --probe-provider {p}", "clawgate doctor"]


def _row(r: AttemptRecord) -> dict[str, Any]:
    return {
        "ts": r.ts,
        "status": r.status,
        "owner": r.owner,
        "code": r.code,
        "message": r.message,
        "sent": r.sent,
        "agent": r.agent,
        "purpose": r.purpose,
        "ref": r.ref,
        "call_id": r.call_id,
    }


def failures(gw: GatewayApp, window: float = FAILURE_WINDOW) -> dict[str, Any]:
    """Recent failures grouped by owner and code — as the executor recorded them: a refusal made from the health
    state carries the owner and code of the failure that started that state, so it joins that failure's group
    (nothing is re-decided here). Inside a group, one entry per provider credential: the failure that started it
    first (from the health state when it began before the window), then how often it repeated."""
    snap = gw.rt.snapshot
    since = time.time() - window
    rows = list(reversed(gw.rt.store.recent_attempts(limit=2000, since=since, failures_only=True)))
    recs = gw.rt.health.records()
    by_cred = {(h.provider, h.fingerprint): h for h in recs if h.model == "*"}
    by_model = {(h.provider, h.fingerprint, h.model): h for h in recs}

    def health_of(r: AttemptRecord, cred: str) -> HealthRecord | None:
        return by_model.get((r.provider, cred, r.model)) or by_cred.get((r.provider, cred))

    streams: dict[tuple[str, str, str, str], list[AttemptRecord]] = {}
    for r in rows:  # oldest first
        cred = r.fingerprint or r.cred_source or "-"
        key = (r.owner or "unknown", r.code or "unknown", r.provider, cred)
        streams.setdefault(key, []).append(r)
    groups: dict[tuple[str, str], dict[str, Any]] = {}
    for key, items in streams.items():
        owner, code = key[0], key[1]
        lead = next((r for r in items if r.sent), items[0])
        first = _row(lead)
        h = health_of(lead, key[3])
        hj = h.to_json() if h is not None and h.state != "ok" else None
        if h is not None and h.first_ts and h.first_code == code and h.first_ts < lead.ts - 0.5:
            # the cooldown began before this window (or before the first row kept): its first failure leads
            first.update(
                ts=h.first_ts, status=h.first_status, message=h.first_message, sent=True, from_health=True
            )
        repeats = [r for r in items if r is not lead]
        entry = {
            "owner": owner,
            "code": code,
            "provider": lead.provider,
            "credential": {"source": lead.cred_source, "fingerprint": lead.fingerprint},
            "first": first,
            "repeats": len(repeats) + (1 if first.get("from_health") else 0),
            "refused": sum(1 for r in repeats if not r.sent),
            "last_ts": items[-1].ts,
            "health": hj,
            "next": _next_for(snap, lead),
        }
        g = groups.setdefault((owner, code), {"owner": owner, "code": code, "count": 0, "streams": []})
        g["count"] += len(items)
        g["streams"].append(entry)
    out = sorted(groups.values(), key=lambda g: -max(s["last_ts"] for s in g["streams"]))
    for g in out:
        g["streams"].sort(key=lambda s: -s["last_ts"])
        g["last_ts"] = g["streams"][0]["last_ts"]
    return {"window_s": window, "total": len(rows), "groups": out}


def doctor(gw: GatewayApp) -> dict[str, Any]:
    """Doctor's findings for the gateway's home, and the fixes `doctor --fix` would apply (not applied)."""
    from clawgate.diagnose.fixes import plan_fixes
    from clawgate.diagnose.run import run_doctor

    rt = gw.rt
    run = run_doctor(rt.paths, dict(rt.environ), None, probe=False, check_gateway=False)
    fixes = plan_fixes(run.snapshot, run.findings, run.health) if run.snapshot is not None else []
    return {
        "ok": not any(f.severity == "error" for f in run.findings),
        "findings": [f.to_json() for f in run.findings],
        "fixes": [fx.to_json() for fx in fixes],
        "apply": "clawgate doctor --fix",
        "meta": run.meta,
        "at": time.time(),
    }


def _digest(gw: GatewayApp) -> dict[str, Any]:
    rt = gw.rt
    last = rt.store.recent_attempts(limit=1)
    last_fail = rt.store.recent_attempts(limit=1, failures_only=True)
    out: dict[str, Any] = {
        "status": [rt.reloads, str(rt.last_error) if rt.last_error else None, gw.last_reload],
        "calls": last[0].id if last else None,
        "failures": last_fail[0].id if last_fail else None,
        "health": sorted((*h.key, h.state, h.until or 0, h.count) for h in rt.health.records()),
    }
    lister = getattr(rt.store, "list_sessions", None)
    if lister is not None:
        try:
            out["sessions"] = [(s.id, s.updated_at) for s in lister(None, 20)]
        except Exception:
            out["sessions"] = None
    return out


def _sse(event: str, data: Any) -> bytes:
    return (
        b"event: "
        + event.encode()
        + b"\ndata: "
        + redact(orjson.dumps(data, default=str).decode()).encode()
        + b"\n\n"
    )


# ------------------------------------------------------------------------------------------------ routes


def ui_routes(gw: GatewayApp) -> list[Route]:
    files = {p.name: p for p in STATIC.iterdir() if p.is_file()} if STATIC.is_dir() else {}

    async def index(request: Request) -> Response:
        page = files.get("index.html")
        if page is None:
            return _fail(
                Failure(owner="runtime", code="ui.missing", message="the UI's files are not installed")
            )
        return Response(page.read_bytes(), media_type="text/html; charset=utf-8", headers=_PAGE_HEADERS)

    async def static(request: Request) -> Response:
        name = request.path_params["name"]
        path = files.get(name)
        if path is None:
            return _fail(
                Failure(owner="request", code="request.not_found", message=f"no UI file {name!r}"), 404
            )
        ctype = _STATIC_TYPES.get(path.suffix) or mimetypes.guess_type(name)[0] or "application/octet-stream"
        return Response(path.read_bytes(), media_type=ctype, headers=_PAGE_HEADERS)

    async def ui_root(request: Request) -> Response:
        return RedirectResponse("/", status_code=303)

    async def login(request: Request) -> Response:
        if gw.auth.token.mode != "token":
            return RedirectResponse("/", status_code=303, headers={"referrer-policy": "no-referrer"})
        code = request.query_params.get("code") or ""
        sid = gw.auth.ui.redeem(code) if code else None
        headers = {"referrer-policy": "no-referrer", "cache-control": "no-store"}
        if sid is None:
            return RedirectResponse("/?login=expired", status_code=303, headers=headers)
        resp = RedirectResponse("/", status_code=303, headers=headers)
        resp.set_cookie(
            UI_COOKIE,
            sid,
            max_age=int(UI_SESSION_TTL),
            path="/",
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
        )
        return resp

    async def login_codes(request: Request) -> Response:
        mode = gw.auth.token.mode
        if mode == "token" and presented_token(dict(request.scope["headers"])) is None:
            return _fail(
                Failure(
                    owner="gateway_auth",
                    code="gateway.token_missing",
                    message="a login code is only given for the gateway token (Authorization: Bearer), "
                    "not for a browser session",
                    next_steps=["clawgate dashboard"],
                ),
                401,
            )
        denied = _denied(gw, request)
        if denied is not None:
            return denied
        if mode != "token":
            return _json({"auth": mode, "code": None, "path": "/", "expires_in": None}, 201)
        code, ttl = gw.auth.ui.issue_code()
        return _json(
            {"auth": mode, "code": code, "path": f"/ui/login?code={quote(code)}", "expires_in": ttl}, 201
        )

    async def logout(request: Request) -> Response:
        sid = _cookie(dict(request.scope["headers"]), UI_COOKIE)
        if gw.auth.ui_session(dict(request.scope["headers"])) is not None:
            gw.auth.ui.revoke(sid)
        resp = _json({"logged_out": True})
        resp.delete_cookie(UI_COOKIE, path="/", httponly=True, samesite="strict")
        return resp

    async def session(request: Request) -> Response:
        denied = _denied(gw, request)
        if denied is not None:
            return denied
        headers = dict(request.scope["headers"])
        mode = gw.auth.token.mode
        via = "none" if mode != "token" else ("token" if presented_token(headers) else "cookie")
        return _json(
            {"auth": mode, "via": via, "version": __version__, "address": gw.address, "login": LOGIN_HINT}
        )

    def guarded(fn: Any, *, thread: bool = True) -> Any:
        async def endpoint(request: Request) -> Response:
            denied = _denied(gw, request)
            if denied is not None:
                return denied
            try:
                data = await asyncio.to_thread(fn, gw) if thread else fn(gw)
            except ClawgateError as exc:
                return _json({"error": exc.to_json()}, 503 if exc.owner == "config" else 400)
            return _json(data)

        return endpoint

    async def failures_ep(request: Request) -> Response:
        denied = _denied(gw, request)
        if denied is not None:
            return denied
        try:
            window = max(60.0, min(float(request.query_params.get("window") or FAILURE_WINDOW), 7 * 86400.0))
        except ValueError:
            return _bad("'window' must be a number of seconds")
        return _json(await asyncio.to_thread(failures, gw, window))

    async def probe_ep(request: Request) -> Response:
        denied = _denied(gw, request)
        if denied is not None:
            return denied
        body = await _body(request)
        pid = body.get("provider")
        agent = body.get("agent")
        if not isinstance(pid, str) or not pid:
            return _bad("'provider' is required")
        if agent is not None and not isinstance(agent, str):
            return _bad("'agent' must be a string")
        try:
            return _json(await probe(gw, pid, agent or None))
        except ClawgateError as exc:
            return _json({"error": exc.to_json()}, 400)
        except TimeoutError:
            return _fail(
                Failure(
                    owner="network",
                    code="network.timeout",
                    message=f"the probe did not finish within {PROBE_TIMEOUT:g} s",
                    next_steps=[f"clawgate models status --probe --probe-provider {pid}"],
                ),
                504,
            )

    async def doctor_ep(request: Request) -> Response:
        denied = _denied(gw, request)
        if denied is not None:
            return denied
        try:
            return _json(await asyncio.to_thread(doctor, gw))
        except ClawgateError as exc:
            return _json({"error": exc.to_json()}, 503)

    async def events(request: Request) -> Response:
        denied = _denied(gw, request)
        if denied is not None:
            return denied

        async def stream() -> AsyncIterator[bytes]:
            last: dict[str, Any] = {}
            yield b"retry: 3000\n\n"
            while not gw.draining:
                denied = gw.check_auth(request.scope)
                if denied is not None:
                    yield _sse(
                        "auth", {"owner": denied.owner, "code": denied.code, "next": ["clawgate dashboard"]}
                    )
                    return
                digest = await asyncio.to_thread(_digest, gw)
                changed = [k for k, v in digest.items() if last.get(k) != v]
                last = digest
                yield _sse("update", {"at": time.time(), "changed": changed, "inflight": gw.inflight})
                await asyncio.sleep(TICK_SECONDS)
            yield _sse("bye", {"reason": "the gateway is shutting down"})

        return StreamingResponse(
            stream(),
            media_type="text/event-stream",
            headers={
                "cache-control": "no-cache",
                "x-accel-buffering": "no",
                "x-content-type-options": "nosniff",
            },
        )

    return [
        Route("/", index, methods=["GET", "HEAD"]),
        Route("/ui", ui_root, methods=["GET"]),
        Route("/ui/", ui_root, methods=["GET"]),
        Route("/ui/static/{name}", static, methods=["GET", "HEAD"]),
        Route("/ui/login", login, methods=["GET"]),
        Route("/api/ui/login-codes", login_codes, methods=["POST"]),
        Route("/api/ui/logout", logout, methods=["POST"]),
        Route("/api/ui/session", session, methods=["GET"]),
        Route("/api/ui/overview", guarded(overview), methods=["GET"]),
        Route("/api/ui/agents", guarded(agents), methods=["GET"]),
        Route("/api/ui/providers", guarded(providers), methods=["GET"]),
        Route("/api/ui/probe", probe_ep, methods=["POST"]),
        Route("/api/ui/failures", failures_ep, methods=["GET"]),
        Route("/api/ui/doctor", doctor_ep, methods=["POST"]),
        Route("/api/ui/events", events, methods=["GET"]),
    ]


extensions.register(ui_routes)
