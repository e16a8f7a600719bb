"""A session's history against the durable store: messages added (written at once; the store assigns each
its `seq`), the history re-read from the store (so messages another process wrote are in it), a queued message
moved after what was said while it waited, and the wait until every write so far is committed."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Container
from typing import Any

from clawgate.agents.state import SessionState, new_id
from clawgate.store.base import MessageRecord, Store, StoreUnavailable

DURABLE_SECONDS = (
    10.0  # a write not committed by then: the store's engine is away (503, nothing acknowledged)
)


def store_unavailable(store: Store) -> StoreUnavailable:
    st = store.status()
    return StoreUnavailable(
        f"the sessions database ({st.get('engine')} at {st.get('host') or st.get('path')}) is unreachable "
        f"({st.get('error') or 'writes are not being committed'}); model calls keep working",
        next_steps=["clawgate doctor", "retry once the database is back"],
    )


async def durable(store: Store, timeout: float = DURABLE_SECONDS) -> None:
    """Wait until every write so far is committed; StoreUnavailable when the store's engine is away (the
    writes stay queued and are committed when it is back, but nothing is acknowledged before that)."""
    if not store.available:
        raise store_unavailable(store)
    # shielded: a cancelled waiter must not cancel the store's future under its writer thread
    try:
        async with asyncio.timeout(timeout):
            await asyncio.shield(asyncio.wrap_future(store.barrier()))
    except TimeoutError:
        raise store_unavailable(store) from None


async def refresh(store: Store, state: SessionState, runs_here: Container[str]) -> None:
    """Re-read the session's messages from the store (what other processes wrote included); `runs_here`:
    the ids of the runs this process has (a queued run of another process hides its message).

    The store's rows are the truth, except for the messages this process adds (`state.own`): it alone
    writes them, so its object is never older than its row (a streaming reply grows between flushes) and
    stays in the history, in the row's place. The read sees only the writes submitted before this
    refresh's barrier: a message added while the refresh waits is not missing from the store but not yet
    committed, so it is kept (at the end, where the store will put it); one of ours that was there before
    and is missing now was deleted (trimmed)."""
    submitted = {m.id for m in state.history}  # written before the barrier durable() submits next
    await durable(store)
    msgs = await asyncio.to_thread(store.list_messages, state.id)
    runs = await asyncio.to_thread(store.list_runs, state.id)
    # the history as it is now: it may have grown (or been rebuilt by another refresh) during the reads
    own = {m.id: m for m in state.history if m.id in state.own}
    history = []
    for m in msgs:
        mine = own.pop(m.id, None)
        if mine is not None:
            mine.seq = m.seq
            m = mine
        history.append(m)
    history += [m for m in own.values() if m.id not in submitted]  # not committed yet
    state.history = history
    state.own.intersection_update(m.id for m in history)
    state.queued_elsewhere = {
        r.message_id for r in runs if r.status == "queued" and r.message_id and r.id not in runs_here
    }


def add_message(
    store: Store, state: SessionState, *, role: str, content: str, status: str, **kw: Any
) -> MessageRecord:
    now = time.time()
    msg = MessageRecord(
        id=new_id("m"),
        session_id=state.id,
        seq=0,  # the store assigns the next seq of the session
        role=role,
        content=content,
        status=status,
        created_at=now,
        updated_at=now,
        **kw,
    )
    state.history.append(msg)
    state.own.add(msg.id)
    store.save_message(msg)
    return msg


def resequence(store: Store, state: SessionState, message_id: str | None) -> None:
    """A queued message is answered now: move it after everything said while it waited."""
    if message_id is None:
        return
    for i, m in enumerate(state.history):
        if m.id == message_id:
            if i != len(state.history) - 1:
                state.history.pop(i)
                state.history.append(m)
            store.move_to_end(state.id, m.id)  # another process may have added messages meanwhile
            return


def message_text(state: SessionState, message_id: str | None) -> str | None:
    for m in state.history:
        if m.id == message_id:
            return m.content
    return None
