"""Cause checks answered by the rest of the setup: the agent's plan, environment, gateway token and health state."""

from __future__ import annotations

import time
from typing import Any

from clawgate.diagnose.explain.context import Check, CheckContext, CheckResult, needs_view
from clawgate.failures.describe import COOLDOWN_NEXT
from clawgate.shellcmd import command


def proxy(ctx: CheckContext) -> CheckResult:
    from clawgate.diagnose.offline import proxy_vars

    found = proxy_vars(ctx.snap)
    if found:
        shown = ", ".join(f"{k}={v}" for k, v in found.items())
        return (
            True,
            shown,
            ["unset the proxy variable(s) for the gateway, or set NO_PROXY for the provider host"],
        )
    return False, "no HTTPS_PROXY / HTTP_PROXY / ALL_PROXY is set", []


def tls_env(ctx: CheckContext) -> CheckResult:
    names = [n for n in ("SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE") if ctx.snap.env.get(n)]
    if names:
        return True, "set: " + ", ".join(names), ["check that the CA bundle exists and holds the proxy's CA"]
    return False, "no SSL_CERT_FILE / SSL_CERT_DIR / REQUESTS_CA_BUNDLE override", []


def local_server(ctx: CheckContext) -> CheckResult:
    if ctx.view is None or ctx.view.preset is None or not ctx.view.preset.local:
        return False, f"{ctx.pid} is not a local server", []
    return (
        None,
        f"{ctx.view.id} is a local server at {ctx.view.base_url.value}",
        ["ollama serve" if ctx.view.id == "ollama" else f"start the local {ctx.view.id} server"],
    )


def other_gateway(ctx: CheckContext) -> CheckResult:
    return (
        None,
        f"checked {ctx.snap.loaded.display} (home {ctx.snap.paths.home})",
        ["clawgate gateway status"],
    )


def unknowable(*steps: str) -> Check:
    """A check no local fact answers: always unknown."""

    def check(ctx: CheckContext) -> CheckResult:
        return None, None, list(steps)

    return check


def finding_check(*codes: str) -> Check:
    """A check that holds when doctor's offline findings for the provider include one of `codes`."""

    @needs_view
    def check(ctx: CheckContext) -> CheckResult:
        found = ctx.provider_findings(*codes)
        if found:
            f = found[0]
            return True, f.message, list(f.next_steps)
        return False, f"doctor finds no {' / '.join(codes)} for {ctx.view.id}", []

    return check


api_endpoint = finding_check("provider.api_mismatch", "provider.base_url_suspect")


def gateway_token(missing: bool) -> Check:
    """Whether the gateway's own token is missing (`missing`) or differs from the client's."""

    def check(ctx: CheckContext) -> CheckResult:
        from clawgate.gateway.token import resolve_gateway_token

        tok = resolve_gateway_token(ctx.snap)
        if tok.error:
            from clawgate.envsteps import set_var

            return True, tok.error, [set_var("CLAWGATE_GATEWAY_TOKEN")]
        if tok.mode != "token":
            return (
                missing,
                "the gateway runs without a token (gateway.auth.mode none)",
                [],
            )
        return (
            None,
            f"the gateway's token is {tok.source} ({tok.fingerprint}) from {tok.origin}; compare the client's",
            ["clawgate gateway status --json"],
        )

    return check


def token_override(ctx: CheckContext) -> CheckResult:
    var = ctx.snap.env.var("CLAWGATE_GATEWAY_TOKEN")
    if var is None:
        return False, "CLAWGATE_GATEWAY_TOKEN is not set", []
    differing = [d for d in var.shadowed if d.value != var.value]
    if var.winner.source == "process" and differing:
        return (
            True,
            f"the process value overrides a different one in {differing[0].origin}",
            [
                "unset CLAWGATE_GATEWAY_TOKEN in the container/service environment, or update the file",
                "docker exec <container> env | grep CLAWGATE",
            ],
        )
    return False, f"CLAWGATE_GATEWAY_TOKEN comes from {var.winner.origin} only", []


def cooling(ctx: CheckContext) -> CheckResult:
    paths = ctx.snap.paths
    if not paths.state_db.exists():
        return None, "no state.db yet: this gateway has recorded no health state", list(COOLDOWN_NEXT)
    from clawgate.call.health import HealthRegistry
    from clawgate.store import open_store

    store = open_store(str(paths.state_db))
    try:
        records = HealthRegistry(store).records()
    finally:
        store.close()
    now = time.time()
    active = [
        r for r in records if r.until and r.until > now and (ctx.view is None or r.provider == ctx.view.id)
    ]
    if not active:
        return False, "no credential is cooling down now (clawgate health list)", []
    r = active[0]
    first = f"first failure: {r.first_owner} {r.first_status or ''} {r.first_code}: {r.first_message}"
    return True, f"{r.provider} {r.fingerprint} is {r.state} — {first}", ["clawgate health list"]


def model_override(ctx: CheckContext) -> CheckResult:
    plan = ctx.plan
    if plan is None:
        return None, None, []
    used = [a.provider for a in plan.attempts]
    over = [(p, r) for p, r in plan.model.shadows if p.startswith("agents.defaults.model")]
    where = f"agent {plan.agent} uses {plan.model.ref} from {plan.model.source}"
    if over:
        path, ref = over[0]
        return (
            True,
            f"{where}, which beats {path} = {ref}",
            [
                f"{command('config', 'unset', plan.model.source)}   # inherit {ref}",
                command("config", "set", plan.model.source, ref),
            ],
        )
    if ctx.view is not None and ctx.view.id not in used:
        return (
            None,
            f"{where}; its plan does not use {ctx.view.id} (another agent, a subagent or cron?)",
            ["clawgate models status --all-agents"],
        )
    return False, where, []


def no_fallback(ctx: CheckContext) -> CheckResult:
    if ctx.plan is None:
        return None, None, []
    fb = [a.ref for a in ctx.plan.attempts if a.role == "fallback"]
    if fb:
        return False, f"agent {ctx.plan.agent} falls back to {', '.join(fb)}", []
    return (
        True,
        f"agent {ctx.plan.agent} has no fallback model",
        ["clawgate config set agents.defaults.model.fallbacks '[\"groq/llama-3.3-70b-versatile\"]'"],
    )


def smaller_fallback(ctx: CheckContext) -> CheckResult:
    plan = ctx.plan
    if plan is None or not plan.attempts:
        return None, None, []

    def window(a: Any) -> int | None:
        return a.model_info.info.context_window if a.model_info else None

    primary = plan.attempts[0]
    fbs = plan.attempts[1:]
    if not fbs:
        return False, f"agent {plan.agent} has no fallback that could take over", []
    pw = window(primary)
    smaller = [a for a in fbs if pw and window(a) and window(a) < pw]  # type: ignore[operator]
    if smaller:
        a = smaller[0]
        return (
            True,
            f"{a.ref} ({window(a)} tokens) is smaller than {primary.ref} ({pw} tokens)",
            ["clawgate health list   # was the primary cooling down when this happened?"],
        )
    if pw is None or any(window(a) is None for a in fbs):
        return None, "a context window in the plan is unknown (add contextWindow to the models)", []
    return False, "every fallback's window is at least the primary's", []


def context_window(ctx: CheckContext) -> CheckResult:
    plan = ctx.plan
    if plan is None or not plan.attempts or plan.attempts[0].model_info is None:
        return None, None, []
    a = plan.attempts[0]
    cw = a.model_info.info.context_window
    return None, f"{a.ref} has a {cw}-token window" if cw else f"{a.ref}'s window is unknown", []
