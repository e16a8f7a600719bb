"""Signing in: PKCE (a loopback callback catches the redirect; a pasted redirect URL or `code#state` works
too, for remote and headless machines) and GitHub's device code. Each returns the OAuth profile to store.

Nothing here prints a token: the caller prints the URL to open (or the code to enter) and the fingerprint of
what was stored."""

from __future__ import annotations

import base64
import hashlib
import http.server
import secrets
import threading
import time
import urllib.parse
import webbrowser
from collections.abc import Callable
from typing import Any

from clawgate.auth.oauth.errors import OAuthError
from clawgate.auth.oauth.grants import code_grant, copilot_exchange
from clawgate.auth.oauth.http import request_json
from clawgate.auth.oauth.specs import OAuthSpec
from clawgate.redaction import register_secret

LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


def pkce_pair() -> tuple[str, str]:
    verifier = base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode()
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def authorize_url(spec: OAuthSpec, challenge: str, state: str, redirect_uri: str) -> str:
    query = {
        "response_type": "code",
        "client_id": spec.client_id,
        "redirect_uri": redirect_uri,
        "scope": spec.scope or "",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "state": state,
        **dict(spec.authorize_extra),
    }
    return f"{spec.authorize_url}?{urllib.parse.urlencode(query)}"


def parse_pasted(text: str) -> tuple[str | None, str | None]:
    """(code, state) from a pasted redirect URL, `code#state`, or a bare code."""
    text = text.strip()
    if not text:
        return None, None
    if "://" in text or text.startswith("?"):
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(text).query)
        codes, states = query.get("code") or [], query.get("state") or []
        return (codes[0] if codes else None), (states[0] if states else None)
    if "#" in text:
        code, _, state = text.partition("#")
        return code or None, state or None
    return text, None


class _Callback:
    """A one-shot loopback HTTP server for the redirect (`GET <path>?code=…&state=…`)."""

    def __init__(self, redirect_uri: str) -> None:
        parts = urllib.parse.urlsplit(redirect_uri)
        self.path = parts.path or "/"
        self.result: dict[str, str] = {}
        self.done = threading.Event()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                url = urllib.parse.urlsplit(self.path)
                if url.path != outer.path:
                    self.send_error(404)
                    return
                q = urllib.parse.parse_qs(url.query)
                outer.result = {k: v[0] for k, v in q.items() if v}
                body = b"Signed in. You can close this tab and return to clawgate.\n"
                if "error" in outer.result:
                    body = b"Sign-in failed: " + outer.result["error"].encode()[:200] + b"\n"
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                outer.done.set()

            def log_message(self, format: str, *args: Any) -> None:  # silence the access log
                return

        host = parts.hostname or "127.0.0.1"
        bind = "127.0.0.1" if host == "localhost" else host
        self.server = http.server.ThreadingHTTPServer((bind, parts.port or 80), Handler)
        self.thread = threading.Thread(
            target=self.server.serve_forever, name="clawgate-oauth-callback", daemon=True
        )
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


