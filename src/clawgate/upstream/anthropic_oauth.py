"""Anthropic subscription tokens (OAuth sign-in and `claude setup-token`, `sk-ant-oat…`): what the Messages
API requires of them. Sent as `Authorization: Bearer` (never `x-api-key`), with the `oauth-2025-04-20` beta
(without it the API answers 401 "OAuth authentication is currently not supported."), and with Claude Code's
identity as the first system block (without it: 400 "This credential is only authorized for use with Claude
Code and cannot be used for other API requests."). The caller's own system prompt follows it unchanged."""

from __future__ import annotations

from typing import Any

import orjson

OAUTH_BETA = "oauth-2025-04-20"
IDENTITY = "You are Claude Code, Anthropic's official CLI for Claude."


def is_subscription_token(secret: str | None, kind: str) -> bool:
    return kind in ("oauth", "token") or bool(secret and secret.startswith("sk-ant-oat"))


def headers(token: str, base: dict[str, str]) -> dict[str, str]:
    out = {k: v for k, v in base.items() if k.lower() not in ("x-api-key", "authorization")}
    out["Authorization"] = f"Bearer {token}"
    betas = [b.strip() for k, v in base.items() if k.lower() == "anthropic-beta" for b in v.split(",")]
    out = {k: v for k, v in out.items() if k.lower() != "anthropic-beta"}
    if OAUTH_BETA not in betas:
        betas.insert(0, OAUTH_BETA)
    out["anthropic-beta"] = ",".join(b for b in betas if b)
    return out


def body(raw: bytes) -> bytes:
    obj: dict[str, Any] = orjson.loads(raw)
    ident = {"type": "text", "text": IDENTITY}
    system = obj.get("system")
    if system is None or system == "" or system == []:
        obj["system"] = [ident]
    elif isinstance(system, str):
        obj["system"] = [ident] if system == IDENTITY else [ident, {"type": "text", "text": system}]
    elif isinstance(system, list):
        first = system[0] if system else None
        if not (isinstance(first, dict) and first.get("text") == IDENTITY):
            obj["system"] = [ident, *system]
    return orjson.dumps(obj)
