"""Config edits by key path (`agents.list[0].model`): get, set, unset, written atomically and validated first."""

from __future__ import annotations

import re
from typing import Any

import json5

from clawgate.atomicfile import atomic_write, locked
from clawgate.config import json5io
from clawgate.config.loader import check_config_path, read_config_text
from clawgate.config.schema import Config, validate
from clawgate.errors import ConfigError, Location, NotFoundError, UsageError
from clawgate.paths import Paths, display_path

_TOKEN = re.compile(r"\.?([^.\[\]]+)|\[(\d+)\]")

PathParts = list[str | int]


def parse_path(path: str) -> PathParts:
    """`agents.list[0].model.primary` -> ['agents', 'list', 0, 'model', 'primary']."""
    if not path or path.strip() != path:
        raise UsageError(f"invalid config path {path!r}", next_steps=["clawgate config get --help"])
    parts: PathParts = []
    pos = 0
    while pos < len(path):
        m = _TOKEN.match(path, pos)
        if not m or m.end() == pos:
            raise UsageError(
                f"invalid config path {path!r} near position {pos + 1}",
                next_steps=["use dots and [index], e.g. agents.list[0].model"],
            )
        parts.append(m.group(1) if m.group(1) is not None else int(m.group(2)))
        pos = m.end()
    return parts


def format_path(parts: PathParts) -> str:
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else ("." if out else "") + p
    return out


_MISSING = object()


def get_path(data: Any, parts: PathParts) -> Any:
    cur = data
    for p in parts:
        if isinstance(p, int):
            if not isinstance(cur, list) or p >= len(cur):
                return _MISSING
            cur = cur[p]
        else:
            if not isinstance(cur, dict) or p not in cur:
                return _MISSING
            cur = cur[p]
    return cur


def is_missing(value: Any) -> bool:
    return value is _MISSING


def set_path(data: dict[str, Any], parts: PathParts, value: Any) -> None:
    cur: Any = data
    for i, p in enumerate(parts[:-1]):
        nxt = parts[i + 1]
        if isinstance(p, int):
            if not isinstance(cur, list) or p >= len(cur):
                raise NotFoundError(
                    f"{format_path(parts[: i + 1])} does not exist (list has {len(cur) if isinstance(cur, list) else 0} items)",
                    next_steps=[f"clawgate config get {format_path(parts[:i])} --json"],
                )
            if cur[p] is None or not isinstance(cur[p], (dict, list)):
                cur[p] = [] if isinstance(nxt, int) else {}
            cur = cur[p]
        else:
            if not isinstance(cur, dict):
                raise UsageError(
                    f"{format_path(parts[:i])} is not an object; cannot set {format_path(parts)}"
                )
            if p not in cur or not isinstance(cur[p], (dict, list)):
                if isinstance(cur.get(p), str) and not isinstance(nxt, int):
                    # e.g. setting agents.list[0].model.primary while model is a string: keep the string
                    # as the primary so that no value is silently dropped.
                    cur[p] = {"primary": cur[p]} if nxt != "primary" else {}
                else:
                    cur[p] = [] if isinstance(nxt, int) else {}
            cur = cur[p]
    last = parts[-1]
    if isinstance(last, int):
        if not isinstance(cur, list):
            raise UsageError(f"{format_path(parts[:-1])} is not a list")
        if last == len(cur):
            cur.append(value)
        elif last < len(cur):
            cur[last] = value
        else:
            raise NotFoundError(f"{format_path(parts)}: index out of range (list has {len(cur)} items)")
    else:
        if not isinstance(cur, dict):
            raise UsageError(f"{format_path(parts[:-1])} is not an object")
        cur[last] = value


def unset_path(data: dict[str, Any], parts: PathParts) -> bool:
    parent = get_path(data, parts[:-1]) if len(parts) > 1 else data
    last = parts[-1]
    if isinstance(last, int):
        if isinstance(parent, list) and last < len(parent):
            parent.pop(last)
            return True
        return False
    if isinstance(parent, dict) and last in parent:
        del parent[last]
        return True
    return False


def parse_value(raw: str, as_string: bool = False) -> Any:
    """A CLI value: JSON5 when it parses as a number, bool, null, array or object; otherwise a string."""
    if as_string:
        return raw
    stripped = raw.strip()
    if stripped and (
        stripped[0] in "[{\"'" or stripped in ("true", "false", "null") or _looks_number(stripped)
    ):
        try:
            return json5.loads(stripped)
        except ValueError:
            if stripped[0] in "[{":
                raise UsageError(
                    f"value {raw!r} looks like JSON5 but does not parse",
                    next_steps=["quote the value for your shell, or pass --string to store it as text"],
                ) from None
    return raw


def _looks_number(s: str) -> bool:
    return re.fullmatch(r"-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?", s) is not None


def modify_config(paths: Paths, mutate: Any) -> tuple[dict[str, Any], dict[str, Any], Config]:
    """Lock, re-read, apply `mutate(data)`, validate, back up, write atomically. Returns (old, new, cfg).

    A change that would make the config invalid raises ConfigError naming the keys (no line: the candidate
    is not a file) and that nothing was written; `evidence.problems` lets the caller give the corrected
    command."""
    import copy

    name = display_path(paths.config)
    check_config_path(paths)
    paths.ensure_home()
    with locked(paths.config):
        text = read_config_text(paths)
        old = json5io.parse(text, name) if text else {}
        if not isinstance(old, dict):
            old = {}
        new = copy.deepcopy(old)
        mutate(new)
        rendered = json5io.dumps(new)
        try:
            cfg = validate(new, name, written=False)
        except ConfigError as exc:  # the candidate: nothing was written, so no line of the file is named
            key = exc.location.key if exc.location else None  # (a check after the schema's names its key)
            raise ConfigError(
                f"{exc.message}; nothing was written to {name}",
                location=Location(file=name, key=key) if key else None,
                evidence={**exc.evidence, "written": False},
                next_steps=exc.next_steps,
                hint=exc.hint,
            ) from None
        if text is not None and text != rendered:
            atomic_write(paths.config_backup, text)
        atomic_write(paths.config, rendered)
    return old, new, cfg
