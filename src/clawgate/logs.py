"""Structured JSON-lines logs: redacted at the logging layer, written off the event loop, rotated in the
state dir; and reading them back for `clawgate logs`.

Redaction runs on the values, before JSON encoding: the encoder escapes `\\` and `"`, so a secret containing
one of them would no longer match in the encoded line."""

from __future__ import annotations

import logging
import os
import re
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from clawgate.redaction import REDACTOR, redact

LOGGER = "clawgate"
LOG_FILE = "gateway.log"


_LEVELS = {
    logging.DEBUG: "debug",
    logging.INFO: "info",
    logging.WARNING: "warn",
    logging.ERROR: "error",
    logging.CRITICAL: "critical",
}


def redact_value(value: Any) -> Any:
    """`value` with every string in it redacted (dicts, lists and tuples walked); other values unchanged."""
    if isinstance(value, str):
        return redact(value) if len(value) >= 6 else value
    if isinstance(value, dict):
        return {k: redact_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_value(v) for v in value]
    return value


_PLAIN = (int, float, bool, type(None))
# a call id as call.types.new_call_id makes it (16 hex digits): made by clawgate, so not redacted — unique on
# every request, it would otherwise cost two regex passes each and crowd the short texts out of the memo
_OWN_ID = re.compile(r"[0-9a-f]{16}").fullmatch


def redact_fields(fields: dict[str, Any]) -> dict[str, Any]:
    """`redact_value` of an event's fields, with the common cases (a short or plain string, a number, None)
    decided without a call each: the log thread does this for every event."""
    out: dict[str, Any] = {}
    rd = REDACTOR.redact
    for k, v in fields.items():
        cls = v.__class__
        if cls is str:
            out[k] = v if len(v) < 6 or (k == "call_id" and _OWN_ID(v)) else rd(v)
        elif cls in _PLAIN:
            out[k] = v
        else:
            out[k] = redact_value(v)
    return out


def _default(obj: Any) -> str:
    """orjson's fallback for other objects: their text, redacted."""
    return redact(str(obj))


class EventWriter:
    """Buffers events in memory and writes them from one background thread in batches: values redacted, one
    JSON encode and one line per event, one write per batch, rotation by a size counter (no stat per event)."""

    def __init__(
        self, path: Path | None, console: bool, max_bytes: int, backups: int, interval: float = 0.05
    ) -> None:
        self._path = path
        self._console = console
        self._max = max_bytes
        self._backups = backups
        self._interval = interval
        self._buf: list[tuple[Any, ...]] = []
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stopped = False
        self._fh: Any = None
        self._size = 0
        if path is not None:
            self._open()
        self._thread = threading.Thread(target=self._run, name="clawgate-log-writer", daemon=True)
        self._thread.start()

    def _open(self) -> None:
        assert self._path is not None
        self._fh = open(self._path, "ab")  # noqa: SIM115 (kept open for the writer's life)
        try:
            os.chmod(self._path, 0o600)
        except OSError:
            pass
        self._size = self._fh.tell()

    def emit(self, level: int, name: str, message: str, fields: dict[str, Any], exc_text: str | None) -> None:
        entry = (time.time(), level, name, message, fields, exc_text)
        with self._lock:
            self._buf.append(entry)
            n = len(self._buf)
        if n >= 512 or level >= logging.ERROR:
            self._wake.set()

    def _run(self) -> None:
        while not self._stopped:
            self._wake.wait(self._interval)
            self._wake.clear()
            self._flush()

    def _flush(self) -> None:
        with self._lock:
            batch, self._buf = self._buf, []
        if not batch:
            return
        lines = []
        console = []
        for i, (ts, level, name, message, fields, exc_text) in enumerate(batch):
            if i & 31 == 31:
                time.sleep(0)  # let go of the GIL: a request arriving now waits for 32 events at most
            data: dict[str, Any] = {"ts": round(ts, 3), "level": _LEVELS.get(level, "info"), "event": name}
            if fields:
                data.update(redact_fields(fields))
            if message:
                message = redact(message)
                data["message"] = message
            if exc_text:
                data["exception"] = redact(exc_text)
            # per event (a regex over a whole batch would hold the GIL for milliseconds), before encoding
            lines.append(orjson.dumps(data, default=_default))
            if self._console:
                parts = [
                    f"{time.strftime('%H:%M:%S', time.localtime(ts))} {_LEVELS.get(level, 'info'):5} {name}"
                ]
                if message:
                    parts.append(message)
                parts.extend(f"{k}={v}" for k, v in data.items() if k in fields and v is not None)
                console.append(" ".join(parts))
        blob = b"\n".join(lines) + b"\n"
        if self._fh is not None:
            try:
                if self._size + len(blob) > self._max and self._size > 0:
                    self._rotate()
                self._fh.write(blob)
                self._fh.flush()
                self._size += len(blob)
            except OSError:
                pass
        if console:
            try:
                sys.stderr.write(redact("\n".join(console)) + "\n")  # (a value's repr may escape)
                sys.stderr.flush()
            except (OSError, ValueError):
                pass

    def _rotate(self) -> None:
        assert self._path is not None
        self._fh.close()
        for i in range(self._backups - 1, 0, -1):
            src = self._path.with_name(f"{self._path.name}.{i}")
            if src.exists():
                os.replace(src, self._path.with_name(f"{self._path.name}.{i + 1}"))
        os.replace(self._path, self._path.with_name(f"{self._path.name}.1"))
        self._open()

    def close(self) -> None:
        self._stopped = True
        self._wake.set()
        self._thread.join(5)
        self._flush()
        if self._fh is not None:
            self._fh.close()
            self._fh = None


