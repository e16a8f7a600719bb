"""The token requests themselves: a refresh grant (OpenAI, Anthropic), the authorization-code exchange that
ends a PKCE login, and GitHub Copilot's exchange of a GitHub token for a Copilot API token. Blocking; the
callers run them in a worker thread. Each returns the profile fields to store."""

from __future__ import annotations

import time
from typing import Any

from clawgate.auth.oauth.errors import OAuthError
from clawgate.auth.oauth.http import request_json
from clawgate.auth.oauth.jwt import chatgpt_identity, expiry_ms
from clawgate.auth.oauth.specs import OAuthSpec

COPILOT_HEADERS = {
    "Editor-Version": "vscode/1.99.3",
    "Editor-Plugin-Version": "copilot-chat/0.26.7",
    "User-Agent": "GitHubCopilotChat/0.26.7",
    "Copilot-Integration-Id": "vscode-chat",
}


def _fields(spec: OAuthSpec, answer: dict[str, Any], old_refresh: str | None) -> dict[str, Any]:
    access = answer.get("access_token")
    if not isinstance(access, str) or not access:
        raise OAuthError(
            f"{spec.provider} token endpoint {spec.token_url} answered without an access_token",
            provider=spec.provider,
        )
    out: dict[str, Any] = {"access": access}
    refresh = answer.get("refresh_token")
    out["refresh"] = refresh if isinstance(refresh, str) and refresh else old_refresh
    expires_in = answer.get("expires_in")
    if isinstance(expires_in, (int, float)):
        out["expires"] = int(time.time() * 1000 + expires_in * 1000)
    else:
        out["expires"] = expiry_ms(access)
    id_token = answer.get("id_token")
    if isinstance(id_token, str) and id_token:
        out["idToken"] = id_token
    if spec.provider == "openai-codex":
        out.update(chatgpt_identity(id_token if isinstance(id_token, str) else None, access))
    return {k: v for k, v in out.items() if v is not None}


def refresh_grant(spec: OAuthSpec, refresh_token: str, client_id: str | None = None) -> dict[str, Any]:
    """Trade a refresh token for a new access token (and, usually, a new refresh token)."""
    body = {
        "grant_type": "refresh_token",
        "refresh_token": refresh_token,
        "client_id": client_id or spec.client_id,
    }
    answer = request_json(
        spec.provider, "POST", spec.token_url, body=body, encoding=spec.token_body, what="token refresh"
    )
    return _fields(spec, answer, refresh_token)


def code_grant(
    spec: OAuthSpec, code: str, verifier: str, redirect_uri: str, state: str | None
) -> dict[str, Any]:
    """Finish a PKCE login: the authorization code and the verifier for a first token pair."""
    body: dict[str, Any] = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
        "client_id": spec.client_id,
        "code_verifier": verifier,
    }
    if state is not None and spec.token_body == "json":
        body["state"] = state
    answer = request_json(
        spec.provider, "POST", spec.token_url, body=body, encoding=spec.token_body, what="code exchange"
    )
    return _fields(spec, answer, None)


def copilot_exchange(spec: OAuthSpec, github_token: str) -> dict[str, Any]:
    """A GitHub token -> {access (Copilot API token), expires, baseUrl (the account's API endpoint)}."""
    url = spec.exchange_url or ""
    answer = request_json(
        spec.provider,
        "GET",
        url,
        headers={"Authorization": f"token {github_token}", **COPILOT_HEADERS},
        what="Copilot token exchange",
    )
    token = answer.get("token")
    if not isinstance(token, str) or not token:
        raise OAuthError(
            f"GitHub's Copilot token exchange at {url} answered without a token", provider=spec.provider
        )
    expires_at = answer.get("expires_at")
    out: dict[str, Any] = {"access": token}
    if isinstance(expires_at, (int, float)):
        out["expires"] = int(expires_at * 1000)
    endpoints = answer.get("endpoints")
    api = endpoints.get("api") if isinstance(endpoints, dict) else None
    if isinstance(api, str) and api:
        out["baseUrl"] = api.rstrip("/")
    else:
        out["baseUrl"] = _endpoint_from_token(token)
    return {k: v for k, v in out.items() if v is not None}


def _endpoint_from_token(token: str) -> str | None:
    """Copilot tokens carry `proxy-ep=proxy.<tenant>.githubcopilot.com`; the API host is `api.<tenant>…`."""
    for part in token.split(";"):
        name, _, value = part.partition("=")
        if name == "proxy-ep" and value:
            host = value.replace("proxy.", "api.", 1) if value.startswith("proxy.") else value
            return f"https://{host}"
    return None
