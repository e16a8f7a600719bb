"""Which engines the config chooses (`state.redis`, `state.database`), their URLs resolved like every other
secret (a `${VAR}` string or a SecretRef) and registered with the redactor, and the shared-state engine opened
for a process."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from clawgate.config.schema import SecretRef
from clawgate.config.substitution import expand
from clawgate.envsteps import set_var
from clawgate.errors import ConfigError
from clawgate.paths import Paths
from clawgate.redaction import register_secret
from clawgate.state.base import SharedState


@dataclass(frozen=True)
class EngineUrl:
    key: str  # state.redis | state.database
    url: str | None
    origin: str | None = None
    error: str | None = None
    missing: tuple[str, ...] = ()  # the unset variables its `${VAR}`s name

    @property
    def host(self) -> str | None:
        if not self.url:
            return None
        from clawgate.state.redis import url_host  # loaded when Redis is configured

        return url_host(self.url)

    def to_json(self) -> dict[str, Any]:
        return {"key": self.key, "host": self.host, "origin": self.origin, "error": self.error}


def _resolve(snap: Any, key: str, raw: Any) -> EngineUrl:
    if raw is None:
        return EngineUrl(key, None)
    missing: tuple[str, ...] = ()
    if isinstance(raw, SecretRef):
        sv = snap.secrets.resolve(raw)
        value, origin, error = sv.value, sv.origin, sv.error
    else:
        exp = expand(raw, snap.env)
        value = exp.value if exp.ok else None
        origin = ", ".join(exp.origins.values()) or snap.loaded.display
        error = None if exp.ok else f"{key} references unset {', '.join(exp.missing)}"
        missing = tuple(exp.missing)
    if value:
        value = value.strip()
        register_secret(value)
        from urllib.parse import urlsplit

        try:
            password = urlsplit(value).password
        except ValueError:
            password = None
        if password:
            register_secret(password)
    return EngineUrl(key, value or None, origin, error, missing)


def engine_urls(snap: Any) -> tuple[EngineUrl, EngineUrl]:
    """(redis, database) as configured; `.url` None when unset (the SQLite default)."""
    st = snap.config.state
    return _resolve(snap, "state.redis", st.redis), _resolve(snap, "state.database", st.database)


def _check(u: EngineUrl, schemes: tuple[str, ...]) -> None:
    if u.error:
        raise ConfigError(
            f"cannot open shared state: {u.error}",
            next_steps=[*(set_var(n) for n in u.missing), f"clawgate config unset {u.key}"],
        )
    if u.url and not u.url.startswith(schemes):
        raise ConfigError(
            f"{u.key} must be a {' or '.join(s.rstrip(':/') for s in schemes)} URL (got one for {u.host})",
            next_steps=[f"clawgate config set {u.key} '${{CLAWGATE_{u.key.split('.')[1].upper()}_URL}}'"],
        )


def open_shared(paths: Paths, snap: Any | None) -> SharedState:
    """The shared-state engine for this process: Redis (with the process-local fallback) when `state.redis`
    is set, else the SQLite file of this home. Not started: call `await state.start()` on the serving loop."""
    redis_url = engine_urls(snap)[0] if snap is not None else EngineUrl("state.redis", None)
    _check(redis_url, ("redis://", "rediss://", "unix://"))
    if redis_url.url:
        from clawgate.state.failover import Failover
        from clawgate.state.redis import RedisState

        return Failover(RedisState(redis_url.url))
    from clawgate.state.sqlite import SQLiteState

    paths.ensure_home()
    return SQLiteState(str(paths.shared_db))


def database_url(snap: Any) -> EngineUrl:
    u = engine_urls(snap)[1]
    _check(u, ("postgres://", "postgresql://"))
    return u
