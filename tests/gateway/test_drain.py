"""Done-when 7: SIGTERM during 50 in-flight streams. Every stream either completes or ends with an error event,
none hangs, and the process exits within the drain bound (gateway.drainSeconds)."""

from __future__ import annotations

import asyncio
import json
import signal
import time
from pathlib import Path

import httpx
import pytest
from tests.support.timing import limit

from clawgate.emulator import EmulatorThread

from .conftest import TOKEN, base_config, base_dotenv, make_home, spawn_gateway
from .sse import Event, is_terminal, request_body

DRAIN = 2.0
STREAMS = 50
PATHS = ["/v1/chat/completions", "/v1/messages", "/v1/responses"]


async def _parse(resp: httpx.Response, first_text: asyncio.Event) -> list[Event]:
    evs: list[Event] = []
    name: str | None = None
    data: list[str] = []
    async for line in resp.aiter_lines():
        if line == "":
            if data:
                ev = Event(name, "\n".join(data))
                evs.append(ev)
                if ev.text:
                    first_text.set()
            name, data = None, []
        elif line.startswith("event:"):
            name = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].lstrip())
    return evs


@pytest.mark.slow
def test_sigterm_during_50_streams(emu: EmulatorThread, tmp_path: Path) -> None:
    home = make_home(tmp_path)
    home.config(base_config(emu, drainSeconds=DRAIN))
    home.dotenv(base_dotenv())
    # short streams (about 1 s in all) finish inside the drain window; long ones (about 12 s) cannot
    emu.add_fault("slow_chunks", model="gpt-4o-mini", chunk_delay_ms=100, chunks=4, times=None)
    emu.add_fault("slow_chunks", model="gpt-4o", chunk_delay_ms=300, chunks=40, times=None)
    g = spawn_gateway(home, token=TOKEN)
    try:
        results: list[tuple[str, str, list[Event] | BaseException]] = []

        async def one(client: httpx.AsyncClient, i: int, started: asyncio.Event) -> None:
            path = PATHS[i % 3]
            kind = "short" if i % 2 else "long"
            model = "openai/gpt-4o-mini" if kind == "short" else "openai/gpt-4o"
            try:
                async with client.stream("POST", path, json=request_body(path, model)) as r:
                    assert r.status_code == 200, await r.aread()
                    out: list[Event] | BaseException = await _parse(r, started)
            except BaseException as exc:  # collected and asserted below
                out = exc
                started.set()
            results.append((path, kind, out))

        async def main() -> tuple[float, float]:
            limits = httpx.Limits(max_connections=STREAMS + 10, max_keepalive_connections=0)
            timeout = httpx.Timeout(15.0, connect=5.0)
            async with httpx.AsyncClient(
                base_url=g.url, headers=g.headers(), limits=limits, timeout=timeout
            ) as client:
                started = [asyncio.Event() for _ in range(STREAMS)]
                tasks = [asyncio.create_task(one(client, i, started[i])) for i in range(STREAMS)]
                # every stream is in flight (its first text arrived) before the signal
                await asyncio.wait_for(asyncio.gather(*(e.wait() for e in started)), limit(20))
                t_sig = time.monotonic()
                g.proc.send_signal(signal.SIGTERM)
                _, pending = await asyncio.wait(tasks, timeout=DRAIN + 10)
                for t in pending:
                    t.cancel()
                assert not pending, f"{len(pending)} streams hung after SIGTERM"
                t_streams = time.monotonic() - t_sig
                exited = await asyncio.to_thread(g.proc.wait, DRAIN + 10)
                assert exited == 0, g.output()
                return t_streams, time.monotonic() - t_sig

        t_streams, t_exit = asyncio.run(main())
    finally:
        g.stop()
    assert len(results) == STREAMS
    errors = [r for r in results if isinstance(r[2], BaseException)]
    assert not errors, errors[:3]
    completed = failed = 0
    for path, kind, evs in results:
        assert isinstance(evs, list)
        evs = [
            e for e in evs if e.data != "[DONE]" or path != "/v1/chat/completions" or not failed_before(evs)
        ]
        last = evs[-1]
        if is_terminal(last, path):
            completed += 1
            assert kind == "short", f"a long stream completed? {path}"
        else:
            assert last.is_error, (path, kind, last)
            err = last.json
            err = err.get("error") or err.get("response", {}).get("error") or err
            # (a Responses stream keeps OpenAI's own code there and clawgate's in clawgate_code)
            assert "runtime.shutdown" in (err["code"], err.get("clawgate_code")), err
            assert err["owner"] == "runtime", err
            failed += 1
            assert kind == "long", f"a short stream was cut: {path} {last}"
    assert completed == STREAMS // 2 and failed == STREAMS // 2
    # the process ended within the drain bound (generous margin for a loaded machine)
    assert t_streams < DRAIN + 4, t_streams
    assert t_exit < DRAIN + 5, t_exit
    log = [json.loads(line) for line in (home.path / "logs" / "gateway.log").read_text().splitlines()]
    names = [e["event"] for e in log]
    assert (
        "gateway.draining" in names and "gateway.aborted_streams" in names and names[-1] == "gateway.stopped"
    )
    statuses = [e["status"] for e in log if e["event"] == "request"]
    assert statuses.count(200) == STREAMS // 2 and statuses.count(503) == STREAMS // 2
    # every upstream stream was closed: the long ones by the gateway when it ended them
    long_upstream = [r for r in emu.requests if r.model == "gpt-4o"]
    assert len(long_upstream) == STREAMS // 2
    emu.wait_for(lambda: all(r.finished or r.client_disconnected for r in long_upstream), timeout=5)


