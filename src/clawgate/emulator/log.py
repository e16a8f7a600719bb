"""The request log: one record per emulated request, kept in a bounded, thread-safe ring buffer."""

from __future__ import annotations

import itertools
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from multidict import CIMultiDictProxy

    from .faults import Fault


@dataclass(slots=True, eq=False)
class RequestRecord:
    """What arrived, what was answered and when. Times are `time.monotonic()` seconds."""

    id: int
    method: str
    path: str
    query: str
    dialect: str | None
    region: str | None
    endpoint: str  # chat | responses | messages | models | unknown
    headers: CIMultiDictProxy[str]  # every header as sent, case-insensitive
    t_arrival: float
    wall_arrival: float  # time.time() at arrival
    body: Any = None  # parsed JSON (raw text when not JSON); None when body capture is off
    stream: bool = False
    model: str | None = None
    key: str | None = None  # the credential presented (Bearer token, x-api-key, ...)
    auth: str | None = None  # ok | missing | wrong | wrong_region | None (not checked)
    status: int | None = None
    fault: Fault | None = None
    fault_source: str | None = None  # script | model
    chunks_sent: int = 0  # content chunks (text or tool-argument deltas) written
    events_sent: int = 0  # SSE events written, `[DONE]` included (comments and keep-alives excluded)
    t_first_byte: float | None = None
    t_finished: float | None = None
    client_disconnected: bool = False  # the client went away before the response was complete
    error: str | None = None  # an emulator-internal error, if any

    @property
    def finished(self) -> bool:
        return self.t_finished is not None

    @property
    def ttfb(self) -> float | None:
        return None if self.t_first_byte is None else self.t_first_byte - self.t_arrival

    @property
    def duration(self) -> float | None:
        return None if self.t_finished is None else self.t_finished - self.t_arrival

    @property
    def fault_kind(self) -> str | None:
        return None if self.fault is None else self.fault.kind

    def header(self, name: str) -> str | None:
        """The value of header `name` (case-insensitive), or None if it was not sent."""
        return self.headers.get(name)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "dialect": self.dialect,
            "region": self.region,
            "endpoint": self.endpoint,
            "headers": [[k, v] for k, v in self.headers.items()],
            "body": self.body,
            "stream": self.stream,
            "model": self.model,
            "key": self.key,
            "auth": self.auth,
            "status": self.status,
            "fault": None if self.fault is None else self.fault.to_dict(),
            "fault_source": self.fault_source,
            "chunks_sent": self.chunks_sent,
            "events_sent": self.events_sent,
            "t_arrival": self.t_arrival,
            "wall_arrival": self.wall_arrival,
            "t_first_byte": self.t_first_byte,
            "t_finished": self.t_finished,
            "ttfb": self.ttfb,
            "duration": self.duration,
            "client_disconnected": self.client_disconnected,
            "error": self.error,
        }


class RequestLog:
    """A ring buffer of the last `size` records (size 0 keeps none)."""

    def __init__(self, size: int = 1000, capture_bodies: bool = True) -> None:
        if size < 0:
            raise ValueError("log size must be >= 0")
        self.size = size
        self.capture_bodies = capture_bodies
        self._records: deque[RequestRecord] = deque(maxlen=size)
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self.total = 0  # requests seen since the last clear, including those rotated out

    def start(
        self,
        method: str,
        path: str,
        query: str,
        headers: CIMultiDictProxy[str],
        dialect: str | None,
        region: str | None,
        endpoint: str,
    ) -> RequestRecord:
        rec = RequestRecord(
            next(self._ids),
            method,
            path,
            query,
            dialect,
            region,
            endpoint,
            headers,
            time.monotonic(),
            time.time(),
        )
        with self._lock:
            self.total += 1
            if self.size:
                self._records.append(rec)
        return rec

    def records(self) -> list[RequestRecord]:
        with self._lock:
            return list(self._records)

    def clear(self) -> None:
        with self._lock:
            self._records.clear()
            self.total = 0

    def filter(
        self,
        dialect: str | None = None,
        path_suffix: str | None = None,
        *,
        region: str | None = None,
        endpoint: str | None = None,
        model: str | None = None,
        method: str | None = None,
        since_id: int = 0,
        where: Callable[[RequestRecord], bool] | None = None,
    ) -> list[RequestRecord]:
        return [
            r
            for r in self.records()
            if r.id > since_id
            and (dialect is None or r.dialect == dialect)
            and (path_suffix is None or r.path.endswith(path_suffix))
            and (region is None or r.region == region)
            and (endpoint is None or r.endpoint == endpoint)
            and (model is None or r.model == model)
            and (method is None or r.method == method)
            and (where is None or where(r))
        ]