def login_pkce(
    spec: OAuthSpec,
    *,
    say: Callable[[str], None],
    read_paste: Callable[[], str | None],
    open_browser: bool = True,
    timeout: float = 300.0,
) -> dict[str, Any]:
    """Run a PKCE sign-in; the stored profile's OAuth fields."""
    redirect = spec.redirect_uri or ""
    verifier, challenge = pkce_pair()
    state = secrets.token_urlsafe(24)
    url = authorize_url(spec, challenge, state, redirect)
    callback: _Callback | None = None
    host = urllib.parse.urlsplit(redirect).hostname
    if not spec.paste_code and host in LOOPBACK_HOSTS:
        try:
            callback = _Callback(redirect)
        except OSError as exc:
            say(f"could not listen on {redirect} ({exc.strerror}); paste the redirect URL instead")
    say(f"Open this URL to sign in to {spec.name}:")
    say(url)
    if callback is not None:
        say("Waiting for the browser to return to " + redirect + " (or paste the redirect URL here).")
    else:
        say("After signing in, paste the code shown (or the whole redirect URL) here.")
    if open_browser:
        try:
            webbrowser.open(url)
        except webbrowser.Error:
            pass
    pasted: list[str] = []

    def reader() -> None:
        line = read_paste()
        if line and line.strip():
            pasted.append(line)
            if callback is not None:
                callback.done.set()

    paste_thread = threading.Thread(target=reader, name="clawgate-oauth-paste", daemon=True)
    paste_thread.start()
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if pasted or (callback is not None and callback.result):
                break
            if callback is None and not paste_thread.is_alive() and not pasted:
                break
            if callback is not None:
                callback.done.wait(0.1)
            else:
                paste_thread.join(0.1)
    finally:
        if callback is not None:
            callback.close()
    if callback is not None and callback.result:
        got = callback.result
        code, got_state = got.get("code"), got.get("state")
        if "error" in got:
            raise OAuthError(
                f"{spec.name} sign-in was refused: {got.get('error')}: {got.get('error_description', '')}".rstrip(
                    ": "
                ),
                provider=spec.provider,
                provider_message=got.get("error_description") or got.get("error"),
            )
    elif pasted:
        code, got_state = parse_pasted(pasted[0])
    else:
        raise OAuthError(
            f"no sign-in arrived within {timeout:.0f}s and nothing was pasted",
            provider=spec.provider,
            next_steps=[f"clawgate auth login {spec.provider} --no-browser   # and paste the redirect URL"],
        )
    if not code:
        raise OAuthError(f"the {spec.name} redirect carried no code", provider=spec.provider)
    if got_state is not None and got_state != state:
        raise OAuthError(
            "the sign-in answer belongs to another login attempt (state mismatch); start again",
            provider=spec.provider,
            next_steps=[f"clawgate auth login {spec.provider}"],
        )
    fields = code_grant(spec, code, verifier, redirect, got_state or state)
    _register(fields)
    fields["clientId"] = spec.client_id
    return fields


def login_device(
    spec: OAuthSpec,
    *,
    say: Callable[[str], None],
    sleep: Callable[[float], None] = time.sleep,
    timeout: float = 900.0,
) -> dict[str, Any]:
    """Run a device-code sign-in (GitHub); for Copilot, exchange the token once to prove the subscription."""
    start = request_json(
        spec.provider,
        "POST",
        spec.device_code_url or "",
        body={"client_id": spec.client_id, "scope": spec.scope or ""},
        what="device code request",
    )
    device_code, user_code = start.get("device_code"), start.get("user_code")
    if not isinstance(device_code, str) or not isinstance(user_code, str):
        raise OAuthError(f"{spec.device_code_url} answered without a device code", provider=spec.provider)
    interval = float(start.get("interval") or 0)
    say(
        f"Open {start.get('verification_uri', 'https://github.com/login/device')} and enter the code {user_code}"
    )
    deadline = time.monotonic() + min(timeout, float(start.get("expires_in") or timeout))
    while True:
        try:
            answer = request_json(
                spec.provider,
                "POST",
                spec.token_url,
                body={"client_id": spec.client_id, "device_code": device_code, "grant_type": DEVICE_GRANT},
                what="device token poll",
            )
            break
        except OAuthError as exc:
            if exc.code != "auth.oauth_pending" or time.monotonic() >= deadline:
                raise
            if "slow_down" in (exc.provider_message or ""):
                interval += 5
            sleep(interval)
    github = answer.get("access_token")
    if not isinstance(github, str) or not github:
        raise OAuthError(f"{spec.token_url} answered without an access_token", provider=spec.provider)
    register_secret(github)
    fields: dict[str, Any] = {"refresh": github}
    if spec.exchange_url:
        exchanged = copilot_exchange(spec, github)
        register_secret(exchanged["access"])
        fields.update({k: v for k, v in exchanged.items() if k in ("access", "expires")})
    else:
        fields["access"] = github
    return fields


def _register(fields: dict[str, Any]) -> None:
    for key in ("access", "refresh", "idToken"):
        value = fields.get(key)
        if isinstance(value, str) and value:
            register_secret(value)
