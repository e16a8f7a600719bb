"""Check imported auth profiles with clawgate's own strict loader; report invalid ones with the fix, never fix them."""

from __future__ import annotations

import re
from typing import Any

from clawgate.auth.profiles import ProfileStore

_RENAME = re.compile(r"field '([^']+)' is not recognised; the field is named '([^']+)'")


def profile_report(store: ProfileStore, source: str) -> dict[str, Any]:
    """What an imported store holds: profile count per provider and each invalid profile with its fix."""
    invalid: list[dict[str, Any]] = []
    if store.file_error is not None:
        invalid.append(
            {
                "profile": None,
                "field": None,
                "message": str(store.file_error),
                "fix": store.file_error.next_steps,
            }
        )
    for err in store.problems:
        ev = err.evidence or {}
        pid, fld = ev.get("profile"), ev.get("field")
        m = _RENAME.search(err.message)
        fix = []
        if m:
            fix.append(f"rename {m.group(1)!r} to {m.group(2)!r} in profile {pid!r} of {store.display}")
        fix.extend(err.next_steps)
        invalid.append({"profile": pid, "field": fld, "message": str(err), "fix": fix})
    providers: dict[str, int] = {}
    for p in store.profiles.values():
        providers[p.provider] = providers.get(p.provider, 0) + 1
    return {
        "agent": store.agent,
        "file": store.display,
        "from": source,
        "profiles": len(store.profiles),
        "providers": providers,
        "invalid": invalid,
    }