class _ToWriter(logging.Handler):
    """Routes stdlib logging (uvicorn, asyncio, libraries) into the same event stream."""

    def emit(self, record: logging.LogRecord) -> None:
        w = _writer
        if w is None:
            return
        exc_text = logging.Formatter().formatException(record.exc_info) if record.exc_info else None
        fields = getattr(record, "fields", None) or {"logger": record.name}
        w.emit(record.levelno, getattr(record, "event", "log"), record.getMessage(), fields, exc_text)


_writer: EventWriter | None = None


def setup(
    logs_dir: Path | None,
    console: bool = True,
    level: int = logging.INFO,
    max_bytes: int = 10 * 1024 * 1024,
    backups: int = 5,
) -> logging.Logger:
    """Send clawgate's events (and stdlib logging) to a rotating JSON-lines file and, optionally, the console."""
    global _writer
    if _writer is not None:
        _writer.close()
    path = None
    if logs_dir is not None:
        logs_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        path = logs_dir / LOG_FILE
    _writer = EventWriter(path, console, max_bytes, backups)
    logger = logging.getLogger(LOGGER)
    logger.setLevel(level)
    logger.propagate = False
    for h in list(logger.handlers):
        logger.removeHandler(h)
    logger.addHandler(_ToWriter())
    for name in ("uvicorn.error", "asyncio"):
        lg = logging.getLogger(name)
        lg.handlers = [_ToWriter()]
        lg.propagate = False
    return logger


def shutdown() -> None:
    global _writer
    if _writer is not None:
        _writer.close()
        _writer = None


def event(
    name: str, message: str = "", level: int = logging.INFO, exc_info: bool = False, **fields: Any
) -> None:
    """Record one structured event. Cheap on the hot path: a tuple appended to a buffer; encoding, redaction and
    the write happen in batches on the writer thread. `exc_info=True` (inside an `except`) adds the traceback."""
    w = _writer
    if w is None:
        if level >= logging.WARNING:
            logging.getLogger(LOGGER).log(level, message, exc_info=exc_info)
        return
    exc_text = None
    if exc_info:
        import traceback

        exc_text = traceback.format_exc()
    w.emit(level, name, message, fields, exc_text)


def read(logs_dir: Path, limit: int = 100) -> list[dict[str, Any]]:
    """The last `limit` entries (across rotated files, oldest first)."""
    files = [logs_dir / f"{LOG_FILE}.{i}" for i in range(5, 0, -1)] + [logs_dir / LOG_FILE]
    lines: list[bytes] = []
    for f in files:
        try:
            lines.extend(f.read_bytes().splitlines())
        except OSError:
            continue
    out = []
    for raw in lines[-limit:]:
        try:
            out.append(orjson.loads(raw))
        except orjson.JSONDecodeError:
            continue
    return out


def follow(logs_dir: Path, poll: float = 0.5) -> Iterator[dict[str, Any]]:
    """Yield new entries as they are written (survives rotation)."""
    path = logs_dir / LOG_FILE
    pos = path.stat().st_size if path.exists() else 0
    inode = path.stat().st_ino if path.exists() else None
    while True:
        try:
            st = path.stat()
        except OSError:
            time.sleep(poll)
            continue
        if st.st_ino != inode or st.st_size < pos:
            pos, inode = 0, st.st_ino
        if st.st_size > pos:
            with path.open("rb") as fh:
                fh.seek(pos)
                chunk = fh.read()
            pos += len(chunk)
            for raw in chunk.splitlines():
                try:
                    yield orjson.loads(raw)
                except orjson.JSONDecodeError:
                    continue
        else:
            time.sleep(poll)
