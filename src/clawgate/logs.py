"""Structured JSON-lines logs: redacted at the logging layer, written off the event loop, rotated in the
state dir; and reading them back for `clawgate logs`."""

from __future__ import annotations

import logging
import logging.handlers
import os
import queue
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from clawgate.redaction import redact

LOGGER = "clawgate"
LOG_FILE = "gateway.log"


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts, level, event, message and any `fields` passed with the record."""

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "ts": round(record.created, 3),
            "level": record.levelname.lower(),
            "event": getattr(record, "event", "log"),
        }
        fields = getattr(record, "fields", None)
        if fields:
            data.update(fields)
        msg = record.getMessage()
        if msg:
            data["message"] = msg
        if record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        return redact(orjson.dumps(data, default=str).decode())


class TextFormatter(logging.Formatter):
    """Short human lines for the foreground console."""

    def format(self, record: logging.LogRecord) -> str:
        fields = getattr(record, "fields", None) or {}
        ts = time.strftime("%H:%M:%S", time.localtime(record.created))
        event = getattr(record, "event", "log")
        parts = [f"{ts} {record.levelname.lower():5} {event}"]
        msg = record.getMessage()
        if msg:
            parts.append(msg)
        parts.extend(f"{k}={v}" for k, v in fields.items() if v is not None)
        return redact(" ".join(parts))


_listener: logging.handlers.QueueListener | None = None


def setup(
    logs_dir: Path | None,
    console: bool = True,
    level: int = logging.INFO,
    max_bytes: int = 10 * 1024 * 1024,
    backups: int = 5,
) -> logging.Logger:
    """Route clawgate's logger through a queue to a rotating JSON file (and the console)."""
    global _listener
    logger = logging.getLogger(LOGGER)
    logger.setLevel(level)
    logger.propagate = False
    for h in list(logger.handlers):
        logger.removeHandler(h)
    if _listener is not None:
        _listener.stop()
    handlers: list[logging.Handler] = []
    if logs_dir is not None:
        logs_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        path = logs_dir / LOG_FILE
        fh = logging.handlers.RotatingFileHandler(
            path, maxBytes=max_bytes, backupCount=backups, encoding="utf-8"
        )
        fh.setFormatter(JsonFormatter())
        handlers.append(fh)
        try:
            os.chmod(path, 0o600)
        except OSError:
            pass
    if console:
        ch = logging.StreamHandler(sys.stderr)
        ch.setFormatter(TextFormatter())
        handlers.append(ch)
    q: queue.SimpleQueue[logging.LogRecord] = queue.SimpleQueue()
    logger.addHandler(logging.handlers.QueueHandler(q))
    _listener = logging.handlers.QueueListener(q, *handlers, respect_handler_level=False)
    _listener.start()
    return logger


def shutdown() -> None:
    global _listener
    if _listener is not None:
        _listener.stop()
        _listener = None


def event(
    name: str, message: str = "", level: int = logging.INFO, exc_info: bool = False, **fields: Any
) -> None:
    """Log one structured event (cheap when the queue handler is in place: formatting happens off-loop).
    `exc_info=True` (inside an `except`) adds the traceback."""
    logging.getLogger(LOGGER).log(level, message, exc_info=exc_info, extra={"event": name, "fields": fields})


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
