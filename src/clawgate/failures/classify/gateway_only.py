"""The failure of an attempt whose key only the running gateway has: the CLI knows it by fingerprint (the
gateway's report of its process environment, `environment.GatewayOnly`) and cannot send it — so it says it
cannot test that key, and where it can be tested, instead of trying another one."""

from __future__ import annotations

from clawgate.failures.failure import Failure, failure


def gateway_only_credential(
    *, provider: str, model: str, source: str, fingerprint: str | None, origin: str
) -> Failure:
    """Not sent: `source` is in the `origin` (the running gateway's process environment), not readable here."""
    return failure(
        "auth.missing_credential",
        f"not sent: {source} ({fingerprint}) is in the {origin}, and this CLI cannot read that value — it cannot "
        f"test or use the gateway's {provider} key (the gateway's own probe can: the Probe button of the "
        "gateway's Providers page, or this CLI run in the gateway's environment)",
        provider=provider,
        model=model,
        next_steps=[f"clawgate models status --probe --probe-provider {provider}", "clawgate doctor"],
        credential_source=source,
        credential_fingerprint=fingerprint,
        sent=False,
    )
