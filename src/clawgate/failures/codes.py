"""The code registry: every failure code clawgate emits, with the layer that owns it and a one-line doc.

A code decides its owner: `Failure` and `failure()` refuse a code that is not here, and an owner that is not the
code's. The policy (retry, next credential, fallback, health) per code is in `failures.policy`. Doctor's
findings have their own registry (`diagnose.findings.REGISTRY`); where a finding shares a code with a failure,
both name the same owner (a test checks it).
"""

from __future__ import annotations

from dataclasses import dataclass

# The layers a failure can belong to, with what each means for the person reading the error.
OWNERS: dict[str, str] = {
    "config": "clawgate's configuration (clawgate.json, its models, providers and agents)",
    "environment": "the environment clawgate runs in (variables, .env files, SecretRefs, ports)",
    "provider_auth": "the credential clawgate sends to the provider",
    "provider_access": "the provider account: billing, quota, permissions",
    "gateway_auth": "the client's own credential for clawgate (the gateway token, a client key, a device), "
    "and what that key is allowed (scopes, limits, budget)",
    "rate_limit": "a provider rate limit or quota",
    "upstream": "the provider's service",
    "network": "the network between clawgate and the provider (DNS, TLS, proxies, timeouts)",
    "request": "the request itself (body, parameters, model name)",
    "context": "the conversation's length against the model's context window",
    "runtime": "clawgate itself, or a client that went away",
}


@dataclass(frozen=True, slots=True)
class Code:
    name: str
    owner: str
    doc: str


def _table(*rows: tuple[str, str, str]) -> dict[str, Code]:
    out: dict[str, Code] = {}
    for name, owner, doc in rows:
        assert owner in OWNERS and name not in out, name
        out[name] = Code(name, owner, doc)
    return out


