"""What the engines' state means for a person: findings `state.redis_unreachable` and
`state.database_unreachable` (owner `runtime`) with the engine's host — never its password — for `/readyz`,
`/api/status`, `gateway status`, `status` and `doctor`; and a direct check of the configured engines."""

from __future__ import annotations

import time
from typing import Any

from clawgate.envsteps import set_var


def findings(shared: dict[str, Any] | None, database: dict[str, Any] | None) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    if shared and shared.get("engine") == "redis" and not shared.get("reachable", True):
        since = shared.get("since")
        out.append(
            {
                "code": "state.redis_unreachable",
                "severity": "error",
                "owner": "runtime",
                "subject": {"engine": "redis", "host": shared.get("host")},
                "message": f"Redis at {shared.get('host')} (state.redis) is unreachable"
                + (f" since {time.strftime('%H:%M:%S', time.localtime(since))}" if since else "")
                + f" ({shared.get('error') or 'no answer'}); model calls keep serving on each process's own "
                "state: cooldowns, lockouts and UI logins are not shared until it is back",
                "evidence": {k: shared.get(k) for k in ("host", "since", "error", "fallback")},
                "next": [f"check the Redis server at {shared.get('host')}", "clawgate doctor"],
            }
        )
    if database and not database.get("reachable", True):
        host = database.get("host") or database.get("path")
        out.append(
            {
                "code": "state.database_unreachable",
                "severity": "error",
                "owner": "runtime",
                "subject": {"engine": database.get("engine"), "host": host},
                "message": f"the sessions database ({database.get('engine')} at {host}, state.database) is "
                f"unreachable ({database.get('error') or 'no answer'}); the sessions API answers 503, model calls "
                f"keep serving; {database.get('queued') or 0} write(s) wait and are retried",
                "evidence": {k: database.get(k) for k in ("host", "since", "error", "queued", "dropped")},
                "next": [f"check the PostgreSQL server at {host}", "clawgate doctor"],
            }
        )
    return out


def check_engines(snap: Any, timeout: float = 2.0) -> list[dict[str, Any]]:
    """Connect to the configured Redis and PostgreSQL from here (doctor): the same findings when they do not
    answer."""
    import asyncio

    from clawgate.state.config import engine_urls

    redis_url, db_url = engine_urls(snap)

    async def redis_ok() -> tuple[bool, str | None]:
        from redis.asyncio import Redis

        r = Redis.from_url(redis_url.url or "", socket_timeout=timeout, socket_connect_timeout=timeout)
        try:
            await r.ping()
            return True, None
        except Exception as exc:
            return False, type(exc).__name__
        finally:
            await r.aclose()

    async def pg_ok() -> tuple[bool, str | None]:
        import asyncpg

        try:
            conn = await asyncpg.connect(db_url.url, timeout=timeout)
        except Exception as exc:
            return False, type(exc).__name__
        await conn.close()
        return True, None

    out: list[dict[str, Any]] = []
    for u in (redis_url, db_url):
        if u.error:
            out.append(
                {
                    "code": "env.unresolved_ref",
                    "severity": "error",
                    "owner": "environment",
                    "subject": {"key": u.key},
                    "message": f"{u.error}: the gateway will not start (it cannot reach the engine {u.key} names)",
                    "evidence": {"origin": u.origin},
                    "next": [
                        *(set_var(n) for n in u.missing),
                        f"clawgate config unset {u.key}",
                    ],
                }
            )
    if redis_url.url:
        ok, err = asyncio.run(redis_ok())
        if not ok:
            out += findings(
                {"engine": "redis", "host": redis_url.host, "reachable": False, "error": err}, None
            )
    if db_url.url:
        ok, err = asyncio.run(pg_ok())
        if not ok:
            out += findings(
                None, {"engine": "postgres", "host": db_url.host, "reachable": False, "error": err}
            )
    return out
