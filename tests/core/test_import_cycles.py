"""No import circles among clawgate's modules: neither at module level nor through imports inside functions
(imports under `if TYPE_CHECKING:` are ignored; they never run).

An import of `clawgate.a.b` also runs `clawgate/a/__init__.py`, so it counts as an edge to the package too —
except from the package's own modules (a package re-exporting its submodules is not a circle)."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"
PKG = "clawgate"

# Known circles, each waiting for the change that removes it. Nothing else belongs here.
ALLOWED: dict[frozenset[str], str] = {}


def _modules() -> dict[str, Path]:
    out = {}
    for path in (SRC / PKG).rglob("*.py"):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _type_checking_nodes(tree: ast.Module) -> set[int]:
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.dump(node.test):
            for child in node.body:
                skip.update(id(x) for x in ast.walk(child))
    return skip


def _top_level(tree: ast.Module) -> set[int]:
    """Import statements that run when the module is imported: top level, or inside a top-level if/try/with."""
    top: set[int] = set()

    def visit(body: list[ast.stmt]) -> None:
        for stmt in body:
            if isinstance(stmt, ast.Import | ast.ImportFrom):
                top.add(id(stmt))
            elif isinstance(stmt, ast.If | ast.Try | ast.With):
                for field in ("body", "orelse", "finalbody", "handlers"):
                    for sub in getattr(stmt, field, []):
                        visit(sub.body if isinstance(sub, ast.ExceptHandler) else [sub])
            elif isinstance(stmt, ast.ClassDef):
                visit(stmt.body)

    visit(tree.body)
    return top


def graphs() -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """(module-level edges, function-level edges) between clawgate modules."""
    mods = _modules()

    def resolve(name: str) -> str | None:
        while name and name not in mods:
            name = name.rpartition(".")[0]
        return name or None

    eager: dict[str, set[str]] = {m: set() for m in mods}
    lazy: dict[str, set[str]] = {m: set() for m in mods}
    for mod, path in mods.items():
        tree = ast.parse(path.read_text())
        skip, top = _type_checking_nodes(tree), _top_level(tree)
        is_pkg = path.name == "__init__.py"
        for node in ast.walk(tree):
            if id(node) in skip or not isinstance(node, ast.Import | ast.ImportFrom):
                continue
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            else:
                base = node.module or ""
                if node.level:
                    here = mod.split(".") if is_pkg else mod.split(".")[:-1]
                    here = here[: len(here) - (node.level - 1)]
                    base = ".".join([*here, *([base] if base else [])])
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in mods else base for a in node.names]
            for target in targets:
                if not target.startswith(PKG):
                    continue
                found = resolve(target)
                while found:  # the module and every package above it that the import runs
                    if found != mod and not mod.startswith(found + "."):
                        (eager if id(node) in top else lazy)[mod].add(found)
                    found = found.rpartition(".")[0] if "." in found else None
    return eager, lazy


def circles(graph: dict[str, set[str]]) -> list[frozenset[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    sys.setrecursionlimit(max(10_000, sys.getrecursionlimit()))
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[frozenset[str]] = []
    counter = [0]

    def strong(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = set()
            while True:
                w = stack.pop()
                on.discard(w)
                comp.add(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(frozenset(comp))

    for v in sorted(graph):
        if v not in index:
            strong(v)
    return out


def test_the_scan_sees_imports() -> None:
    eager, lazy = graphs()
    assert "clawgate.failures" in eager["clawgate.call.health"]
    assert any(lazy.values())


def test_no_module_level_import_circles() -> None:
    eager, _ = graphs()
    found = [sorted(c) for c in circles(eager) if c not in ALLOWED]
    assert not found, f"module-level import circles: {found}"


def test_no_import_circles_through_function_level_imports() -> None:
    eager, lazy = graphs()
    both = {m: eager[m] | lazy[m] for m in eager}
    found = [sorted(c) for c in circles(both) if c not in ALLOWED]
    assert not found, f"import circles (function-level imports included): {found}"


def test_the_allowlist_has_no_stale_entries() -> None:
    eager, lazy = graphs()
    both = {m: eager[m] | lazy[m] for m in eager}
    present = set(circles(both))
    stale = [f"{sorted(c)} ({why})" for c, why in ALLOWED.items() if c not in present]
    assert not stale, f"these circles are gone: remove them from ALLOWED: {stale}"
