"""Findings from live state: health records the executor wrote, probe results, and the running gateway.

Nothing here re-derives what a call would do: health comes from the executor's own records (their codes are
the classifier's, reported as they are), probes run the runtime plan through the executor, and the gateway
reports its own view on /api/status.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlsplit

from clawgate.diagnose.findings import Finding
from clawgate.failures.classify import region_hint
from clawgate.plan.snapshot import Snapshot
from clawgate.store.base import HealthRecord


def _when(ts: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(ts)) if ts else "?"


def _current_credentials(snap: Snapshot, agent_ids: list[str]) -> dict[tuple[str, str], dict[str, Any]]:
    """(provider, fingerprint) -> where that key is configured now, for credentials in the agents' plans."""
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for aid in agent_ids:
        for att in snap.plan(aid).attempts:
            if att.credential is None:
                continue
            for c in att.credential.candidates:
                if c.fingerprint and c.usable:
                    out.setdefault(
                        (att.provider, c.fingerprint),
                        {
                            "source": c.source,
                            "origin": c.origin,
                            "agent": aid,
                            "ref": att.ref,
                            "winner": c is att.credential.winner,
                            "profile": c.profile_id,
                            "host": att.base_url,
                        },
                    )
    return out


def health_findings(snap: Snapshot, records: list[HealthRecord], agent_ids: list[str]) -> list[Finding]:
    """Rejections, blocks and cooldowns of credentials that are still configured — each with its first failure."""
    current = _current_credentials(snap, agent_ids)
    now = time.time()
    out: list[Finding] = []
    for r in records:
        where = current.get((r.provider, r.fingerprint))
        if where is None:
            continue  # a key that is no longer configured: its old state is irrelevant
        first = (
            f"first failure {_when(r.first_ts)}: {r.first_owner} {r.first_status or ''} {r.first_code}: "
            f"{r.first_message}"
        )
        subject = {"provider": r.provider, "source": where["source"], "fingerprint": r.fingerprint}
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
            hint = region_hint(r.provider, urlsplit(where["host"] or "").hostname)
            region = hint is not None
            if hint:
                msg += f" — this one was sent to {where['host']}. {hint}"
            nxt = [f"clawgate models status --probe --probe-provider {r.provider} --agent {where['agent']}"]
            if where["profile"]:
                nxt.append(f"clawgate auth remove {where['profile']} --agent {where['agent']}")
            elif where["source"].startswith("env:"):
                nxt.append(f"replace {where['source'][4:]} at {where['origin']} with a valid key")
            if region:
                nxt.insert(
                    0, f"clawgate config get models.providers.{r.provider}.baseUrl   # the key's region?"
                )
            out.append(Finding(code, msg, subject=subject, evidence=evidence, next_steps=nxt))
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
                    next_steps=[
                        "fix the account in the provider's console, then: clawgate health clear "
                        f"--provider {r.provider}"
                    ],
                )
            )
        elif r.state == "cooling" and r.until and r.until > now:
            out.append(
                Finding(
                    "health.cooling",
                    f"{where['source']} ({r.fingerprint}) on {r.provider} / {r.model} is cooling down "
                    f"until {_when(r.until)}; {first}",
                    subject=subject,
                    evidence=evidence,
                    next_steps=["clawgate health list", "add a fallback model, or wait"],
                )
            )
    return out


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
                "env.unresolved_ref": "env.unresolved_ref",
                "auth.missing_credential": "auth.missing_credential",
                "auth.oauth_refresh_failed": "auth.oauth_refresh_failed",
            }.get(code)
            if mapped is None and t.get("owner") == "network":
                mapped = "provider.unreachable"
            if mapped is None and code in ("rate_limit.exceeded", "rate_limit.quota"):
                mapped = "health.cooling"
            if mapped is None:
                continue
            cred = t.get("credential") or {}
            sev = "warn" if att.get("role") == "fallback" and mapped.startswith("auth.") else ""
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
                    next_steps=list(t.get("next") or []),
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
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
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
        for view in [snap.catalog.get(pid)]
        for h in (view.headers if view else {})
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
    return [
        Finding(
            "auth.all_providers_rejected",
            f"{len(rejected)} providers reject their credentials ({', '.join(rejected)}): suspect a shared local "
            f"cause — {'; '.join(causes)}",
            subject={"providers": rejected},
            evidence=evidence,
            next_steps=[
                "clawgate env   # proxy variables and where they come from",
                "unset HTTPS_PROXY HTTP_PROXY ALL_PROXY for the gateway (or add the provider hosts to NO_PROXY)",
                "clawgate models status --probe --all-agents",
            ],
        )
    ]


def gateway_findings(status: dict[str, Any], snap: Snapshot, process_env: dict[str, str]) -> list[Finding]:
    """Compare this CLI with the running gateway (from gateway.lifecycle.status())."""
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
            )
        )
    gw = status.get("gateway") or {}
    gw_env = gw.get("env")
    if isinstance(gw_env, dict):
        for name, info in sorted(gw_env.items()):
            if info is None and process_env.get(name):
                out.append(
                    Finding(
                        "env.shell_only",
                        f"{name} is set in this shell but the running gateway does not have it: calls that need it "
                        "fail in the gateway while the CLI looks fine",
                        subject={"variable": name, "gateway": status.get("url")},
                        next_steps=[
                            f"echo '{name}=...' >> ~/.clawgate/.env   # the gateway reads it without a restart",
                            "clawgate gateway status",
                        ],
                    )
                )
    return out
