"""The next commands for a failure: what to run, per code and provider family (billing pages, region hosts,
local servers, proxies)."""

from __future__ import annotations

from clawgate.failures.classify.families import LOCAL, billing_url, family
from clawgate.failures.failure import seconds

# The step that suggests a fallback model: the executor drops it from a failure whose plan has one already.
ADD_FALLBACK = (
    "add a fallback model: clawgate config set agents.defaults.model.fallbacks '[\"PROVIDER/MODEL\"]'"
)


def next_steps(
    code: str,
    provider: str,
    *,
    host: str | None = None,
    model: str | None = None,
    retry_after: float | None = None,
) -> list[str]:
    """The commands to run next for a failure `code` from `provider` (at `host`)."""
    p = provider
    fam = family(provider, host)
    probe = f"clawgate models status --probe --probe-provider {p}"
    if code in ("auth.rejected", "auth.region_mismatch"):
        steps = [probe, f"clawgate auth add {p}"]
        if fam in ("qwen", "moonshot"):
            steps.insert(0, f"clawgate config get models.providers.{p}.baseUrl")
        return steps
    if code == "access.billing":
        url = billing_url(fam, host)
        return [f"add credit or raise the quota: {url}" if url else f"check {p}'s billing page", probe]
    if code == "access.forbidden":
        return [f"check that the {p} account may use this model from this region", probe]
    if code == "rate_limit.exceeded":
        wait = f"wait {seconds(retry_after)}s and retry" if retry_after is not None else "wait and retry"
        return [wait, "clawgate health list"]
    if code == "rate_limit.quota":
        return [
            f"raise the quota on {p}'s console, or wait for it to reset",
            ADD_FALLBACK,
            "clawgate health list",
        ]
    if code in (
        "upstream.overloaded",
        "upstream.server_error",
        "upstream.stream_error",
        "upstream.bad_response",
    ):
        return ["retry later or let a fallback model take over", "clawgate health list"]
    if code == "context.exceeded":
        return [
            "shorten the conversation or start a new session",
            f"pick a larger-context model: clawgate models list --provider {p}",
        ]
    if code == "model.unknown":
        return [f"clawgate models list --provider {p}"]
    if code == "provider.api_mismatch":
        return [
            f"clawgate config set models.providers.{p}.api openai-completions",
            f"clawgate config get models.providers.{p}.baseUrl",
        ]
    if code == "request.too_large":
        return ["send less (fewer or smaller attachments and images)"]
    if code == "request.invalid":
        return ["check the request's parameters against the provider's API", probe]
    if code.startswith("network."):
        # only trying the provider again finds a network failure (offline doctor sees nothing once the
        # cooldown ends); then where its baseUrl comes from, and the proxy in the way
        steps = [
            probe,
            f"clawgate config get models.providers.{p}.baseUrl",
            "check HTTPS_PROXY / HTTP_PROXY / NO_PROXY in the gateway's environment",
        ]
        if code == "network.tls":
            steps.append("check SSL_CERT_FILE and any TLS-intercepting proxy")
        elif code == "network.connect" and fam in LOCAL:
            steps.insert(
                0, "ollama serve" if fam == "ollama" else f"start the local {p} server and check its port"
            )
        return steps
    if code == "upstream.stream_cut":
        return ["retry the request", "clawgate health list"]
    return [probe]
