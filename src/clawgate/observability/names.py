"""The names clawgate exports: every metric (its OpenTelemetry name, Prometheus name, unit, buckets, labels) and
every span attribute, in one table that the metrics, the tracing, the docs and the dashboard test all read.

Metric and attribute names follow the OpenTelemetry GenAI semantic conventions (latest experimental:
`gen_ai.provider.name`, not the older `gen_ai.system`) where one exists; clawgate's own are under `clawgate.`.
The Prometheus form is the OpenTelemetry-to-Prometheus mapping: dots become underscores, the unit becomes a
suffix (`s` → `_seconds`; an annotation such as `{token}` adds none), counters end in `_total`. A label is its
attribute's name the same way (`gen_ai.provider.name` → `gen_ai_provider_name`)."""

from __future__ import annotations

from dataclasses import dataclass

# --- attributes (span attributes; as labels with dots → underscores) ---------------------------------------
OPERATION = "gen_ai.operation.name"
PROVIDER = "gen_ai.provider.name"
REQUEST_MODEL = "gen_ai.request.model"
RESPONSE_MODEL = "gen_ai.response.model"
TOKEN_TYPE = "gen_ai.token.type"
ERROR_TYPE = "error.type"  # clawgate's failure code (e.g. auth.rejected, rate_limit.exceeded)
USAGE_INPUT = "gen_ai.usage.input_tokens"  # the whole prompt, cache reads and writes included
USAGE_OUTPUT = "gen_ai.usage.output_tokens"
USAGE_CACHE_READ = "gen_ai.usage.cache_read.input_tokens"
USAGE_CACHE_CREATION = "gen_ai.usage.cache_creation.input_tokens"
INPUT_MESSAGES = "gen_ai.input.messages"  # only with observability.tracing.captureContent
OUTPUT_MESSAGES = "gen_ai.output.messages"
SYSTEM_INSTRUCTIONS = "gen_ai.system_instructions"
OWNER = "clawgate.owner"  # which layer failed: provider_auth, rate_limit, network, request, ...
FINGERPRINT = "clawgate.credential.fingerprint"  # prefix…last4#sha6, never the key
CREDENTIAL_SOURCE = "clawgate.credential.source"  # where the key came from (env:OPENAI_API_KEY, profile:…)
API = "clawgate.api"  # the wire dialect: openai-completions, openai-responses, anthropic-messages
HEALTH_STATE = "clawgate.health.state"  # ok, cooling, rejected, blocked
CLIENT_NAME = (
    "clawgate.client"  # who asked: "owner", or a client key's / device's name (operator-made, capped)
)
AGENT = "clawgate.agent"  # the configured agent a call ran for ("" for a plain model call)

# gen_ai.token.type values: input and output are the convention's; the cache ones are clawgate's (the
# convention allows custom values) and count parts of `input`, as the span attributes do
TOKEN_TYPES = ("input", "output", "cached_input", "cache_creation_input")
HEALTH_STATES = ("ok", "cooling", "rejected", "blocked")

# clawgate's provider ids → the convention's well-known gen_ai.provider.name values (others pass as they are)
PROVIDER_NAMES = {
    "gemini": "gcp.gemini",
    "google": "gcp.gemini",
    "vertex": "gcp.vertex_ai",
    "mistral": "mistral_ai",
    "moonshot": "moonshot_ai",
    "kimi": "moonshot_ai",
    "xai": "x_ai",
    "bedrock": "aws.bedrock",
    "azure": "azure.ai.openai",
}
OPERATION_NAME = "chat"  # the model endpoints (Chat Completions, Messages, Responses) are chat calls
# the auxiliary endpoints' operations, by path (gateway/app.AUX_ENDPOINTS; a test keeps the two in step) and by
# the executor's name for the call (CallRequest.endpoint, call/bodies.ENDPOINTS); count_tokens is clawgate's own
PATH_OPERATIONS = {
    "/v1/messages/count_tokens": "count_tokens",
    "/v1/embeddings": "embeddings",
    "/embeddings": "embeddings",
}
ENDPOINT_OPERATIONS = {"count_tokens": "count_tokens", "embeddings": "embeddings"}


def operation(endpoint: str | None) -> str:
    """gen_ai.operation.name of an executor call (`CallRequest.endpoint`: None for the chat call)."""
    return OPERATION_NAME if endpoint is None else ENDPOINT_OPERATIONS.get(endpoint, endpoint)


# semconv's advised bucket boundaries
TOKEN_BUCKETS = (1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864)
DURATION_BUCKETS = (0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92)
TTFT_BUCKETS = (0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0)
# the gateway's own time per request is sub-millisecond: buckets from 50 µs to 100 ms
OVERHEAD_BUCKETS = (0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1)


def label(attribute: str) -> str:
    """The Prometheus label name of an attribute."""
    return attribute.replace(".", "_")


def provider_name(provider_id: str | None) -> str:
    if not provider_id:
        return ""
    return PROVIDER_NAMES.get(provider_id, provider_id)


@dataclass(frozen=True)
class Instrument:
    otel: str  # the OpenTelemetry name
    prom: str  # the Prometheus name (without _bucket/_sum/_count)
    kind: str  # histogram | counter | gauge
    unit: str  # UCUM, as OpenTelemetry gives it
    doc: str
    attributes: tuple[str, ...]
    buckets: tuple[float, ...] = ()
    semconv: bool = False  # named by the GenAI semantic conventions (else clawgate's own)

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(label(a) for a in self.attributes)


