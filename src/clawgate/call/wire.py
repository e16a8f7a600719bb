"""What one try puts on the wire: the URL, the body (the client's own, model rewritten, when it speaks the
upstream's dialect; translated otherwise), the headers (auth, versions, the provider's configured ones) and the
timeouts of the attempt's provider."""

from __future__ import annotations

import orjson

from clawgate.auth.resolve import Candidate
from clawgate.call.transport import Timeouts
from clawgate.call.types import CallRequest
from clawgate.dialects.registry import get_dialect
from clawgate.plan.types import Attempt

ANTHROPIC_VERSION = "2023-06-01"


def url(att: Attempt) -> str:
    return f"{att.base_url}{get_dialect(att.api).path}"


def body(att: Attempt, req: CallRequest) -> bytes:
    model = att.model
    if req.raw is not None and req.client_api == att.api:
        out = dict(req.raw)
        out["model"] = model
        if req.stream and att.api == "openai-completions":
            # ask for usage so the attempt record has tokens (as the translating path does); the usage
            # chunk is kept from a client that did not ask for it
            opts = out.get("stream_options")
            if not (isinstance(opts, dict) and opts.get("include_usage")):
                out["stream_options"] = {
                    **(opts if isinstance(opts, dict) else {}),
                    "include_usage": True,
                }
                req.strip_usage_chunk = True
        return orjson.dumps(out)
    return orjson.dumps(get_dialect(att.api).encode_request(req.chat_request(), model))


def auth_headers(api: str, cred: Candidate | None) -> dict[str, str]:
    if cred is None:
        return {}
    secret = cred.secret()
    if secret is None:
        return {}
    if api == "anthropic-messages" and cred.kind == "api_key":
        return {"x-api-key": secret}
    return {"Authorization": f"Bearer {secret}"}


def headers(att: Attempt, cred: Candidate | None, req: CallRequest) -> dict[str, str]:
    out = {"Content-Type": "application/json"}
    if att.api == "anthropic-messages":
        out["anthropic-version"] = ANTHROPIC_VERSION
        if req.client_api == "anthropic-messages":
            for k in ("anthropic-version", "anthropic-beta"):
                if k in req.forward_headers:
                    out[k] = req.forward_headers[k]
    if req.stream:
        out["Accept"] = "text/event-stream"
    out.update(auth_headers(att.api, cred))
    out.update(att.headers)
    return out


def timeouts(att: Attempt) -> Timeouts:
    local = bool(att.view and att.view.preset and att.view.preset.local)
    return Timeouts.for_provider(att.timeout or 600.0, local, idle=att.idle_timeout)
