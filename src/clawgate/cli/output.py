"""CLI output: JSON and rich text, both passed through the redactor so no secret reaches a terminal."""

from __future__ import annotations

import io
import sys
from typing import Any, TextIO

import orjson

from clawgate.redaction import redact


class RedactingWriter(io.TextIOBase):
    """A text stream wrapper that redacts every write before it reaches the real stream."""

    def __init__(self, target: TextIO) -> None:
        self._target = target

    def write(self, s: str) -> int:
        self._target.write(redact(s))
        return len(s)

    def flush(self) -> None:
        self._target.flush()

    def isatty(self) -> bool:
        try:
            return self._target.isatty()
        except Exception:
            return False

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self._target, "encoding", "utf-8")


_consoles: dict[bool, Any] = {}


def console(stderr: bool = False) -> Any:
    """A rich Console writing (redacted) to stdout or stderr."""
    from rich.console import Console

    target = sys.stderr if stderr else sys.stdout
    key = stderr
    cached = _consoles.get(key)
    if cached is None or cached.file._target is not target:
        cached = Console(
            file=RedactingWriter(target),  # type: ignore[arg-type]  # a text stream, if not typed IO[str]
            highlight=False,
            soft_wrap=True,
            force_terminal=None if target.isatty() else False,
        )
        _consoles[key] = cached
    return cached


def emit_json(obj: Any) -> None:
    text = orjson.dumps(obj, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS, default=str).decode()
    sys.stdout.write(redact(text) + "\n")
    sys.stdout.flush()


def echo(text: str = "", err: bool = False) -> None:
    stream = sys.stderr if err else sys.stdout
    stream.write(redact(text) + "\n")
    stream.flush()


SEVERITY_STYLE = {"error": "bold red", "warn": "yellow", "info": "cyan", "ok": "green"}


def esc(text: Any) -> str:
    from rich.markup import escape

    return escape(str(text))
