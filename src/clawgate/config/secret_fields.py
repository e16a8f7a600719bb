"""Which config values are literal secrets, and how one is shown: the one decision behind `config get`'s
fingerprints, doctor's `config.plaintext_secret` finding (and so `secrets audit`) and the redactor's list.

A string is a literal secret when it is written in the file itself (no `${VAR}`, not a SecretRef, not blank)
and either sits where clawgate reads a secret from — a provider's `apiKey`, a provider header whose name is a
credential's (`Authorization`, `X-Custom-Token`, `*-Key`), every `observability.otlp.headers` value,
`gateway.auth.token`, an `env` variable whose name is a credential's, the password in a `state.redis` /
`state.database` URL — or has the shape of a provider key anywhere else. A URL is shown with only its password
replaced by the fingerprint.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from clawgate.config.substitution import env_name_ref
from clawgate.redaction import fingerprint

PathParts = Sequence[str | int]

_STATE_URLS = ("redis", "database")


def looks_secret_name(name: str) -> bool:
    """A variable (or header) name that says it holds a credential."""
    upper = name.upper()
    return any(w in upper for w in ("KEY", "TOKEN", "SECRET", "PASSWORD", "CREDENTIAL"))


def looks_secret_value(value: str) -> bool:
    """A value with the shape of a provider key."""
    return len(value) >= 12 and value.startswith(("sk-", "gsk_", "AIza", "xai-", "pplx-"))


def credential_header(name: str) -> bool:
    """A header whose name says its value is a credential (`Authorization`, `x-api-key`, `X-Custom-Token`)."""
    return looks_secret_name(name) or "AUTH" in name.upper() or name.lower() == "cookie"


@dataclass(frozen=True)
class LiteralSecret:
    """One literal secret in the config: where (`path`, as `config get` and `secrets move` take it), what kind
    of place (`api_key`, `header`, `otlp_header`, `gateway_token`, `env`, `url`, `shape`) and the secret itself
    (for a URL: its password)."""

    path: str
    parts: tuple[str | int, ...]
    kind: str
    secret: str


def _path(parts: PathParts) -> str:
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out


def _kind(parts: PathParts, value: str) -> str | None:
    n = len(parts)
    if n == 4 and parts[:2] == ("models", "providers") and parts[3] == "apiKey":
        return None if env_name_ref(value) else "api_key"  # `apiKey: "NVIDIA_API_KEY"` names a variable
    if (
        n == 5
        and parts[:2] == ("models", "providers")
        and parts[3] == "headers"
        and isinstance(parts[4], str)
    ):
        return "header" if credential_header(parts[4]) or looks_secret_value(value) else None
    if n == 4 and parts[:3] == ("observability", "otlp", "headers"):
        return "otlp_header"
    if tuple(parts) == ("gateway", "auth", "token"):
        return "gateway_token"
    if n == 2 and parts[0] == "state" and parts[1] in _STATE_URLS:
        return "url" if _password(value) else None
    env_name = (
        parts[-1] if (n == 2 and parts[0] == "env") or (n == 3 and parts[:2] == ("env", "vars")) else None
    )
    if isinstance(env_name, str) and looks_secret_name(env_name):
        return "env"
    if "@" in value and _password(value):
        return "url"  # any other URL with user:password@ (a provider's baseUrl, which the schema refuses)
    return "shape" if looks_secret_value(value) else None


def _password(url: str) -> str | None:
    try:
        return urlsplit(url.strip()).password or None
    except ValueError:
        return None


def secret_at(parts: PathParts, value: Any) -> LiteralSecret | None:
    """The literal secret `value` at config `parts` is, or None."""
    if not isinstance(value, str) or not value.strip() or "${" in value:
        return None
    parts = tuple(parts)
    kind = _kind(parts, value)
    if kind is None:
        return None
    secret = (_password(value) or "") if kind == "url" else value
    return LiteralSecret(_path(parts), parts, kind, secret)


def _walk(value: Any, parts: tuple[str | int, ...]) -> Iterator[LiteralSecret]:
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _walk(v, (*parts, str(k)))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _walk(v, (*parts, i))
    else:
        found = secret_at(parts, value)
        if found is not None:
            yield found


def literal_secrets(data: Any) -> list[LiteralSecret]:
    """Every literal secret in the parsed config file, in file order."""
    return list(_walk(data, ()))


def masked(value: Any, parts: PathParts = ()) -> Any:
    """`value` (found at config `parts`) as it may be shown: every literal secret as `<secret FINGERPRINT>`, a
    URL with only its password so replaced."""
    if isinstance(value, dict):
        return {k: masked(v, (*parts, str(k))) for k, v in value.items()}
    if isinstance(value, list):
        return [masked(v, (*parts, i)) for i, v in enumerate(value)]
    found = secret_at(parts, value)
    if found is None:
        return value
    shown = f"<secret {fingerprint(found.secret)}>"
    if found.kind == "url":
        return str(value).replace(f":{found.secret}@", f":{shown}@", 1)
    return shown
