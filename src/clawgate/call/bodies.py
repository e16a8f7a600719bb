"""What one attempt sends: the URL path of the call's endpoint and the request body.

- Same wire format as the client (pass-through): the client's body with the model rewritten and the output
  limit kept within the model's (the catalog's `maxTokens`).
- Another wire format: the request decoded once, accounted for field by field (`dialects/crossing.py`:
  carried, hint, refused) and encoded for the provider; what was left out is noted on the request
  (`CallRequest.notes`) for the response's `x-clawgate-omitted` header.
- Auxiliary endpoints (`count_tokens`, `input_tokens`, `embeddings`): the same credentials, retries and
  classification as a chat call, with the endpoint's own path and body.

A field no equivalent exists for raises `Refused` with a `request.unsupported_param` failure that names the
field, the route and the fix; the executor records it as the attempt's failure (`sent: False`) and, as the
failure policy says, tries the plan's next attempt (a provider that speaks the client's format may serve it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import orjson

from clawgate.dialects import crossing, reasoning
from clawgate.dialects.base import Target
from clawgate.dialects.registry import get_dialect
from clawgate.dialects.structured import FORCED_TOOL, anthropic_mode
from clawgate.failures import Failure, failure

if TYPE_CHECKING:
    from clawgate.call.types import CallRequest
    from clawgate.plan.types import Attempt

# endpoint -> the provider api that serves it -> its path under the provider's base URL
ENDPOINTS: dict[str, dict[str, str]] = {
    "count_tokens": {
        "anthropic-messages": "/v1/messages/count_tokens",
        "openai-responses": "/responses/input_tokens",
    },
    "embeddings": {"openai-completions": "/embeddings", "openai-responses": "/embeddings"},
}
_COUNT_TOKENS_KEYS = frozenset(
    {"model", "messages", "system", "tools", "tool_choice", "thinking", "output_config", "cache_control"}
)
_INPUT_TOKENS_KEYS = frozenset(
    {"model", "input", "instructions", "tools", "tool_choice", "parallel_tool_calls", "reasoning", "text"}
)


@dataclass
class AttemptNotes:
    """What one attempt's body left out, and how its answer must be read back."""

    omitted: list[str] = field(default_factory=list)  # hints the target has no equivalent for
    dropped: list[str] = field(default_factory=list)  # unsupported fields dropped by the operator's opt-in
    forced_tool: str | None = None  # structured output sent as this forced Anthropic tool

    def header(self) -> str | None:
        names = self.omitted + [f"{d} (dropped)" for d in self.dropped]
        return ", ".join(names) if names else None


class Refused(Exception):
    """The attempt cannot be made with this request (nothing was sent)."""

    def __init__(self, failure: Failure) -> None:
        super().__init__(failure.message)
        self.failure = failure


def target_for(att: Attempt) -> Target:
    info = att.model_info.info if att.model_info else None
    view = att.view
    return Target(
        model=att.model,
        provider=att.provider,
        reasoning=info.reasoning if info else None,
        max_output=info.max_tokens if info else None,
        structured=view.structured_output if view else None,
    )


def prepare(att: Attempt, req: CallRequest, target: Target | None = None) -> tuple[str, bytes]:
    """(path, body) for this attempt (`target`: `target_for(att)`, when the caller keeps it). Raises Refused."""
    if req.endpoint is not None:
        return _auxiliary(att, req)
    path = get_dialect(att.api).path
    target = target or target_for(att)
    if req.raw is not None and req.client_api == att.api:
        return path, orjson.dumps(_passthrough(att, req, target))
    chat = req.chat_request()
    drop = att.view.drop_unsupported if att.view else None
    try:
        crossed = crossing.account(chat, att.api, drop)
        body = get_dialect(att.api).encode_request(chat, att.model, target)
    except crossing.Unsupported as exc:
        raise Refused(unsupported(att, req, exc.name, exc.why)) from None
    body.update(crossed.carry)
    notes = AttemptNotes(list(crossed.omitted), list(crossed.dropped))
    if chat.reasoning is not None and not _reasoning_sent(att.api, body):
        notes.omitted.append("reasoning")  # the model takes no reasoning control
    structured_by_tool = (
        att.api == "anthropic-messages" and anthropic_mode(att.model, target.structured) == "tool"
    )
    if chat.output is not None and structured_by_tool:
        notes.forced_tool = FORCED_TOOL
    req.notes[att.ref] = notes
    return path, orjson.dumps(body)


