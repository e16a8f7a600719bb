"""The shape of client keys and device tokens, and how they are kept: `cgk_<id>_<secret>` (a client key) and
`cgd_<id>_<secret>` (a device token). The id finds the record in memory; only a SHA-256 of the secret is stored
(the secrets are 256-bit random, so a plain hash is enough: nothing to stretch), compared in constant time."""

from __future__ import annotations

import hashlib
import hmac
import secrets

KEY_PREFIX = "cgk_"
DEVICE_PREFIX = "cgd_"
_ID_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"  # no 0/o/1/l: ids are read aloud and typed
ID_LENGTH = 10
_MIN_SECRET = 16


def new_id(length: int = ID_LENGTH) -> str:
    return "".join(secrets.choice(_ID_ALPHABET) for _ in range(length))


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def make(prefix: str, ident: str, secret: str) -> str:
    return f"{prefix}{ident}_{secret}"


def parse(token: str) -> tuple[str, str, str] | None:
    """(prefix, id, secret) of a client key or device token; None for anything else (the gateway token)."""
    if token.startswith(KEY_PREFIX):
        prefix = KEY_PREFIX
    elif token.startswith(DEVICE_PREFIX):
        prefix = DEVICE_PREFIX
    else:
        return None
    ident, sep, secret = token[len(prefix) :].partition("_")
    if not sep or not ident or len(secret) < _MIN_SECRET or len(ident) > 64:
        return None
    return prefix, ident, secret


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogateescape")).hexdigest()


def matches(secret: str, stored_hash: str | None) -> bool:
    if not stored_hash:
        return False
    return hmac.compare_digest(hash_secret(secret), stored_hash)


def hint(prefix: str, ident: str, secret: str) -> str:
    """What may be shown of a token: its id and the last four characters of its secret."""
    return f"{prefix}{ident}_…{secret[-4:]}"


def user_code() -> str:
    """The short code a pairing device shows, to match it with `clawgate devices list` (e.g. `KQ7M-4XTD`)."""
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    raw = "".join(secrets.choice(alphabet) for _ in range(8))
    return f"{raw[:4]}-{raw[4:]}"
