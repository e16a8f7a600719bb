"""Offline findings: everything `doctor` can say from config, environment and credential stores, no network.

All of it is read off the resolver's own output (plans, credential resolutions, environment provenance),
so doctor can never disagree with what a real call would do.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from clawgate.auth.resolve import Candidate, CredentialResolution
from clawgate.config.schema import SecretRef
from clawgate.config.substitution import env_name_ref, references
from clawgate.diagnose.findings import Finding
from clawgate.diagnose.hosts import known_hosts
from clawgate.errors import ClawgateError
from clawgate.plan.snapshot import Snapshot, looks_secret_name, looks_secret_value
from clawgate.plan.types import Attempt, Plan

_PROXY_VARS = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy")


def config_error_findings(exc: ClawgateError) -> list[Finding]:
    loc = exc.location.to_json() if exc.location else (exc.evidence.get("first") or {})
    ev = dict(exc.evidence)
    ev.pop("first", None)
    if loc:
        ev["location"] = loc
    return [
        Finding(
            exc.code
            if exc.code in ("config.parse_error", "config.invalid_value")
            else "config.invalid_value",
            str(exc),
            subject={"file": loc.get("file")} if loc.get("file") else {},
            evidence=ev,
            next_steps=exc.next_steps,
        )
    ]


def offline_findings(snap: Snapshot, agent: str | None = None) -> list[Finding]:
    from clawgate.diagnose.plans import plans_to_check

    out: list[Finding] = []
    agents = [snap.agent(agent)] if agent else snap.agents()
    used_vars: set[str] = set()
    seen_res: set[tuple[str, str]] = set()
    for use in plans_to_check(snap, agent):
        plan = use.plan
        found = _model_findings(snap, plan) if use.role == "main" else []
        for att in plan.attempts:
            found.extend(_attempt_findings(snap, plan, att))
            if att.credential is not None and (att.provider, use.agent) not in seen_res:
                seen_res.add((att.provider, use.agent))
                used_vars.update(vars_behind(snap, att))
        if use.role != "main":
            for f in found:
                f.subject.setdefault("plan", use.role)
                if not f.message.startswith(use.role):
                    f.message = f"{use.role} plan of agent {use.agent}: {f.message}"
        out.extend(found)
    out.extend(_env_findings(snap, used_vars))
    out.extend(_store_findings(snap, [a.id for a in agents]))
    out.extend(_plaintext_findings(snap))
    out.extend(_permission_findings(snap, [a.id for a in agents]))
    return out


def _permission_findings(snap: Snapshot, agent_ids: list[str]) -> list[Finding]:
    import stat

    from clawgate.paths import display_path

    files = [snap.paths.config, snap.paths.env_file] + [snap.paths.profiles_file(a) for a in agent_ids]
    out = []
    for path in files:
        try:
            mode = stat.S_IMODE(path.stat().st_mode)
        except OSError:
            continue
        if mode & 0o077:
            out.append(
                Finding(
                    "secrets.file_permissions",
                    f"{display_path(path)} is readable by other users (mode {mode:04o}); it may hold secrets",
                    subject={"file": display_path(path)},
                    next_steps=[f"chmod 600 {display_path(path)}"],
                )
            )
    return out


# ------------------------------------------------------------------------------------------- models


def _model_findings(snap: Snapshot, plan: Plan) -> list[Finding]:
    out: list[Finding] = []
    subj = {"agent": plan.agent}
    if plan.model.ref is None:
        out.append(
            Finding(
                "model.not_configured",
                f"agent {plan.agent} has no model: set a default model (or the agent's own)",
                subject=subj,
                next_steps=[
                    "clawgate config set agents.defaults.model.primary openrouter/moonshotai/kimi-k2.5",
                    "clawgate models list",
                ],
            )
        )
        return out
    for path, ref in plan.model.shadows:
        if path.startswith("agents.defaults.model"):
            out.append(
                Finding(
                    "model.override_shadows_default",
                    f"agent {plan.agent} uses {plan.model.ref} from {plan.model.source}, which beats "
                    f"{path} = {ref}",
                    subject=subj,
                    evidence={
                        "winner": {"from": plan.model.source, "ref": plan.model.ref},
                        "shadowed": {"from": path, "ref": ref},
                    },
                    next_steps=[
                        f"clawgate config unset {plan.model.source}   # inherit {ref}",
                        f"clawgate config set {plan.model.source} {ref}",
                    ],
                )
            )
    return out


def _attempt_findings(snap: Snapshot, plan: Plan, att: Attempt) -> list[Finding]:
    out: list[Finding] = []
    subj = {"agent": plan.agent, "provider": att.provider or None, "ref": att.ref}
    subj = {k: v for k, v in subj.items() if v}
    fallback = att.role == "fallback"
    if att.error:
        code = att.error["code"]
        if fallback and code not in ("model.unknown", "config.invalid_value"):
            code = "fallback.not_ready"
        out.append(
            Finding(
                code,
                f"{att.ref} ({att.ref_from}): {att.error['message']}",
                subject=subj,
                next_steps=list(att.error.get("next", [])),
            )
        )
        if att.credential is None:
            return out
    out.extend(_base_url_findings(att, subj))
    if att.catalog_status == "no_catalog":
        out.append(
            Finding(
                "model.no_catalog",
                f"provider {att.provider} has no static models and clawgate never calls GET /models, so "
                f"{att.model!r} cannot be checked before use and its context window is unknown",
                subject={"provider": att.provider},
                next_steps=[
                    f"clawgate config set models.providers.{att.provider}.models "
                    f"'[{{id: \"{att.model}\", contextWindow: 131072}}]'"
                ],
            )
        )
    elif att.catalog_status == "unlisted":
        out.append(
            Finding(
                "model.unlisted",
                f"{att.model!r} is not in clawgate's static catalog for {att.provider}; the provider may still "
                f"accept it (add it to models.providers.{att.provider}.models to record its context window)",
                subject={"provider": att.provider, "ref": att.ref},
                next_steps=[f"clawgate models list --provider {att.provider}"],
            )
        )
    cred = att.credential
    if cred is None:
        return out
    out.extend(_credential_findings(att, cred, subj, fallback))
    return out


def _credential_findings(
    att: Attempt, cred: CredentialResolution, subj: dict, fallback: bool
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
                nxt = [
                    f"add {names[0]}=... to ~/.clawgate/.env (the gateway reads it; your shell's exports it does not)"
                    if names
                    else "clawgate secrets audit",
                    "clawgate env",
                ]
                out.append(
                    Finding(
                        "env.unresolved_ref",
                        msg,
                        severity=sev,
                        subject={**subj, "source": c.source},
                        evidence={"ref": c.ref, "variables": names},
                        next_steps=nxt,
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
                        next_steps=_fix_source_steps(c, pid),
                    )
                )
            elif code == "auth.oauth_expired":
                out.append(
                    Finding(
                        "auth.oauth_expired",
                        f"{c.source} ({c.origin}): {issue.reason}",
                        severity="error" if issue.fatal else "warn",
                        subject={**subj, "source": c.source},
                        next_steps=[f"clawgate auth add {pid} --agent {cred.agent}"],
                    )
                )
            elif code == "auth.key_provider_mismatch":
                out.append(
                    Finding(
                        "auth.key_provider_mismatch",
                        f"{c.source} ({c.fingerprint}): {issue.reason}",
                        subject={**subj, "source": c.source},
                        next_steps=_fix_source_steps(c, pid),
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
                    evidence={"checked": cred.checked},
                    next_steps=[f"clawgate auth add {pid}", f"clawgate models status --agent {cred.agent}"],
                )
            )
        else:
            env_name = att.view.env_vars[0] if att.view else f"{pid.upper()}_API_KEY"
            out.append(
                Finding(
                    "auth.missing_credential",
                    f"no usable credential for {pid} (checked: {checked})",
                    subject=subj,
                    evidence={"checked": cred.checked, "variable": env_name},
                    next_steps=[
                        f"printf '%s' \"${env_name}\" | clawgate auth add {pid} --agent {cred.agent}",
                        f"clawgate models status --agent {cred.agent}",
                    ],
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
                    )
                )
    return out


def _fix_source_steps(c: Candidate, provider: str) -> list[str]:
    if c.source.startswith("profile:"):
        agent = c.agent or "main"
        return [f"clawgate auth add {provider} --agent {agent} --profile {c.profile_id}"]
    if c.source.startswith("env:"):
        return [f"edit {c.origin} (the value of {c.source[4:]})", "clawgate env"]
    return [f"clawgate config get models.providers.{provider}.apiKey", "clawgate secrets audit"]


def _remove_winner_steps(winner: Candidate, provider: str, agent: str) -> list[str]:
    steps = [f"clawgate models status --probe --agent {agent}"]
    if winner.source.startswith("profile:"):
        owner = winner.inherited_from or winner.agent or agent
        steps.append(f"clawgate auth remove {winner.profile_id} --agent {owner}")
    elif winner.source.startswith("config:"):
        steps.append(f"clawgate config unset models.providers.{provider}.apiKey")
    return steps


def _base_url_findings(att: Attempt, subj: dict) -> list[Finding]:
    url = att.base_url
    if not url:
        return []
    out: list[Finding] = []
    parts = urlsplit(url)
    path = parts.path.rstrip("/")
    host = parts.hostname or ""
    preset = att.view.preset if att.view else None
    fix = f"clawgate config set models.providers.{att.provider}.baseUrl "
    problems: list[tuple[str, str, str | None]] = []  # (severity, message, suggested)
    if parts.scheme not in ("http", "https") or not host:
        problems.append(
            ("error", f"baseUrl {url!r} is not an http(s) URL", preset.base_url if preset else None)
        )
    for suffix in ("/chat/completions", "/responses", "/messages", "/completions"):
        if path.endswith(suffix):
            problems.append(
                (
                    "error",
                    f"baseUrl ends with {suffix!r}: clawgate appends the endpoint itself",
                    url[: url.rstrip("/").rfind(suffix)],
                )
            )
            break
    known = known_hosts(host) if host and not problems else []
    if known:
        same_path = [k for k in known if urlsplit(k.base_url).path.rstrip("/") == path]
        if not same_path:
            best = next((k for k in known if k.apis and att.api in k.apis), known[0])
            problems.append(
                (
                    "error",
                    f"{host} is a known {best.label} host but the path {path or '/'!r} is not "
                    f"one it serves (expected {urlsplit(best.base_url).path or '/'})",
                    best.base_url,
                )
            )
        if parts.scheme == "http":
            problems.append(
                ("error", f"{host} is served over https, not http", url.replace("http://", "https://", 1))
            )
    if not preset and not known and not problems and att.api.startswith("openai") and path in ("",):
        problems.append(
            (
                "warn",
                f"baseUrl {url!r} has no path; OpenAI-compatible servers usually live under /v1",
                url.rstrip("/") + "/v1",
            )
        )
    for sev, msg, suggested in problems:
        out.append(
            Finding(
                "provider.base_url_suspect",
                f"{att.provider}: {msg}",
                severity=sev,
                subject={"provider": att.provider},
                evidence={"base_url": url, "from": att.base_url_from},
                next_steps=[fix + suggested]
                if suggested
                else [f"clawgate config get models.providers.{att.provider}"],
            )
        )
    apis = att.host.apis if att.host else (preset.apis if preset else None)
    served = [k for k in known if urlsplit(k.base_url).path.rstrip("/") == path]
    if apis is None and served:
        apis = served[0].apis
    if apis and (att.api_kind or att.api) not in apis:
        where = (
            f"{att.host.label} host {att.host.base_url}"
            if att.host
            else f"the {served[0].label} host {served[0].base_url}"
            if served and not preset
            else att.provider
        )
        out.append(
            Finding(
                "provider.api_mismatch",
                f"{att.provider}: adapter {att.api_kind or att.api!r} ({att.api_from}) is not served by {where} "
                f"(it serves {', '.join(apis)})",
                subject={"provider": att.provider},
                next_steps=[f"clawgate config set models.providers.{att.provider}.api {apis[0]}"],
            )
        )
    return out


# ------------------------------------------------------------------------------------------ environment


def vars_behind(snap: Snapshot, att: Attempt) -> set[str]:
    names: set[str] = set()
    cred = att.credential
    if cred is None:
        return names
    for c in cred.candidates:
        if c.source.startswith("env:"):
            names.add(c.source[4:])
        if c.ref and "${" in c.ref:
            names.update(references(c.ref))
    if att.view is not None:
        names.update(att.view.env_vars)
        if isinstance(att.view.api_key, SecretRef) and att.view.api_key.source == "env":
            names.add(att.view.api_key.id)
        names.update(references(att.view.base_url.value or ""))
    return names


def _env_findings(snap: Snapshot, used: set[str]) -> list[Finding]:
    out: list[Finding] = []
    env = snap.env
    for issue in env.issues:
        out.append(
            Finding(
                "env.dotenv_parse",
                f"{issue.file}:{issue.line}: {issue.message}",
                subject={"file": issue.file},
                next_steps=[f"edit {issue.file} line {issue.line}"],
            )
        )
    if env.shell_error:
        out.append(
            Finding(
                "env.shell_import_failed",
                env.shell_error,
                next_steps=[
                    "clawgate config set env.shellEnv.enabled false",
                    "put the variables in ~/.clawgate/.env instead",
                ],
            )
        )
    for name, defs in env.duplicates():
        lines = ", ".join(d.origin for d in defs)
        values_differ = len({d.value for d in defs}) > 1
        var = env.var(name)
        winner = var.winner.origin if var else "?"
        out.append(
            Finding(
                "env.duplicate_definition",
                f"{name} is defined {len(defs)} times ({lines}); "
                + ("the values differ; " if values_differ else "same value; ")
                + f"the one used comes from {winner}",
                subject={"variable": name},
                evidence={
                    "definitions": [d.to_json() for d in defs],
                    "values_differ": values_differ,
                    "winner": winner,
                },
                next_steps=[
                    f"remove the extra {name} line(s), keeping one in ~/.clawgate/.env",
                    "clawgate env",
                ],
            )
        )
    for name in sorted(used):
        var = env.var(name)
        if var is None:
            continue
        if var.winner.source == "process":
            differing = [d for d in var.shadowed if d.value != var.value and d.source != "login_shell"]
            if differing:
                out.append(
                    Finding(
                        "env.process_override",
                        f"{name} from the process environment overrides a different value in {differing[0].origin}",
                        subject={"variable": name},
                        evidence={"shadowed": [d.to_json() for d in differing]},
                        next_steps=[
                            f"unset {name} in the service/container environment, or update {differing[0].origin}",
                            "clawgate env",
                        ],
                    )
                )
    return out


def _store_findings(snap: Snapshot, agent_ids: list[str]) -> list[Finding]:
    out: list[Finding] = []
    ids = set(agent_ids) | {snap.main_agent()}
    for agent in sorted(ids):
        store = snap.store(agent)
        errs = [store.file_error] if store.file_error else []
        errs += store.problems
        for err in errs:
            if err is None:
                continue
            out.append(
                Finding(
                    "auth.profile_invalid",
                    str(err),
                    subject={"agent": agent, "file": store.display},
                    evidence=err.evidence,
                    next_steps=err.next_steps,
                )
            )
    return out


def _plaintext_findings(snap: Snapshot) -> list[Finding]:
    out: list[Finding] = []
    cfg = snap.config
    name = snap.loaded.display
    for pid, pc in cfg.models.providers.items():
        if (
            isinstance(pc.api_key, str)
            and "${" not in pc.api_key
            and pc.api_key.strip()
            and not env_name_ref(pc.api_key)  # `apiKey: "NVIDIA_API_KEY"` names a variable
        ):
            var = f"{pid.upper().replace('-', '_')}_API_KEY"
            out.append(
                Finding(
                    "config.plaintext_secret",
                    f"models.providers.{pid}.apiKey in {name} is a literal key",
                    subject={"provider": pid, "path": f"models.providers.{pid}.apiKey"},
                    next_steps=[
                        f"move it to ~/.clawgate/.env as {var}=... and run: "
                        f"clawgate config set models.providers.{pid}.apiKey '${{{var}}}'",
                        "clawgate doctor --fix (moves it for you)",
                    ],
                )
            )
        for hname, hval in pc.headers.items():
            if (
                isinstance(hval, str)
                and "${" not in hval
                and (hname.lower() in ("authorization", "x-api-key", "api-key") or looks_secret_value(hval))
            ):
                out.append(
                    Finding(
                        "config.plaintext_secret",
                        f"models.providers.{pid}.headers.{hname} in {name} holds a literal credential",
                        subject={"provider": pid, "path": f"models.providers.{pid}.headers.{hname}"},
                        next_steps=["use a ${VAR} reference or a SecretRef for the header value"],
                    )
                )
    for var, (value, path) in cfg.env.all_vars().items():
        if looks_secret_name(var) and value.strip() and "${" not in value:
            out.append(
                Finding(
                    "config.plaintext_secret",
                    f"{path} in {name} holds a literal secret",
                    subject={"variable": var, "path": path},
                    next_steps=[f"move {var}=... to ~/.clawgate/.env and remove {path}"],
                )
            )
    tok = cfg.gateway.auth.token
    if isinstance(tok, str) and tok and "${" not in tok:
        out.append(
            Finding(
                "config.plaintext_secret",
                f"gateway.auth.token in {name} is a literal token",
                subject={"path": "gateway.auth.token"},
                next_steps=[
                    "put CLAWGATE_GATEWAY_TOKEN=... in ~/.clawgate/.env and unset gateway.auth.token"
                ],
            )
        )
    return out


def proxy_vars(snap: Snapshot) -> dict[str, str]:
    """Proxy variables in effect (values are URLs; user:password parts are masked)."""
    out = {}
    for name in _PROXY_VARS:
        v = snap.env.get(name)
        if v:
            p = urlsplit(v)
            out[name] = v.replace(p.password, "****") if p.password else v
    return out
