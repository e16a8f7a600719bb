"""One code registry: every failure code the code base can emit is registered with its owner and a one-line doc,
and `Failure` refuses a code (or an owner) the registry does not know."""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from pathlib import Path

import pytest

from clawgate.failures import CODES, OWNERS, Failure

SRC = Path(__file__).resolve().parents[2] / "src" / "clawgate"
_CODE = re.compile(r"^[a-z][a-z_]*\.[a-z][a-z_]*$|^[A-Z][A-Z_]+$")
# Doctor's findings and key issues have their own vocabulary (diagnose/findings.py REGISTRY), not failures'.
_NOT_FAILURES = {"Finding", "KeyIssue", "Problem", "CronRecord"}
# The emulator imitates providers: its codes are the providers' own, not clawgate's.
_SKIP_DIRS = {"emulator"}


def _callee(node: ast.Call) -> str:
    f = node.func
    return f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""


def emitted_codes() -> dict[str, set[str]]:
    """code -> where: every string literal used as the code of a failure, an error or a failure-shaped dict."""
    found: dict[str, set[str]] = defaultdict(set)
    for path in SRC.rglob("*.py"):
        if _SKIP_DIRS & set(path.relative_to(SRC).parts):
            continue
        rel = path.relative_to(SRC.parent)
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call):
                name = _callee(node)
                if name in _NOT_FAILURES:
                    continue
                for kw in node.keywords:
                    if (
                        kw.arg == "code"
                        and isinstance(kw.value, ast.Constant)
                        and isinstance(kw.value.value, str)
                    ):
                        found[kw.value.value].add(f"{rel}:{node.lineno} {name}(code=)")
                if name in ("failure", "_failure", "_Verdict", "Verdict") and node.args:
                    first = node.args[0]
                    if isinstance(first, ast.Constant) and isinstance(first.value, str):
                        found[first.value].add(f"{rel}:{node.lineno} {name}()")
            elif isinstance(node, ast.Dict):
                keys = {
                    k.value: v
                    for k, v in zip(node.keys, node.values, strict=True)
                    if isinstance(k, ast.Constant)
                }
                code = keys.get("code")
                failure_shaped = "owner" in keys or "message" in keys
                if failure_shaped and isinstance(code, ast.Constant) and isinstance(code.value, str):
                    found[code.value].add(f"{rel}:{node.lineno} dict")
    return {c: w for c, w in found.items() if _CODE.match(c)}


def test_the_scan_sees_the_code_base() -> None:
    codes = emitted_codes()
    assert len(codes) > 40 and "auth.rejected" in codes and "network.timeout" in codes


def test_every_emitted_code_is_registered() -> None:
    missing = {c: sorted(w)[:2] for c, w in emitted_codes().items() if c not in CODES}
    assert not missing, f"{len(missing)} codes in use are not in clawgate.failures.CODES: {missing}"


def test_the_control_uis_codes_are_registered() -> None:
    """The UI's own failures (gateway unreachable, stream cut) speak the same vocabulary."""
    used = set()
    for path in (SRC / "ui" / "static").glob("*.js"):
        used |= set(re.findall(r"\bcode:\s*[\"'`]([a-z][a-z_]*\.[a-z][a-z_]*)[\"'`]", path.read_text()))
    assert used, "the scan found no code in the UI"
    assert not used - set(CODES), sorted(used - set(CODES))


def test_every_registered_code_has_an_owner_and_a_one_line_doc() -> None:
    for name, code in CODES.items():
        assert code.owner in OWNERS, name
        assert code.doc and "\n" not in code.doc and len(code.doc) <= 160, name
        assert code.doc[0].isupper() or code.doc.startswith(("clawgate", "`")), (name, code.doc)


def test_failure_validates_against_the_registry() -> None:
    with pytest.raises(ValueError, match="unregistered failure code"):
        Failure(owner="upstream", code="upstream.no_such_code", message="x")
    with pytest.raises(ValueError, match="owner"):
        Failure(owner="network", code="auth.rejected", message="x")
    assert Failure(owner="provider_auth", code="auth.rejected", message="x").code == "auth.rejected"


def test_owners_agree_with_doctors_findings() -> None:
    from clawgate.diagnose.findings import REGISTRY

    for name, (_sev, owner, _rank) in REGISTRY.items():
        if name in CODES:
            assert CODES[name].owner == owner, name


def code_table() -> str:
    """The codes table of docs/failures.md, from the registry and the policy (`python -m
    tests.failures.test_registry` prints it)."""
    from clawgate.failures import failure, policy
    from clawgate.gateway.errors import http_status

    rows = ["| code | meaning | HTTP | reaction | health |", "|---|---|---|---|---|"]
    for owner in OWNERS:
        for c in CODES.values():
            if c.owner != owner:
                continue
            react = [
                name
                for name, on in (
                    ("retry", policy.retryable(c.name)),
                    ("next key", policy.next_credential(c.name)),
                    ("fallback", policy.fallback(c.name)),
                )
                if on
            ]
            eff = policy.health_effect(c.name)
            health = f"{eff.state}{' (key)' if eff.credential_wide else ''}" if eff else ""
            status = http_status(failure(c.name, "x"), "openai-completions")
            rows.append(f"| `{c.name}` | {c.doc} | {status} | {', '.join(react)} | {health} |")
    return "\n".join(rows) + "\n"


def test_the_failures_doc_lists_every_code_as_the_registry_says() -> None:
    doc = (SRC.parents[1] / "docs" / "failures.md").read_text()
    assert code_table() in doc, "docs/failures.md is stale: python -m tests.failures.test_registry"


if __name__ == "__main__":
    print(code_table(), end="")
