"""Extra routes mounted by other subsystems (sessions API, WebSocket, control UI)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_PROVIDERS: list[Callable[[Any], list[Any]]] = []


def register(provider: Callable[[Any], list[Any]]) -> None:
    """Register a function gateway -> list of Starlette routes."""
    _PROVIDERS.append(provider)


def routes(gateway: Any) -> list[Any]:
    out: list[Any] = []
    for p in _PROVIDERS:
        out.extend(p(gateway))
    return out
