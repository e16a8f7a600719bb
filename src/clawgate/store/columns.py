"""The column layout every durable engine shares (SQLite, PostgreSQL): table columns from the record
dataclasses, the JSON-encoded ones, and SQL names for fields that are keywords."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

import orjson

from clawgate.store.base import (
    AttemptRecord,
    ClientKeyRecord,
    CronRecord,
    DeviceRecord,
    HealthRecord,
    MessageRecord,
    RunRecord,
    SessionRecord,
)

ATTEMPT_COLS = [f.name for f in fields(AttemptRecord) if f.name != "id"]
HEALTH_COLS = [f.name for f in fields(HealthRecord) if f.name != "extra"]
SESSION_COLS = [f.name for f in fields(SessionRecord)]
MESSAGE_COLS = [f.name for f in fields(MessageRecord)]
RUN_COLS = [f.name for f in fields(RunRecord)]
CRON_COLS = [f.name for f in fields(CronRecord) if f.name != "id"]
CLIENT_KEY_COLS = [f.name for f in fields(ClientKeyRecord)]
DEVICE_COLS = [f.name for f in fields(DeviceRecord)]
JSON_COLS = {"error", "tool_calls", "credential", "usage", "subagents", "next_steps", "scopes", "fallback"}
# what spend may be grouped by (`Store.spend_by`), as the attempts' columns; `model` groups provider + model
SPEND_GROUPS = ("client", "agent", "model", "day")
# column names that are SQL keywords
_SQL_NAME = {"limit": "limit_kind"}
# what an upsert of a message may change (its id, session and place in the order stay)
MESSAGE_UPDATE_COLS = [c for c in MESSAGE_COLS if c not in ("id", "session_id", "seq")]

INTERRUPTED_ERROR = {
    "owner": "runtime",
    "code": "runtime.interrupted",
    "message": "the gateway stopped while this run was in flight; the reply so far is kept",
    "next": ["send the message again"],
}


def col(name: str) -> str:
    return _SQL_NAME.get(name, name)


def encode(name: str, value: Any) -> Any:
    if name in JSON_COLS and value is not None:
        return orjson.dumps(value).decode()
    return value


def decode(names: list[str], row: Any) -> dict[str, Any]:
    out = {}
    for name, value in zip(names, row, strict=True):
        if name in JSON_COLS and value is not None:
            value = orjson.loads(value)
        out[name] = value
    if "subagents" in out and out["subagents"] is None:
        out["subagents"] = []
    return out
