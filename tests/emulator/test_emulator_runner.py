"""Running the emulator: on the current loop, on a thread, and in the foreground via serve()."""

from __future__ import annotations

import asyncio
import json
import os
import selectors
import signal
import socket
import subprocess
import sys
import time

import aiohttp
import pytest
from tests.support.timing import limit

from clawgate.emulator import Emulator, EmulatorThread

from .emuclient import chat_body, post, request


def test_async_context_manager_on_current_loop() -> None:
    async def main() -> None:
        async with Emulator(keys={"openai": ["sk-test-async"]}, faults=[{"fault": "billing"}]) as emu:
            assert emu.port > 0 and emu.url == f"http://127.0.0.1:{emu.port}"
            url = emu.base_url("openai") + "/chat/completions"
            async with aiohttp.ClientSession(headers={"Authorization": "Bearer sk-test-async"}) as session:
                async with session.post(url, json=chat_body()) as resp:
                    assert resp.status == 429  # the initial script
                async with session.post(url, json=chat_body(stream=True)) as resp:
                    assert resp.status == 200
                    assert (await resp.read()).endswith(b"data: [DONE]\n\n")
                # A hanging stream is cut when the emulator stops.
                async with session.post(url, json=chat_body(model="fault-hang", stream=True)) as resp:
                    assert resp.status == 200
                    rec = await emu.wait_for(lambda: emu.requests[-1].t_first_byte and emu.requests[-1])
                    started = time.monotonic()
                    await emu.stop()
                    assert time.monotonic() - started < limit(2)
                    with pytest.raises(aiohttp.ClientError):
                        await resp.read()
            assert rec.finished and not rec.client_disconnected  # the server left, not the client
            with pytest.raises(TimeoutError):
                await emu.wait_for(lambda: None, timeout=0.02)

    asyncio.run(main())


def test_thread_lifecycle() -> None:
    a = EmulatorThread()
    b = EmulatorThread()
    try:
        url_a, url_b = a.start(), b.start()
        assert url_a != url_b and a.port != b.port
        with pytest.raises(RuntimeError):
            a.start()
        assert json.loads(request("GET", url_a + "/_emulator/health")[2])["ok"] is True
    finally:
        a.stop()
        b.stop()
    a.stop()  # idempotent
    with pytest.raises(OSError):
        request("GET", url_a + "/_emulator/health", timeout=limit(2))


def test_thread_stop_with_a_hanging_request() -> None:
    emu = EmulatorThread()
    emu.start()
    body = json.dumps(chat_body(model="fault-hang", stream=True)).encode()
    sock = socket.create_connection(("127.0.0.1", emu.port), timeout=limit(5))
    try:
        sock.sendall(
            b"POST /anthropic/v1/messages HTTP/1.1\r\nHost: x\r\nx-api-key: sk-test-1\r\n"
            b"anthropic-version: 2023-06-01\r\nContent-Type: application/json\r\n"
            b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
        )
        got = b""
        while b"message_start" not in got:
            got += sock.recv(65536)
        assert got.startswith(b"HTTP/1.1 200")
        started = time.monotonic()
        emu.stop()
        assert time.monotonic() - started < limit(2)
        while chunk := sock.recv(65536):  # the server closes the connection
            got += chunk
        assert not got.endswith(b"0\r\n\r\n")  # no chunked terminator: the stream was cut
    finally:
        sock.close()
        emu.stop()
    assert not emu.requests[-1].client_disconnected


def test_base_urls() -> None:
    with EmulatorThread() as emu:
        root = emu.url
        assert emu.base_url("openai") == root + "/openai/v1"
        assert emu.base_url("anthropic") == root + "/anthropic"
        assert emu.base_url("openrouter") == root + "/openrouter/api/v1"
        assert emu.base_url("dashscope") == root + "/dashscope/cn/compatible-mode/v1"
        assert emu.base_url("dashscope", "intl") == emu.base_url("dashscope:intl")
        assert emu.base_url("dashscope", "coding-intl") == root + "/dashscope/coding-intl/v1"
        assert emu.base_url("groq") == root + "/groq/openai/v1"
        assert emu.base_url("moonshot") == root + "/moonshot/ai/v1"
        assert emu.base_url("moonshot", "cn") == root + "/moonshot/cn/v1"
        assert emu.base_url("deepseek") == root + "/deepseek/v1"
        assert emu.base_url("gemini") == root + "/gemini/v1beta/openai"
        assert len(emu.base_urls()) == 24
        for bad in (("nope", None), ("dashscope", "mars"), ("openai", "cn")):
            with pytest.raises(ValueError):
                emu.base_url(*bad)
    with pytest.raises(RuntimeError):
        _ = EmulatorThread().url


def _read_until(proc: subprocess.Popen[bytes], needle: bytes, timeout: float) -> bytes:
    assert proc.stdout is not None
    out = b""
    deadline = time.monotonic() + timeout
    with selectors.DefaultSelector() as sel:
        sel.register(proc.stdout, selectors.EVENT_READ)
        while needle not in out:
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"timed out waiting for {needle!r}; got {out!r}"
            if sel.select(remaining):
                chunk = os.read(proc.stdout.fileno(), 65536)
                assert chunk, f"process exited early: {out!r}"
                out += chunk
    return out


def test_serve_in_the_foreground_until_sigterm() -> None:
    code = (
        "from clawgate.emulator import serve; "
        "serve('127.0.0.1', 0, {'openai': ['sk-test-serve']}, chunks=2, log_size=10)"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        out = _read_until(proc, b"control", timeout=limit(20)).decode()
        lines = out.splitlines()
        assert lines[0].startswith("clawgate emulator listening on http://127.0.0.1:")
        root = lines[0].rsplit(" ", 1)[1]
        urls = dict(line.split() for line in lines[1:] if line.split()[0] != "control")
        assert (
            urls["openai"] == root + "/openai/v1"
            and urls["dashscope:coding-intl"] == root + "/dashscope/coding-intl/v1"
        )
        status, _, raw = post(
            urls["openai"] + "/chat/completions",
            chat_body(stream=True),
            {"Authorization": "Bearer sk-test-serve"},
        )
        assert status == 200 and raw.count(b'"content":"') == 3  # role chunk + 2 content chunks
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=limit(10)) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=limit(10))