def _reasoning_sent(api: str, body: dict[str, Any]) -> bool:
    if api == "anthropic-messages":
        return "thinking" in body or "effort" in (body.get("output_config") or {})
    return "reasoning" in body or "reasoning_effort" in body


def _passthrough(att: Attempt, req: CallRequest, target: Target) -> dict[str, Any]:
    assert req.raw is not None
    body = dict(req.raw)
    body["model"] = att.model
    key = {"anthropic-messages": "max_tokens", "openai-responses": "max_output_tokens"}.get(att.api)
    for k in (key,) if key else ("max_tokens", "max_completion_tokens"):
        value = body.get(k)
        if isinstance(value, int) and not isinstance(value, bool):
            clamped = target.clamp(value)
            if clamped != value:
                body[k] = clamped
                # a manual thinking budget must stay below the output limit
                thinking = body.get("thinking")
                budget = thinking.get("budget_tokens") if isinstance(thinking, dict) else None
                if (
                    isinstance(thinking, dict)
                    and isinstance(budget, int)
                    and clamped is not None
                    and budget >= clamped
                ):
                    body["thinking"] = {**thinking, "budget_tokens": max(reasoning.MIN_BUDGET, clamped - 1)}
    if req.stream and att.api == "openai-completions":
        # ask for usage so the attempt record has tokens (as the translating path does); the usage
        # chunk is kept from a client that did not ask for it
        opts = body.get("stream_options")
        if not (isinstance(opts, dict) and opts.get("include_usage")):
            body["stream_options"] = {**(opts if isinstance(opts, dict) else {}), "include_usage": True}
            req.strip_usage_chunk = True
    return body


def _auxiliary(att: Attempt, req: CallRequest) -> tuple[str, bytes]:
    assert req.endpoint is not None
    path = ENDPOINTS[req.endpoint].get(att.api)
    if path is None or (req.endpoint == "embeddings" and att.view and att.view.embeddings is False):
        raise Refused(no_endpoint(att, req.endpoint))
    if req.endpoint == "embeddings":
        body = dict(req.raw or {})
        body["model"] = att.model
    elif req.client_api == att.api and req.raw is not None:
        keys = _COUNT_TOKENS_KEYS if att.api == "anthropic-messages" else _INPUT_TOKENS_KEYS
        body = {k: v for k, v in req.raw.items() if k in keys}
        body["model"] = att.model
    else:
        chat = req.chat_request()
        full = get_dialect(att.api).encode_request(chat, att.model, target_for(att))
        keys = _COUNT_TOKENS_KEYS if att.api == "anthropic-messages" else _INPUT_TOKENS_KEYS
        body = {k: v for k, v in full.items() if k in keys}
    return path, orjson.dumps(body)


def _route(att: Attempt, req: CallRequest) -> str:
    return f"{req.client_api or 'internal'} → {att.api} ({att.provider}/{att.model})"


def unsupported(att: Attempt, req: CallRequest, name: str, why: str) -> Failure:
    """The refusal of a request field no equivalent exists for on this attempt's provider."""
    return failure(
        "request.unsupported_param",
        f"{name} cannot be translated for {_route(att, req)}: {why}. clawgate refuses the request rather than "
        "drop it silently; nothing was sent",
        param=name,
        provider=att.provider,
        model=att.model,
        sent=False,
        next_steps=[
            f"remove {name} from the request",
            f"or let clawgate drop it for {att.provider}: clawgate config set "
            f"models.providers.{att.provider}.dropUnsupported '[\"{name}\"]'",
            f"or send this model to a provider that speaks {req.client_api}: clawgate models status "
            f"--model {att.ref}",
        ],
    )


def no_endpoint(att: Attempt, endpoint: str) -> Failure:
    """The refusal of an auxiliary endpoint (embeddings, token counting) the provider does not offer."""
    what = {"count_tokens": "token counting", "embeddings": "embeddings"}
    return failure(
        "request.unsupported_endpoint",
        f"{att.provider} ({att.api}) offers no {what.get(endpoint, endpoint)} endpoint; nothing was sent",
        provider=att.provider,
        model=att.model,
        sent=False,
        next_steps=[
            "use a model of a provider that has one (OpenAI, Gemini, a local server)",
            f"clawgate models list --provider {att.provider}",
        ],
    )
