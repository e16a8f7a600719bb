"""From `observability.*` in the config to an `Observer` (or None when metrics are off and no OTLP endpoint is
set). A broken tracing setting (an unset `${VAR}`, an unresolvable header SecretRef) never stops the gateway:
it is logged with the key at fault and the fix, and the gateway serves without traces."""

from __future__ import annotations

from typing import Any

from clawgate import logs as log
from clawgate.config.schema import SecretRef
from clawgate.config.substitution import expand
from clawgate.observability.credential_health import HealthCollector
from clawgate.observability.metrics import Metrics, multiprocess_dir
from clawgate.observability.observer import Observer
from clawgate.redaction import register_secret


class SettingError(Exception):
    def __init__(self, key: str, message: str, fix: str) -> None:
        super().__init__(f"{key}: {message}")
        self.key, self.message, self.fix = key, message, fix


def _value(snap: Any, key: str, raw: str | SecretRef, secret: bool) -> str:
    if isinstance(raw, SecretRef):
        sv = snap.secrets.resolve(raw)
        if sv.value is None:
            raise SettingError(key, f"{raw.describe()} did not resolve", "clawgate doctor")
        register_secret(sv.value)
        return str(sv.value)
    exp = expand(raw, snap.env)
    if exp.missing:
        names = ", ".join(exp.missing)
        raise SettingError(
            key,
            f"uses ${{{exp.missing[0]}}}, which is not set in clawgate's environment ({names})",
            f"echo '{exp.missing[0]}=...' >> ~/.clawgate/.env  (then restart the gateway)",
        )
    value = exp.value or ""
    if secret or exp.refs:
        register_secret(value)
    return value


def tracing_from(snap: Any) -> Any:
    """The Tracing for this config, or None (no endpoint, or a setting that cannot be used: logged)."""
    cfg = snap.config.observability
    if not cfg.otlp.endpoint:
        return None
    try:
        endpoint = _value(snap, "observability.otlp.endpoint", cfg.otlp.endpoint, secret=False)
        headers = {
            k: _value(snap, f"observability.otlp.headers.{k}", v, secret=True)
            for k, v in cfg.otlp.headers.items()
        }
    except SettingError as exc:
        log.event(
            "observability.tracing_off",
            f"traces are not exported: {exc}; next: {exc.fix}",
            level=40,
            key=exc.key,
        )
        return None
    from clawgate.observability.tracing import Tracing

    return Tracing(
        endpoint,
        headers=headers,
        timeout=cfg.otlp.timeout_seconds,
        service_name=cfg.otlp.service_name,
        sample_ratio=cfg.tracing.sample_ratio,
        capture_content=cfg.tracing.capture_content,
    )


def build(runtime: Any, *, tracing: Any = None) -> Observer | None:
    """The observer for a gateway on `runtime` (call.runtime.Runtime). `tracing` overrides the configured one
    (tests pass one with an in-memory exporter)."""
    snap = runtime.snapshot
    cfg = snap.config.observability
    metrics = None
    if cfg.metrics.enabled:
        metrics = Metrics(cfg.metrics.max_models, multiprocess_dir())
        metrics.add_collector(HealthCollector(runtime))
    tr = tracing if tracing is not None else tracing_from(snap)
    if metrics is None and tr is None:
        return None
    if tr is not None:
        log.event(
            "observability.tracing_on", f"exporting traces over OTLP to {tr.endpoint}", endpoint=tr.endpoint
        )
    return Observer(metrics, tr)


def settings_key(snap: Any) -> str:
    """What a reload compares to tell the operator that observability changes need a restart."""
    return str(snap.config.observability.model_dump())


def attach(gw: Any) -> Observer | None:
    """Observe a gateway (gateway.app.GatewayApp): its observer (also the executor's, told of every try), where
    /metrics is served, the separate listener and the span flush hooked into its start and stop."""
    rt = gw.rt
    obs = build(rt)
    gw.obs_key = settings_key(rt.snapshot)
    rt.executor.obs = obs
    gw.metrics_here = obs is not None and rt.snapshot.config.observability.metrics.listen is None
    if obs is not None:
        from clawgate.observability.endpoint import register_lifecycle

        register_lifecycle()
    return obs


def reloaded(gw: Any) -> None:
    """After a reload: observability keeps its start-up settings; say so when the config changed them."""
    if settings_key(gw.rt.snapshot) != gw.obs_key:
        log.event(
            "observability.restart_needed",
            "observability.* changed in the config; metrics and tracing keep their start-up settings until the "
            "gateway restarts (clawgate gateway restart)",
            level=30,
        )
