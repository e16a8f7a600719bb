"""Token-endpoint HTTP: one blocking request (run in a worker thread), JSON back, and the provider's own words
when it refuses. Proxies come from the process environment (urllib's rules)."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Literal

from clawgate.auth.oauth.errors import OAuthError
from clawgate.redaction import redact

TIMEOUT_SECONDS = 30.0
USER_AGENT = "clawgate"


def provider_words(status: int | None, body: bytes) -> str:
    """What the provider said, as one line: `error: error_description`, a JSON `message`, or the text."""
    text = body.decode("utf-8", "replace").strip()
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if isinstance(data, dict):
        err = data.get("error")
        desc = data.get("error_description") or data.get("message") or data.get("detail")
        if isinstance(err, dict):
            desc = err.get("message") or desc
            err = err.get("type") or err.get("code")
        parts = [str(p) for p in (err, desc) if p]
        if parts:
            return redact(": ".join(parts))[:300]
    return redact(text)[:300] or f"HTTP {status}"


def request_json(
    provider: str,
    method: Literal["GET", "POST"],
    url: str,
    *,
    body: dict[str, Any] | None = None,
    encoding: Literal["form", "json"] = "form",
    headers: dict[str, str] | None = None,
    what: str = "token request",
    timeout: float = TIMEOUT_SECONDS,
) -> dict[str, Any]:
    """Send one request; the JSON object answered, or OAuthError naming provider, URL and the reason."""
    data: bytes | None = None
    hdrs = {"Accept": "application/json", "User-Agent": USER_AGENT, **(headers or {})}
    if body is not None:
        if encoding == "json":
            data = json.dumps(body).encode()
            hdrs["Content-Type"] = "application/json"
        else:
            data = urllib.parse.urlencode(body).encode()
            hdrs["Content-Type"] = "application/x-www-form-urlencoded"
    req = urllib.request.Request(url, data=data, headers=hdrs, method=method)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            raw = resp.read()
            status = resp.status
    except urllib.error.HTTPError as exc:
        raw = exc.read() or b""
        words = provider_words(exc.code, raw)
        raise OAuthError(
            f"{provider} {what} at {url} was refused ({exc.code}): {words}",
            provider=provider,
            status=exc.code,
            provider_message=words,
        ) from None
    except (urllib.error.URLError, OSError, TimeoutError) as exc:
        reason = getattr(exc, "reason", exc)
        raise OAuthError(
            f"{provider} {what} at {url} did not answer: {reason}",
            provider=provider,
            provider_message=str(reason),
            code="auth.oauth_refresh_failed",
        ) from None
    try:
        out = json.loads(raw)
    except ValueError:
        out = None
    if not isinstance(out, dict):
        raise OAuthError(
            f"{provider} {what} at {url} answered {status} with a body that is not a JSON object",
            provider=provider,
            status=status,
        )
    if isinstance(out.get("error"), str) and "access_token" not in out and "token" not in out:
        # OAuth servers (GitHub's device flow) also report errors with 200
        raise OAuthError(
            f"{provider} {what} at {url}: {provider_words(status, raw)}",
            provider=provider,
            status=status,
            provider_message=provider_words(status, raw),
            code="auth.oauth_pending" if out["error"] in ("authorization_pending", "slow_down") else None,
        )
    return out