def failed_before(evs: list[Event]) -> bool:
    """An OpenAI chat stream that ends `error chunk, [DONE]`: drop the [DONE] to look at the error."""
    return len(evs) >= 2 and evs[-1].data == "[DONE]" and evs[-2].is_error


def test_sigterm_ends_calls_still_waiting_for_a_provider(emu: EmulatorThread, tmp_path: Path) -> None:
    """Calls that have no answer yet when the drain window closes (a slow non-streaming answer, a stream whose
    first event has not come) get a 503 owned by runtime, and the process still exits within the bound."""
    home = make_home(tmp_path)
    home.config(base_config(emu, drainSeconds=1))
    home.dotenv(base_dotenv())
    emu.add_fault("slow_first_byte", model="gpt-4o", first_byte_ms=30_000, times=None)
    g = spawn_gateway(home, token=TOKEN)
    try:

        async def main() -> tuple[list[httpx.Response], float]:
            async with httpx.AsyncClient(base_url=g.url, headers=g.headers(), timeout=limit(20)) as client:
                bodies = [
                    (
                        "/v1/chat/completions",
                        {**request_body("/v1/chat/completions", "openai/gpt-4o"), "stream": False},
                    ),
                    ("/v1/messages", request_body("/v1/messages", "openai/gpt-4o")),
                    ("/v1/responses", {**request_body("/v1/responses", "openai/gpt-4o"), "stream": False}),
                ]
                tasks = [asyncio.create_task(client.post(p, json=b)) for p, b in bodies]
                await asyncio.to_thread(emu.wait_for, lambda: len(emu.requests) == 3, 10)
                t_sig = time.monotonic()
                g.proc.send_signal(signal.SIGTERM)
                responses = await asyncio.wait_for(asyncio.gather(*tasks), limit(15))
                assert await asyncio.to_thread(g.proc.wait, 15) == 0
                return responses, time.monotonic() - t_sig

        responses, t_exit = asyncio.run(main())
    finally:
        g.stop()
    for r in responses:
        assert r.status_code == 503, r.text
        assert r.headers["x-clawgate-owner"] == "runtime"
        assert r.json()["error"]["code"] == "runtime.shutdown"
        assert r.headers["x-should-retry"] == "true"
    assert t_exit < 1 + 4, t_exit
    emu.wait_for(lambda: all(r.client_disconnected for r in emu.requests), timeout=5)
