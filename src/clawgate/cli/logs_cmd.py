"""`clawgate logs`: every call — the executor's attempt record (HTTP API, chat, sessions, runs, subagents,
cron, `infer` and probes) — merged by time with the gateway's structured log (JSON lines)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import orjson

from clawgate.cli.context import state
from clawgate.cli.output import console, echo, esc


def _line(entry: dict) -> str:
    ts = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(entry.get("ts", 0)))
    rest = {k: v for k, v in entry.items() if k not in ("ts", "level", "event", "message") and v is not None}
    msg = entry.get("message", "")
    kv = " ".join(f"{k}={v}" for k, v in rest.items())
    return f"{ts} {entry.get('level', ''):5} {entry.get('event', '')} {msg} {kv}".rstrip()


def _call_entry(rec: Any) -> dict[str, Any]:
    """One executor attempt as a log entry (`event: call`); the record holds no secret."""
    data = rec.to_json()
    data.pop("id", None)
    return {
        "ts": data.pop("ts"),
        "level": "info" if rec.ok else "warn",
        "event": "call",
        **({"message": data.pop("message")} if "message" in data else {}),
        **data,
    }


def _calls(state_db: Path, limit: int, since: float | None = None) -> list[dict[str, Any]]:
    from clawgate.store import StoreUnavailable, open_existing

    store = open_existing(state().paths, state().environ)  # PostgreSQL when state.database is set
    if store is None:
        return []
    try:
        recs = store.recent_attempts(limit=limit, since=since)
    except StoreUnavailable:
        recs = []
    finally:
        store.close()
    return sorted((_call_entry(r) for r in recs), key=lambda e: e["ts"])


def _follow_calls(state_db: Path, since: float, poll: float = 0.5) -> Iterator[dict[str, Any]]:
    seen: set[tuple[Any, ...]] = set()
    while True:
        for e in _calls(state_db, 500, since):
            key = (e["ts"], e.get("call_id"), e.get("try_no"), e.get("ref"))
            if key not in seen:
                seen.add(key)
                since = max(since, e["ts"])
                yield e
        time.sleep(poll)


@click.command("logs")
@click.option("--follow", "-f", is_flag=True, help="Keep printing new entries.")
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print raw JSON lines, one entry per line (none when there are none).",
)
@click.option("--limit", "-n", default=50, show_default=True, help="How many recent entries.")
@click.option("--calls", "only_calls", is_flag=True, help="Only model calls (the executor's record).")
def logs(follow: bool, as_json: bool, limit: int, only_calls: bool) -> None:
    """Show recent entries: every model call the executor made (`event: call`, with purpose request, probe,
    infer, cron or subagent, its session/run, owner and code) and the gateway's own log. Secrets are redacted
    when written."""
    from clawgate import logs as logmod

    paths = state().paths
    calls = _calls(paths.state_db, limit)
    gateway = [] if only_calls else logmod.read(paths.logs_dir, limit)
    entries = sorted([*calls, *gateway], key=lambda e: e.get("ts", 0))[-limit:]
    if not entries and not follow:
        # --json is one JSON object per line: no entries is no line (the note goes to stderr)
        console(stderr=as_json).print(
            f"no calls or log entries in {esc(paths.home)} yet (start the gateway: clawgate gateway start, "
            "or make a call: clawgate infer 'hi')"
        )
        return
    for e in entries:
        echo(orjson.dumps(e).decode() if as_json else _line(e))
    if not follow:
        return
    import threading
    from queue import Queue

    q: Queue[dict[str, Any]] = Queue()
    since = calls[-1]["ts"] if calls else time.time()

    def pump(it: Iterator[dict[str, Any]]) -> None:
        for e in it:
            q.put(e)

    sources = [_follow_calls(paths.state_db, since)]
    if not only_calls:
        sources.append(logmod.follow(paths.logs_dir))
    for it in sources:
        threading.Thread(target=pump, args=(it,), daemon=True).start()
    try:
        while True:
            e = q.get()
            echo(orjson.dumps(e).decode() if as_json else _line(e))
    except KeyboardInterrupt:
        return
