"""Cause checks answered by the credential resolution: which key would be sent, from where, and what is wrong with it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from clawgate.diagnose.explain.context import (
    Check,
    CheckContext,
    CheckResult,
    config_host,
    needs_credential,
    needs_view,
)
from clawgate.envsteps import move_var, set_var, set_var_from_shell
from clawgate.failures.classify import region_hint


@needs_credential
def no_credential(ctx: CheckContext) -> CheckResult:
    w = ctx.cred.winner
    if w is not None:
        return False, f"{w.source} ({w.fingerprint}) from {w.origin} would be sent", []
    if ctx.cred.optional:
        return False, f"{ctx.pid} does not require a key", []
    env = ctx.view.env_vars[0]
    unresolved = any(_with_issue(ctx, "env.unresolved_ref"))
    steps = [] if unresolved else [set_var(env)]
    steps += [
        f"clawgate auth add {ctx.pid} --agent {ctx.agent}",
        f"clawgate models status --agent {ctx.agent}",
    ]
    return True, "checked: " + "; ".join(ctx.cred.checked), steps


@needs_credential
def unresolved_ref(ctx: CheckContext) -> CheckResult:
    from clawgate.config.substitution import references

    hit = next(_with_issue(ctx, "env.unresolved_ref"), None)
    if hit is not None:
        c, issue = hit
        names = references(c.ref or "") if c.ref and "${" in c.ref else []
        fix = set_var(names[0]) if names else "clawgate secrets audit"
        return True, f"{c.source} is {c.ref}: {issue.reason}", [fix, "clawgate env"]
    refs = [c for c in ctx.cred.candidates if c.ref]
    if refs:
        return False, "; ".join(f"{c.ref} resolves from {c.origin}" for c in refs), []
    return False, f"no ${{VAR}} reference or SecretRef is used for {ctx.pid}", []


@needs_credential
def not_in_gateway_env(ctx: CheckContext) -> CheckResult:
    from clawgate.config.substitution import references

    w = ctx.cred.winner
    names = [c.source[4:] for c in ctx.cred.candidates if c.source.startswith("env:")]
    names += [n for c in ctx.cred.candidates if c.ref and "${" in c.ref for n in references(c.ref)]
    env = ctx.snap.env
    for name in dict.fromkeys(names):
        var = env.var(name)
        if var is not None and var.winner.source == "cwd_dotenv":
            return (
                True,
                f"{name} is only in {var.winner.origin}, a .env in the current directory the gateway service "
                "does not read (env.cwd_only)",
                [move_var(name), "clawgate env"],
            )
    if w is not None and w.source.startswith("env:"):
        var = env.var(w.source[4:])
        if var is not None and var.winner.source == "process":
            return (
                None,
                f"{w.source[4:]} comes from this shell's process environment; a gateway started as a service "
                "may not have it",
                [
                    set_var_from_shell(w.source[4:]),
                    "clawgate doctor   # with the gateway running: env.shell_only",
                ],
            )
    if w is not None:
        return False, f"the key comes from {w.origin}, which the gateway reads too", []
    return (
        False,
        "no variable for it is set anywhere clawgate looks (process, ./.env, the home's .env, config)",
        [],
    )


@needs_credential
def shadowed(ctx: CheckContext) -> CheckResult:
    w = ctx.cred.winner
    if w is None:
        return False, "no credential wins, so none shadows another", []
    idx = ctx.cred.candidates.index(w)
    others = [
        c
        for c in ctx.cred.candidates[idx + 1 :]
        if c.usable and c.fingerprint != w.fingerprint and c.duplicate_of is None
    ]
    if not others:
        return False, f"{w.source} ({w.fingerprint}) is the only distinct key", []
    o = others[0]
    steps = [f"clawgate models status --probe --agent {ctx.agent}"]
    if w.source.startswith("profile:"):
        steps.append(
            f"clawgate auth remove {w.profile_id} --agent {w.inherited_from or w.agent or ctx.agent}"
        )
    elif w.source.startswith("config:"):
        steps.append(f"clawgate config unset models.providers.{ctx.pid}.apiKey")
    return True, f"{w.source} ({w.fingerprint}) wins over {o.source} ({o.fingerprint})", steps


def _with_issue(ctx: CheckContext, code: str) -> Iterator[tuple[Any, Any]]:
    """(candidate, issue) for each of the provider's credential candidates that has the issue `code`."""
    for c in ctx.cred.candidates:
        for issue in c.issues:
            if issue.code == code:
                yield c, issue


def _readd_profile(ctx: CheckContext, c: Any) -> str:
    return f"clawgate auth add {ctx.pid} --agent {c.agent or ctx.agent} --profile {c.profile_id}"


def issue_check(code: str, only_winner: bool = False) -> Check:
    """A check that holds when a candidate (or only the winning one) has the credential issue `code`."""

    @needs_credential
    def check(ctx: CheckContext) -> CheckResult:
        for c, issue in _with_issue(ctx, code):
            if only_winner and c is not ctx.cred.winner:
                continue
            fp = f" ({c.fingerprint})" if c.fingerprint else ""
            if c.source.startswith("profile:"):
                fix = _readd_profile(ctx, c)
            elif c.source.startswith("env:"):
                fix = f"edit {c.origin} (the value of {c.source[4:]})"
            else:
                fix = f"clawgate config get models.providers.{ctx.pid}.apiKey"
            return True, f"{c.source}{fp} from {c.origin}: {issue.reason}", [fix]
        return False, "none of its credentials has this problem", []

    return check


key_malformed = issue_check("auth.key_malformed")
_key_provider_mismatch = issue_check("auth.key_provider_mismatch", only_winner=True)


def region(ctx: CheckContext) -> CheckResult:
    holds, ev, nxt = _key_provider_mismatch(ctx)
    if holds:
        return holds, ev, nxt
    host = ctx.ex.host or (config_host(ctx.view, ctx.snap) if ctx.view is not None else None)
    w = ctx.cred.winner if ctx.cred is not None else None
    if w is not None and region_hint(ctx.pid, host):
        return (
            None,
            f"{w.source} ({w.fingerprint}) is sent to {host}, a region/plan-bound host (see the message)",
            [f"clawgate config get models.providers.{ctx.pid}.baseUrl"],
        )
    return holds, ev, nxt


@needs_credential
def profile_invalid(ctx: CheckContext) -> CheckResult:
    hit = next(_with_issue(ctx, "auth.profile_invalid"), None)
    if hit is not None:
        c, issue = hit
        return True, f"{c.source} in {c.origin}: {issue.reason}", [_readd_profile(ctx, c)]
    return False, "every stored profile for it is well-formed", []


@needs_view
def header_override(ctx: CheckContext) -> CheckResult:
    names = [h for h in ctx.view.headers if h.lower() in ("authorization", "x-api-key", "api-key")]
    if names:
        src = ctx.view.headers[names[0]].source
        return (
            True,
            f"{names[0]} is set by {src} and replaces the credential header",
            [f"clawgate config unset models.providers.{ctx.pid}.headers.{names[0]}"],
        )
    return False, f"no header override for {ctx.pid} sets an auth header", []


def probe(ctx: CheckContext) -> CheckResult:
    w = ctx.cred.winner if ctx.cred is not None else None
    ev = f"only a live call can tell for {w.source} ({w.fingerprint})" if w else "only a live call can tell"
    return None, ev, [f"clawgate models status --probe --probe-provider {ctx.pid} --agent {ctx.agent}"]
