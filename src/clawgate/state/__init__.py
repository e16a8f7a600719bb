"""Shared state between gateway processes and machines (docs/state.md): the primitives (`base`), the engines
(`sqlite` — the embedded default, `redis`, `memory`), the Redis fallback (`failover`), leases with heartbeats
(`lease`), and which engine the config chooses (`config`)."""

from clawgate.state.base import RECONNECTED, SharedState, StateUnavailable

__all__ = ["RECONNECTED", "SharedState", "StateUnavailable"]
