"""The keyring: which keys each dialect (and region or plan) accepts, including region-bound rejection."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from .dialects import DIALECT_CLASSES, resolve
from .dialects.base import AUTH_OK, AUTH_WRONG, AUTH_WRONG_REGION


class Keyring:
    """Valid keys per scope: `"openai"`, `"dashscope:intl"`, `"moonshot:cn"`, ...

    An unscoped entry for a regional dialect (`"dashscope"`) is valid on every region of it. A dialect with no
    keys at all accepts any non-empty key. Once a regional dialect has keys for some region, a region without
    keys of its own accepts none: keys are bound to the host they were issued for.
    """

    def __init__(self, keys: Mapping[str, Iterable[str] | str] | None = None) -> None:
        self._scoped: dict[tuple[str, str | None], frozenset[str]] = {}
        self._allowed: dict[tuple[str, str | None], frozenset[str] | None] = {}
        for scope, values in (keys or {}).items():
            dialect, _, region = scope.partition(":")
            if dialect not in DIALECT_CLASSES:
                raise ValueError(f"unknown key scope {scope!r}: no dialect {dialect!r}")
            if region:
                resolve(dialect, region)  # validates the region
            vals = frozenset([values] if isinstance(values, str) else values)
            key = (dialect, region or None)
            self._scoped[key] = self._scoped.get(key, frozenset()) | vals
        for name, cls in DIALECT_CLASSES.items():
            for host in cls.regions or (None,):
                self._allowed[(name, host)] = self._compute(name, host)

    def _compute(self, dialect: str, region: str | None) -> frozenset[str] | None:
        configured = [k for k in self._scoped if k[0] == dialect]
        if not configured:
            return None
        return self._scoped.get((dialect, region), frozenset()) | self._scoped.get(
            (dialect, None), frozenset()
        )

    def allowed(self, dialect: str, region: str | None) -> frozenset[str] | None:
        """The keys valid for this host, or None when any non-empty key is accepted."""
        return self._allowed[(dialect, region)]

    def check(self, dialect: str, region: str | None, key: str) -> str:
        """ "ok", "wrong", or "wrong_region" (valid for another region or plan of the same dialect)."""
        allowed = self._allowed[(dialect, region)]
        if allowed is None or key in allowed:
            return AUTH_OK
        for (d, r), vals in self._scoped.items():
            if d == dialect and r != region and key in vals:
                return AUTH_WRONG_REGION
        return AUTH_WRONG

    def grant(self, dialect: str, key: str) -> None:
        """Accept `key` on every host of `dialect` from now on (a token the emulator's OAuth server issued).

        A dialect without keys already accepts any key, and stays that way."""
        if dialect not in DIALECT_CLASSES or not any(d == dialect for d, _ in self._scoped):
            return
        scope = (dialect, None)
        self._scoped[scope] = self._scoped.get(scope, frozenset()) | {key}
        cls = DIALECT_CLASSES[dialect]
        for host in cls.regions or (None,):
            self._allowed[(dialect, host)] = self._compute(dialect, host)

    def scopes(self) -> dict[str, list[str]]:
        return {(d if r is None else f"{d}:{r}"): sorted(v) for (d, r), v in self._scoped.items()}
