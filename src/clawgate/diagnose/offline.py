"""Offline findings: everything `doctor` can say from config, environment and credential stores, no network.

All of it is read off the resolver's own output (plans, credential resolutions, environment provenance),
so doctor can never disagree with what a real call would do.
"""

from __future__ import annotations

import json
import shlex
from typing import Any
from urllib.parse import urlsplit

import orjson

from clawgate.catalog.presets import key_variables
from clawgate.config.secret_move import default_variable
from clawgate.diagnose.base_urls import base_url_findings
from clawgate.diagnose.credentials import credential_findings
from clawgate.diagnose.findings import Finding
from clawgate.diagnose.plans import plans_to_check, vars_behind
from clawgate.errors import ClawgateError
from clawgate.paths import display_path
from clawgate.plan.shadows import refs_text
from clawgate.plan.snapshot import Snapshot
from clawgate.plan.types import Attempt, Plan
from clawgate.redaction import fingerprint
from clawgate.shellcmd import command

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
    out.extend(_order_findings(snap, [a.id for a in agents]))
    out.extend(_plaintext_findings(snap))
    out.extend(_permission_findings(snap, [a.id for a in agents]))
    return out


def _permission_findings(snap: Snapshot, agent_ids: list[str]) -> list[Finding]:
    import stat

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
                    next_steps=[f"chmod 600 {shlex.quote(str(path))}"],
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
                next_steps=["clawgate config set agents.defaults.model.primary <MODEL_REF>"],
                hint="<MODEL_REF>: provider/model, e.g. openrouter/moonshotai/kimi-k2.5; `clawgate models list` "
                "shows the models of the providers you have keys for",
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
                    next_steps=[command("config", "unset", plan.model.source)],
                    hint=f"unsetting it makes agent {plan.agent} inherit {ref}; to keep {plan.model.ref} on "
                    f"purpose and silence this, make the default the same: "
                    f"{command('config', 'set', path, plan.model.ref)}",
                )
            )
    won = [r for r, _ in plan.model.fallbacks]
    for path, refs in plan.model.fallback_shadows:
        if path.startswith("agents.defaults.model"):
            src = plan.model.fallbacks_from
            out.append(
                Finding(
                    "model.override_shadows_default",
                    f"agent {plan.agent} uses the fallbacks {refs_text(won)} from {src}, which beat {path} = "
                    f"{refs_text(refs)}",
                    subject=subj,
                    evidence={
                        "winner": {"from": src, "refs": won},
                        "shadowed": {"from": path, "ref": refs_text(refs), "refs": refs},
                    },
                    next_steps=[command("config", "unset", src)],
                    hint=f"unsetting it makes agent {plan.agent} inherit {refs_text(refs)}; to keep its own on "
                    f"purpose and silence this, make the default the same: "
                    f"{command('config', 'set', path, orjson.dumps(won).decode())}",
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
    out.extend(base_url_findings(att, subj))
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
    out.extend(credential_findings(snap, att, cred, subj, fallback))
    return out


# ------------------------------------------------------------------------------------------ environment


def _env_findings(snap: Snapshot, used: set[str]) -> list[Finding]:
    out: list[Finding] = []
    env = snap.env
    for issue in env.issues:
        out.append(
            Finding(
                "env.dotenv_parse",
                f"{issue.file}:{issue.line}: {issue.message}",
                subject={"file": issue.file},
                next_steps=[],
                hint=f"edit {issue.file} line {issue.line}: a line must read NAME=value",
            )
        )
    if env.shell_error:
        out.append(
            Finding(
                "env.shell_import_failed",
                env.shell_error,
                next_steps=["clawgate config set env.shellEnv.enabled false"],
                hint="then put the variables the gateway needs in $CLAWGATE_HOME/.env (clawgate env set NAME)",
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
                next_steps=_dedupe_steps(name, defs, var.winner if var else None),
                hint="the definition in effect stays; the others go",
            )
        )
    for name in sorted(used):
        var = env.var(name)
        if var is None:
            continue
        if var.winner.source == "process" and var.winner.known_fingerprint is None:  # else: env.gateway_only
            differing = [d for d in var.shadowed if d.value != var.value and d.source != "login_shell"]
            if differing:
                out.append(
                    Finding(
                        "env.process_override",
                        f"{name} from the process environment overrides a different value in {differing[0].origin}",
                        subject={"variable": name},
                        evidence={"shadowed": [d.to_json() for d in differing]},
                        next_steps=[f"printf '%s' \"${name}\" | clawgate env set {name}"],
                        hint=f"the service's process value wins; run in the service's environment (e.g. "
                        f"`docker exec`), the command makes {differing[0].origin} agree with it. If the process "
                        "value is the stale one, remove it where the service is started (the container's "
                        "environment, the unit) and restart it instead",
                    )
                )
    return out


def _dedupe_steps(name: str, defs: list, winner: Any) -> list[str]:
    """Commands that keep only the definition of `name` in effect."""
    steps = []
    if sum(1 for d in defs if d.source == "home_dotenv") > 1:
        steps.append(f"clawgate env dedupe {name}")
    for d in defs:
        if d.source == "config" and d is not winner and d != winner:
            steps.append(f"clawgate config unset {d.origin.rsplit(': ', 1)[-1]}")
    return steps


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


def _order_findings(snap: Snapshot, agent_ids: list[str]) -> list[Finding]:
    """An order (`auth.order.<provider>` in the config, or one stored with `clawgate auth order set`) naming a
    profile no agent has for that provider: it orders nothing, and the profile it meant is not tried first."""
    out: list[Finding] = []
    stores = [snap.store(a) for a in sorted(set(agent_ids) | {snap.main_agent()})]

    def known(provider: str) -> list[str]:
        return sorted({p.id for s in stores for p in s.profiles.values() if p.provider == provider})

    orders: list[tuple[str, str, str | None, str, list[str]]] = [
        (f"auth.order.{prov}", snap.loaded.display, None, prov, ids)
        for prov, ids in snap.config.auth.order.items()
    ]
    orders += [
        (f"the stored order of agent {s.agent}", s.display, s.agent, prov, ids)
        for s in stores
        for prov, ids in s.order.items()
    ]
    for where, file, agent, prov, ids in orders:
        have = (
            known(prov)
            if agent is None
            else sorted(p.id for p in snap.store(agent).profiles.values() if p.provider == prov)
        )
        missing = [i for i in ids if i not in have]
        if not missing:
            continue
        keep = [i for i in ids if i in have]
        if agent is None:
            fix = (
                f"clawgate config set auth.order.{prov} {shlex.quote(json.dumps(keep))}"
                if keep
                else f"clawgate config unset auth.order.{prov}"
            )
        elif keep:
            fix = f"clawgate auth order set --provider {prov} --agent {agent} {' '.join(map(shlex.quote, keep))}"
        else:
            fix = f"clawgate auth order clear --provider {prov} --agent {agent}"
        out.append(
            Finding(
                "auth.order_unknown_profile",
                f"{where} ({file}) names {', '.join(missing)}, which is no {prov} profile "
                f"(profiles for {prov}: {', '.join(have) or 'none'}); it orders nothing",
                subject={"provider": prov, "file": file, **({"agent": agent} if agent else {})},
                evidence={"order": list(ids), "missing": missing, "profiles": have},
                next_steps=[fix, f"clawgate auth list{f' --agent {agent}' if agent else ''}"],
            )
        )
    return out


def _plaintext_findings(snap: Snapshot) -> list[Finding]:
    """One `config.plaintext_secret` per literal secret in the file (`config.secret_fields` decides which)."""
    from clawgate.config.secret_fields import literal_secrets

    out: list[Finding] = []
    name = snap.loaded.display
    env_file = display_path(snap.paths.env_file)
    leaves_ref = f"moves the value into {env_file} and leaves a ${{VAR}} reference"
    for found in literal_secrets(snap.loaded.data):
        path, kind = found.path, found.kind
        step = f"clawgate secrets move {path}"
        subject: dict[str, Any] = {"path": path}
        if kind == "api_key":
            pid = str(found.parts[2])
            view = snap.catalog.get(pid)
            var = (view.env_vars if view is not None else key_variables(pid))[0]
            held = snap.env.var(var)
            if held is not None and held.value.strip() != found.secret.strip():
                step += f" --to {var}_FROM_CONFIG"
            subject["provider"] = pid
            what = "is a literal key"
            hint = (
                f"moves the key into {env_file} and leaves a ${{VAR}} reference in the config (the same key "
                "stays in use); `clawgate doctor --fix` does it too"
            )
        elif kind == "header":
            subject["provider"] = str(found.parts[2])
            what, hint = "holds a literal credential", leaves_ref
        elif kind == "env":
            var = str(found.parts[-1])
            subject["variable"] = var
            what, hint = "holds a literal secret", f"moves {var} into {env_file} and removes {path}"
        elif kind == "gateway_token":
            what = "is a literal token"
            hint = f"moves the token into {env_file} as CLAWGATE_GATEWAY_TOKEN and leaves a reference"
        elif kind == "url":
            var = default_variable(path) or "VAR"
            what = "is a URL with a literal password"
            hint = f"moves the URL into {env_file} as {var} and leaves ${{{var}}} in the config"
        elif kind == "otlp_header":
            what, hint = "holds a literal credential", leaves_ref
        else:  # a provider key's shape where clawgate reads no secret
            what = f"holds what looks like a provider key ({fingerprint(found.secret)})"
            step = f"clawgate config unset {path}"
            hint = (
                "clawgate reads no key from here; if it is one, keep it in the .env instead "
                "(clawgate env set NAME) and remove it from the config"
            )
        out.append(
            Finding(
                "config.plaintext_secret",
                f"{path} in {name} {what}",
                subject=subject,
                next_steps=[step],
                hint=hint,
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
