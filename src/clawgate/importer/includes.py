"""OpenClaw's `$include`, followed as OpenClaw follows it: a path (or a list of paths) relative to the including
file; one file replaces the object that holds the `$include`, a list is deep-merged in order (later wins), and
sibling keys are merged last (they override). Includes nest up to 10 deep, must stay inside the top-level
config's directory (or `OPENCLAW_INCLUDE_ROOTS`), and each file is at most 2 MB. A missing, unreadable,
circular or out-of-bounds include is not followed; the reason is reported with the key path."""

from __future__ import annotations

import copy
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from clawgate.config import json5io
from clawgate.errors import ClawgateError
from clawgate.paths import display_path

MAX_DEPTH = 10
MAX_BYTES = 2 * 1024 * 1024


@dataclass
class IncludeResult:
    files: list[Path] = field(default_factory=list)  # every file read, in order
    problems: list[tuple[str, str]] = field(default_factory=list)  # (key path, why it was not followed)


def deep_merge(base: Any, over: Any) -> Any:
    if isinstance(base, dict) and isinstance(over, dict):
        out = dict(base)
        for k, v in over.items():
            out[k] = deep_merge(out[k], v) if k in out else copy.deepcopy(v)
        return out
    return copy.deepcopy(over)


def roots(config_path: Path, environ: Mapping[str, str]) -> list[Path]:
    extra = [
        Path(p).expanduser().resolve()
        for p in environ.get("OPENCLAW_INCLUDE_ROOTS", "").split(os.pathsep)
        if p
    ]
    return [config_path.parent.resolve(), *extra]


def resolve_includes(data: Any, config_path: Path, environ: Mapping[str, str]) -> tuple[Any, IncludeResult]:
    """`data` with every `$include` replaced by what it names."""
    result = IncludeResult()
    allowed = roots(config_path, environ)
    out = _walk(data, config_path, allowed, result, [], (config_path.resolve(),))
    return out, result


def _fmt(parts: list[str]) -> str:
    return ".".join(parts) or "(top level)"


def _walk(
    value: Any, here: Path, allowed: list[Path], res: IncludeResult, parts: list[str], chain: tuple[Path, ...]
) -> Any:
    if isinstance(value, list):
        return [_walk(v, here, allowed, res, [*parts, f"[{i}]"], chain) for i, v in enumerate(value)]
    if not isinstance(value, dict):
        return value
    siblings = {
        k: _walk(v, here, allowed, res, [*parts, k], chain) for k, v in value.items() if k != "$include"
    }
    if "$include" not in value:
        return siblings
    spec = value["$include"]
    names = spec if isinstance(spec, list) else [spec]
    merged: Any = {}
    for name in names:
        loaded = _load(name, here, allowed, res, parts, chain)
        if loaded is _SKIP:
            continue
        merged = loaded if len(names) == 1 else deep_merge(merged, loaded)
    if not isinstance(merged, dict):
        if siblings:
            res.problems.append(
                (
                    _fmt([*parts, "$include"]),
                    "the included file is not an object, so the keys "
                    "beside `$include` cannot be merged into it; the included value was dropped",
                )
            )
            return siblings
        return merged
    return deep_merge(merged, siblings)


class _Skip:
    pass


_SKIP = _Skip()


def _load(
    name: Any, here: Path, allowed: list[Path], res: IncludeResult, parts: list[str], chain: tuple[Path, ...]
) -> Any:
    where = _fmt([*parts, "$include"])
    if not isinstance(name, str) or not name or "\x00" in name or len(name) >= 4096:
        res.problems.append((where, f"{name!r} is not a valid include path"))
        return _SKIP
    if len(chain) > MAX_DEPTH:
        res.problems.append((where, f"includes nest deeper than {MAX_DEPTH} levels; {name} was not followed"))
        return _SKIP
    target = (here.parent / os.path.expanduser(name)).resolve()
    if not any(target == r or r in target.parents for r in allowed):
        res.problems.append(
            (where, f"{name} resolves outside the config directory (set OPENCLAW_INCLUDE_ROOTS to allow it)")
        )
        return _SKIP
    if target in chain:
        res.problems.append((where, f"{display_path(target)} includes itself (a circular $include)"))
        return _SKIP
    try:
        size = target.stat().st_size
        if size > MAX_BYTES:
            res.problems.append((where, f"{display_path(target)} is larger than 2 MB"))
            return _SKIP
        text = target.read_text(encoding="utf-8")
    except FileNotFoundError:
        res.problems.append((where, f"{display_path(target)} does not exist"))
        return _SKIP
    except (OSError, UnicodeDecodeError) as exc:
        res.problems.append((where, f"{display_path(target)} cannot be read: {exc}"))
        return _SKIP
    try:
        data = json5io.parse(text, display_path(target))
    except ClawgateError as exc:
        res.problems.append((where, f"{exc}"))
        return _SKIP
    res.files.append(target)
    return _walk(data, target, allowed, res, parts, (*chain, target))
