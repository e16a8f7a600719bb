"""`prepare()`: the last step before a try is sent. For most attempts it changes nothing (an API key in the
dialect's usual header, at the base URL). It changes what goes out when

- the API kind lives elsewhere than the dialect's path (`ollama`: under `/v1`; ChatGPT: `/codex/responses`);
- the credential is an OAuth token: refreshed first when it expires within five minutes (`clawgate.auth.oauth`
  broker), then sent with what its backend requires: ChatGPT's headers and body rules, Anthropic's OAuth beta
  and identity block, GitHub Copilot's exchanged API token and editor headers.

A refresh or exchange the provider refuses becomes `auth.oauth_refresh_failed` with the provider's words."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

from clawgate.auth.resolve import Candidate
from clawgate.dialects.registry import get_dialect
from clawgate.failures import Failure
from clawgate.plan.types import Attempt
from clawgate.upstream.apikinds import CODEX_KINDS, path_prefix, url_for

# The OAuth broker and the backends' rules (clawgate.auth.oauth, upstream/codex.py, upstream/anthropic_oauth.py)
# are imported by the tries that need them (`decorated`): a gateway with API keys only never loads them.
if TYPE_CHECKING:
    from clawgate.auth.oauth.broker import Token
    from clawgate.auth.oauth.errors import OAuthError


@dataclass
class Outgoing:
    url: str
    body: bytes
    headers: dict[str, str]


_ROUTED_KINDS = frozenset({"ollama"}) | CODEX_KINDS
_HOOKED_PROVIDERS = frozenset({"anthropic", "github-copilot"})


def decorated(att: Attempt, cred: Candidate | None) -> bool:
    """Does `prepare` change anything for this attempt and credential? (Most tries: no; the caller then skips it.)"""
    return (
        att.api_kind in _ROUTED_KINDS
        or att.provider in _HOOKED_PROVIDERS
        or (cred is not None and cred.kind != "api_key")
    )


async def prepare(
    att: Attempt, cred: Candidate | None, url: str, body: bytes, headers: dict[str, str]
) -> Outgoing | Failure | None:
    """What to send instead of (url, body, headers); None when they go out unchanged."""
    kind = att.api_kind
    if not decorated(att, cred):
        return None
    from clawgate.auth.oauth.errors import OAuthError
    from clawgate.upstream import anthropic_oauth

    if kind in _ROUTED_KINDS and path_prefix(kind, att.base_url or ""):
        url = url_for(kind, att.base_url or "", get_dialect(att.api).path)
    try:
        if kind in CODEX_KINDS:
            return await _codex(att, cred, url, body, headers)
        if att.provider == "github-copilot":
            return await _copilot(att, cred, url, body, headers)
        if att.provider == "anthropic" and cred is not None:
            if anthropic_oauth.is_subscription_token(cred.secret(), cred.kind):
                token = await _access(att, cred)
                return Outgoing(
                    url, anthropic_oauth.body(body), anthropic_oauth.headers(token.access, headers)
                )
            return Outgoing(url, body, headers)
        if cred is not None and cred.refreshable:
            token = await _access(att, cred)
            return Outgoing(url, body, {**headers, "Authorization": f"Bearer {token.access}"})
    except OAuthError as exc:
        return refresh_failure(att, cred, exc)
    return Outgoing(url, body, headers)


def finish_body(att: Attempt, data: bytes) -> bytes:
    """A non-stream answer as the client expects it (ChatGPT always streams: fold it into one body)."""
    if att.api_kind in CODEX_KINDS:
        from clawgate.upstream import codex

        return codex.fold(data)
    return data


async def _access(att: Attempt, cred: Candidate) -> Token:
    """The credential's access token, refreshed first when a stored OAuth profile is about to expire."""
    from clawgate.auth.oauth.broker import BROKER, Token
    from clawgate.auth.oauth.specs import spec_for

    current = Token(cred.secret() or "", cred.expires, cred.account_id)
    spec = spec_for(att.provider, att.view.oauth if att.view else None)
    if not cred.refreshable or cred.profile_path is None or cred.profile_id is None or spec is None:
        return current
    return await BROKER.stored(cred.profile_path, cred.profile_id, current, spec)


async def _codex(
    att: Attempt, cred: Candidate | None, url: str, body: bytes, headers: dict[str, str]
) -> Outgoing:
    from clawgate.auth.oauth.jwt import chatgpt_identity
    from clawgate.upstream import codex

    if cred is None:
        return Outgoing(url, codex.body(body), headers)
    token = await _access(att, cred)
    account = token.account_id or cred.account_id or chatgpt_identity(token.access).get("accountId")
    return Outgoing(url, codex.body(body), codex.headers(token.access, account, headers))


async def _copilot(
    att: Attempt, cred: Candidate | None, url: str, body: bytes, headers: dict[str, str]
) -> Outgoing:
    from clawgate.auth.oauth.broker import BROKER
    from clawgate.auth.oauth.grants import COPILOT_HEADERS
    from clawgate.auth.oauth.specs import spec_for

    spec = spec_for("github-copilot", att.view.oauth if att.view else None)
    github = _github_token(cred)
    if spec is None or not github:
        return Outgoing(url, body, headers)
    token = await BROKER.copilot(github, spec)
    if token.base_url and att.base_url_from.startswith("preset:"):
        url = token.base_url + get_dialect(att.api).path  # the account's own endpoint, unless configured
    out = {k: v for k, v in headers.items() if k.lower() != "authorization"}
    out.update(COPILOT_HEADERS)
    out["Authorization"] = f"Bearer {token.access}"
    out.setdefault("Openai-Intent", "conversation-panel")
    return Outgoing(url, body, out)


def _github_token(cred: Candidate | None) -> str | None:
    """The GitHub token behind a Copilot credential: an OAuth profile keeps it as its refresh token."""
    if cred is None:
        return None
    if cred.kind == "oauth" and cred.profile_path is not None and cred.profile_id is not None:
        try:
            data = json.loads(cred.profile_path.read_text(encoding="utf-8"))
            refresh = data["profiles"][cred.profile_id].get("refresh")
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            refresh = None
        if isinstance(refresh, str) and refresh:
            return refresh
    return cred.secret()


def refresh_failure(att: Attempt, cred: Candidate | None, exc: OAuthError) -> Failure:
    who = f"{cred.source} ({cred.fingerprint})" if cred is not None else att.provider
    agent = cred.agent if cred is not None and cred.agent else None
    login = f"clawgate auth login {att.provider}" + (f" --agent {agent}" if agent else "")
    return Failure(
        owner="provider_auth",
        code="auth.oauth_refresh_failed",
        message=f"{att.provider} did not renew {who}: {exc.message}; nothing was sent to the model",
        provider=att.provider,
        model=att.model,
        status=exc.status,
        provider_message=exc.provider_message,
        next_steps=[login, f"clawgate auth list{f' --agent {agent}' if agent else ''}", "clawgate doctor"],
        try_next_credential=True,
        try_fallback=True,
        credential_source=cred.source if cred is not None else None,
        credential_fingerprint=cred.fingerprint if cred is not None else None,
    )
