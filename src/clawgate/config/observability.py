"""`observability.*`: the Prometheus endpoint (`metrics`), where traces go (`otlp`) and what spans carry
(`tracing`). See docs/observability.md."""

from __future__ import annotations

import re

from pydantic import Field, field_validator

from clawgate.config.base import SecretInput, Strict


class MetricsConfig(Strict):
    """`observability.metrics`: the Prometheus endpoint (docs/observability.md)."""

    enabled: bool = True
    # None: GET /metrics on the gateway's own address; "HOST:PORT": a listener of its own for it
    listen: str | None = None
    # the gateway token is required (as for /api/status) unless this is false; loopback is exempt when
    # gateway.auth.exemptLoopback is (the default)
    require_token: bool = True
    # distinct model names kept as label values per metric; later ones are counted as "_other"
    max_models: int = Field(default=200, gt=0, le=10_000)

    @field_validator("listen")
    @classmethod
    def _host_port(cls, v: str | None) -> str | None:
        if v is None:
            return v
        host, sep, port = v.rpartition(":")
        if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError(f"listen must be HOST:PORT (e.g. 127.0.0.1:9464), not {v!r}")
        return v


class OtlpConfig(Strict):
    """`observability.otlp`: where traces go (OTLP over HTTP/protobuf); unset endpoint = tracing off."""

    endpoint: str | None = (
        None  # e.g. http://127.0.0.1:4318 (/v1/traces is added) or a full .../v1/traces URL
    )
    headers: dict[str, SecretInput] = Field(default_factory=dict)  # e.g. an API key for a hosted backend
    timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    service_name: str = Field(default="clawgate", min_length=1)

    @field_validator("endpoint")
    @classmethod
    def _url(cls, v: str | None) -> str | None:
        if v is not None and "${" not in v and not re.match(r"^https?://[^/\s]+", v):
            raise ValueError(f"endpoint must be an http:// or https:// URL, not {v!r}")
        return v


class TracingConfig(Strict):
    """`observability.tracing`: what spans carry."""

    sample_ratio: float = Field(
        default=1.0, ge=0, le=1
    )  # of new traces; a client's traceparent decides its own
    capture_content: bool = False  # message content on spans (gen_ai.input/output.messages): opt-in


class ObservabilityConfig(Strict):
    metrics: MetricsConfig = Field(default_factory=MetricsConfig)
    otlp: OtlpConfig = Field(default_factory=OtlpConfig)
    tracing: TracingConfig = Field(default_factory=TracingConfig)
