"""Observability as a person sees it: where `/metrics` is served, where traces go and whether exporting them
works (`status_view`, in `/api/status`; `clawgate status` prints it), and doctor's findings about the OTLP
endpoint — from a direct check of the configured one (`check_otlp`: `observability.otlp_unreachable`,
`observability.otlp_rejected`) and from what the running gateway's exporter reported
(`reported_findings`: `observability.export_failing`). URLs are shown with any password masked."""

from __future__ import annotations

import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlsplit

from clawgate.redaction import mask_url, redact

_UNSET = "clawgate config unset observability.otlp.endpoint"
_SET = "clawgate config set observability.otlp.endpoint <OTLP_URL>"
_HINT = (
    "<OTLP_URL> is your collector's OTLP/HTTP address, e.g. http://127.0.0.1:4318 (clawgate adds /v1/traces); "
    "`config unset` stops exporting traces instead; restart the gateway after either: clawgate gateway restart"
)


def status_view(gw: Any) -> dict[str, Any]:
    """`observability` in /api/status: the metrics endpoint and the trace export of this gateway process."""
    rt = gw.rt
    cfg = rt.snapshot.config.observability
    obs = gw.obs
    metrics = obs.metrics if obs is not None else None
    m: dict[str, Any] = {"enabled": metrics is not None}
    if metrics is not None:
        listen = cfg.metrics.listen
        from clawgate.observability.endpoint import PATH, listening

        m.update(
            url=f"http://{listen}{PATH}" if listen else f"{gw.address}{PATH}",
            own_listener=bool(listen),
            listening=listening(gw) if listen else True,
            token_required=cfg.metrics.require_token,
            workers_share=bool(metrics.mp_dir),  # every worker's /metrics adds up all of them
            credential_health="shared" if rt.health_share is not None else "this process",
        )
    tr = obs.tracing if obs is not None else None
    t: dict[str, Any] = {"configured": mask_url(cfg.otlp.endpoint) if cfg.otlp.endpoint else None}
    problem = getattr(gw, "obs_problem", None)
    if tr is not None:
        t.update(
            endpoint=mask_url(tr.endpoint),
            sample_ratio=tr.sample_ratio,
            capture_content=tr.capture_content,
            service_name=tr.service_name,
            **tr.export.status(),
        )
    elif problem is not None:
        t.update(endpoint=None, state="not_started", error=f"{problem.key}: {problem.message}")
    else:
        t.update(endpoint=None, state="off")
    from clawgate.observability.setup import settings_key

    # observability.* edited since the start: the running settings stay until a restart
    restart = settings_key(rt.snapshot) != getattr(gw, "obs_key", None)
    return {"metrics": m, "otlp": t, "restart_needed": restart}


def configured_view(snap: Any, gateway_url: str) -> dict[str, Any]:
    """What the config says, for a status taken while no gateway runs (nothing is exported then)."""
    cfg = snap.config.observability
    from clawgate.observability.endpoint import PATH

    m: dict[str, Any] = {"enabled": cfg.metrics.enabled}
    if cfg.metrics.enabled:
        listen = cfg.metrics.listen
        m.update(
            url=f"http://{listen}{PATH}" if listen else f"{gateway_url}{PATH}",
            own_listener=bool(listen),
            token_required=cfg.metrics.require_token,
        )
    endpoint = mask_url(cfg.otlp.endpoint) if cfg.otlp.endpoint else None
    return {
        "metrics": m,
        "otlp": {"configured": endpoint, "endpoint": None, "state": "not_running" if endpoint else "off"},
    }


def _finding(code: str, severity: str, owner: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"code": code, "severity": severity, "owner": owner, "message": message, **extra}


def check_otlp(snap: Any, timeout: float = 2.0) -> list[dict[str, Any]]:
    """Send the configured endpoint an empty OTLP export (a valid request with no spans), as the gateway's
    exporter would, with its headers; directly, through no proxy. Nothing when no endpoint is set or it
    answers 2xx."""
    cfg = snap.config.observability.otlp
    if not cfg.endpoint:
        return []
    from clawgate.observability.setup import SettingError, otlp_settings
    from clawgate.observability.tracing import traces_url

    try:
        endpoint, headers = otlp_settings(snap)
    except SettingError as exc:
        return [
            _finding(
                "env.unresolved_ref",
                "error",
                "environment",
                f"{exc.key} {exc.message}: the gateway exports no traces",
                subject={"key": exc.key},
                next=[f"clawgate env set {exc.var}" if exc.var else "clawgate env", _UNSET],
                hint="then restart the gateway: clawgate gateway restart",
            )
        ]
    url = traces_url(endpoint)
    shown = mask_url(url)
    host = urlsplit(url).netloc.rsplit("@", 1)[-1]
    subject = {"key": "observability.otlp.endpoint", "endpoint": shown}
    req = urllib.request.Request(
        url, data=b"", method="POST", headers={**headers, "Content-Type": "application/x-protobuf"}
    )
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(req, timeout=timeout) as resp:
            resp.read(512)
        return []
    except urllib.error.HTTPError as exc:
        body = redact(exc.read(300).decode("utf-8", "replace")).strip()
        return [
            _finding(
                "observability.otlp_rejected",
                "warn",
                "config",
                f"the OTLP endpoint {shown} (observability.otlp.endpoint) answered an export with "
                f"{exc.code} {exc.reason}{': ' + body[:160] if body else ''}; the gateway's traces are refused "
                "(a wrong path, or headers/credentials in observability.otlp.headers it does not accept)",
                subject=subject,
                evidence={"status": exc.code, "url": shown},
                next=[_SET, _UNSET],
                hint=_HINT,
            )
        ]
    except OSError as exc:  # URLError (connection refused, DNS), a timeout, a reset
        reason = getattr(exc, "reason", exc)
        why = "no answer in time" if isinstance(reason, TimeoutError) else str(reason)
        return [
            _finding(
                "observability.otlp_unreachable",
                "warn",
                "environment",
                f"the OTLP endpoint {shown} (observability.otlp.endpoint) does not answer ({why}): the "
                "gateway's traces are dropped until it does; model calls are not affected",
                subject=subject,
                evidence={"url": shown, "error": why},
                next=[_SET, _UNSET],
                hint=f"start the OTLP collector at {host}, or point clawgate at the right one; " + _HINT,
            )
        ]


def reported_findings(gateway_status: dict[str, Any] | None) -> list[dict[str, Any]]:
    """What the running gateway's own exporter says (its environment may differ from this CLI's: a proxy, a
    collector that refuses large batches)."""
    payload = (gateway_status or {}).get("gateway") or {}
    otlp = (payload.get("observability") or {}).get("otlp") or {}
    if otlp.get("state") != "failing":
        return []
    return [
        _finding(
            "observability.export_failing",
            "warn",
            "environment",
            f"the running gateway cannot export traces to {otlp.get('endpoint')}: {otlp.get('last_error')} "
            f"({otlp.get('failed_exports')} export(s) failed, {otlp.get('dropped_spans')} span(s) dropped); "
            "model calls are not affected",
            subject={"key": "observability.otlp.endpoint", "endpoint": otlp.get("endpoint")},
            evidence={
                k: otlp.get(k) for k in ("last_error_at", "last_ok_at", "failed_exports", "dropped_spans")
            },
            next=["clawgate logs --limit 20", _SET],
            hint=_HINT,
        )
    ]
