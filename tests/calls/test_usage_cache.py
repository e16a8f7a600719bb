"""Usage with prompt-cache reads and writes, stored per attempt: Anthropic counts them apart from `input_tokens`
(10 logged where 2,510 were used), so the attempt record keeps the whole prompt and both cache parts; and an
existing state.db gains the new columns without losing its rows."""

from __future__ import annotations

import asyncio
import sqlite3

import orjson
import pytest
from tests.calls.conftest import BY_ID, chat, runtime

from clawgate.call.executor import CallRequest
from clawgate.store import open_store

ANTH = BY_ID["anthropic"]
USAGE = {"input_tokens": 10, "cache_read_input_tokens": 2000, "cache_creation_input_tokens": 500}
MESSAGE = {
    "id": "msg_cache_1",
    "type": "message",
    "role": "assistant",
    "model": ANTH.model,
    "content": [{"type": "text", "text": "cached hello"}],
    "stop_reason": "end_turn",
    "stop_sequence": None,
    "usage": {**USAGE, "output_tokens": 5},
}


def _sse(name: str, data: dict) -> bytes:
    return f"event: {name}\ndata: {orjson.dumps(data).decode()}\n\n".encode()


STREAM = b"".join(
    [
        _sse(
            "message_start",
            {
                "type": "message_start",
                "message": {**MESSAGE, "content": [], "usage": {**USAGE, "output_tokens": 1}},
            },
        ),
        _sse(
            "content_block_start",
            {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
        ),
        _sse(
            "content_block_delta",
            {
                "type": "content_block_delta",
                "index": 0,
                "delta": {"type": "text_delta", "text": "cached hello"},
            },
        ),
        _sse("content_block_stop", {"type": "content_block_stop", "index": 0}),
        _sse(
            "message_delta",
            {"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": {"output_tokens": 5}},
        ),
        _sse("message_stop", {"type": "message_stop"}),
    ]
)


def _home(home, emu) -> None:
    home.config(
        {
            "models": {"providers": {"anthropic": {"baseUrl": emu.base_url("anthropic")}}},
            "agents": {"defaults": {"model": f"anthropic/{ANTH.model}"}},
        }
    )
    home.dotenv(f"ANTHROPIC_API_KEY={ANTH.key}\n")


def _request(passthrough: bool, stream: bool) -> CallRequest:
    if not passthrough:
        return chat(stream=stream)
    raw = {
        "model": ANTH.model,
        "max_tokens": 64,
        "stream": stream,
        "messages": [{"role": "user", "content": "hello"}],
    }
    return CallRequest(stream=stream, client_api="anthropic-messages", raw=raw, purpose="request")


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "stream"])
@pytest.mark.parametrize("passthrough", [True, False], ids=["passthrough", "translated"])
def test_anthropic_cache_tokens_are_stored_per_attempt(home, emu, stream, passthrough):
    _home(home, emu)
    if stream:
        body, ctype = STREAM, "text/event-stream"
    else:
        body, ctype = orjson.dumps(MESSAGE), "application/json"
    emu.add_fault("custom", dialect="anthropic", status=200, body=body, content_type=ctype)
    rt = runtime(home)
    req = _request(passthrough, stream)

    async def go():
        try:
            out = await rt.run(rt.plan(), req)
            assert out.ok, out.failure
            if stream:
                async for _ in out:
                    pass
            rt.store.flush()
            return out
        finally:
            await rt.aclose()

    out = asyncio.run(go())
    assert out.usage.input_tokens == 2510 and out.usage.output_tokens == 5
    assert out.usage.cached_tokens == 2000 and out.usage.cache_write_tokens == 500
    (rec,) = [r for r in rt.store.recent_attempts(10) if r.ok]
    assert (rec.input_tokens, rec.output_tokens) == (2510, 5)
    assert (rec.cache_read_tokens, rec.cache_write_tokens) == (2000, 500)
    # every column of the row the recorder builds lands in its own field (records.py builds it by position)
    att, cred = out.attempt, out.cred
    assert (rec.call_id, rec.purpose, rec.ref, rec.provider, rec.model, rec.api) == (
        out.call_id, req.purpose, att.ref, att.provider, att.model, att.api,
    )  # fmt: skip
    assert (rec.cred_source, rec.fingerprint) == (cred.source, cred.fingerprint)
    assert (rec.ok, rec.status, rec.stream, rec.try_no, rec.sent) == (True, 200, stream, 0, True)
    assert (rec.owner, rec.code, rec.message, rec.client, rec.session_id, rec.run_id) == (None,) * 6
    assert rec.latency_ms is not None and rec.latency_ms > 0 and rec.ts > 0


def test_an_existing_state_db_gains_the_cache_columns(tmp_path):
    path = tmp_path / "state.db"
    open_store(str(path)).close()
    con = sqlite3.connect(path)  # make it look like a file written before the cache columns existed
    cols = [r[1] for r in con.execute("PRAGMA table_info(attempts)")]
    keep = [c for c in cols if c not in ("cache_read_tokens", "cache_write_tokens")]
    con.executescript(
        f"CREATE TABLE old AS SELECT {', '.join(keep)} FROM attempts; DROP TABLE attempts;"
        "ALTER TABLE old RENAME TO attempts; PRAGMA user_version=2;"
    )
    con.execute(
        "INSERT INTO attempts (ts, call_id, purpose, ref, provider, model, api, ok, input_tokens) "
        "VALUES (1.0, 'old', 'request', 'a/b', 'a', 'b', 'openai-completions', 1, 7)"
    )
    con.commit()
    con.close()
    store = open_store(str(path))
    try:
        (old,) = store.recent_attempts(5)
        assert old.call_id == "old" and old.input_tokens == 7 and old.cache_read_tokens is None
    finally:
        store.close()
    con = sqlite3.connect(path)
    assert {"cache_read_tokens", "cache_write_tokens"} <= {
        r[1] for r in con.execute("PRAGMA table_info(attempts)")
    }
    con.close()
