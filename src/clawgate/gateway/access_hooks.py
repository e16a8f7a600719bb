"""The clients layer (gateway/access.py) in the gateway's lifecycle: once listening it follows changes and seeds
budgets; it stops with the gateway. Registered with `gateway.extensions` when imported (by the gateway at start,
and by devices_api.py, whose endpoints use it)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from clawgate.gateway import extensions

if TYPE_CHECKING:
    from clawgate.gateway.app import GatewayApp


async def _start(gw: GatewayApp) -> None:
    await gw.access.start()


async def _stop(gw: GatewayApp) -> None:
    await gw.access.stop()


extensions.on_start(_start)
extensions.on_stop(_stop)
