"""Explain against the local setup: map what the text names onto the provider and host the agent really uses."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from clawgate.catalog.presets import canonical_provider_id
from clawgate.diagnose.explain.causes import check_causes
from clawgate.diagnose.explain.classify import classify_text
from clawgate.diagnose.explain.context import config_host
from clawgate.diagnose.explain.detect import preset_for_host
from clawgate.diagnose.explain.model import Explanation


def explain(
    text: str, provider: str | None = None, snap: Any = None, agent: str | None = None
) -> Explanation | None:
    """Classify `text` and check its likely causes against `snap` (a Snapshot) when given."""
    ex = classify_text(text, provider)
    if ex is None:
        return None
    if snap is not None:
        local = local_provider(ex, snap, agent)
        if local is not None:
            pid, host, why = local
            again = classify_text(text, pid, host=ex.host or host)  # the same classifier, with local facts
            if again is not None:
                again.provider_from = why
                ex = again
    return check_causes(ex, snap, agent)


def local_provider(
    ex: Explanation, snap: Any, agent: str | None = None
) -> tuple[str, str | None, str] | None:
    """(provider id, host, how it was chosen) in the local setup for what the text names, when that differs.

    The text may name a provider family (qwen, from a DashScope message) that the agent reaches through a
    custom provider id on one of its hosts; or name none, when the agent's primary provider is the best guess.
    """
    info = snap.agent(agent)
    used = [a for a in snap.plan(info.id).attempts if a.view is not None]
    pid = ex.provider
    view = snap.catalog.get(pid) if pid else None
    if pid and used and all(a.provider != (view.id if view else pid) for a in used):
        for a in used:
            host = urlsplit(a.base_url or "").hostname
            if host and a.view.preset is None and preset_for_host(host) == canonical_provider_id(pid):
                return (
                    a.provider,
                    host,
                    f"text ({pid} host family; agent {info.id} reaches it as {a.provider})",
                )
    if not pid and used:
        a = used[0]
        host = urlsplit(a.base_url or "").hostname
        return a.provider, host, f"agent {info.id}'s primary model (the text names no provider)"
    if view is not None and ex.host is None and ex.provider_from != "--provider":
        host = config_host(view, snap)
        if host:
            return view.id, host, ex.provider_from or "text"
    return None
