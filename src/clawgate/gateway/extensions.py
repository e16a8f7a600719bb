"""What other subsystems (sessions API, WebSocket, control UI) add to the gateway: routes, and hooks into its
lifecycle — started (on the serving loop, once listening), draining (SIGTERM) and stopped."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

_ROUTES: list[Callable[[Any], list[Any]]] = []
_ON_START: list[Callable[[Any], Any]] = []
_ON_DRAIN: list[Callable[[Any], Any]] = []
_ON_STOP: list[Callable[[Any], Any]] = []


def register(provider: Callable[[Any], list[Any]]) -> None:
    """Register a function gateway -> list of Starlette routes."""
    _ROUTES.append(provider)


def on_start(fn: Callable[[Any], Any]) -> None:
    """fn(gateway), called on the serving loop once the gateway listens (may be a coroutine function)."""
    _ON_START.append(fn)


def on_drain(fn: Callable[[Any], Any]) -> None:
    """fn(gateway), called on the serving loop when SIGTERM starts the drain window."""
    _ON_DRAIN.append(fn)


def on_stop(fn: Callable[[Any], Any]) -> None:
    """fn(gateway), awaited after the server stopped serving, before connections to providers close."""
    _ON_STOP.append(fn)


def routes(gateway: Any) -> list[Any]:
    out: list[Any] = []
    for p in _ROUTES:
        out.extend(p(gateway))
    return out


async def _call_all(fns: list[Callable[[Any], Any]], gateway: Any) -> None:
    from clawgate import logs as log

    for fn in fns:
        try:
            result = fn(gateway)
            if inspect.isawaitable(result):
                await result
        except Exception as exc:  # one subsystem's failure must not stop the others
            log.event(
                "gateway.extension_failed",
                f"{getattr(fn, '__qualname__', fn)}: {exc}",
                level=40,
                exc_info=True,
            )


async def started(gateway: Any) -> None:
    await _call_all(_ON_START, gateway)


async def draining(gateway: Any) -> None:
    await _call_all(_ON_DRAIN, gateway)


async def stopped(gateway: Any) -> None:
    await _call_all(_ON_STOP, gateway)
