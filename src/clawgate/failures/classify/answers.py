"""Provider answers → Failure: a non-2xx HTTP response (`classify_http`) or an in-band error inside a 200 stream
or body (`classify_stream_error`). The body's facts come from `body`, the code from the decision `table`, retry
facts from `retry`, the next commands from `steps`; this module writes the one-line message around them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from clawgate.failures.classify.body import PROVIDER_MESSAGE_MAX, WS_RE, ErrorInfo, info_from_obj, parse_body
from clawgate.failures.classify.families import family, region_hint
from clawgate.failures.classify.retry import (
    lower_headers,
    parse_retry_after,
    retry_from_ratelimit_headers,
    retry_from_text,
    should_retry,
)
from clawgate.failures.classify.steps import next_steps
from clawgate.failures.classify.table import decide
from clawgate.failures.failure import Failure, failure, seconds
from clawgate.redaction import REDACTOR

SNIPPET_MAX = 200  # how much of the provider's message our own one-line message quotes


def who(provider: str, host: str | None) -> str:
    """`provider (host)`, or the provider alone when the host says nothing more."""
    return f"{provider} ({host})" if host and host != provider else provider


def clean(text: str | None, limit: int) -> str | None:
    """Redacted and cut to `limit` characters (with an ellipsis)."""
    if not text:
        return None
    text = REDACTOR.redact(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def snippet(text: str | None) -> str | None:
    """One redacted line of at most SNIPPET_MAX characters."""
    if not text:
        return None
    return clean(WS_RE.sub(" ", text).strip(), SNIPPET_MAX)


def make(
    code: str,
    message: str,
    *,
    provider: str,
    host: str | None,
    model: str | None,
    retryable: bool | None = None,
    **kw: Any,
) -> Failure:
    """A Failure from `provider` with the registry's owner and policy and the code's next commands."""
    f = failure(code, message, retryable=retryable, provider=provider, host=host, model=model, **kw)
    f.next_steps = next_steps(code, provider, host=host, model=model, retry_after=f.retry_after)
    return f


def _from_info(
    info: ErrorInfo,
    status: int | None,
    h: dict[str, str],
    *,
    provider: str,
    api: str,
    host: str | None,
    model: str | None,
    in_band: bool,
    key_mismatch: bool = False,
) -> Failure:
    fam = family(provider, host)
    pseudo = info.num if in_band and info.num is not None and 400 <= info.num < 600 else None
    v = decide(status if not in_band else pseudo, info, fam, api, in_band=in_band, key_mismatch=key_mismatch)
    code = v.code
    ptype = info.label()

    # Why: the provider's type and a quote of its message (redacted, one line).
    if in_band:
        where = f"in-stream error {ptype}" if ptype else "in-stream error"
    else:
        where = f"HTTP {status} {ptype}" if ptype and ptype != str(status) else f"HTTP {status}"
        if info.empty:
            where += ", empty body"
        elif info.html:
            where += ", HTML body, likely from a proxy in front of the provider"
    quote = snippet(info.message)
    parts = [f"{who(provider, host)} {v.what} ({where})" + (f": {quote}" if quote else "")]
    if code == "model.unknown" and model:
        parts[0] = parts[0].replace("the requested model", f"the model {model!r}", 1)
    if v.extra:
        parts.append(v.extra)
    if code in ("auth.rejected", "auth.region_mismatch"):
        hint = region_hint(provider, host)
        if hint:
            parts.append(hint)

    retry_after: float | None = None
    if code in ("rate_limit.exceeded", "upstream.overloaded", "upstream.server_error", "access.billing"):
        retry_after = parse_retry_after(h)
        if retry_after is None and code != "access.billing":
            retry_after = (
                info.retry_delay
                if info.retry_delay is not None
                else retry_from_text(info.message) or retry_from_ratelimit_headers(h)
            )
    if code == "rate_limit.exceeded" and retry_after is not None and v.retryable is not False:
        parts.append(f"Retry after {seconds(retry_after)}s.")

    retryable = v.retryable
    should = should_retry(h)
    if should is not None and not in_band:
        retryable = should

    message = " ".join(p if p.endswith((".", "…", "?", "!")) else p + "." for p in parts)
    f = make(
        code,
        message,
        provider=provider,
        host=host,
        model=model,
        retryable=retryable,
        retry_after=retry_after,
        status=None if in_band else status,
        provider_message=clean(info.message, PROVIDER_MESSAGE_MAX),
        provider_type=ptype,
        request_id=info.request_id or h.get("x-request-id") or h.get("request-id"),
        should_retry_header=should,
    )
    if code == "provider.api_mismatch" and api == "openai-completions":
        f.next_steps = [  # the adapter is already the common one: point at the base URL, not the adapter
            f"clawgate doctor   # checks {provider}'s baseUrl against every known host",
            f"clawgate config get models.providers.{provider}.baseUrl",
        ]
    return f


def classify_http(
    status: int,
    headers: Mapping[str, str] | None,
    body: bytes | str | None,
    *,
    provider: str,
    api: str,
    host: str | None = None,
    model: str | None = None,
    key_mismatch: bool = False,
) -> Failure:
    """Classify a non-2xx upstream response (status, headers in any case, raw body) into a Failure.
    `key_mismatch`: the key sent has the shape of another provider's or host's key (the plan's check)."""
    h = lower_headers(headers)
    try:
        info = parse_body(body)
    except Exception:  # never let a malformed body break error handling
        info = ErrorInfo()
    return _from_info(
        info,
        status,
        h,
        provider=provider,
        api=api,
        host=host,
        model=model,
        in_band=False,
        key_mismatch=key_mismatch,
    )


def classify_stream_error(
    obj: dict[str, Any] | list[Any],
    *,
    event: str | None,
    provider: str,
    api: str,
    host: str | None = None,
    model: str | None = None,
) -> Failure | None:
    """A Failure when a parsed SSE `data` object (with its `event:` name) is an in-band error, else None.

    Cheap on the normal path: a few dict lookups per chunk.
    """
    if type(obj) is list:
        obj = next((x for x in obj if isinstance(x, dict)), None)  # type: ignore[assignment]
        if obj is None or "error" not in obj:
            return None
    if not isinstance(obj, dict):
        if event != "error":
            return None
        info = ErrorInfo(message=str(obj) if obj else None)
    else:
        err = obj.get("error")
        kind = obj.get("type")
        if (err is not None and err != "" and err is not False) or kind == "error" or event == "error":
            info = info_from_obj(obj)
        elif kind == "response.failed" or event == "response.failed":
            resp = obj.get("response")
            e = resp.get("error") if isinstance(resp, dict) else None
            info = info_from_obj({"error": e}) if isinstance(e, dict) else ErrorInfo()
            if not info.message:
                info.message = "the response failed"
        else:
            choices = obj.get("choices")
            if not choices or type(choices) is not list:
                return None
            for choice in choices:
                if isinstance(choice, dict) and choice.get("finish_reason") == "error":
                    e = choice.get("error")
                    info = info_from_obj({"error": e}) if isinstance(e, dict) else ErrorInfo()
                    if not info.message:
                        info.message = "the generation ended with finish_reason error"
                    break
            else:
                return None
    return _from_info(info, None, {}, provider=provider, api=api, host=host, model=model, in_band=True)
