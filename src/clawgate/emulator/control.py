"""The control plane under `/_emulator/`: health, fault script, request log and reset (never logged)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson
from aiohttp import web

if TYPE_CHECKING:
    from .server import EmulatorApp

PREFIX = "/_emulator"


def _json(obj: Any, status: int = 200) -> web.Response:
    return web.Response(status=status, body=orjson.dumps(obj), content_type="application/json")


def _rules_from(payload: Any) -> list[Any]:
    if isinstance(payload, dict) and "rules" in payload:
        payload = payload["rules"]
    if isinstance(payload, dict):
        return [payload]
    if isinstance(payload, list):
        return payload
    raise ValueError('expected a rule object, a list of rules, or {"rules": [...]}')


def register(app: web.Application, emu: EmulatorApp) -> None:
    async def health(request: web.Request) -> web.Response:
        mounts = {m.label: m.prefix for m in emu.mounts}
        return _json({"ok": True, "mounts": mounts})

    async def get_faults(request: web.Request) -> web.Response:
        return _json({"rules": [r.to_dict() for r in emu.script.rules()]})

    async def set_faults(request: web.Request) -> web.Response:
        try:
            rules = _rules_from(orjson.loads(await request.read()))
            replace = request.method == "PUT" or request.query.get("replace") in ("1", "true")
            if replace:
                emu.script.replace(rules)
            else:
                emu.script.add(rules)
        except (ValueError, TypeError) as exc:
            return _json({"error": str(exc)}, 400)
        return _json({"rules": [r.to_dict() for r in emu.script.rules()]})

    async def clear_faults(request: web.Request) -> web.Response:
        emu.script.clear()
        return _json({"rules": []})

    async def reset(request: web.Request) -> web.Response:
        emu.script.clear()
        emu.log.clear()
        emu.prompt_cache.reset()
        return _json({"ok": True})

    async def get_requests(request: web.Request) -> web.Response:
        q = request.query
        try:
            since = int(q.get("since_id", "0"))
            limit = int(q["limit"]) if "limit" in q else None
        except ValueError:
            return _json({"error": "since_id and limit must be integers"}, 400)
        records = emu.log.filter(
            q.get("dialect"),
            q.get("path_suffix"),
            region=q.get("region"),
            endpoint=q.get("endpoint"),
            model=q.get("model"),
            method=q.get("method"),
            since_id=since,
        )
        if limit is not None:
            records = records[-limit:] if limit else []
        return _json({"total": emu.log.total, "requests": [r.to_dict() for r in records]})

    async def clear_requests(request: web.Request) -> web.Response:
        emu.log.clear()
        return _json({"ok": True})

    router = app.router
    router.add_get(PREFIX + "/health", health)
    router.add_get(PREFIX + "/faults", get_faults)
    router.add_post(PREFIX + "/faults", set_faults)
    router.add_put(PREFIX + "/faults", set_faults)
    router.add_delete(PREFIX + "/faults", clear_faults)
    router.add_post(PREFIX + "/reset", reset)
    router.add_get(PREFIX + "/requests", get_requests)
    router.add_delete(PREFIX + "/requests", clear_requests)
