"""Observability: Prometheus metrics (`GET /metrics`) and OpenTelemetry traces (OTLP), named by the GenAI
semantic conventions, with what only clawgate knows — the owner of every failure and each credential's health.

    names.py              every metric and attribute name, unit, bucket set and label (one table)
    metrics.py            prometheus_client instruments, cached label children, multi-worker mode
    credential_health.py  the per-credential health gauge, computed at scrape time
    tracing.py            OpenTelemetry SDK spans, W3C traceparent, the OTLP/HTTP exporter
    content.py            opt-in message content on spans (redacted)
    observer.py           the calls the request path makes (gateway: request start/parsed/finished/done;
                          executor: try finished, failover, next credential, cooldown)
    endpoint.py           /metrics on the gateway's address or a listener of its own
    setup.py              config → Observer (or None when everything is off)

Read docs/observability.md for the names, the PromQL, the dashboard and the costs."""
