"""Fenced code blocks of a Markdown file, for tests that run a doc's examples.

A block's info string is its language and, optionally, `norun` (shown to the reader, not run by a test). A
`text` block right after a runnable block (only blank lines between) is that block's expected output: each of
its lines must appear in the output, in order, where `…` stands for anything."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

_FENCE = re.compile(r"^```(\S*)[ \t]*(.*)$")


@dataclass
class Block:
    lang: str
    flags: frozenset[str]
    code: str
    line: int  # 1-based line of the opening fence
    expect: list[str] = field(default_factory=list)

    @property
    def runnable(self) -> bool:
        return self.lang in ("bash", "python") and "norun" not in self.flags


def blocks(path: Path) -> list[Block]:
    """Every fenced block in `path`, with each `text` block attached as the expected output of the runnable block
    just before it."""
    out: list[Block] = []
    lines = path.read_text().splitlines()
    i = 0
    last_end = -10
    while i < len(lines):
        m = _FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        start = i
        body: list[str] = []
        i += 1
        while i < len(lines) and not lines[i].startswith("```"):
            body.append(lines[i])
            i += 1
        block = Block(m.group(1), frozenset(m.group(2).split()), "\n".join(body) + "\n", start + 1)
        gap = lines[last_end + 1 : start] if last_end >= 0 else ["x"]
        if block.lang == "text" and out and out[-1].runnable and not any(g.strip() for g in gap):
            out[-1].expect = [line for line in body if line.strip()]
        else:
            out.append(block)
        last_end = i
        i += 1
    return out


def missing(expect: list[str], output: str) -> str | None:
    """The first expected line not found in `output` (in order), or None when all are there."""
    pos = 0
    for line in expect:
        pattern = ".*?".join(re.escape(part) for part in line.strip().split("…"))
        m = re.compile(pattern).search(output, pos)
        if m is None:
            return line
        pos = m.end()
    return None
