"""Turn pasted error text into an Explanation: read its evidence, let the one classifier decide.

Order of evidence: a clawgate error (it names its owner) → the gateway's own statements (token, missing key,
SecretRef, unknown model, cooldown) → an in-band stream error → a provider answer (status stated anywhere,
a JSON body, error type names read outside JSON) → a network failure named by errno or exception → the status
an SDK exception class stands for → the provider's message vocabulary alone. Every decision is
`clawgate.failures`'s (`classify_http`, `classify_stream_error`, `describe.classify_description`).
"""

from __future__ import annotations

import re
from typing import Any

from clawgate.catalog.presets import PRESETS_BY_ID, canonical_provider_id
from clawgate.diagnose.explain.detect import detect_provider, service_for_host
from clawgate.diagnose.explain.evidence import Evidence, gather, synthetic_body
from clawgate.diagnose.explain.model import UNKNOWN, Explanation
from clawgate.diagnose.explain.parse import MAX_TEXT, Parsed, parse
from clawgate.diagnose.explain.status import infer_status
from clawgate.failures import CODES, OWNERS, Failure
from clawgate.failures.classify import classify_http, classify_stream_error
from clawgate.failures.describe import classify_description, cooldown_reason

_NOT_API_HOSTS = ("help.", "docs.", "platform.", "www.", "console.", "learn.", "aka.")
_MISSING_KEY = re.compile(
    r"missing authentication|no auth credentials|(?:x-api-key|authorization) header is required|"
    r"didn'?t provide an api key|"
    r"no api[- ]key (?:provided|found)|unregistered caller|missing (?:api )?key|api key (?:is )?missing|"
    r"no credential",
    re.I,
)
_COOLDOWN = re.compile(r"all in cooldown|\bin cooldown\b|cooling down|\bcooldown\b", re.I)
_GENERIC = frozenset({"upstream.bad_response"})


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
        found = (h for h in p.hosts if service_for_host(h) and not h.startswith(_NOT_API_HOSTS))
        host = next(found, None)
    kw: dict[str, Any] = {
        "provider": prov or UNKNOWN,
        "api": _provider_api(prov),
        "host": host,
        "model": p.model,
    }
    prefix = text if p.body is None else text[: text.find(p.body)]
    ev = gather(text, prefix)

    out = _decide(text, p, ev, kw, prov)
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
    if out.code != "health.cooling" and _COOLDOWN.search(text):
        out.detail = (out.detail or "") + "+cooldown"
    if out.code == "health.cooling":
        reason = cooldown_reason(text)
        out.detail = f"reason={reason}" if reason else None
    if prov and prov_from == "text":
        out.evidence.append(f"provider {prov} from the text")
    return out


def _decide(text: str, p: Parsed, ev: Evidence, kw: dict[str, Any], prov: str | None) -> Explanation | None:
    cg = _clawgate_error(p.obj)
    if cg is not None:
        return _from_clawgate_error(cg, prov, "a clawgate error object")
    if ev.clawgate and ev.clawgate[0] in OWNERS and ev.clawgate[1] in CODES:
        owner, code = ev.clawgate
        return Explanation(
            owner=owner,
            code=code,
            message=f"A clawgate error ({code}) quoted in the text.",
            provider=prov,
            via="clawgate error",
            confidence="high",
            evidence=[f"clawgate's own owner {owner} and code {code} in the quoted body"],
        )
    local = classify_description(
        text, provider=kw["provider"], host=kw["host"], model=kw["model"], stage="gateway"
    )
    if local is not None:
        f, phrase = local
        return _from_failure(
            f, f"gateway statement {phrase!r}", None, "high", [f"the gateway's words {phrase!r}"]
        )
    for event, obj in p.sse:
        f2 = classify_stream_error(obj, event=event, **kw)
        if f2 is not None:
            return _from_failure(f2, "stream error", None, "high", ["an in-band error event in the stream"])
    network = classify_description(
        text, provider=kw["provider"], host=kw["host"], model=kw["model"], stage="network"
    )
    provider_answer = p.body is not None or ev.status is not None or bool(ev.labels)
    if provider_answer and not (
        network is not None and ev.status is None and p.body is None and not ev.labels
    ):
        out = _from_provider(p, ev, kw, text)
        if out is not None and not (out.code in _GENERIC and network is not None):
            return out
    if network is not None:
        f, phrase = network
        return _from_failure(
            f, f"network failure {phrase!r}", None, "medium", [f"the network failure {phrase!r}"]
        )
    symptom = classify_description(
        text, provider=kw["provider"], host=kw["host"], model=kw["model"], stage="symptom"
    )
    if symptom is not None:
        f, phrase = symptom
        return _from_failure(f, f"symptom {phrase!r}", None, "medium", [f"the symptom {phrase!r}"])
    if ev.implied_status is not None:
        body = synthetic_body(ev, text) or text
        f = classify_http(ev.implied_status, {}, body, **kw)
        reads = [f"status {ev.implied_status} implied by the SDK exception {ev.exc_class}"]
        return _from_failure(f, "SDK exception", ev.implied_status, "medium", reads)
    f = classify_http(None, {}, synthetic_body(ev, text) or text, **kw)  # type: ignore[arg-type]
    if f.code not in _GENERIC:
        return _from_failure(
            f,
            "provider message",
            None,
            "low",
            ["only the provider's message vocabulary: no status, no error type (a guess)"],
        )
    return None


