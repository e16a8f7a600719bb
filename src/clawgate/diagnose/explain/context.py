"""What the cause checks read: the explanation and, from a snapshot, the agent, plan, provider view and credential."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from clawgate.diagnose.explain.model import UNKNOWN, Explanation

CheckResult = tuple[bool | None, str | None, list[str]]  # (holds, evidence, next steps)


@dataclass
class CheckContext:
    """The explanation and, when a clawgate home exists, its snapshot and what it resolves for the provider."""

    ex: Explanation
    snap: Any = None  # clawgate.plan.snapshot.Snapshot
    agent: str = "main"
    view: Any = None  # ProviderView of the provider in question
    cred: Any = None  # CredentialResolution for (provider, agent)
    plan: Any = None  # the agent's Plan
    _findings: list[Any] | None = None

    @property
    def pid(self) -> str:
        """The provider in question: its id in the local setup, else as the text names it."""
        return (self.view.id if self.view is not None else self.ex.provider) or UNKNOWN

    def no_view(self) -> str:
        """Why a check about the provider cannot be answered: the setup has no such provider."""
        if self.ex.provider in (None, UNKNOWN):
            return "the text does not name the provider (use --provider P)"
        return f"{self.ex.provider!r} is not a provider clawgate knows (no preset, not in models.providers)"

    def findings(self) -> list[Any]:
        if self._findings is None:
            from clawgate.diagnose.offline import offline_findings

            try:
                self._findings = offline_findings(self.snap, self.agent)
            except Exception:  # a broken setup must not break explain
                self._findings = []
        return self._findings

    def provider_findings(self, *codes: str) -> list[Any]:
        pid = self.view.id if self.view is not None else self.ex.provider
        return [f for f in self.findings() if f.code in codes and f.subject.get("provider") == pid]


Check = Callable[[CheckContext], CheckResult]


def make_context(ex: Explanation, snap: Any = None, agent: str | None = None) -> CheckContext:
    """The context for checking `ex`; with a snapshot, the agent's plan and the provider's view and credential."""
    ctx = CheckContext(ex=ex, snap=snap)
    if snap is None:
        return ctx
    info = snap.agent(agent)
    ctx.agent = info.id
    ctx.plan = snap.plan(info.id)
    view = snap.catalog.get(ex.provider) if ex.provider else None
    ctx.view = view
    if view is not None:
        att = next((a for a in ctx.plan.attempts if a.provider == view.id), None)
        ctx.cred = (
            att.credential
            if att is not None and att.credential is not None
            else snap.credentials(view, info.id)
        )
    return ctx


def _needs(attr: str) -> Callable[[Check], Check]:
    """A decorator: the check answers unknown (with the reason) while `ctx.<attr>` is None."""

    def decorate(check: Check) -> Check:
        @functools.wraps(check)
        def checked(ctx: CheckContext) -> CheckResult:
            if getattr(ctx, attr) is None:
                return None, ctx.no_view(), []
            return check(ctx)

        return checked

    return decorate


needs_credential = _needs("cred")  # the provider has no credential resolution
needs_view = _needs("view")  # the local setup does not know the provider


def config_host(view: Any, snap: Any) -> str | None:
    """The host a provider's configured base URL points at, with ${VAR}s expanded; None when it does not expand."""
    from clawgate.config.substitution import expand

    exp = expand(view.base_url.value or "", snap.env)
    return urlsplit(exp.value or "").hostname if exp.ok else None
