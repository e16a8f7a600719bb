"""Summarize py-spy's raw (collapsed) stacks, recorded with `--threads`: share by thread, own time by
package, module and function, and inclusive time of clawgate's own functions.

Percentages are of active samples (py-spy drops idle ones: a thread blocked in epoll_wait or a lock is not
sampled). With uvloop, time spent in the loop's C code (socket reads and writes, transport callbacks)
appears as own time of `asyncio.runners:Runner.run`, the last Python frame under it.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

_FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^()]*?)(?::(?P<line>\d+))?\)$")
_THREAD = re.compile(r"^thread \((?P<tid>[^)]*)\)(?::\s*(?P<name>.*))?$")
_THREAD_NO = re.compile(r"^Thread-\d+ \((.*)\)$")
_THREADING = {"Thread._bootstrap", "Thread._bootstrap_inner", "Thread.run"}


def module_of(filename: str) -> str:
    """`…/site-packages/aiohttp/client.py` → `aiohttp.client`; `clawgate/x/y.py` → `clawgate.x.y`."""
    f = filename.replace("\\", "/")
    if f.startswith("<"):
        return f
    for marker in ("/site-packages/", "/dist-packages/", "/src/"):
        if marker in f:
            f = f.split(marker, 1)[1]
            break
    else:
        m = re.search(r"/lib/python3\.\d+/(.*)", f)
        if m:
            f = m.group(1)
    if f.endswith(".py"):
        f = f[:-3]
    if f.endswith("/__init__"):
        f = f[: -len("/__init__")]
    return f.strip("/").replace("/", ".")


def parse_frame(frame: str) -> tuple[str, str]:
    """(function, module) of a py-spy frame `func (file:line)`."""
    m = _FRAME.match(frame.strip())
    if not m:
        return frame.strip(), "?"
    return m.group("func"), module_of(m.group("file"))


def package_of(module: str) -> str:
    if module.startswith("clawgate."):
        return ".".join(module.split(".")[:2])  # clawgate.call.executor, clawgate.gateway, …
    return module.split(".")[0]


def summarize(raw_file: Path, top: int = 40) -> dict[str, Any]:
    by_thread: Counter[str] = Counter()
    self_pkg: Counter[str] = Counter()
    self_mod: Counter[str] = Counter()
    self_fn: Counter[str] = Counter()
    incl_fn: Counter[str] = Counter()
    total = 0
    for line in raw_file.read_text(errors="replace").splitlines():
        line = line.rstrip()
        stack, _, count = line.rpartition(" ")
        try:
            n = int(count)
        except ValueError:
            continue
        frames = [f for f in stack.split(";") if f]
        thread = "?"
        if frames and (m := _THREAD.match(frames[0])):
            thread = (m.group("name") or "").strip() or m.group("tid")
            frames = frames[1:]
        frames = [f for f in frames if not f.startswith("process ")]
        parsed = [parse_frame(f) for f in frames]
        if not parsed:
            continue
        total += n
        if thread != "MainThread":
            body = [f"{mod}:{fn}" for fn, mod in parsed if fn not in _THREADING]
            name = _THREAD_NO.sub(r"\1", thread)
            thread = f"{name} → {body[0] if body else '?'}"
        else:
            thread = "MainThread (event loop)"
        by_thread[thread] += n
        fn, mod = parsed[-1]
        self_pkg[package_of(mod)] += n
        self_mod[mod] += n
        self_fn[f"{mod}:{fn}"] += n
        for key in {f"{m}:{f}" for f, m in parsed}:
            incl_fn[key] += n

    def pct(c: int) -> float:
        return 100.0 * c / total if total else 0.0

    clawgate_incl = [
        (f, pct(c), pct(self_fn.get(f, 0))) for f, c in incl_fn.most_common() if f.startswith("clawgate.")
    ]
    skip = (
        "clawgate.cli.",
        "clawgate:<module>",
        "clawgate.gateway.server:run",
        "clawgate.gateway.server:_run_uvloop",
    )
    clawgate_incl = [x for x in clawgate_incl if not x[0].startswith(skip)]
    return {
        "samples": total,
        "by_thread": [(t, pct(c)) for t, c in by_thread.most_common(10)],
        "self_by_package": [(m, pct(c)) for m, c in self_pkg.most_common(top)],
        "self_by_module": [(m, pct(c)) for m, c in self_mod.most_common(top)],
        "self_by_function": [(f, pct(c)) for f, c in self_fn.most_common(top)],
        "clawgate_inclusive": clawgate_incl[:top],
    }
