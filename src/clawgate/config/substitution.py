"""`${VAR}` expansion against the layered environment (`$${VAR}` is a literal), keeping provenance."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from clawgate.environment import Environment

_REF = re.compile(r"\$\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_ANY_REF = re.compile(r"\$\{[^}]*\}")


@dataclass
class Expanded:
    """The result of expanding one string. `value` is None when any reference is unresolved."""

    value: str | None
    refs: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    origins: dict[str, str] = field(default_factory=dict)  # var -> origin of the winning definition

    @property
    def ok(self) -> bool:
        return not self.missing


def references(raw: str) -> list[str]:
    """Names referenced by `${NAME}` in `raw` (escaped `$${NAME}` excluded)."""
    return [m.group(2) for m in _REF.finditer(raw) if m.group(2)]


def expand(raw: str, env: Environment) -> Expanded:
    out = Expanded(value=None)

    def sub(m: re.Match[str]) -> str:
        if m.group(1):
            return "${" + m.group(1) + "}"
        name = m.group(2)
        out.refs.append(name)
        var = env.var(name)
        if var is None or var.value == "":
            out.missing.append(name)
            return ""
        out.origins[name] = var.winner.origin
        return var.value

    text = _REF.sub(sub, raw)
    if not out.missing:
        out.value = text
    return out


def has_unexpanded(text: str) -> bool:
    return bool(_ANY_REF.search(text))


_ENV_NAME_REF = re.compile(r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$")


def env_name_ref(raw: object) -> str | None:
    """The variable a bare env-name `apiKey` names (`"NVIDIA_API_KEY"`), as OpenClaw reads it, else None.

    OpenClaw treats an `apiKey` that is an environment variable's name as a reference to it. A real key is
    never all upper-case words joined by underscores, so the shape decides."""
    if isinstance(raw, str) and _ENV_NAME_REF.match(raw.strip()):
        return raw.strip()
    return None
