"""A device's own identity on the machine that pairs with a gateway: `<home>/devices/<host>_<port>.json`
(0600, written atomically) holding its id and device token for that gateway's URL. `clawgate devices pair`
makes it; `clawgate chat` and `clawgate tui` present it when no gateway token is configured."""

from __future__ import annotations

import re
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import urlsplit

import orjson

from clawgate.atomicfile import atomic_write
from clawgate.clients import tokens
from clawgate.paths import Paths, ensure_private_dir
from clawgate.redaction import register_secret


@dataclass
class DeviceIdentity:
    url: str
    device_id: str
    token: str
    name: str
    kind: str
    created_at: float

    @property
    def hint(self) -> str:
        parsed = tokens.parse(self.token)
        return tokens.hint(*parsed) if parsed else "?"


def _slug(url: str) -> str:
    parts = urlsplit(url if "://" in url else "http://" + url)
    host = (parts.hostname or "gateway").lower()
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return re.sub(r"[^a-z0-9.-]", "_", f"{host}_{port}")


def identity_path(paths: Paths, url: str) -> Path:
    return paths.home / "devices" / f"{_slug(url)}.json"


def load(paths: Paths, url: str) -> DeviceIdentity | None:
    path = identity_path(paths, url)
    try:
        data = orjson.loads(path.read_bytes())
        ident = DeviceIdentity(**{k: data[k] for k in DeviceIdentity.__dataclass_fields__})
    except (OSError, orjson.JSONDecodeError, KeyError, TypeError):
        return None
    register_secret(ident.token)
    return ident


def create(paths: Paths, url: str, name: str, kind: str) -> DeviceIdentity:
    ident = DeviceIdentity(
        url=url,
        device_id=tokens.new_id(),
        token="",
        name=name,
        kind=kind,
        created_at=time.time(),
    )
    ident.token = tokens.make(tokens.DEVICE_PREFIX, ident.device_id, tokens.new_secret())
    register_secret(ident.token)
    paths.ensure_home()
    path = identity_path(paths, url)
    ensure_private_dir(path.parent)
    atomic_write(path, orjson.dumps(asdict(ident), option=orjson.OPT_INDENT_2))
    return ident
