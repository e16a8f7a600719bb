"""`models status --probe-profile/--probe-timeout/--check/--plain` (OpenClaw's flags, same meanings)."""

from __future__ import annotations

from typing import Any

import click

from clawgate.cli.output import console, esc
from clawgate.errors import NotFoundError


def split_ids(values: tuple[str, ...]) -> list[str]:
    return [p.strip() for v in values for p in v.split(",") if p.strip()]


def timed_out(att: Any, timeout_ms: int) -> dict[str, Any]:
    return {
        "ok": False,
        "served": False,
        "owner": "network",
        "code": "network.timeout",
        "message": f"the probe of {att.ref} did not finish within {timeout_ms} ms (--probe-timeout)",
        "next": ["clawgate models status --probe   # without --probe-timeout"],
        "credentials": [],
    }


def probe_profiles(
    runtime: Any, agent: str, model_ref: str | None, ids: list[str], timeout_ms: int | None
) -> list[dict[str, Any]]:
    """One probe per named profile: pinned to it, on the planned model of its provider (or the provider's
    first catalog model when the plan does not use that provider)."""
    snap = runtime.snapshot
    plan = snap.plan(agent, model_ref)
    out = []
    for pid in ids:
        store = snap.store(agent)
        prof = store.profiles.get(pid) or snap.store(snap.main_agent()).profiles.get(pid)
        if prof is None:
            raise NotFoundError(
                f"no profile {pid!r} for agent {agent} (or the main agent)",
                next_steps=[f"clawgate auth list --agent {agent}"],
            )
        ref = next((a.ref for a in plan.attempts if a.provider == prof.provider), None)
        if ref is None:
            view = snap.catalog.get(prof.provider)
            first = next(iter(view.models), None) if view is not None else None
            if first is None:
                out.append(
                    {
                        "profile": pid,
                        "provider": prof.provider,
                        "ok": False,
                        "code": "model.unknown",
                        "message": f"no model to probe {pid} on: {prof.provider} lists none",
                        "next": [
                            f"clawgate models status --probe-profile {pid} --model {prof.provider}/MODEL"
                        ],
                    }
                )
                continue
            ref = f"{prof.provider}/{first}"
        pinned = snap.plan(agent, ref, pin=pid, with_fallbacks=False)
        res = run_probes(runtime, pinned, None, False, True, timeout_ms)[0] or {}
        out.append({"profile": pid, "provider": prof.provider, "ref": ref, **res})
    return out


def render_profiles(rows: list[dict[str, Any]]) -> None:
    c = console()
    for r in rows:
        if r.get("ok"):
            c.print(
                f"profile {esc(r['profile'])} on {esc(r.get('ref'))}: [green]ok[/] {esc(r.get('latency_ms'))} ms"
            )
        else:
            c.print(
                f"profile {esc(r['profile'])} on {esc(r.get('ref'))}: [red]{esc(r.get('code'))}[/] {esc(r.get('message'))}"
            )
            for n in (r.get("next") or [])[:2]:
                c.print(f"  next: {esc(n)}")


def render_plain(datas: list[dict[str, Any]]) -> None:
    for d in datas:
        for a in d["attempts"]:
            cred = a.get("credential") or {}
            probe = a.get("probe")
            status = a.get("status", "")
            if probe is not None:
                status = "probe-ok" if probe.get("ok") else f"probe-{probe.get('code')}"
            click.echo(
                "\t".join(
                    str(x)
                    for x in (
                        d["agent"],
                        a["ref"],
                        a["role"],
                        status,
                        cred.get("source"),
                        cred.get("fingerprint"),
                    )
                )
            )
        for p in d.get("profiles") or []:
            click.echo(
                "\t".join(
                    str(x)
                    for x in (d["agent"], p.get("ref"), "profile", p.get("code") or "ok", p["profile"], "")
                )
            )


def check_code(datas: list[dict[str, Any]]) -> int:
    """OpenClaw's `--check`: 1 = a credential is missing, unusable or expired; 2 = one expires soon; 0 = fine."""
    soon = False
    for d in datas:
        for a in d["attempts"]:
            if a.get("role") == "primary" and a.get("status") != "ok":
                return 1
            cred = a.get("credential") or {}
            for issue in cred.get("issues") or []:
                if issue.get("code") == "auth.oauth_expired":
                    if issue.get("severity") == "error":
                        return 1
                    soon = True
        for f in d.get("findings") or []:
            if f.get("code") == "auth.oauth_expired":
                if f.get("severity") == "error":
                    return 1
                soon = True
    return 2 if soon else 0


def run_probes(
    runtime: Any, plan: Any, provider: str | None, every: bool, quiet: bool, timeout_ms: int | None = None
) -> list[Any]:
    """Probe the plan's attempts (bounded by --probe-timeout), with a spinner on a terminal."""
    import asyncio
    import sys

    from clawgate.call.probe import probe_plan
    from clawgate.catalog.presets import canonical_provider_id

    async def go() -> list[Any]:
        try:
            async with asyncio.timeout(timeout_ms / 1000 if timeout_ms else None):
                return await probe_plan(
                    runtime, plan, canonical_provider_id(provider) if provider else None, every
                )
        except TimeoutError:
            return [timed_out(a, timeout_ms or 0) for a in plan.attempts]
        finally:
            await runtime.aclose()

    if not quiet and sys.stderr.isatty():
        with console(stderr=True).status(f"probing {len(plan.attempts)} attempt(s) for agent {plan.agent}…"):
            return asyncio.run(go())
    return asyncio.run(go())
