"""Read JSON5 text into Python values, turning parse errors into file:line:col errors; find keys' lines."""

from __future__ import annotations

import json
import re
from typing import Any

from clawgate.errors import ConfigParseError, Location

_POS = re.compile(r"^<string>:(?P<line>\d+) (?P<msg>.*?)(?: at column (?P<col>\d+))?$")
# an escaped UTF-16 surrogate: the json module joins a pair into one character, json5 keeps the two halves
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def parse(text: str, filename: str) -> Any:
    """Parse JSON5; a syntax error names the file, line and column and is never a traceback."""
    if not text.strip():
        return {}
    if not _SURROGATE_ESCAPE.search(text):
        # plain JSON (what clawgate writes) parses to the same values with the json module, and a gateway that
        # never reads anything else never loads json5 (~0.3 MB of a worker's memory)
        try:
            return json.loads(text)
        except ValueError:
            pass
    import json5

    try:
        return json5.loads(text)
    except ValueError as exc:
        raw = str(exc)
        m = _POS.match(raw)
        line = int(m.group("line")) if m else None
        col = int(m.group("col")) if m and m.group("col") else None
        msg = m.group("msg") if m else raw
        snippet = _snippet(text, line, col)
        raise ConfigParseError(
            f"not valid JSON5: {msg}{snippet}",
            location=Location(file=filename, line=line, column=col),
            next_steps=["fix the file at the line shown, then run: clawgate config validate"],
        ) from None


def _snippet(text: str, line: int | None, col: int | None) -> str:
    if not line:
        return ""
    lines = text.splitlines()
    if not 0 < line <= len(lines):
        return ""
    src = lines[line - 1]
    if len(src) > 160:
        return ""
    caret = " " * ((col or 1) - 1) + "^"
    return f"\n    {src}\n    {caret}"


def dumps(value: Any) -> str:
    """Serialize config for writing: plain, stable, 2-space JSON (a strict subset of JSON5)."""
    return json.dumps(value, indent=2, ensure_ascii=False) + "\n"


_KEY_TOKEN = r'(?:"{k}"|\'{k}\'|(?<![\w$]){k})\s*:'


def locate_key(text: str, path: list[str | int]) -> int | None:
    """Best-effort line number of a key path in JSON5 text (for messages; never used for logic)."""
    pos = 0
    found_line: int | None = None
    for part in path:
        if isinstance(part, int):
            continue
        m = re.compile(_KEY_TOKEN.format(k=re.escape(part))).search(text, pos)
        if not m:
            return found_line
        pos = m.end()
        found_line = text.count("\n", 0, m.start()) + 1
    return found_line
