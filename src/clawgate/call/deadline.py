"""One timer per try for all its waits on the provider (the first byte, each read, the total budget), instead of
an `asyncio.timeout` (a timer set and cancelled) around every wait.

`wait(phase, seconds)` before an await sets when that wait must end; `stop()` after it. The one timer handle is
set lazily: when it fires early (the wait was moved later since), it sets itself again for the current end, and
when no wait is open it does nothing — so between a stream's reads (the consumer's time) nothing can fire, and a
read costs no timer operation at all. When a wait's end passes, the waiting task is cancelled and `expired()`
(asked by the try's `IOErrors` when the CancelledError reaches it) says which limit it was: the phase's own, or
the try's total budget."""

from __future__ import annotations

import asyncio


class Deadline:
    __slots__ = ("_at", "_handle", "_loop", "_phase", "_task", "fired", "total_at")

    def __init__(self, total: float | None = None) -> None:
        self._loop = asyncio.get_running_loop()
        self._handle: asyncio.TimerHandle | None = None
        self._at: float | None = None  # when the open wait must end (loop time); None: no wait is open
        self._phase = ""
        self._task: asyncio.Task[object] | None = None
        self.fired = False
        self.total_at = self._loop.time() + total if total is not None else None

    def wait(self, phase: str, seconds: float | None = None) -> None:
        """The current task waits at most `seconds` (and within the total budget) from now, in `phase`."""
        now = self._loop.time()
        at = now + seconds if seconds is not None else None
        total = self.total_at
        if total is not None and (at is None or total <= at):
            at, phase = total, "total"
        if at is None:
            self._at = None
            return
        self._at, self._phase = at, phase
        self._task = asyncio.current_task()
        h = self._handle
        if h is None or h.when() > at:
            if h is not None:
                h.cancel()
            self._handle = self._loop.call_at(at, self._fire)

    def stop(self) -> None:
        """The open wait ended (its timer stays set until it fires or the try closes)."""
        self._at = None

    def close(self) -> None:
        self._at = None
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None

    def _fire(self) -> None:
        self._handle = None
        at = self._at
        if at is None or self.fired:
            return
        if self._loop.time() < at:  # the wait was moved later since this timer was set
            self._handle = self._loop.call_at(at, self._fire)
            return
        self.fired = True
        self._at = None
        if self._task is not None:
            self._task.cancel()

    def expired(self) -> str | None:
        """The phase whose limit passed, when this deadline cancelled the task (its cancellation is taken
        back: the caller raises the timeout instead); None otherwise."""
        if not self.fired:
            return None
        self.fired = False
        if self._task is not None and self._task.uncancel() > 0:
            return None  # someone else cancels the task too: that cancellation goes on
        return self._phase
