"""Offline findings about an attempt's base URL and adapter: not http(s), an endpoint path appended, a known
host (any preset's, whatever the provider id) with a path it does not serve or over http, no /v1 on an unknown
OpenAI-compatible server, and an adapter the host does not speak."""

from __future__ import annotations

from urllib.parse import urlsplit

from clawgate.diagnose.findings import Finding
from clawgate.diagnose.hosts import known_hosts
from clawgate.plan.types import Attempt
from clawgate.redaction import mask_url


def base_url_findings(att: Attempt, subj: dict) -> list[Finding]:
    url = att.base_url
    if not url:
        return []
    out: list[Finding] = []
    parts = urlsplit(url)
    path = parts.path.rstrip("/")
    host = parts.hostname or ""
    preset = att.view.preset if att.view else None
    fix = f"clawgate config set models.providers.{att.provider}.baseUrl "
    problems: list[tuple[str, str, str | None]] = []  # (severity, message, suggested)
    if parts.scheme not in ("http", "https") or not host:
        problems.append(
            ("error", f"baseUrl {mask_url(url)!r} is not an http(s) URL", preset.base_url if preset else None)
        )
    for suffix in ("/chat/completions", "/responses", "/messages", "/completions"):
        if path.endswith(suffix):
            problems.append(
                (
                    "error",
                    f"baseUrl ends with {suffix!r}: clawgate appends the endpoint itself",
                    url[: url.rstrip("/").rfind(suffix)],
                )
            )
            break
    known = known_hosts(host) if host and not problems else []
    if known:
        same_path = [k for k in known if urlsplit(k.base_url).path.rstrip("/") == path]
        if not same_path:
            best = next((k for k in known if k.apis and att.api in k.apis), known[0])
            problems.append(
                (
                    "error",
                    f"{host} is a known {best.label} host but the path {path or '/'!r} is not "
                    f"one it serves (expected {urlsplit(best.base_url).path or '/'})",
                    best.base_url,
                )
            )
        if parts.scheme == "http":
            problems.append(
                ("error", f"{host} is served over https, not http", url.replace("http://", "https://", 1))
            )
    if not preset and not known and not problems and att.api.startswith("openai") and path in ("",):
        problems.append(
            (
                "warn",
                f"baseUrl {mask_url(url)!r} has no path; OpenAI-compatible servers usually live under /v1",
                url.rstrip("/") + "/v1",
            )
        )
    for sev, msg, suggested in problems:
        out.append(
            Finding(
                "provider.base_url_suspect",
                f"{att.provider}: {msg}",
                severity=sev,
                subject={"provider": att.provider},
                evidence={"base_url": mask_url(url), "from": att.base_url_from},
                next_steps=[fix + (suggested if suggested else "<BASE_URL>")],
                hint=""
                if suggested
                else "<BASE_URL>: the provider's OpenAI-compatible base URL, e.g. https://HOST/v1",
            )
        )
    apis = att.host.apis if att.host else (preset.apis if preset else None)
    served = [k for k in known if urlsplit(k.base_url).path.rstrip("/") == path]
    if apis is None and served:
        apis = served[0].apis
    if apis and (att.api_kind or att.api) not in apis:
        where = (
            f"{att.host.label} host {att.host.base_url}"
            if att.host
            else f"the {served[0].label} host {served[0].base_url}"
            if served and not preset
            else att.provider
        )
        out.append(
            Finding(
                "provider.api_mismatch",
                f"{att.provider}: adapter {att.api_kind or att.api!r} ({att.api_from}) is not served by {where} "
                f"(it serves {', '.join(apis)})",
                subject={"provider": att.provider},
                next_steps=[f"clawgate config set models.providers.{att.provider}.api {apis[0]}"],
            )
        )
    return out
