"""A plan adapted to the dialect the client speaks: an attempt whose provider also serves that dialect uses
it, so the request and its stream pass through unchanged instead of being translated (Codex's Responses
calls to OpenAI stay Responses calls). An `api` the operator set (provider or model config) is kept."""

from __future__ import annotations

from dataclasses import replace

from clawgate.plan.types import Attempt, Plan


def serves(att: Attempt, api: str) -> bool:
    """Whether the attempt's provider (its host, when known) serves `api`."""
    if att.error is not None or att.view is None or att.view.preset is None:
        return False
    apis = att.host.apis if att.host is not None else att.view.preset.apis
    return api in apis


def for_client(plan: Plan, api: str) -> Plan:
    """`plan` with each attempt on `api` where its api is the preset's default and the provider serves
    `api` too; the same plan object when nothing changes."""
    attempts = []
    changed = False
    for att in plan.attempts:
        if att.api != api and att.api_from.startswith("preset:") and serves(att, api):
            kind = api if att.api_kind == att.api else att.api_kind  # a plain kind is the wire itself
            att = replace(att, api=api, api_kind=kind, api_from=f"{att.api_from} (the client's {api})")
            changed = True
        attempts.append(att)
    return replace(plan, attempts=attempts) if changed else plan
