"""Where the chat surfaces find the gateway and the token to present: the same resolution as the CLI's
`gateway status` and the gateway itself (`address_for`, `resolve_gateway_token`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from clawgate.errors import ClawgateError
from clawgate.redaction import fingerprint, register_secret


@dataclass(frozen=True)
class Target:
    url: str  # http://host:port, no trailing slash
    token: str | None
    token_source: str  # config:gateway.auth.token | env:CLAWGATE_GATEWAY_TOKEN | none
    token_error: str | None = None
    url_from: str = "config"  # config | --url | env:CLAWGATE_GATEWAY_URL

    @property
    def token_fingerprint(self) -> str | None:
        return fingerprint(self.token) if self.token else None

    @property
    def ws_url(self) -> str:
        if self.url.startswith("https://"):
            return "wss://" + self.url[len("https://") :] + "/ws"
        if self.url.startswith("http://"):
            return "ws://" + self.url[len("http://") :] + "/ws"
        return self.url + "/ws"

    def describe_token(self) -> str:
        """`sk-…#abc123 from env:CLAWGATE_GATEWAY_TOKEN`, or why none was sent."""
        if self.token:
            return f"{self.token_fingerprint} from {self.token_source}"
        return self.token_error or "none (no gateway.auth.token or CLAWGATE_GATEWAY_TOKEN)"


def normalize_url(url: str) -> str:
    url = url.strip().rstrip("/")
    if "://" not in url:
        url = "http://" + url
    return url


_normalize = normalize_url


def _with_device(st: Any, target: Target) -> Target:
    """No gateway token here: this machine's paired device identity for that gateway, when it has one
    (`clawgate devices pair`)."""
    if target.token:
        return target
    from clawgate.clients import identity_file

    ident = identity_file.load(st.paths, target.url)
    if ident is None:
        return target
    return Target(target.url, ident.token, f"device:{ident.device_id}", None, target.url_from)


def resolve_target(st: Any, url: str | None = None) -> Target:
    """The gateway URL (`--url`, else `address_for`) and token (`resolve_gateway_token`) for CLI state `st`.

    A config this CLI cannot load is an error unless `--url` is given; then the token comes from
    CLAWGATE_GATEWAY_TOKEN in the process environment alone."""
    from clawgate.gateway.token import ENV_NAME

    try:
        snap = st.snapshot()
    except ClawgateError:
        if not url:
            raise
        token = (st.environ.get(ENV_NAME) or "").strip() or None
        register_secret(token)
        found = Target(_normalize(url), token, f"env:{ENV_NAME}" if token else "none", url_from="--url")
        return _with_device(st, found)
    from clawgate.gateway.lifecycle import address_for
    from clawgate.gateway.token import resolve_gateway_token

    tok = resolve_gateway_token(snap)
    if url:
        where, url_from = _normalize(url), "--url"
    else:
        where = address_for(snap)
        url_from = "env:CLAWGATE_GATEWAY_URL" if snap.env.get("CLAWGATE_GATEWAY_URL") else "config"
    return _with_device(
        st, Target(where, tok.value, tok.source if tok.value else "none", tok.error, url_from)
    )
