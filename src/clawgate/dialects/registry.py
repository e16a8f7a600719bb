"""The dialects by api name: `get_dialect("openai-completions")` and the list of apis. A dialect's module is
loaded the first time it is asked for: a gateway whose clients and providers all speak one dialect never loads
the other two (~0.5 MB of a worker's memory)."""

from __future__ import annotations

from importlib import import_module

from clawgate.dialects.base import Dialect

# api -> the module whose DIALECT speaks it
_MODULES = {
    "openai-completions": "clawgate.dialects.openai_chat",
    "openai-responses": "clawgate.dialects.openai_responses",
    "anthropic-messages": "clawgate.dialects.anthropic_messages",
}
APIS: tuple[str, ...] = tuple(_MODULES)
_LOADED: dict[str, Dialect] = {}


def get_dialect(api: str) -> Dialect:
    """The dialect for a provider's `api` setting; KeyError naming the known apis for anything else."""
    d = _LOADED.get(api)
    if d is not None:
        return d
    try:
        module = _MODULES[api]
    except KeyError:
        raise KeyError(f"unknown api {api!r}; known: {', '.join(APIS)}") from None
    d = import_module(module).DIALECT
    if d.api != api:  # pragma: no cover - a table/module mismatch is a bug
        raise RuntimeError(f"{module}.DIALECT speaks {d.api!r}, not {api!r}")
    _LOADED[api] = d
    return d
