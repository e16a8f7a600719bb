"""Offline findings about one attempt's credential: unresolved references, malformed keys, expired OAuth, a
key of another provider, no credential at all, and a winner that shadows a different usable key."""

from __future__ import annotations

from typing import Any

from clawgate.auth.resolve import Candidate, CredentialResolution
from clawgate.catalog.presets import key_variables
from clawgate.config.substitution import references
from clawgate.diagnose.findings import Finding
from clawgate.plan.snapshot import Snapshot
from clawgate.plan.types import Attempt


def credential_findings(
    snap: Snapshot, att: Attempt, cred: CredentialResolution, subj: dict, fallback: bool
) -> list[Finding]:
    out: list[Finding] = []
    winner = cred.winner
    winner_idx = cred.candidates.index(winner) if winner else len(cred.candidates)
    pid = att.provider
    for i, c in enumerate(cred.candidates):
        before_winner = i < winner_idx
        for issue in c.issues:
            code = issue.code
            if code == "env.unresolved_ref":
                sev = "error" if (before_winner or winner is None) and not fallback else "warn"
                names = references(c.ref or "") if c.ref and "${" in c.ref else []
                msg = f"{c.source} is {c.ref}: {issue.reason}"
                if winner is not None and before_winner:
                    msg += f"; clawgate falls back to {winner.source} ({winner.fingerprint})"
                out.append(
                    Finding(
                        "env.unresolved_ref",
                        msg,
                        severity=sev,
                        subject={**subj, "source": c.source},
                        evidence={"ref": c.ref, "variables": names},
                        next_steps=[f"clawgate env set {names[0]}"] if names else ["clawgate secrets audit"],
                        hint=f"`env set` prompts for the value (hidden) and writes it to {snap.paths.env_file}, "
                        "which the gateway reads (this shell's exports it does not)"
                        if names
                        else "",
                    )
                )
            elif code == "auth.profile_invalid":
                # reported once per store by _store_findings with file, profile and field
                continue
            elif code == "auth.key_malformed":
                sev = "warn" if not issue.fatal or (not before_winner and winner is not None) else "error"
                if fallback and sev == "error":
                    sev = "warn"
                fp = f" ({c.fingerprint})" if c.fingerprint else ""
                out.append(
                    Finding(
                        "auth.key_malformed",
                        f"{c.source}{fp} from {c.origin}: {issue.reason}",
                        severity=sev,
                        subject={**subj, "source": c.source},
                        evidence={"origin": c.origin, "fingerprint": c.fingerprint},
                        **replace_key(snap, c, pid, cred.agent),
                    )
                )
            elif code == "auth.oauth_expired":
                out.append(
                    Finding(
                        "auth.oauth_expired",
                        f"{c.source} ({c.origin}): {issue.reason}",
                        severity="error" if issue.fatal else "warn",
                        subject={**subj, "source": c.source},
                        **replace_key(snap, c, pid, cred.agent),
                    )
                )
            elif code == "auth.key_provider_mismatch":
                out.append(
                    Finding(
                        "auth.key_provider_mismatch",
                        f"{c.source} ({c.fingerprint}): {issue.reason}",
                        subject={**subj, "source": c.source},
                        **replace_key(snap, c, pid, cred.agent),
                    )
                )
            elif code == "auth.missing_credential":
                out.append(
                    Finding(
                        "auth.missing_credential",
                        f"{c.source}: {issue.reason}",
                        severity="warn" if fallback else "error",
                        subject=subj,
                        next_steps=[f"clawgate auth list --agent {cred.agent}"],
                    )
                )
    if winner is None and not cred.optional and not (att.error and att.error.get("code") != "model.unknown"):
        checked = "; ".join(cred.checked)
        if fallback:
            out.append(
                Finding(
                    "fallback.not_ready",
                    f"fallback {att.ref} has no usable credential (checked: {checked})",
                    subject=subj,
                    evidence={
                        "checked": cred.checked,
                        "variables": list(att.view.env_vars) if att.view else [],
                    },
                    next_steps=[f"clawgate env set {_key_var(att)}"],
                    hint=f"`env set` prompts for the {pid} key (hidden) and writes it to {snap.paths.env_file}; "
                    f"or store it for this agent only: clawgate auth add {pid} --agent {cred.agent}",
                )
            )
        else:
            refs = [n for c in cred.candidates if c.ref and "${" in c.ref for n in references(c.ref)]
            env_name = refs[0] if refs else _key_var(att)  # the config's ${VAR} is where the key goes
            out.append(
                Finding(
                    "auth.missing_credential",
                    f"no usable credential for {pid} (checked: {checked})",
                    subject=subj,
                    evidence={
                        "checked": cred.checked,
                        "variable": env_name,
                        "variables": sorted({env_name, *refs, *(att.view.env_vars if att.view else ())}),
                    },
                    next_steps=[f"clawgate env set {env_name}"],
                    hint=f"`env set` prompts for the {pid} key (hidden) and writes it to {snap.paths.env_file}, "
                    f"which the gateway reads; or store it for agent {cred.agent} only: clawgate auth add {pid} "
                    f"--agent {cred.agent}",
                )
            )
    if winner is not None:
        for c in cred.candidates[winner_idx + 1 :]:
            if c.usable and c.fingerprint != winner.fingerprint and c.duplicate_of is None:
                out.append(
                    Finding(
                        "auth.shadowed_credential",
                        f"{winner.source} ({winner.fingerprint}) wins over {c.source} ({c.fingerprint}) for {pid}; "
                        "if the winner is stale, every call fails although a valid key is configured",
                        subject={**subj, "source": winner.source},
                        evidence={"winner": winner.to_json(brief=True), "shadowed": c.to_json(brief=True)},
                        next_steps=_remove_winner_steps(winner, pid, cred.agent),
                        hint=f"check which key works first: clawgate models status --probe --agent {cred.agent}; "
                        "the next command removes the winner so the shadowed key takes over",
                    )
                )
    return out


