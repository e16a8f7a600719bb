"""Streaming through the gateway: chunks pass as they arrive, a client disconnect cancels the upstream request
(done-when 4), and a stream that fails mid-way ends with an error event in the client's dialect.

Where a test needs the client to give up, or the upstream to pause, "long enough", the time is derived from a
normal call through this gateway timed just before (`_normal_call`), never a fixed fraction of a second."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest
from tests.support.timing import limit, stopwatch, timeout_for

from clawgate.emulator import EmulatorThread
from clawgate.store import open_store

from .conftest import TOKEN, Gateway, base_config, gateway_for, wait_until
from .sse import events, is_terminal, request_body

PATHS = ["/v1/chat/completions", "/v1/messages", "/v1/responses"]
# (client endpoint, model, emulator dialect): pass-through and translated pairs
PAIRS = [
    ("/v1/chat/completions", "openai/gpt-4o", "openai"),
    ("/v1/chat/completions", "anthropic/claude-sonnet-4-5", "anthropic"),
    ("/v1/messages", "anthropic/claude-sonnet-4-5", "anthropic"),
    ("/v1/messages", "openai/gpt-4o", "openai"),
    ("/v1/responses", "openai/gpt-4o", "openai"),
    ("/v1/responses", "anthropic/claude-sonnet-4-5", "anthropic"),
]
PAIR_IDS = [f"{p.rsplit('/', 1)[1]}->{d}" for p, _, d in PAIRS]


@pytest.fixture(autouse=True)
def _forget_health(request: pytest.FixtureRequest) -> Iterator[None]:
    """A mid-stream overload cools its key down (as one before the first byte does); each test starts with a
    clean health state, cleared the way `clawgate health clear` does it (through the store)."""
    yield
    if "gw" in request.fixturenames:
        gw: Gateway = request.getfixturevalue("gw")
        store = open_store(str(gw.home.path / "state.db"))
        store.clear_health()
        store.close()


@pytest.fixture(scope="module")
def gw(emulator: EmulatorThread, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    with gateway_for(tmp_path_factory.mktemp("stream"), base_config(emulator)) as g:
        yield g


def _normal_call(gw: Gateway, emu: EmulatorThread) -> float:
    """Seconds a normal non-streaming call through `gw` to the emulator takes right now; the emulator's script and
    log are reset afterwards."""
    body = {"model": "openai/gpt-4o", "messages": [{"role": "user", "content": "hi"}]}
    with gw.client() as c, stopwatch() as sw:
        assert c.post("/v1/chat/completions", json=body).status_code == 200
    emu.reset()
    return sw.seconds


def _give_up_after(gw: Gateway, emu: EmulatorThread) -> httpx.Timeout:
    """A client read timeout that fires while the upstream stalls, but only long after the request reached it."""
    return httpx.Timeout(limit(10), read=timeout_for(_normal_call(gw, emu)))


@pytest.mark.parametrize(
    ("path", "model", "dialect"),
    [PAIRS[0], PAIRS[1], PAIRS[3], PAIRS[4]],
    ids=[PAIR_IDS[0], PAIR_IDS[1], PAIR_IDS[3], PAIR_IDS[4]],
)
def test_first_chunk_arrives_before_the_second_is_sent(
    gw: Gateway, emu: EmulatorThread, path: str, model: str, dialect: str
) -> None:
    # the delay is between every upstream event: long enough (derived from a normal call) that the client has
    # the first content chunk before the emulator sends the second
    gap_ms = int(timeout_for(_normal_call(gw, emu), factor=10, floor=0.2) * 1000)
    emu.add_fault("slow_chunks", dialect=dialect, chunk_delay_ms=gap_ms, chunks=2)
    seen_when_first_text: int | None = None
    text = ""
    with gw.client() as c, c.stream("POST", path, json=request_body(path, model)) as r:
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/event-stream")
        assert float(r.headers["x-clawgate-overhead-ms"]) >= 0
        terminal = False
        for ev in events(r):
            if ev.text and seen_when_first_text is None:
                seen_when_first_text = emu.requests[-1].chunks_sent
            text += ev.text
            terminal = terminal or is_terminal(ev, path)
    assert seen_when_first_text == 1, "the gateway buffered the stream instead of passing chunks on"
    assert text == f"emulated reply from {dialect} model {model.split('/', 1)[1]}"
    assert terminal


@pytest.mark.parametrize(("path", "model", "dialect"), PAIRS, ids=PAIR_IDS)
def test_client_disconnect_mid_stream_cancels_upstream(
    gw: Gateway, emu: EmulatorThread, path: str, model: str, dialect: str
) -> None:
    """Done-when 4: the emulator hangs after one chunk; the client reads it and leaves."""
    emu.add_fault("hang", dialect=dialect, after=1, chunks=4)
    with gw.client() as c, c.stream("POST", path, json=request_body(path, model)) as r:
        assert r.status_code == 200
        for ev in events(r):
            if ev.text:
                break
    rec = emu.requests[-1]
    assert rec.stream and rec.chunks_sent == 1
    emu.wait_for(lambda: rec.client_disconnected, timeout=5)
    assert rec.client_disconnected


def test_client_disconnect_during_slow_chunks_stops_the_upstream_stream(
    gw: Gateway, emu: EmulatorThread
) -> None:
    emu.add_fault("slow_chunks", dialect="openai", chunk_delay_ms=100, chunks=50)
    path = "/v1/chat/completions"
    with gw.client() as c, c.stream("POST", path, json=request_body(path, "openai/gpt-4o")) as r:
        got = 0
        for ev in events(r):
            got += bool(ev.text)
            if got == 2:
                break
    rec = emu.requests[-1]
    emu.wait_for(lambda: rec.client_disconnected or rec.finished, timeout=5)
    assert rec.client_disconnected and rec.chunks_sent < 50


@pytest.mark.parametrize("path", PATHS)
def test_client_disconnect_before_the_first_byte_cancels_upstream(
    gw: Gateway, emu: EmulatorThread, path: str
) -> None:
    """A client that gives up while the provider has not sent anything yet (a slow model) must not leave the
    upstream request running until the first-byte timeout."""
    give_up = _give_up_after(gw, emu)
    emu.add_fault("slow_first_byte", dialect="openai", first_byte_ms=int(give_up.read * 4000))
    # the gateway answers (headers included) only with the provider's first event: give up before
    with (
        pytest.raises(httpx.ReadTimeout),
        gw.client(timeout=give_up) as c,
        c.stream("POST", path, json=request_body(path, "openai/gpt-4o")),
    ):
        pass
    rec = emu.wait_for(lambda: emu.requests_for(dialect="openai"), timeout=5)[-1]
    emu.wait_for(lambda: rec.client_disconnected, timeout=5)


def test_client_disconnect_during_a_slow_non_streaming_call_cancels_upstream(
    gw: Gateway, emu: EmulatorThread
) -> None:
    give_up = _give_up_after(gw, emu)
    emu.add_fault("slow_first_byte", dialect="openai", first_byte_ms=int(give_up.read * 4000))
    body = {"model": "openai/gpt-4o", "messages": [{"role": "user", "content": "hi"}]}
    with pytest.raises(httpx.ReadTimeout), gw.client(timeout=give_up) as c:
        c.post("/v1/chat/completions", json=body)
    rec = emu.wait_for(lambda: emu.requests_for(dialect="openai"), timeout=5)[-1]
    emu.wait_for(lambda: rec.client_disconnected, timeout=5)


@pytest.mark.parametrize(("path", "model", "dialect"), PAIRS, ids=PAIR_IDS)
@pytest.mark.parametrize("kind", ["cut_mid_stream", "inband_error"])
def test_upstream_failure_mid_stream_ends_with_an_error_event(
    gw: Gateway, emu: EmulatorThread, path: str, model: str, dialect: str, kind: str
) -> None:
    # the delay makes the failure arrive after content went to the client (before that, the gateway may
    # still fail over, which it does: nothing was sent yet)
    emu.add_fault(kind, dialect=dialect, after=2, chunks=5, chunk_delay_ms=50)
    evs = []
    with gw.client() as c, c.stream("POST", path, json=request_body(path, model)) as r:
        assert r.status_code == 200
        evs = list(events(r))
    texts = [e.text for e in evs if e.text]
    assert len(texts) == 2
    if evs[-1].data == "[DONE]":  # OpenAI chat streams close with [DONE] after an error chunk
        evs.pop()
    assert evs[-1].is_error, evs[-1]
    assert not any(is_terminal(e, path) for e in evs)
    assert len(emu.requests) == 1
    err = evs[-1].json
    err = err.get("error") or err.get("response", {}).get("error") or err
    assert err.get("owner") == "upstream", err


def test_sdks_raise_on_a_mid_stream_error(gw: Gateway, emu: EmulatorThread) -> None:
    import anthropic
    import openai

    emu.add_fault("cut_mid_stream", dialect="openai", after=1, times=2)
    oc = openai.OpenAI(base_url=gw.url + "/v1", api_key=TOKEN, max_retries=0, timeout=limit(10))
    got: list[str] = []
    with pytest.raises(openai.APIError) as e1:
        for chunk in oc.chat.completions.create(
            model="openai/gpt-4o", messages=[{"role": "user", "content": "hi"}], stream=True
        ):
            got.extend(c.delta.content or "" for c in chunk.choices)
    assert got and "upstream" in str(e1.value.body or e1.value.message)
    ac = anthropic.Anthropic(base_url=gw.url, api_key=TOKEN, max_retries=0, timeout=limit(10))
    with (
        pytest.raises(anthropic.APIError),
        ac.messages.stream(
            model="openai/gpt-4o", max_tokens=32, messages=[{"role": "user", "content": "hi"}]
        ) as s,
    ):
        for _ in s.text_stream:
            pass


def test_disconnect_is_logged_as_499(gw: Gateway, emu: EmulatorThread) -> None:
    emu.add_fault("hang", dialect="openai", after=1)
    path = "/v1/chat/completions"
    with (
        gw.client() as c,
        c.stream("POST", path, json=request_body(path, "openai/gpt-4o", "disconnect-me")) as r,
    ):
        for ev in events(r):
            if ev.text:
                call_id = r.headers["x-request-id"]
                break
    log = gw.home.path / "logs" / "gateway.log"

    def logged() -> bool:
        return log.exists() and any(
            call_id in line and '"status":499' in line for line in log.read_text().splitlines()
        )

    wait_until(logged, 5, what="a request event with status 499")
    _ = time


def _cancelled_count(gw: Gateway) -> int:
    return int(gw.status()["calls_last_hour"]["failures_by_owner"].get("runtime", 0))


def test_a_stream_the_client_left_is_recorded_as_cancelled(gw: Gateway, emu: EmulatorThread) -> None:
    before = _cancelled_count(gw)
    emu.add_fault("hang", dialect="openai", after=1)
    path = "/v1/chat/completions"
    with gw.client() as c, c.stream("POST", path, json=request_body(path, "openai/gpt-4o")) as r:
        for ev in events(r):
            if ev.text:
                break
    wait_until(lambda: _cancelled_count(gw) == before + 1, 5, what="the cancelled try in the store")


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "stream"])
def test_a_call_the_client_left_before_the_answer_is_recorded(
    gw: Gateway, emu: EmulatorThread, stream: bool
) -> None:
    give_up = _give_up_after(gw, emu)
    before = _cancelled_count(gw)
    emu.add_fault("slow_first_byte", dialect="openai", first_byte_ms=int(give_up.read * 4000))
    path = "/v1/chat/completions"
    with (
        pytest.raises(httpx.ReadTimeout),
        gw.client(timeout=give_up) as c,
        c.stream("POST", path, json={**request_body(path, "openai/gpt-4o"), "stream": stream}),
    ):
        pass
    rec = emu.wait_for(lambda: emu.requests_for(dialect="openai"), timeout=5)[-1]
    emu.wait_for(lambda: rec.client_disconnected, timeout=5)  # the gateway did cancel it upstream
    wait_until(lambda: _cancelled_count(gw) == before + 1, 2, what="the cancelled try in the store")
