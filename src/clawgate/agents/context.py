"""Fitting a session's history into the model's context window before it is sent.

Tokens are estimated at ~4 characters per token, except where usage is known: an assistant reply whose run
reported `output_tokens` counts exactly that. The newest messages are kept; the oldest are dropped (a kept window
always starts at a user message, and a tool result never loses the call it answers). When even the newest user
message does not fit, nothing is sent and the failure says how large the request was.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import orjson

from clawgate.failures import Failure
from clawgate.store.base import MessageRecord

CHARS_PER_TOKEN = 4
MESSAGE_OVERHEAD = 4  # role and framing, per message
MAX_REPLY_RESERVE = 4096


def estimate_tokens(text: str) -> int:
    return (len(text) + CHARS_PER_TOKEN - 1) // CHARS_PER_TOKEN


def message_tokens(m: MessageRecord, known: Mapping[str, int] | None = None) -> int:
    """Tokens one message takes: its run's reported output tokens for a reply, else an estimate."""
    if known and m.role == "assistant" and m.id in known:
        return known[m.id] + MESSAGE_OVERHEAD
    n = estimate_tokens(m.content)
    if m.tool_calls:
        n += estimate_tokens(orjson.dumps(m.tool_calls).decode())
    return n + MESSAGE_OVERHEAD


def reply_reserve(context_window: int) -> int:
    """Tokens kept free for the answer."""
    return min(MAX_REPLY_RESERVE, context_window // 4)


@dataclass
class Fitted:
    messages: list[MessageRecord]
    tokens: int  # estimated tokens of what is sent
    dropped: int = 0  # older messages left out
    context_window: int | None = None
    budget: int | None = None
    notes: list[str] = field(default_factory=list)


def fit(
    history: Sequence[MessageRecord],
    context_window: int | None,
    ref: str | None = None,
    known: Mapping[str, int] | None = None,
    system_tokens: int = 0,
) -> Fitted | Failure:
    """The newest part of `history` that fits `context_window` (all of it when the window is unknown)."""
    costs = [message_tokens(m, known) for m in history]
    total = sum(costs) + system_tokens
    if context_window is None:
        return Fitted(list(history), total)
    budget = context_window - reply_reserve(context_window)
    if total <= budget:
        return Fitted(list(history), total, 0, context_window, budget)
    # keep the newest messages that fit, always including the last user message
    last_user = max((i for i, m in enumerate(history) if m.role == "user"), default=len(history) - 1)
    used = system_tokens + sum(costs[last_user:])
    start = last_user
    if used > budget:
        return too_large(used, context_window, budget, ref, len(history) - last_user)
    while start > 0 and used + costs[start - 1] <= budget:
        start -= 1
        used += costs[start]
    # a kept window starts at a user message (no orphan tool results or replies without their question)
    while start < last_user and history[start].role != "user":
        used -= costs[start]
        start += 1
    kept = list(history[start:])
    return Fitted(
        kept,
        used,
        start,
        context_window,
        budget,
        [
            f"left out {start} older message(s) to fit {ref or 'the model'}'s context window of {context_window} tokens"
        ],
    )


def too_large(tokens: int, window: int, budget: int, ref: str | None, messages: int) -> Failure:
    who = ref or "the model"
    return Failure(
        owner="context",
        code="context.exceeded",
        message=f"the request is about {tokens} tokens ({messages} message(s), estimated at ~{CHARS_PER_TOKEN} "
        f"characters per token) but {who}'s context window is {window} tokens ({window - budget} kept for the "
        "reply); nothing was sent",
        model=ref,
        next_steps=[
            "shorten the message",
            "/new to start a fresh session",
            "/model PROVIDER/MODEL to switch to a larger-context model (clawgate models list)",
        ],
    )


def describe_request(f: Failure, fitted: Fitted | None) -> Failure:
    """A provider's own context failure, with how large the request clawgate sent was."""
    if fitted is None or f.code != "context.exceeded":
        return f
    size = f"this request: {len(fitted.messages)} message(s), about {fitted.tokens} tokens estimated"
    if fitted.context_window:
        size += f"; clawgate's catalog says the window is {fitted.context_window} tokens"
    f.message = f"{f.message} ({size})"
    return f