_CLIENT = (OPERATION, PROVIDER, REQUEST_MODEL)

TOKEN_USAGE = Instrument(
    "gen_ai.client.token.usage",
    "gen_ai_client_token_usage",
    "histogram",
    "{token}",
    "Tokens used per upstream call, by token type (cached_input and cache_creation_input are parts of input).",
    (*_CLIENT, TOKEN_TYPE),
    TOKEN_BUCKETS,
    semconv=True,
)
CLIENT_DURATION = Instrument(
    "gen_ai.client.operation.duration",
    "gen_ai_client_operation_duration_seconds",
    "histogram",
    "s",
    "Duration of each upstream try (to the last byte of the answer), error.type set when it failed.",
    (*_CLIENT, ERROR_TYPE),
    DURATION_BUCKETS,
    semconv=True,
)
CLIENT_TTFC = Instrument(
    "gen_ai.client.operation.time_to_first_chunk",
    "gen_ai_client_operation_time_to_first_chunk_seconds",
    "histogram",
    "s",
    "Time from sending a streaming upstream request to its first event.",
    _CLIENT,
    TTFT_BUCKETS,
    semconv=True,
)
SERVER_DURATION = Instrument(
    "gen_ai.server.request.duration",
    "gen_ai_server_request_duration_seconds",
    "histogram",
    "s",
    "Duration of each client request to the gateway (to the last byte), error.type set when it failed.",
    (*_CLIENT, ERROR_TYPE),
    DURATION_BUCKETS,
    semconv=True,
)
SERVER_TTFT = Instrument(
    "gen_ai.server.time_to_first_token",
    "gen_ai_server_time_to_first_token_seconds",
    "histogram",
    "s",
    "Time from a streaming client request's arrival to its first event being sent.",
    _CLIENT,
    TTFT_BUCKETS,
    semconv=True,
)
OVERHEAD = Instrument(
    "clawgate.gateway.overhead",
    "clawgate_gateway_overhead_seconds",
    "histogram",
    "s",
    "The gateway's own time per request: the x-clawgate-overhead-ms header (total minus upstream waiting).",
    (API,),
    OVERHEAD_BUCKETS,
)
ACTIVE = Instrument(
    "clawgate.gateway.active_requests",
    "clawgate_gateway_active_requests",
    "gauge",
    "{request}",
    "Model requests in flight (streams count until their last byte).",
    (),
)
FAILURES = Instrument(
    "clawgate.gateway.failures",
    "clawgate_gateway_failures_total",
    "counter",
    "{request}",
    "Client requests answered with an error, by the layer that failed (owner) and clawgate's code.",
    (OWNER, ERROR_TYPE, API),
)
UPSTREAM_FAILURES = Instrument(
    "clawgate.upstream.failures",
    "clawgate_upstream_failures_total",
    "counter",
    "{try}",
    "Failed upstream tries (including ones refused before sending, e.g. a cooling credential).",
    (OWNER, ERROR_TYPE, PROVIDER),
)
FAILOVERS = Instrument(
    "clawgate.failovers",
    "clawgate_failovers_total",
    "counter",
    "{failover}",
    "Moves to the next fallback model, by the failure of the model left (owner, code, its provider).",
    (OWNER, ERROR_TYPE, PROVIDER),
)
CREDENTIAL_MOVES = Instrument(
    "clawgate.credential.moves",
    "clawgate_credential_moves_total",
    "counter",
    "{move}",
    "Moves to the next distinct credential of the same provider, by the failure of the credential left.",
    (OWNER, ERROR_TYPE, PROVIDER),
)
COOLDOWNS = Instrument(
    "clawgate.health.cooldowns",
    "clawgate_health_cooldowns_total",
    "counter",
    "{cooldown}",
    "Health windows opened (cooling, rejected, blocked) by the failure that opened them.",
    (OWNER, ERROR_TYPE, PROVIDER, HEALTH_STATE),
)
CREDENTIAL_HEALTH = Instrument(
    "clawgate.credential.health",
    "clawgate_credential_health",
    "gauge",
    "1",
    "1 for each configured credential's current health state (the worst over its models), 0 for the others.",
    (PROVIDER, FINGERPRINT, HEALTH_STATE),
)
SPEND = Instrument(
    "clawgate.spend.usd",
    "clawgate_spend_usd_total",
    "counter",
    "USD",
    "Cost of the upstream tries from the catalog's prices (models[].cost, cache tokens included), by who asked, "
    "agent, provider and model; spend per day is increase(...[1d]).",
    (CLIENT_NAME, AGENT, PROVIDER, REQUEST_MODEL),
)
BUILD_INFO = Instrument(
    "clawgate.build.info",
    "clawgate_build_info",
    "gauge",
    "1",
    "Always 1; the version is a label.",
    ("clawgate.version",),
)

INSTRUMENTS = (
    TOKEN_USAGE,
    CLIENT_DURATION,
    CLIENT_TTFC,
    SERVER_DURATION,
    SERVER_TTFT,
    OVERHEAD,
    ACTIVE,
    FAILURES,
    UPSTREAM_FAILURES,
    FAILOVERS,
    CREDENTIAL_MOVES,
    COOLDOWNS,
    CREDENTIAL_HEALTH,
    SPEND,
    BUILD_INFO,
)
