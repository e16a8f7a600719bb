"""What a served call skipped on the way: each (model, credential) tried before the one that answered, with
the failure that moved it on (owner, code; the credential's source and fingerprint, never the key). The
gateway names it in the `x-clawgate-fallback` response header, `clawgate infer` in one line, a subagent run
in its record. Read only after a call that took more than one try, so a call served by its first try pays
nothing for it."""

from __future__ import annotations

from typing import Any

from clawgate.call.types import CallOutcome, TryResult

HEADER = b"x-clawgate-fallback"


def skipped(outcome: CallOutcome) -> list[TryResult]:
    """The failed tries of other (model, credential) pairs than the one that served — retries in place of the
    serving pair are not a failover — the last failure of each pair, in the order they were tried."""
    tries = outcome.tries
    if len(tries) < 2:
        return []
    served = (outcome.attempt.ref if outcome.attempt else None, _fp(outcome.cred))
    last: dict[tuple[str | None, str | None, str | None], TryResult] = {}
    for t in tries:
        pair = (t.attempt.ref, t.cred.source if t.cred else None, _fp(t.cred))
        if t.failure is not None and (pair[0], pair[2]) != served:
            last.pop(pair, None)
            last[pair] = t
    return sorted(last.values(), key=tries.index)


def to_json(t: TryResult) -> dict[str, Any]:
    f = t.failure
    return {
        "ref": t.attempt.ref,
        "from": t.attempt.ref_from,
        "credential": {"source": t.cred.source, "fingerprint": t.cred.fingerprint} if t.cred else None,
        "owner": f.owner if f else None,
        "code": f.code if f else None,
        "sent": t.sent,
    }


def describe(t: TryResult) -> str:
    """`REF SOURCE FINGERPRINT: OWNER CODE` (`, not sent` for a refusal made without a request)."""
    f = t.failure
    who = f" {t.cred.source} {t.cred.fingerprint}" if t.cred else ""
    why = f"{f.owner} {f.code}" if f else "failed"
    return f"{t.attempt.ref}{who}: {why}{'' if t.sent else ' (not sent)'}"


def header(outcome: CallOutcome) -> bytes | None:
    """The `x-clawgate-fallback` value (ASCII: the fingerprint's ellipsis as `...`), or None: no failover."""
    gone = skipped(outcome)
    if not gone:
        return None
    text = ", ".join(describe(t) for t in gone).replace("…", "...")
    return text.encode("ascii", "replace")


def _fp(cred: Any) -> str | None:
    return cred.fingerprint if cred is not None else None