def _from_provider(p: Parsed, ev: Evidence, kw: dict[str, Any], text: str) -> Explanation | None:
    """A provider's own answer (status stated anywhere, a body, type names) through `classify_http`."""
    reads: list[str] = []
    status = ev.status
    if status is not None:
        reads.append(f"HTTP status {status} ({ev.status_read})")
    if p.body is not None and p.status is not None and 200 <= p.status < 300 and p.obj is not None:
        f0 = classify_stream_error(p.obj, event=None, **kw)
        if f0 is not None:
            return _from_failure(f0, "in-band error", p.status, "high", ["an error inside a 2xx body"])
    body = p.body
    if body is None:
        body = synthetic_body(ev, text)
        if ev.labels:
            reads.append("error type " + ", ".join(dict.fromkeys(ev.labels)))
    else:
        reads.append("the provider's error body")
        if ev.labels:
            reads.append("error type " + ", ".join(dict.fromkeys(ev.labels)))
    if status is None:
        inferred = infer_status(p) if p.body is not None else None
        if inferred is not None:
            status = inferred
            reads.append(f"status {inferred} inferred from the body")
        elif ev.implied_status is not None:
            status = ev.implied_status
            reads.append(f"status {status} implied by the SDK exception {ev.exc_class}")
    if body is None:
        line_end = text.find("\n", p.status_end)
        body = text[p.status_end : line_end if line_end >= 0 else len(text)].strip(" \t:-") or text
    f = classify_http(status, {}, body, **kw)  # type: ignore[arg-type]
    typed = bool(f.provider_type) or bool(ev.labels)
    conf = (
        "high" if ev.status is not None and typed else "medium" if (ev.status is not None or typed) else "low"
    )
    via = "provider error body" if p.body is not None else "status line" if ev.status else "error type"
    if p.body is not None and ev.status is None:
        via += " (status inferred)"
    return _from_failure(f, via, status, conf, reads)


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


def _from_clawgate_error(cg: dict[str, Any], prov: str | None, read: str) -> Explanation:
    nxt = cg.get("next_steps") or cg.get("next") or []
    return Explanation(
        owner=cg["owner"],
        code=cg["code"],
        message=str(cg.get("message") or cg["code"]),
        provider=cg.get("provider") or (cg.get("subject") or {}).get("provider") or prov,
        via="clawgate error",
        next_steps=[nxt] if isinstance(nxt, str) else [str(n) for n in nxt],
        confidence="high",
        evidence=[read],
    )


def _provider_api(provider: str | None) -> str:
    preset = PRESETS_BY_ID.get(provider or "")
    return preset.api if preset else "openai-completions"


def _from_failure(f: Failure, via: str, status: int | None, confidence: str, reads: list[str]) -> Explanation:
    # a body pasted without its status line: say so instead of "HTTP None"
    msg = re.sub(
        r"\(HTTP None(?: ([^,):]+))?",
        lambda m: f"({m.group(1) + ', ' if m.group(1) else ''}no HTTP status given",
        f.message,
    )
    if msg.startswith(UNKNOWN):
        msg = "The provider" + msg[len(UNKNOWN) :]
    if confidence == "low":
        msg += " (A guess: paste the whole error, with its HTTP status and body, for a sure answer.)"
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
        confidence=confidence,
        evidence=reads,
    )
