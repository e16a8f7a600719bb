"""What one try puts on the wire: the URL and the body (`call/bodies.py` decides both: the client's own body,
model rewritten, when it speaks the upstream's dialect; translated field by field otherwise; an auxiliary
endpoint's own), the headers (auth, versions, the provider's configured ones) and the timeouts of the attempt's
provider."""

from __future__ import annotations

from clawgate.auth.resolve import Candidate
from clawgate.call import bodies
from clawgate.call.transport import Timeouts
from clawgate.call.types import CallRequest
from clawgate.plan.types import Attempt

ANTHROPIC_VERSION = "2023-06-01"


def url_and_body(att: Attempt, req: CallRequest) -> tuple[str, bytes]:
    """The URL and body of this attempt's request. Raises `bodies.Refused` (nothing may be sent)."""
    path, data = bodies.prepare(att, req)
    return f"{att.base_url}{path}", data


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
