"""Turn pasted error text into an Explanation: clawgate errors, provider bodies via the one classifier, phrases."""

from __future__ import annotations

import re
from typing import Any

from clawgate.catalog.presets import PRESETS_BY_ID, canonical_provider_id
from clawgate.diagnose.explain.detect import detect_provider, preset_for_host
from clawgate.diagnose.explain.model import UNKNOWN, Explanation
from clawgate.diagnose.explain.parse import MAX_TEXT, Parsed, parse
from clawgate.diagnose.explain.phrases import cooldown_reason, explain_phrase, mentions_cooldown
from clawgate.diagnose.explain.status import infer_status
from clawgate.failures import OWNERS, Failure
from clawgate.failures.classify import classify_http, classify_stream_error

_NOT_API_HOSTS = ("help.", "docs.", "platform.", "www.", "console.")  # links in messages, not where calls go
_MISSING_KEY = re.compile(
    r"missing authentication|no auth credentials|(?:x-api-key|authorization) header is required|"
    r"didn'?t provide an api key|"
    r"no api[- ]key (?:provided|found)|unregistered caller|missing (?:api )?key|api key (?:is )?missing|"
    r"no credential",
    re.I,
)


def classify_text(text: str, provider: str | None = None, host: str | None = None) -> Explanation | None:
    """Classify pasted error text without looking at any local setup; None when nothing matched.

    `provider` and `host` override what the text says (`--provider`, or the local setup's base URL).
    """
    text = (text or "").strip()[:MAX_TEXT]
    if not text:
        return None
    p = parse(text)
    prov = canonical_provider_id(provider) if provider else detect_provider(text, p)
    prov_from = "--provider" if provider else ("text" if prov else None)
    if host is None:
        found = (h for h in p.hosts if preset_for_host(h) and not h.startswith(_NOT_API_HOSTS))
        host = next(found, None)
    kw: dict[str, Any] = {
        "provider": prov or UNKNOWN,
        "api": _provider_api(prov),
        "host": host,
        "model": p.model,
    }

    cg = _clawgate_error(p.obj)
    out: Explanation | None
    if cg is not None:
        out = _from_clawgate_error(cg, prov)
        if cg.get("provider"):
            prov_from = "text"
    else:
        out = (
            explain_phrase(text, strong=True, prov=prov)
            or _from_provider_error(p, kw)
            or explain_phrase(text, strong=False, prov=prov)
        )
    if out is None:
        return None
    if out.provider is None and prov:
        out.provider = prov
    out.provider_from = prov_from if out.provider else None
    if out.host is None:
        out.host = host
    if out.owner == "provider_auth":
        out.detail = (
            "missing" if (_MISSING_KEY.search(text) or out.code == "auth.missing_credential") else "rejected"
        )
    if out.code != "health.cooling" and mentions_cooldown(text):
        out.detail = (out.detail or "") + "+cooldown"
    if out.code == "health.cooling":
        reason = cooldown_reason(text)
        out.detail = f"reason={reason}" if reason else None
    return out


def _from_provider_error(p: Parsed, kw: dict[str, Any]) -> Explanation | None:
    """A provider's own error (stream event, body or status line) through `clawgate.failures.classify`."""
    for event, obj in p.sse:
        f = classify_stream_error(obj, event=event, **kw)
        if f is not None:
            return _from_failure(f, "stream error", None)
    if p.body is not None:
        if p.status is not None and 200 <= p.status < 300 and p.obj is not None:
            f2 = classify_stream_error(p.obj, event=None, **kw)
            if f2 is not None:
                return _from_failure(f2, "in-band error", p.status)
        status = p.status if p.status is not None else infer_status(p)
        f = classify_http(status, {}, p.body, **kw)  # type: ignore[arg-type]
        via = "provider error body" + ("" if p.status is not None else " (status inferred)")
        return _from_failure(f, via, status)
    if p.status is not None and p.status >= 400:
        line_end = p.text.find("\n", p.status_end)
        rest = p.text[p.status_end : line_end if line_end >= 0 else len(p.text)].strip(" \t:-")
        f = classify_http(p.status, {}, rest, **kw)
        return _from_failure(f, "status line", p.status)
    return None


def _clawgate_error(obj: Any) -> dict[str, Any] | None:
    """A clawgate error object (gateway envelope, CLI error, Failure or doctor finding) — it names its owner."""
    if not isinstance(obj, dict):
        return None
    for cand in (obj.get("error"), obj):
        if isinstance(cand, dict) and cand.get("owner") in OWNERS and isinstance(cand.get("code"), str):
            return cand
    findings = obj.get("findings")
    if isinstance(findings, list):
        for f in findings:
            if isinstance(f, dict) and f.get("owner") in OWNERS and f.get("severity") in ("error", "warn"):
                return f
    return None


def _from_clawgate_error(cg: dict[str, Any], prov: str | None) -> Explanation:
    nxt = cg.get("next_steps") or cg.get("next") or []
    return Explanation(
        owner=cg["owner"],
        code=cg["code"],
        message=str(cg.get("message") or cg["code"]),
        provider=cg.get("provider") or (cg.get("subject") or {}).get("provider") or prov,
        via="clawgate error",
        next_steps=[nxt] if isinstance(nxt, str) else [str(n) for n in nxt],
    )


def _provider_api(provider: str | None) -> str:
    preset = PRESETS_BY_ID.get(provider or "")
    return preset.api if preset else "openai-completions"


def _from_failure(f: Failure, via: str, status: int | None) -> Explanation:
    # a body pasted without its status line: say so instead of "HTTP None"
    msg = re.sub(
        r"\(HTTP None(?: ([^,):]+))?",
        lambda m: f"({m.group(1) + ', ' if m.group(1) else ''}no HTTP status given",
        f.message,
    )
    if msg.startswith(UNKNOWN):
        msg = "The provider" + msg[len(UNKNOWN) :]
    return Explanation(
        owner=f.owner,
        code=f.code,
        message=msg,
        provider=None if f.provider == UNKNOWN else f.provider,
        status=status,
        via=via,
        host=f.host,
        model=f.model,
        next_steps=list(f.next_steps),
    )
