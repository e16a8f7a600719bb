"""The plan cache: plans per snapshot, bounded (a client can send any number of distinct model names) and
thread-safe (plans are made in threads and read on the event loop)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

from clawgate.plan.types import Plan

PLAN_CACHE_SIZE = 512  # plans kept per snapshot (least recently used go first)


class PlanCache:
    """A bounded LRU of plans (thread-safe: plans are made in threads and read on the loop)."""

    def __init__(self, size: int = PLAN_CACHE_SIZE) -> None:
        self._size = size
        self._plans: OrderedDict[tuple[Any, ...], Plan] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[Any, ...]) -> Plan | None:
        with self._lock:
            plan = self._plans.get(key)
            if plan is not None:
                self._plans.move_to_end(key)
            return plan

    def __setitem__(self, key: tuple[Any, ...], plan: Plan) -> None:
        with self._lock:
            self._plans[key] = plan
            self._plans.move_to_end(key)
            while len(self._plans) > self._size:
                self._plans.popitem(last=False)

    def __len__(self) -> int:
        return len(self._plans)
