"""Whether trace export works: the OTLP exporter wrapped so the gateway knows what it did — spans exported,
exports that failed and why, the last success — for `/api/status`, `clawgate status` and `doctor`.

The SDK's exporter returns only "failed"; why is seen here, in the exporting thread: the HTTP session it is
given (`session()`) notes the first error of each export (connection refused, a timeout, the status and body of
an error answer), and its log records — caught instead of going to stderr, unredacted and once per batch —
stand in when the session saw nothing. The reason is kept for the status, redacted, and one
`observability.export_failed` event goes to clawgate's log when exports start failing
(`observability.export_recovered` when they work again)."""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Sequence
from typing import Any

from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

from clawgate import logs as log
from clawgate.redaction import mask_url, redact

_SDK_LOGGER = "opentelemetry.exporter.otlp"  # the OTLP exporters' loggers are its children
_reasons = threading.local()  # the first problem seen during the current export, in this (exporting) thread
_ERRNO = re.compile(r"\[Errno -?\d+\] [^'\")\]]+")


def _note(text: str) -> None:
    if getattr(_reasons, "text", None) is None:
        _reasons.text = text


def _describe(exc: BaseException) -> str:
    """The cause of a failed request in a few words: the OS error inside requests' wrapping, or a timeout."""
    text = str(exc)
    found = _ERRNO.search(text)
    if found:
        return found.group(0).strip()
    if "timed out" in text.lower() or isinstance(exc, TimeoutError):
        return f"no answer in time ({type(exc).__name__})"
    return f"{type(exc).__name__}: {text[:200]}"


def session() -> Any:
    """A requests session for the OTLP exporter that notes why a request failed."""
    import requests

    class _Session(requests.Session):
        def request(self, method: Any, url: Any, *args: Any, **kwargs: Any) -> Any:
            try:
                resp = super().request(method, url, *args, **kwargs)
            except Exception as exc:
                _note(_describe(exc))
                raise
            if resp.status_code >= 400:
                body = resp.text[:160].strip() if resp.content else ""
                _note(f"HTTP {resp.status_code} {resp.reason}" + (f": {body}" if body else ""))
            return resp

    return _Session()


class _Reasons(logging.Handler):
    """The SDK's own account, when the session saw nothing (an encoding error, a request too large)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            _note(record.getMessage())
        except Exception:  # a record that cannot format is no reason to fail an export
            _note(str(record.msg))


_installed: list[_Reasons] = []


def _install() -> None:
    """Catch the OTLP exporters' warnings once per process (they would go to stderr through logging's last
    resort, unredacted and repeated for every batch)."""
    if _installed:
        return
    handler = _Reasons(logging.WARNING)
    sdk = logging.getLogger(_SDK_LOGGER)
    sdk.addHandler(handler)
    sdk.propagate = False
    _installed.append(handler)


class WatchedExporter(SpanExporter):
    """A span exporter that counts what the one it wraps did. `status()` is safe from any thread."""

    def __init__(self, inner: SpanExporter, endpoint: str) -> None:
        _install()
        self.inner = inner
        self.endpoint = mask_url(endpoint)
        self.exported = 0  # spans
        self.failed = 0  # exports (batches) that failed
        self.dropped = 0  # spans in them
        self.last_ok: float | None = None
        self.last_error: str | None = None
        self.last_error_at: float | None = None
        self.failing = False

    def export(self, spans: Sequence[Any]) -> SpanExportResult:
        _reasons.text = None
        try:
            result = self.inner.export(spans)
        except Exception as exc:  # an exporter bug: counted like a failed export
            _reasons.text = f"{type(exc).__name__}: {exc}"
            result = SpanExportResult.FAILURE
        now = time.time()
        if result is SpanExportResult.SUCCESS:
            self.exported += len(spans)
            self.last_ok = now
            if self.failing:
                self.failing = False
                log.event(
                    "observability.export_recovered",
                    f"traces are exported to {self.endpoint} again",
                    endpoint=self.endpoint,
                )
            return result
        self.failed += 1
        self.dropped += len(spans)
        self.last_error = redact(_reasons.text or "the export failed")[:300]
        self.last_error_at = now
        if not self.failing:
            self.failing = True
            log.event(
                "observability.export_failed",
                f"traces cannot be exported to {self.endpoint} (observability.otlp.endpoint): {self.last_error}; "
                "spans are dropped until it answers (model calls are not affected)",
                level=logging.WARNING,
                endpoint=self.endpoint,
                next="clawgate doctor",
            )
        return result

    def shutdown(self) -> None:
        self.inner.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return bool(self.inner.force_flush(timeout_millis))

    def status(self) -> dict[str, Any]:
        if self.failing:
            state = "failing"
        elif self.last_ok is not None:
            state = "ok"
        else:
            state = "idle"  # nothing exported yet
        return {
            "state": state,
            "exported_spans": self.exported,
            "failed_exports": self.failed,
            "dropped_spans": self.dropped,
            "last_ok_at": self.last_ok,
            "last_error": self.last_error,
            "last_error_at": self.last_error_at,
        }