CODES: dict[str, Code] = _table(
    # -- the credential clawgate sends ------------------------------------------------------------------------
    ("auth.missing_credential", "provider_auth", "No usable credential for the provider; nothing was sent."),
    ("auth.rejected", "provider_auth", "The provider rejected the credential clawgate sent."),
    (
        "auth.region_mismatch",
        "provider_auth",
        "A region- or plan-bound provider rejected the key: usually a key issued for another region or plan.",
    ),
    (
        "auth.key_malformed",
        "provider_auth",
        "The stored key is malformed (quotes, whitespace, a placeholder) and was not sent.",
    ),
    (
        "auth.pin_invalid",
        "provider_auth",
        "A credential pin (`ref@profile`) names no profile of that provider; nothing was sent.",
    ),
    ("auth.profile_invalid", "provider_auth", "A stored auth profile is malformed."),
    (
        "auth.oauth_refresh_failed",
        "provider_auth",
        "An OAuth refresh (or Copilot's token exchange) was refused before the call; the provider's words say why.",
    ),
    # -- the provider account -------------------------------------------------------------------------------
    ("access.billing", "provider_access", "The provider refused for billing: credit used up or billing off."),
    ("access.forbidden", "provider_access", "The account may not use this model, region or endpoint."),
    # -- rate limits ----------------------------------------------------------------------------------------
    ("rate_limit.exceeded", "rate_limit", "The provider rate-limited the request; waiting may be enough."),
    (
        "health.cooling",
        "rate_limit",
        "All a text says is that routes are cooling down (explain): a symptom; the first failure is the cause.",
    ),
    (
        "rate_limit.credential_limit",
        "rate_limit",
        "A provider credential is at the RPM/TPM limit clawgate keeps for it (models.providers.<id>.limits); not sent.",
    ),
    (
        "rate_limit.quota",
        "rate_limit",
        "A daily or plan quota is used up (e.g. free-models-per-day); retrying soon cannot help.",
    ),
    # -- the provider's service -----------------------------------------------------------------------------
    ("upstream.overloaded", "upstream", "The provider is overloaded or temporarily unavailable (503, 529)."),
    (
        "upstream.server_error",
        "upstream",
        "The provider had a server error, or timed the request out itself.",
    ),
    ("upstream.stream_error", "upstream", "The provider reported an error inside the stream."),
    ("upstream.stream_cut", "upstream", "The provider ended the response before it was complete."),
    ("upstream.bad_response", "upstream", "The provider's answer could not be read (not JSON, wrong shape)."),
    # -- the network ----------------------------------------------------------------------------------------
    (
        "network.timeout",
        "network",
        "The provider did not answer within a timeout (connect, first byte, idle or total).",
    ),
    (
        "network.connect",
        "network",
        "clawgate could not connect to the provider (refused, unreachable, proxy).",
    ),
    ("network.dns", "network", "The provider's host name did not resolve."),
    ("network.tls", "network", "The TLS handshake or the certificate check failed."),
    ("network.reset", "network", "The connection was reset or closed before the provider answered."),
    # -- the request ----------------------------------------------------------------------------------------
    ("request.invalid", "request", "The request is invalid: its body, a parameter or a header."),
    ("request.too_large", "request", "The request is larger than the gateway or the provider accepts."),
    ("request.not_found", "request", "No such route, resource or id."),
    (
        "request.unsupported_param",
        "request",
        "A request field (tool, content part, input item) has no equivalent in the serving provider's format; "
        "refused by name, nothing sent.",
    ),
    (
        "request.unsupported_endpoint",
        "request",
        "The serving provider offers no such endpoint (embeddings, token counting); nothing was sent.",
    ),
    (
        "request.previous_response_not_found",
        "request",
        "`previous_response_id` names a response neither clawgate nor the provider keeps (or it expired).",
    ),
    ("model.unknown", "request", "The model is not known to the provider or to the catalog."),
    ("context.exceeded", "context", "The conversation is longer than the model's context window."),
    # -- configuration --------------------------------------------------------------------------------------
    ("config.invalid_value", "config", "A config value is invalid or missing."),
    ("config.parse_error", "config", "The config file is not valid JSON5."),
    ("config.error", "config", "A configuration or state problem with no more specific code."),
    ("config.not_found", "config", "A named agent, provider, profile or file does not exist."),
    ("cli.usage", "config", "The command line asked for something that cannot be done as asked."),
    ("model.not_configured", "config", "No model is configured for the agent."),
    (
        "provider.api_mismatch",
        "config",
        "The provider does not serve the endpoint of its configured adapter (api).",
    ),
    ("import.would_overwrite", "config", "An import would overwrite existing configuration."),
    ("gateway.config_mismatch", "config", "The running gateway uses another home or config than this CLI."),
    (
        "gateway.address_differs",
        "config",
        "The running gateway listens on another address than the config says.",
    ),
    # -- the environment ------------------------------------------------------------------------------------
    ("env.unresolved_ref", "environment", "A ${VAR} or SecretRef did not resolve in clawgate's environment."),
    ("gateway.port_in_use", "environment", "The gateway's port is already in use."),
    # -- the gateway token ----------------------------------------------------------------------------------
    (
        "gateway.token_missing",
        "gateway_auth",
        "No gateway token: the request carried none, or the gateway has none configured.",
    ),
    ("gateway.token_mismatch", "gateway_auth", "The gateway token the client sent is not the gateway's."),
    (
        "gateway.locked_out",
        "gateway_auth",
        "Too many wrong gateway tokens from this address: locked out for now.",
    ),
    (
        "gateway.pairing_required",
        "gateway_auth",
        "This device is not paired with the gateway yet: its pairing request waits for `clawgate devices approve`.",
    ),
    (
        "gateway.device_token_mismatch",
        "gateway_auth",
        "A paired device sent a device token that is not the one it paired with (copied, reset or rotated).",
    ),
    ("gateway.device_revoked", "gateway_auth", "The device was revoked or rejected; it must pair again."),
    ("gateway.key_revoked", "gateway_auth", "The client key was revoked (`clawgate keys revoke`)."),
    ("gateway.key_expired", "gateway_auth", "The client key has expired."),
    (
        "gateway.scope_denied",
        "gateway_auth",
        "The client key may not use this agent, model or alias, or this endpoint (its scopes).",
    ),
    (
        "gateway.rate_limited",
        "gateway_auth",
        "The client key used up its requests or tokens per minute at the gateway (its RPM/TPM limit).",
    ),
    (
        "access.budget_exceeded",
        "gateway_auth",
        "The client key spent its budget for the period; nothing was sent to a provider.",
    ),
    (
        "ui.host_not_loopback",
        "gateway_auth",
        "Without a gateway token the control UI answers on loopback only.",
    ),
    # -- clawgate itself, and the clients' view of the gateway -------------------------------------------------
    (
        "runtime.cancelled",
        "runtime",
        "The caller went away or stopped the run; the upstream request was cancelled.",
    ),
    ("runtime.shutdown", "runtime", "The gateway shut down before the answer was complete."),
    ("runtime.interrupted", "runtime", "The gateway stopped while the run was in flight."),
    ("runtime.idle_timeout", "runtime", "A run received nothing for its idle limit (the watchdog ended it)."),
    (
        "runtime.total_timeout",
        "runtime",
        "A run went on longer than its total limit (the watchdog ended it).",
    ),
    ("runtime.internal", "runtime", "A bug in clawgate: it failed while handling the request."),
    (
        "runtime.lock_timeout",
        "runtime",
        "A file lock could not be taken in time (another clawgate holds it).",
    ),
    (
        "state.redis_unreachable",
        "runtime",
        "Redis (state.redis) does not answer: model calls go on, each process on its own state until it is back.",
    ),
    (
        "state.database_unreachable",
        "runtime",
        "PostgreSQL (state.database) does not answer: the sessions API answers 503; model calls go on.",
    ),
    # -- observability (doctor and status; never a model call's failure) ---------------------------------------
    (
        "observability.otlp_unreachable",
        "environment",
        "The OTLP endpoint (observability.otlp.endpoint) does not answer: traces are dropped; model calls go on.",
    ),
    (
        "observability.otlp_rejected",
        "config",
        "The OTLP endpoint refuses exports: a wrong path, or observability.otlp.headers it does not accept.",
    ),
    (
        "observability.export_failing",
        "environment",
        "The running gateway's trace exports fail (its last error says why): spans are dropped; calls go on.",
    ),
    ("ui.missing", "runtime", "The control UI's files are not installed."),
    ("ws.overflow", "runtime", "A WebSocket client read too slowly; events were dropped for it."),
    ("gateway.not_running", "runtime", "No gateway answers at the configured address."),
    (
        "gateway.unreachable",
        "runtime",
        "The gateway did not answer (stopped, or a network problem on the way).",
    ),
    ("gateway.disconnected", "runtime", "The connection to the gateway was lost."),
    ("gateway.not_connected", "runtime", "Not connected to a gateway yet."),
    ("gateway.stream_ended", "runtime", "The gateway's stream ended before the run finished."),
    (
        "gateway.no_sessions_api",
        "runtime",
        "The gateway at this address has no sessions API (another version?).",
    ),
    ("gateway.no_ui", "runtime", "The gateway at this address serves no control UI."),
    ("gateway.ws_protocol", "runtime", "The gateway's WebSocket sent something clawgate could not read."),
    ("gateway.ws_policy", "runtime", "The gateway closed the WebSocket for a policy reason."),
    ("gateway.error", "runtime", "The gateway answered with an error that has no code of its own."),
)


def owner_of(code: str) -> str:
    """The owner of a registered code (KeyError for an unregistered one)."""
    return CODES[code].owner
