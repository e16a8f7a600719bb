"""What the executor reports to the clients layer, and the one thing it asks before a try: a credential's own
RPM/TPM window (`models.providers.<id>.limits`, or `credentials.<c>`). Reported: tries in flight per
credential (for `balance: least-busy`), the providers' rate-limit headers (pressure), and each try's tokens
and cost when it ends — counted against the client key's TPM and budget and the credential's TPM."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from clawgate.clients.identity import Client
from clawgate.clients.limits import Limiter
from clawgate.clients.pressure import Pressure
from clawgate.clients.spend import Budgets
from clawgate.failures import Failure, failure


def credential_name(provider: str, fingerprint: str | None) -> str:
    return f"cred:{provider}:{fingerprint}"


class Meter:
    def __init__(self, limiter: Limiter, budgets: Budgets, pressure: Pressure) -> None:
        self.limiter = limiter
        self.budgets = budgets
        self.pressure = pressure
        self._busy: dict[tuple[str, str | None], int] = {}

    # -- asked by the credential order ------------------------------------------------------------------

    def busy(self, provider: str, fingerprint: str | None) -> int:
        return self._busy.get((provider, fingerprint), 0)

    def near_until(self, provider: str, fingerprint: str | None) -> float | None:
        return self.pressure.until(provider, fingerprint)

    # -- before a try -----------------------------------------------------------------------------------

    @staticmethod
    def _limits(att: Any, cred: Any) -> tuple[int | None, int | None, str]:
        view = att.view
        if view is None or cred is None:
            return None, None, ""
        own = view.tuning(cred.source, cred.profile_id)
        if own is not None and (own.rpm or own.tpm):
            return own.rpm, own.tpm, f"models.providers.{att.provider}.credentials.{cred.source}"
        if view.limits is not None:
            return view.limits.rpm, view.limits.tpm, f"models.providers.{att.provider}.limits"
        return None, None, ""

    def limits(self, att: Any, cred: Any) -> bool:
        """Has the credential a window of its own (`admit` has something to count)?"""
        rpm, tpm, _ = self._limits(att, cred)
        return bool(rpm or tpm)

    async def admit(self, att: Any, cred: Any) -> Failure | None:
        """`rate_limit.credential_limit` when the credential's own window is used up (one counter op)."""
        rpm, tpm, where = self._limits(att, cred)
        if not rpm and not tpm:
            return None
        v = await self.limiter.take(credential_name(att.provider, cred.fingerprint), rpm, tpm)
        if v is None or v.ok:
            return None
        per = "rpm" if v.what == "requests" else "tpm"
        return failure(
            "rate_limit.credential_limit",
            f"credential {cred.source} ({cred.fingerprint}) of {att.provider} used its {v.limit} {v.what} of "
            f"this {self.limiter.windows.seconds:g} s window ({where}.{per} = {rpm if per == 'rpm' else tpm}); "
            f"not sent, the window ends in {v.reset:.1f} s",
            retry_after=round(v.reset, 3),
            provider=att.provider,
            model=att.model,
            credential_source=cred.source,
            credential_fingerprint=cred.fingerprint,
            sent=False,
            next_steps=[
                f"clawgate config get {where}",
                f"add another credential for {att.provider} (clawgate auth add {att.provider})",
            ],
        )

    def started(self, provider: str, fingerprint: str | None) -> None:
        key = (provider, fingerprint)
        self._busy[key] = self._busy.get(key, 0) + 1

    def observe(self, provider: str, fingerprint: str | None, headers: Mapping[str, str]) -> None:
        self.pressure.observe(provider, fingerprint, headers)

    # -- after a try ------------------------------------------------------------------------------------

    def ended(
        self, client: Client | None, att: Any, cred: Any, sent: bool, tokens: int, cost: float | None
    ) -> None:
        fp = cred.fingerprint if cred is not None else None
        if sent:
            key = (att.provider, fp)
            left = self._busy.get(key, 0) - 1
            if left > 0:
                self._busy[key] = left
            else:
                self._busy.pop(key, None)
        if tokens > 0:
            _, tpm, _ = self._limits(att, cred)
            if tpm:
                self.limiter.add_tokens(credential_name(att.provider, fp), tokens, tpm)
        if client is None or client.ref is None:
            return
        if tokens > 0 and client.tpm:
            self.limiter.add_tokens(client.ref, tokens, client.tpm)
        if cost:
            self.budgets.add(client, cost)
