"""Findings from live state: health records the executor wrote, probe results, and the running gateway.

Nothing here re-derives what a call would do: health comes from the executor's own records (their codes are
the classifier's, reported as they are), probes run the runtime plan through the executor, and the gateway
reports its own view on /api/status.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlsplit

from clawgate.diagnose.commands import after_probe
from clawgate.diagnose.findings import Finding
from clawgate.environment import PROXY_NAMES
from clawgate.failures.classify import region_hint
from clawgate.failures.failure import headline
from clawgate.plan.snapshot import Snapshot
from clawgate.redaction import mask_url
from clawgate.store.base import HealthRecord

RECENT_SECONDS = 900.0  # a cooldown that ended this recently is still reported (as health.recent_failure)


def _when(ts: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(ts)) if ts else "?"


def _current_credentials(snap: Snapshot, agent_ids: list[str]) -> dict[tuple[str, str], dict[str, Any]]:
    """(provider, fingerprint) -> where that key is configured now, for credentials in the agents' plans
    (main, subagent and cron)."""
    from clawgate.diagnose.plans import plans_to_check

    out: dict[tuple[str, str], dict[str, Any]] = {}
    for use in plans_to_check(snap):
        if use.agent not in agent_ids:
            continue
        for att in use.plan.attempts:
            if att.credential is None:
                continue
            for c in att.credential.candidates:
                if c.fingerprint and c.usable:
                    out.setdefault(
                        (att.provider, c.fingerprint),
                        {
                            "source": c.source,
                            "origin": c.origin,
                            "agent": use.agent,
                            "ref": att.ref,
                            "winner": c is att.credential.winner,
                            "profile": c.profile_id,
                            "host": att.base_url,
                            "candidate": c,
                            "others": [
                                o.fingerprint
                                for o in att.credential.candidates
                                if o.usable and o.fingerprint and o.fingerprint != c.fingerprint
                            ],
                        },
                    )
    return out


def _rejection_steps(
    snap: Snapshot, provider: str, where: dict[str, Any], region: bool, rejected: set[tuple[str, str]]
) -> tuple[list[str], str]:
    """(next commands, hint) for a rejected key: the region's host for a region-bound key, else a new key —
    or, for a stored profile, removing it when another configured key is not rejected too."""
    from clawgate.diagnose.credentials import replace_key

    agent = where["agent"]
    check = f"clawgate models status --probe --probe-provider {provider} --agent {agent}"
    if region:
        view = snap.catalog.get(provider)
        hosts = [f"{h.base_url} ({h.label})" for h in (view.preset.hosts if view and view.preset else ())]
        fix = replace_key(snap, where["candidate"], provider, agent)
        return (
            [
                f"clawgate config set models.providers.{provider}.baseUrl <BASE_URL>",
                f"clawgate health clear --provider {provider}",
            ],
            "<BASE_URL>: the host of the region the key was issued for"
            + (f" — one of {', '.join(hosts)}" if hosts else "")
            + "; `health clear` drops the rejection recorded against the old host. Or keep the host and "
            f"replace the key with one issued for it: {'; '.join(fix['next_steps'])}. Check with: {check}",
        )
    others = [fp for fp in where["others"] if (provider, fp) not in rejected]
    if where["profile"] and others:
        return (
            [f"clawgate auth remove {where['profile']} --agent {agent}"],
            f"another configured key takes over; check with: {check}",
        )
    fix = replace_key(snap, where["candidate"], provider, agent)
    return fix["next_steps"], f"{fix['hint']}; check with: {check}"


def health_findings(snap: Snapshot, records: list[HealthRecord], agent_ids: list[str]) -> list[Finding]:
    """Rejections, blocks and cooldowns of credentials that are still configured — each with its first failure."""
    current = _current_credentials(snap, agent_ids)
    rejected = {(r.provider, r.fingerprint) for r in records if r.state == "rejected"}
    now = time.time()
    out: list[Finding] = []
    for r in records:
        where = current.get((r.provider, r.fingerprint))
        if where is None:
            continue  # a key that is no longer configured: its old state is irrelevant
        first = (
            f"first failure {_when(r.first_ts)}: {headline(r.first_owner, r.first_status, r.first_code)}: "
            f"{r.first_message}"
        )
        subject = {"provider": r.provider, "source": where["source"], "fingerprint": r.fingerprint}
        # a refusal keeps the owner of the failure that started it (docs/failures.md), and so does its finding
        owner = r.first_owner or ""
        check = (
            [f"clawgate models status --probe --probe-provider {r.provider} --agent {where['agent']}"]
            if owner == "network"
            else []
        )  # a network failure is found only by trying the provider again
        evidence = {
            "state": r.state,
            "until": r.until,
            "failures": r.count,
            "first_failure": {
                "time": r.first_ts,
                "status": r.first_status,
                "owner": r.first_owner,
                "code": r.first_code,
                "message": r.first_message,
            },
        }
        if r.state == "rejected":
            # the code is the classifier's, recorded with the failure; the region sentence only explains it
            code = "auth.region_mismatch" if r.first_code == "auth.region_mismatch" else "auth.rejected"
            msg = f"{r.provider} rejected {where['source']} ({r.fingerprint}); {first}"
            region_rule = region_hint(r.provider, urlsplit(where["host"] or "").hostname)
            region = region_rule is not None
            if region_rule:
                msg += f" — this one was sent to {mask_url(where['host'])}. {region_rule}"
            nxt, hint = _rejection_steps(snap, r.provider, where, region, rejected)
            out.append(Finding(code, msg, subject=subject, evidence=evidence, next_steps=nxt, hint=hint))
        elif r.state == "blocked":
            code = (
                r.first_code if r.first_code in ("access.billing", "access.forbidden") else "access.billing"
            )
            out.append(
                Finding(
                    code,
                    f"{r.provider} refuses {where['source']} ({r.fingerprint}) for account reasons; {first}",
                    subject=subject,
                    evidence=evidence,
                    next_steps=[f"clawgate health clear --provider {r.provider}"],
                    hint="fix the account in the provider's console first (billing, model access); clearing "
                    "makes clawgate try the key again",
                )
            )
        elif r.state == "cooling" and r.until and r.until > now:
            out.append(
                Finding(
                    "health.cooling",
                    f"{where['source']} ({r.fingerprint}) on {r.provider} / {r.model} is cooling down "
                    f"until {_when(r.until)}; {first}",
                    owner=owner,
                    subject=subject,
                    evidence=evidence,
                    next_steps=check,
                    hint=f"it clears by itself at {_when(r.until)}; a fallback model keeps calls going meanwhile "
                    "(clawgate health list shows every state)",
                )
            )
        elif r.state == "cooling" and (last := r.last_ts or r.first_ts or 0.0) >= now - RECENT_SECONDS:
            out.append(
                Finding(
                    "health.recent_failure",
                    f"{where['source']} ({r.fingerprint}) on {r.provider} / {r.model} failed "
                    f"{_ago(now - last)} ({_when(last)}, {r.count} failure(s)); its cooldown ended "
                    f"{_when(r.until)}, so the next call tries it again — {first}",
                    owner=owner,
                    subject=subject,
                    evidence={**evidence, "last_failure": {"time": r.last_ts, "code": r.last_code}},
                    next_steps=check,
                    hint="nothing refuses calls now; whether the cause is gone shows only when the provider is "
                    "tried again" + ("" if check else " (clawgate health list shows every state)"),
                )
            )
    return out


def _ago(seconds: float) -> str:
    s = int(seconds)
    return f"{s}s ago" if s < 120 else f"{s // 60} min ago"


def probe_findings(results: list[tuple[str, dict[str, Any], dict[str, Any]]]) -> list[Finding]:
    """Findings from probe results: (agent, attempt json, probe result)."""
    out: list[Finding] = []
    for agent, att, res in results:
        for t in res.get("credentials", []):
            if t.get("ok") or not t.get("code"):
                continue
            code = t["code"]
            mapped = {
                "auth.rejected": "auth.rejected",
                "auth.region_mismatch": "auth.region_mismatch",
                "access.billing": "access.billing",
                "access.forbidden": "access.forbidden",
                "model.unknown": "model.unknown",
                "provider.api_mismatch": "provider.api_mismatch",
                "auth.oauth_refresh_failed": "auth.oauth_refresh_failed",
            }.get(code)  # no credential / an unresolved ${VAR}: the offline findings of the same plan say it
            if mapped is None and t.get("owner") == "network":
                mapped = "provider.unreachable"
            if mapped is None and code in ("rate_limit.exceeded", "rate_limit.quota"):
                mapped = "health.cooling"
            if mapped is None:
                continue
            cred = t.get("credential") or {}
            sev = "warn" if att.get("role") == "fallback" and mapped.startswith("auth.") else ""
            steps, again = after_probe(list(t.get("next") or []))
            out.append(
                Finding(
                    mapped,
                    f"probe of {att['ref']} ({cred.get('source')} {cred.get('fingerprint')}): {t.get('message')}",
                    severity=sev,
                    subject={
                        "agent": agent,
                        "provider": att["provider"],
                        "ref": att["ref"],
                        "source": cred.get("source"),
                    },
                    evidence={"status": t.get("status"), "probe": True},
                    next_steps=steps,
                    hint=f"check again after the fix: {again[0]}" if again else "",
                )
            )
    return out


def all_providers_rejected(findings: list[Finding], snap: Snapshot) -> list[Finding]:
    """When several providers reject auth, look for the shared local cause and say so."""
    rejected: list[str] = sorted(
        {
            str(f.subject.get("provider"))
            for f in findings
            if f.code in ("auth.rejected", "auth.region_mismatch") and f.subject.get("provider")
        }
    )
    if len(rejected) < 2:
        return []
    causes: list[str] = []
    evidence: dict[str, Any] = {"providers": rejected}
    proxies = {}
    for name in PROXY_NAMES:
        var = snap.env.var(name)
        if var is not None and var.value:
            proxies[name] = var.winner.origin
    if proxies:
        evidence["proxy_variables"] = proxies
        names = ", ".join(f"{k} (from {v})" for k, v in proxies.items())
        causes.append(
            f"every call goes through a proxy ({names}); a proxy that strips or rewrites the "
            "Authorization header produces exactly this"
        )
    overrides = [
        f"models.providers.{pid}.headers.{h}"
        for pid in rejected
        if (view := snap.catalog.get(pid)) is not None
        for h in view.headers
        if h in ("authorization", "x-api-key")
    ]
    if overrides:
        evidence["header_overrides"] = overrides
        causes.append(f"configured header overrides replace the credential: {', '.join(overrides)}")
    sources = {
        f.subject.get("source", "")
        for f in findings
        if f.code.startswith("auth.") and f.subject.get("source")
    }
    if sources and all(s.startswith("profile:") for s in sources):
        causes.append(
            "every rejected credential is a stored profile: stale profiles shadow keys that may work "
            "(see auth.shadowed_credential)"
        )
    if not causes:
        causes.append(
            "no shared local cause found in proxy variables or header overrides; check the gateway's "
            "environment (clawgate gateway status) and each key in its provider console"
        )
    steps: list[str] = []
    hints: list[str] = []
    if proxies:
        from clawgate.diagnose.connectivity import proxy_fix_steps

        for name in proxies:
            cmds, why = proxy_fix_steps(snap, name)
            steps.extend(c for c in cmds if c not in steps)
            hints.append(why)
    else:  # the rejections' own fixes, each once
        for f in findings:
            if f.code in ("auth.rejected", "auth.region_mismatch") and not f.evidence.get("probe"):
                steps.extend(c for c in f.next_steps if c not in steps)
    hints.append("check every provider again with: clawgate models status --probe --all-agents")
    hint = "; ".join(h for h in hints if h)
    return [
        Finding(
            "auth.all_providers_rejected",
            f"{len(rejected)} providers reject their credentials ({', '.join(rejected)}): suspect a shared local "
            f"cause — {'; '.join(causes)}",
            subject={"providers": rejected},
            evidence=evidence,
            next_steps=steps,
            hint=hint,
        )
    ]


def gateway_findings(status: dict[str, Any], snap: Snapshot | None) -> list[Finding]:
    """Compare this CLI with the running gateway (from gateway.lifecycle.status()). Where the two
    environments differ is said by diagnose/service_env.py (from the gateway's own env report)."""
    out: list[Finding] = []
    for f in status.get("findings", []):
        code = f["code"]
        if code not in (
            "gateway.not_running",
            "gateway.config_mismatch",
            "gateway.token_missing",
            "gateway.token_mismatch",
            "config.invalid_value",
            "config.parse_error",
        ):
            continue
        out.append(
            Finding(
                code,
                f["message"],
                severity=f.get("severity", ""),
                subject={"gateway": status.get("url")},
                next_steps=list(f.get("next", [])),
                hint=f.get("hint") or "",
            )
        )
    return out


def mismatch_findings(status: dict[str, Any] | None) -> list[Finding]:
    """`gateway.config_mismatch` alone (the gateway this CLI reaches runs from another home or config, so
    what a plan shows here is not what answers): doctor reports it among `gateway_findings`; `models status`
    and `chat`, which plan or talk through that gateway, say it too."""
    if not status:
        return []
    return [f for f in gateway_findings(status, None) if f.code == "gateway.config_mismatch"]
