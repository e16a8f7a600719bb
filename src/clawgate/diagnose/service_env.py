"""Predict the service, not the CLI: where this CLI's own environment differs from the one the gateway has.

The gateway never reads a `.env` in the directory it was started from (it runs from its home, like OpenClaw,
which ignores provider credentials in the working directory's `.env`). So every CLI read that predicts the
gateway — `doctor`, `models status`, probes, `infer` — plans without that file, and this module says when the
CLI's directory holds a variable the plans need: an error when the service has no value for it at all (every
call that needs it fails), a warning when the service has another value. Names only, never values.
"""

from __future__ import annotations

from pathlib import Path

from clawgate.diagnose.findings import Finding
from clawgate.diagnose.offline import vars_behind
from clawgate.diagnose.plans import plans_to_check
from clawgate.environment import Environment
from clawgate.paths import display_path
from clawgate.plan.snapshot import Snapshot


def needed_vars(snap: Snapshot, agent: str | None = None) -> set[str]:
    names: set[str] = set()
    for use in plans_to_check(snap, agent):
        for att in use.plan.attempts:
            names.update(vars_behind(snap, att))
    return names


def cwd_findings(snap: Snapshot, cwd: Path | None, agent: str | None = None) -> list[Finding]:
    """Variables the plans need that a `.env` in `cwd` defines (the service does not read that file)."""
    if cwd is None:
        return []
    cwd_file = cwd / ".env"
    if not cwd_file.is_file() or cwd_file.resolve() == snap.paths.env_file.resolve():
        return []
    cli = Environment.load(process={}, cwd=cwd, home_env_file=None)
    out: list[Finding] = []
    for name in sorted(needed_vars(snap, agent)):
        here = cli.var(name)
        if here is None or here.winner.source != "cwd_dotenv":
            continue
        service = snap.env.var(name)
        origin = here.winner.origin
        nxt = [f"clawgate env move {name} --from {display_path(cwd_file)}", "clawgate doctor"]
        if service is None or not service.value:
            out.append(
                Finding(
                    "env.cwd_only",
                    f"{name} is only in {origin} (a .env in this directory); the gateway does not read that "
                    "file, so every call that needs it fails in the gateway while this shell looks fine",
                    severity="error",
                    subject={"variable": name},
                    evidence={"cli": origin, "service": None},
                    next_steps=nxt,
                )
            )
        elif service.value != here.value:
            out.append(
                Finding(
                    "env.cwd_only",
                    f"{name} in {origin} differs from the gateway's ({service.winner.origin}); the gateway uses "
                    "its own, not this directory's",
                    subject={"variable": name},
                    evidence={"cli": origin, "service": service.winner.origin},
                    next_steps=nxt,
                )
            )
    return out
