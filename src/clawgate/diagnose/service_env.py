"""Predict the service, not the CLI: where this CLI's own environment differs from the one the gateway has.

The gateway never reads a `.env` in the directory it was started from (it runs from its home, like OpenClaw,
which ignores provider credentials in the working directory's `.env`), and it never gets this shell's exports
(`gateway start` and the unit give it a defined environment: gateway/service_env.py). So every CLI read that
predicts the gateway plans with the service's environment (diagnose/prediction.py), and this module says where
this CLI's own differs for a variable the plans need:

- `env.cwd_only`: this directory's `.env` defines it;
- `env.shell_only`: this shell exports it;
- `env.gateway_only`: the running gateway has it from its process environment and this CLI cannot read it.

An error when the service has no value at all and a plan is left without its credential (every call that needs
it fails while this shell looks fine); a warning when the service has another value. Names only, never values.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Mapping
from pathlib import Path

from clawgate.diagnose.findings import Finding
from clawgate.diagnose.plans import needed_vars
from clawgate.diagnose.prediction import ServicePrediction
from clawgate.environment import NO_PROXY_NAMES, PROXY_NAMES, Environment
from clawgate.gateway.service_env import pass_through_names
from clawgate.plan.snapshot import Snapshot
from clawgate.redaction import fingerprint

# the symptoms a variable missing from the service causes; its cause replaces them
_SYMPTOMS = ("auth.missing_credential", "env.unresolved_ref")


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
        nxt = [f"clawgate env move {name} --from {shlex.quote(str(cwd_file))}"]
        if service is None or not service.value:
            out.append(
                Finding(
                    "env.cwd_only",
                    f"{name} is only in {origin} (a .env in this directory); the gateway does not read that "
                    "file",
                    severity="warn",
                    subject={"variable": name},
                    evidence={"cli": origin, "service": None},
                    next_steps=nxt,
                    hint=f"`env move` puts the line into {snap.paths.env_file}, which the gateway reads "
                    "(and reloads without a restart)",
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
                    hint=f"`env move` makes this directory's value the gateway's; if the gateway's is the right "
                    f"one, delete the {name} line from {cwd_file} instead",
                )
            )
    return out


def shell_findings(
    snap: Snapshot, cli_environ: Mapping[str, str], prediction: ServicePrediction, agent: str | None = None
) -> list[Finding]:
    """Variables the plans need (and proxy variables) that this shell exports with a value the service does
    not have. Severity `warn`; `settle()` raises it to `error` where a plan is left without its credential."""
    out: list[Finding] = []
    service_name = prediction.short()
    for name in sorted(needed_vars(snap, agent) | set(PROXY_NAMES) | set(NO_PROXY_NAMES)):
        mine = cli_environ.get(name)
        if not mine or name in prediction.unreadable:
            continue
        service = snap.env.var(name)
        if service is not None and service.value == mine:
            continue
        proxy = name in PROXY_NAMES or name in NO_PROXY_NAMES
        shown = f" ({fingerprint(mine)})" if not proxy else ""
        set_it = f"printf '%s' \"${name}\" | clawgate env set {name}"
        passthrough = (
            f"or hand this shell's {name} to `gateway start` and the unit: clawgate config set env.passThrough "
            f"'[\"{name}\"]'"
        )
        if service is None or not service.value:
            out.append(
                Finding(
                    "env.shell_only",
                    f"{name} is set in this shell{shown} but not in {service_name}: "
                    + ("the gateway connects without it" if proxy else "the gateway does not see it"),
                    severity="warn",
                    subject={"variable": name},
                    evidence={"cli": "process environment", "service": None, "basis": prediction.basis},
                    next_steps=[set_it],
                    hint=f"`env set` writes this shell's value to {snap.paths.env_file}, which the gateway "
                    f"reads (and reloads without a restart); {passthrough}",
                )
            )
        else:
            out.append(
                Finding(
                    "env.shell_only",
                    f"{name} in this shell{shown} differs from the one in {service_name} "
                    f"({service.winner.origin}"
                    + (f", {fingerprint(service.value)}" if not proxy else "")
                    + "): the gateway uses its own",
                    severity="warn",
                    subject={"variable": name},
                    evidence={
                        "cli": "process environment",
                        "service": service.winner.origin,
                        "basis": prediction.basis,
                    },
                    next_steps=[f"unset {name}"],
                    hint=f"if the gateway's value is the right one, drop this shell's (`unset {name}`); if this "
                    f"shell's is: {set_it}",
                )
            )
    return out


_STARTED_IN = {
    "systemd": "in the gateway's systemd unit (its Environment=/EnvironmentFile= lines: "
    "`systemctl --user edit clawgate`)",
    "container": "in the gateway's container environment (`docker run -e`/`--env-file`, compose "
    "`environment:`/`env_file:`)",
}


def gateway_only_findings(snap: Snapshot, prediction: ServicePrediction) -> list[Finding]:
    """Variables the running gateway has from its process environment whose value this CLI cannot read. That
    value beats every file (the home `.env` too), so the fix is where the gateway is started, never `env set`."""
    out = []
    passed = pass_through_names(snap.config)
    where = _STARTED_IN.get(
        prediction.launched_by or "",
        "where the gateway is started (a container's environment, a unit's Environment=, the shell that ran "
        "`clawgate gateway run`)",
    )
    for name, info in sorted(prediction.unreadable.items()):
        var = snap.env.var(name)
        beaten = [
            d
            for d in (var.shadowed if var is not None else [])
            if d.value and d.effective_in_file and d.source != "login_shell"
        ]
        over = (
            f"; it beats {beaten[0].origin} ({fingerprint(beaten[0].value)}), which the gateway ignores"
            if beaten
            else ""
        )
        then = f" (the gateway then reads {beaten[0].origin})" if beaten else ""
        if name in passed:
            rest = [n for n in passed if n != name]
            steps = [
                f"clawgate config set env.passThrough '{json.dumps(rest)}'"
                if rest
                else "clawgate config unset env.passThrough",
                "clawgate gateway restart",
            ]
            hint = f"env.passThrough hands the starting shell's {name} to the gateway: drop it there{then}"
        else:
            steps = []
            hint = f"remove or replace {name} {where}, then restart the gateway{then}"
        hint += (
            f"; `env set` cannot help, the process environment beats $CLAWGATE_HOME/.env. To test the gateway's "
            f"own {name}: clawgate models status --probe (the running gateway probes it)"
        )
        out.append(
            Finding(
                "env.gateway_only",
                f"{name} ({info.get('fingerprint')}) is in the process environment of {prediction.short()}{over}; "
                "this CLI cannot read that value, so it predicts with the gateway's fingerprint and has the gateway "
                "probe it",
                subject={"variable": name},
                evidence={
                    "service": info.get("origin"),
                    "basis": prediction.basis,
                    "launched_by": prediction.launched_by,
                    "shadowed": [d.to_json() for d in beaten],
                },
                next_steps=steps,
                hint=hint,
            )
        )
    return out


def environment_findings(
    snap: Snapshot,
    cli_environ: Mapping[str, str] | None,
    prediction: ServicePrediction | None,
    cwd: Path | None,
    agent: str | None = None,
) -> list[Finding]:
    """Every way this CLI's environment differs from the service's, for the names the plans need."""
    out = cwd_findings(snap, cwd, agent)
    if prediction is not None and cli_environ is not None:
        out.extend(shell_findings(snap, cli_environ, prediction, agent))
        out.extend(gateway_only_findings(snap, prediction))
    return out


def settle(findings: list[Finding], causes: list[Finding]) -> list[Finding]:
    """The causes (a variable the service lacks) replace their symptoms (no credential, an unresolved
    `${VAR}`); a cause whose symptom was an error becomes an error itself."""

    def variables(f: Finding) -> set[str]:
        names = set(f.evidence.get("variables") or [])
        if f.evidence.get("variable"):
            names.add(f.evidence["variable"])
        return names

    missing: set[str] = set()
    kept = []
    cause_names = {c.subject.get("variable") for c in causes}
    for f in findings:
        hit = variables(f) & cause_names if f.code in _SYMPTOMS else set()
        if hit:
            if f.severity == "error":
                missing |= hit
            continue
        kept.append(f)
    for c in causes:
        if c.subject.get("variable") in missing and c.severity != "error":
            c.severity = "error"
            c.message += (
                "; a plan is left without its credential: every call that needs it fails in the gateway while "
                "this shell looks fine"
            )
    return kept + causes
