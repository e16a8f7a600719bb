"""`state.redis` / `state.database` and `gateway.auth.trustedProxies` in the config: URLs from env refs,
registered as secrets and shown by host only; bad values named with the key at fault."""

from __future__ import annotations

from typing import Any

import pytest

from clawgate.errors import ConfigError
from clawgate.plan.snapshot import Snapshot
from clawgate.redaction import redact
from clawgate.state.config import database_url, engine_urls, open_shared

SECRET = "redis-test-config-pw-55aa"


def _snap(home: Any, cfg: dict[str, Any], dotenv: str = "") -> Snapshot:
    home.config(cfg)
    if dotenv:
        home.dotenv(dotenv)
    from clawgate.paths import Paths

    env = home.env()
    return Snapshot.load(Paths.discover(env), env, cwd=None)


def test_urls_come_from_env_refs_and_are_secrets(home: Any) -> None:
    snap = _snap(
        home,
        {
            "state": {
                "redis": "${CLAWGATE_REDIS_URL}",
                "database": {"source": "env", "id": "CLAWGATE_DATABASE_URL"},
            }
        },
        f"CLAWGATE_REDIS_URL=redis://:{SECRET}@10.0.0.20:6379/0\n"
        "CLAWGATE_DATABASE_URL=postgresql://clawgate:pg-secret-config-77@10.0.0.21:5432/clawgate\n",
    )
    redis, db = engine_urls(snap)
    assert (redis.host, db.host) == ("10.0.0.20:6379", "10.0.0.21:5432")
    assert SECRET not in str(redis.to_json()) and "pg-secret-config-77" not in str(db.to_json())
    assert SECRET not in redact(
        f"connect to redis://:{SECRET}@10.0.0.20 failed"
    )  # registered with the redactor
    assert open_shared(home_paths(home), snap).describe()["host"] == "10.0.0.20:6379"


def home_paths(home: Any) -> Any:
    from clawgate.paths import Paths

    return Paths.discover(home.env())


def test_an_unset_reference_and_a_wrong_scheme_are_config_errors(home: Any) -> None:
    snap = _snap(home, {"state": {"redis": "${NOT_SET_ANYWHERE}", "database": "mysql://x@h/db"}})
    with pytest.raises(ConfigError, match=r"state\.redis references unset NOT_SET_ANYWHERE"):
        open_shared(home_paths(home), snap)
    with pytest.raises(ConfigError, match=r"state\.database must be a postgres or postgresql URL"):
        database_url(snap)


def test_trusted_proxies_must_be_addresses_or_ranges(home: Any, cli: Any) -> None:
    home.config({"gateway": {"auth": {"trustedProxies": ["10.0.0.0/8", "proxy.internal"]}}})
    out = cli("config", "validate")
    assert out.code != 0 and "gateway.auth.trustedProxies" in out.out + out.err
    assert "'proxy.internal' is not an IP address or CIDR range" in out.out + out.err
