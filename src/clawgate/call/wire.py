"""What one try puts on the wire: the URL and the body (`call/bodies.py` decides both: the client's own body,
model rewritten, when it speaks the upstream's dialect; translated field by field otherwise; an auxiliary
endpoint's own), the headers (auth, versions, the provider's configured ones) and the timeouts of the attempt's
provider.

What is the same for every try of an attempt (its host, timeouts, body target, proxy, headers per credential) is
worked out once and kept on the attempt (`static`): plans are cached per snapshot, so a reload makes new ones."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import aiohttp

from clawgate.auth.resolve import Candidate
from clawgate.call import bodies
from clawgate.call.transport import ProxyInfo, Timeouts
from clawgate.call.types import CallRequest
from clawgate.dialects.base import Target
from clawgate.plan.types import Attempt

ANTHROPIC_VERSION = "2023-06-01"


class Static:
    """An attempt's per-try constants, made on its first try."""

    __slots__ = ("client_timeout", "creds", "headers", "host", "proxies", "target", "timeouts")

    def __init__(self, att: Attempt) -> None:
        self.host: str | None = urlsplit(att.base_url or "").hostname
        self.timeouts = timeouts(att)
        t = self.timeouts
        self.client_timeout = aiohttp.ClientTimeout(total=None, sock_connect=t.connect, connect=t.connect)
        self.target: Target = bodies.target_for(att)
        self.proxies: dict[str, ProxyInfo] = {}  # URL -> the proxy it goes through (few URLs per attempt)
        self.headers: dict[tuple[int, bool], dict[str, str]] = {}  # (credential, stream) -> headers
        cred = att.credential
        # the distinct usable keys, in order (the executor's failover list)
        self.creds: list[Candidate] = list(cred.distinct_usable()) if cred else []


def static(att: Attempt) -> Static:
    st: Static | None = att.wire
    if st is None:
        st = att.wire = Static(att)
    return st


def url_and_body(att: Attempt, req: CallRequest) -> tuple[str, bytes]:
    """The URL and body of this attempt's request. Raises `bodies.Refused` (nothing may be sent)."""
    path, data = bodies.prepare(att, req, static(att).target)
    return f"{att.base_url}{path}", data


def proxy_of(att: Attempt, url: str, lookup: Any) -> ProxyInfo:
    """`lookup(url)` (the runtime's proxy for a URL), remembered on the attempt."""
    proxies = static(att).proxies
    via = proxies.get(url)
    if via is None:
        via = proxies[url] = lookup(url)
    return via


def auth_headers(api: str, cred: Candidate | None) -> dict[str, str]:
    if cred is None:
        return {}
    secret = cred.secret()
    if secret is None:
        return {}
    if api == "anthropic-messages" and cred.kind == "api_key":
        return {"x-api-key": secret}
    return {"Authorization": f"Bearer {secret}"}


def headers(att: Attempt, cred: Candidate | None, req: CallRequest) -> dict[str, str]:
    """The request headers of this try (a new dict: `prepare` may change it). The same for every try of one
    credential unless an Anthropic client's own version headers are forwarded, so those are made once."""
    if att.api == "anthropic-messages" and req.client_api == "anthropic-messages":
        return _headers(att, cred, req)
    cache = static(att).headers
    key = (id(cred), req.stream)
    base = cache.get(key)
    if base is None:
        base = cache[key] = _headers(att, cred, req)
    return dict(base)


def _headers(att: Attempt, cred: Candidate | None, req: CallRequest) -> dict[str, str]:
    out = {"Content-Type": "application/json"}
    if att.api == "anthropic-messages":
        out["anthropic-version"] = ANTHROPIC_VERSION
        if req.client_api == "anthropic-messages":
            for k in ("anthropic-version", "anthropic-beta"):
                if k in req.forward_headers:
                    out[k] = req.forward_headers[k]
    if req.stream:
        out["Accept"] = "text/event-stream"
    out.update(auth_headers(att.api, cred))
    out.update(att.headers)
    return out


def timeouts(att: Attempt) -> Timeouts:
    local = bool(att.view and att.view.preset and att.view.preset.local)
    return Timeouts.for_provider(att.timeout or 600.0, local, idle=att.idle_timeout)