def _key_var(att: Attempt) -> str:
    return (att.view.env_vars if att.view else key_variables(att.provider))[0]


def replace_key(snap: Snapshot, c: Candidate, provider: str, agent: str) -> dict[str, Any]:
    """`next_steps` and `hint` that replace the key of candidate `c` with one the user gives (prompted,
    hidden), where it is defined."""
    if c.source.startswith("profile:"):
        owner = c.agent or agent
        return {
            "next_steps": [f"clawgate auth add {provider} --agent {owner} --profile {c.profile_id}"],
            "hint": "prompts for the key (hidden) and replaces the stored profile",
        }
    if c.source.startswith("env:"):
        name = c.source[4:]
        var = snap.env.var(name)
        where = var.winner if var is not None else None
        if where is not None and where.source == "process":
            return {
                "next_steps": [],
                "hint": f"{name} comes from the gateway's process environment: correct it where the gateway is "
                "started (the unit's Environment=, the container's environment), then restart it",
            }
        steps = [f"clawgate env set {name}"]
        if where is not None and where.source == "config":
            steps.insert(0, f"clawgate config unset {where.origin.rsplit(': ', 1)[-1]}")
        return {
            "next_steps": steps,
            "hint": f"`env set` prompts for the key (hidden) and writes it to {snap.paths.env_file}",
        }
    view = snap.catalog.get(provider)
    name = (view.env_vars if view is not None else key_variables(provider))[0]
    return {
        "next_steps": [
            f"clawgate env set {name}",
            f"clawgate config set models.providers.{provider}.apiKey '${{{name}}}'",
        ],
        "hint": f"the key goes to {snap.paths.env_file} (prompted, hidden); the config keeps a reference",
    }


def _remove_winner_steps(winner: Candidate, provider: str, agent: str) -> list[str]:
    if winner.source.startswith("profile:"):
        owner = winner.inherited_from or winner.agent or agent
        return [f"clawgate auth remove {winner.profile_id} --agent {owner}"]
    if winner.source.startswith("config:"):
        return [f"clawgate config unset models.providers.{provider}.apiKey"]
    return [f"clawgate models status --probe --agent {agent}"]
