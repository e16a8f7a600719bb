"""The ASGI app in-process, for what a live gateway cannot be made to do on purpose: a bug of ours (an exception)
before or during a response still answers in the endpoint's envelope with an owner, or ends the stream with an
error event."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Any

import pytest

from clawgate.call.executor import SSEBatch, StreamOutcome
from clawgate.call.runtime import Runtime
from clawgate.call.sse import SSEParser
from clawgate.gateway.app import GatewayApp
from clawgate.paths import Paths

from .conftest import GwHome, make_home


@pytest.fixture
def app(tmp_path: Any) -> Any:
    home: GwHome = make_home(tmp_path)
    home.config({"agents": {"defaults": {"model": "openai/gpt-4o"}}})
    home.dotenv("OPENAI_API_KEY=sk-test-inprocess-000000001\n")
    env = home.env()
    rt = Runtime(Paths.discover(env), env, cwd=None, persist=False)
    try:
        yield GatewayApp(rt, address="http://test")
    finally:
        rt.close()


async def call(app: GatewayApp, path: str, body: dict[str, Any]) -> tuple[int, dict[bytes, bytes], bytes]:
    sent: list[dict[str, Any]] = []
    gone = asyncio.Event()
    msgs = [{"type": "http.request", "body": json.dumps(body).encode(), "more_body": False}]

    async def receive() -> dict[str, Any]:
        if msgs:
            return msgs.pop()
        await gone.wait()
        return {"type": "http.disconnect"}

    async def send(msg: dict[str, Any]) -> None:
        sent.append(msg)

    scope = {"type": "http", "method": "POST", "path": path, "headers": [], "client": ("127.0.0.1", 5)}
    await app(scope, receive, send)
    start = sent[0]
    return start["status"], dict(start["headers"]), b"".join(m.get("body", b"") for m in sent[1:])


CHAT = {"model": "openai/gpt-4o", "messages": [{"role": "user", "content": "hi"}]}


@pytest.mark.parametrize("path", ["/v1/chat/completions", "/v1/messages", "/v1/responses"])
def test_an_exception_before_the_response_is_a_500_owned_by_runtime(
    app: GatewayApp, monkeypatch: pytest.MonkeyPatch, path: str
) -> None:
    async def boom(plan: Any, req: Any) -> Any:
        raise RuntimeError("simulated bug")

    monkeypatch.setattr(app.rt, "run", boom)
    body = (
        {"model": "openai/gpt-4o", "input": "hi"} if path.endswith("responses") else {**CHAT, "max_tokens": 5}
    )
    status, headers, raw = asyncio.run(call(app, path, body))
    assert status == 500
    assert headers[b"x-clawgate-owner"] == b"runtime"
    assert headers[b"x-should-retry"] in (b"true", b"false")
    obj = json.loads(raw)
    err = obj["error"]
    assert (err["owner"], err["code"]) == ("runtime", "runtime.internal")
    if path.endswith("messages"):
        assert obj["type"] == "error"
    assert app.inflight == 0


def test_an_exception_mid_stream_ends_with_an_error_event(
    app: GatewayApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = (
        b'data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-4o",'
        b'"choices":[{"index":0,"delta":{"content":"hel"},"finish_reason":null}]}\n\n'
    )

    async def items() -> AsyncIterator[Any]:
        yield SSEBatch(SSEParser().feed(first))  # pass-through events, as the executor yields them
        raise KeyError("simulated bug")

    async def run(plan: Any, req: Any) -> Any:
        out = StreamOutcome(
            ok=True,
            call_id="c1",
            tries=[],
            attempt=SimpleNamespace(ref="openai/gpt-4o"),  # type: ignore[arg-type]
            api="openai-completions",
        )
        out._items = items()
        return out

    monkeypatch.setattr(app.rt, "run", run)
    status, _, raw = asyncio.run(call(app, "/v1/chat/completions", {**CHAT, "stream": True}))
    assert status == 200
    text = raw.decode()
    assert text.startswith(first.decode())
    events = [line[6:] for line in text.splitlines() if line.startswith("data: ")]
    if events[-1] == "[DONE]":
        events.pop()
    err = json.loads(events[-1])["error"]
    assert (err["owner"], err["code"]) == ("runtime", "runtime.internal")
    assert app.streams == {} and app.inflight == 0
