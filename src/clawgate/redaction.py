"""Secret fingerprints and redaction: the only way a secret's identity is ever shown."""

from __future__ import annotations

import hashlib
import logging
import re
import threading

_NONPRINT = re.compile(r"[^\x21-\x7e]")


def _visible(text: str) -> str:
    """Escape anything that is not plain printable ASCII so a fingerprint never hides a stray byte."""
    return _NONPRINT.sub(lambda m: m.group(0).encode("unicode_escape").decode("ascii") or "?", text)


def fingerprint(secret: str) -> str:
    """`prefix…last4#hash6`: enough to compare two keys, never enough to use one.

    The shown prefix and suffix shrink for short secrets so that at most about a third is visible.
    """
    n = len(secret)
    pre = min(8, n // 4)
    suf = min(4, n // 6)
    digest = hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()[:6]
    head = _visible(secret[:pre])
    tail = _visible(secret[n - suf :]) if suf else ""
    return f"{head}…{tail}#{digest}"


# Key shapes redacted even when the value was never registered (a second line of defence in logs).
_KEY_SHAPES = re.compile(
    r"(?:sk-[A-Za-z0-9_\-]{12,}|gsk_[A-Za-z0-9]{12,}|AIza[0-9A-Za-z_\-]{20,}|cg[kd]_[a-z0-9]+_[A-Za-z0-9_\-]{16,}"
    r"|(?<=Bearer )[A-Za-z0-9_\-\.=+/]{12,})"
)


_MEMO_TEXT = 256  # short texts (log fields: paths, refs, codes) are remembered redacted
_MEMO_SIZE = 1024


class Redactor:
    """Replaces every registered secret (and anything shaped like a provider key) with its fingerprint.

    Short texts are remembered with their redacted form (log events repeat the same paths, refs and codes on
    every request); registering a secret forgets them all."""

    def __init__(self) -> None:
        self._secrets: dict[str, str] = {}
        self._lock = threading.Lock()
        self._pattern: re.Pattern[str] | None = None
        self._memo: dict[str, str] = {}
        self._generation = 0  # bumped by every new secret: a result made before it is not remembered

    def register(self, secret: str | None) -> None:
        if not secret or len(secret) < 6:
            return
        with self._lock:
            if secret in self._secrets:
                return
            self._secrets[secret] = fingerprint(secret)
            for variant in (secret.strip(),):
                if variant and len(variant) >= 6 and variant not in self._secrets:
                    self._secrets[variant] = fingerprint(variant)
            self._pattern = None
            self._generation += 1
            self._memo = {}

    def _compiled(self) -> re.Pattern[str] | None:
        with self._lock:
            if self._pattern is None and self._secrets:
                alts = sorted(self._secrets, key=len, reverse=True)
                self._pattern = re.compile("|".join(re.escape(a) for a in alts))
            return self._pattern

    def redact(self, text: str) -> str:
        if not text:
            return text
        memo = self._memo
        done = memo.get(text)
        if done is not None:
            return done
        generation = self._generation
        pat = self._compiled()
        out = text
        if pat is not None:
            out = pat.sub(lambda m: self._secrets.get(m.group(0), "[redacted]"), out)
        out = _KEY_SHAPES.sub(lambda m: fingerprint(m.group(0)), out)
        if len(text) <= _MEMO_TEXT:
            with self._lock:
                if generation == self._generation:
                    if len(self._memo) >= _MEMO_SIZE:
                        self._memo = {}
                    self._memo[text] = out
        return out


REDACTOR = Redactor()


def mask_url(url: str) -> str:
    """A URL with the password of its user:password part shown as `****` (proxy URLs are shown, their
    passwords never); a user name alone (`https://TOKEN@host`, how tokens ride in URLs) is shown as `****` too."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        password, user = parts.password, parts.username
    except ValueError:
        return url
    if password:
        return url.replace(f":{password}@", ":****@", 1)
    if user and "@" in parts.netloc:
        return url.replace(f"{user}@", "****@", 1)
    return url


def url_userinfo(url: str) -> bool:
    """Does `url` carry a user name or password (`scheme://user:pass@host`)?"""
    from urllib.parse import urlsplit

    try:
        return "@" in urlsplit(url.strip()).netloc
    except ValueError:
        return False


def strip_userinfo(url: str) -> str:
    """`url` without its `user:pass@` part (what to set instead)."""
    from urllib.parse import urlsplit, urlunsplit

    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))


def register_secret(secret: str | None) -> None:
    """Remember a secret value process-wide so that every output path redacts it."""
    REDACTOR.register(secret)


def redact(text: str) -> str:
    return REDACTOR.redact(text)


class RedactingFilter(logging.Filter):
    """A logging filter that redacts secrets from the formatted message and its arguments."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            msg = record.getMessage()
        except Exception:
            msg = str(record.msg)
        record.msg = redact(msg)
        record.args = None
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True
