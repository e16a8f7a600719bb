"""From `observability.*` in the config to an `Observer` (or None when metrics are off and no OTLP endpoint is
set). A broken tracing setting (an unset `${VAR}`, an unresolvable header SecretRef) never stops the gateway:
it is logged with the key at fault and the fix, and the gateway serves without traces."""

from __future__ import annotations

from typing import Any

from clawgate import logs as log
from clawgate.config.schema import SecretRef
from clawgate.config.substitution import expand
from clawgate.envsteps import set_var
from clawgate.observability.credential_health import HealthCollector
from clawgate.observability.metrics import Metrics, multiprocess_dir
from clawgate.observability.observer import Observer
from clawgate.redaction import mask_url, register_secret


class SettingError(Exception):
    """An observability setting that cannot be used: the key, why, the fix (prose), the ${VAR} it lacks."""

    def __init__(self, key: str, message: str, fix: str, var: str | None = None) -> None:
        super().__init__(f"{key}: {message}")
        self.key, self.message, self.fix, self.var = key, message, fix, var


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
            f"{set_var(exp.missing[0])}   # then restart the gateway",
            var=exp.missing[0],
        )
    value = exp.value or ""
    if secret or exp.refs:
        register_secret(value)
    return value


def otlp_settings(snap: Any) -> tuple[str, dict[str, str]]:
    """The configured OTLP endpoint and headers, resolved (`${VAR}`s, SecretRefs); SettingError names the key
    that cannot be used. The gateway and doctor's check resolve them the same way."""
    cfg = snap.config.observability.otlp
    assert cfg.endpoint is not None
    endpoint = _value(snap, "observability.otlp.endpoint", cfg.endpoint, secret=False)
    headers = {
        k: _value(snap, f"observability.otlp.headers.{k}", v, secret=True) for k, v in cfg.headers.items()
    }
    return endpoint, headers


def tracing_from(snap: Any, problems: list[SettingError] | None = None) -> Any:
    """The Tracing for this config, or None (no endpoint, or a setting that cannot be used: logged, and added
    to `problems`)."""
    cfg = snap.config.observability
    if not cfg.otlp.endpoint:
        return None
    try:
        endpoint, headers = otlp_settings(snap)
    except SettingError as exc:
        log.event(
            "observability.tracing_off",
            f"traces are not exported: {exc}; next: {exc.fix}",
            level=40,
            key=exc.key,
        )
        if problems is not None:
            problems.append(exc)
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


def build(
    runtime: Any, *, tracing: Any = None, problems: list[SettingError] | None = None
) -> Observer | None:
    """The observer for a gateway on `runtime` (call.runtime.Runtime). `tracing` overrides the configured one
    (tests pass one with an in-memory exporter); a tracing setting that cannot be used goes to `problems`."""
    snap = runtime.snapshot
    cfg = snap.config.observability
    metrics = None
    if cfg.metrics.enabled:
        metrics = Metrics(cfg.metrics.max_models, multiprocess_dir())
        metrics.add_collector(HealthCollector(runtime))
    tr = tracing if tracing is not None else tracing_from(snap, problems)
    if metrics is None and tr is None:
        return None
    if tr is not None:
        log.event(
            "observability.tracing_on",
            f"exporting traces over OTLP to {mask_url(tr.endpoint)}",
            endpoint=mask_url(tr.endpoint),
        )
    return Observer(metrics, tr)


def settings_key(snap: Any) -> str:
    """What a reload compares to tell the operator that observability changes need a restart."""
    return str(snap.config.observability.model_dump())


def attach(gw: Any) -> Observer | None:
    """Observe a gateway (gateway.app.GatewayApp): its observer (also the executor's, told of every try), where
    /metrics is served, the separate listener and the span flush hooked into its start and stop."""
    rt = gw.rt
    problems: list[SettingError] = []
    obs = build(rt, problems=problems)
    gw.obs_problem = problems[0] if problems else None  # for the status: why traces are off
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
