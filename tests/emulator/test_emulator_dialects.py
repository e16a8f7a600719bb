"""The OpenAI-compatible dialects: good-key stream and non-stream, and each provider's stream quirks."""

from __future__ import annotations

import json

import openai
import pytest
from tests.support.timing import limit

from clawgate.emulator import EmulatorThread

from .emuclient import OPENAI_COMPAT, auth_headers, chat_body, key_for, post, request, sse_json


def client(emu: EmulatorThread, scope: str) -> openai.OpenAI:
    return openai.OpenAI(
        base_url=emu.base_url(scope), api_key=key_for(scope), max_retries=0, timeout=limit(10)
    )


@pytest.mark.parametrize("scope", OPENAI_COMPAT)
def test_good_key_non_stream(emu: EmulatorThread, scope: str) -> None:
    resp = client(emu, scope).chat.completions.create(
        model="m-1", messages=[{"role": "user", "content": "hi"}]
    )
    dialect = scope.split(":")[0]
    assert resp.choices[0].message.content == f"emulated reply from {dialect} model m-1"
    assert resp.usage is not None and resp.usage.completion_tokens > 0
    rec = emu.last_request
    assert rec.dialect == dialect and rec.auth == "ok" and rec.status == 200
    assert rec.region == (scope.split(":")[1] if ":" in scope else None)


@pytest.mark.parametrize("scope", OPENAI_COMPAT)
def test_good_key_stream(emu: EmulatorThread, scope: str) -> None:
    chunks = list(
        client(emu, scope).chat.completions.create(
            model="m-1", messages=[{"role": "user", "content": "echo: streaming works"}], stream=True
        )
    )
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "streaming works"
    assert emu.last_request.chunks_sent == 5 and emu.last_request.stream


def stream_raw(emu: EmulatorThread, scope: str, **extra: object) -> bytes:
    status, headers, raw = post(
        emu.base_url(scope) + "/chat/completions", chat_body(stream=True, **extra), auth_headers(scope)
    )
    assert status == 200 and headers["content-type"].startswith("text/event-stream")
    return raw


def test_openrouter_stream_quirks(emu: EmulatorThread) -> None:
    raw = stream_raw(emu, "openrouter")
    assert raw.startswith(b": OPENROUTER PROCESSING\n\n: OPENROUTER PROCESSING\n\ndata: ")
    events = sse_json(raw)
    assert events[-1]["choices"] == [] and events[-1]["usage"]["total_tokens"] > 0  # usage always sent
    assert all(e["id"].startswith("gen-") and e["provider"] == "Emulator" for e in events)
    assert raw.endswith(b"data: [DONE]\n\n")
    _, headers, body = post(
        emu.base_url("openrouter") + "/chat/completions", chat_body(), auth_headers("openrouter")
    )
    assert headers["x-generation-id"] == json.loads(body)["id"]


def test_groq_usage_in_x_groq(emu: EmulatorThread) -> None:
    events = sse_json(stream_raw(emu, "groq"))
    assert events[0]["x_groq"] == {"id": events[0]["x_groq"]["id"]}
    last = events[-1]
    assert last["choices"][0]["finish_reason"] == "stop"
    assert last["x_groq"]["usage"]["total_tokens"] > 0 and "usage" not in last
    _, headers, _ = post(emu.base_url("groq") + "/chat/completions", chat_body(), auth_headers("groq"))
    assert headers["x-request-id"].startswith("req_01") and "x-ratelimit-limit-requests" in headers


def test_moonshot_usage_in_choice(emu: EmulatorThread) -> None:
    last = sse_json(stream_raw(emu, "moonshot:cn"))[-1]
    assert last["choices"][0]["usage"]["total_tokens"] > 0


def test_include_usage_chunk(emu: EmulatorThread) -> None:
    for scope in ("openai", "dashscope:intl", "deepseek"):
        events = sse_json(stream_raw(emu, scope, stream_options={"include_usage": True}))
        assert events[-1]["choices"] == [] and events[-1]["usage"]["prompt_tokens"] > 0, scope
        assert all(e["usage"] is None for e in events[:-1]), scope


def test_deepseek_usage_fields(emu: EmulatorThread) -> None:
    _, _, body = post(emu.base_url("deepseek") + "/chat/completions", chat_body(), auth_headers("deepseek"))
    usage = json.loads(body)["usage"]
    assert usage["prompt_cache_miss_tokens"] == usage["prompt_tokens"]


@pytest.mark.parametrize("scope", ["openrouter", "dashscope:us"])
def test_responses_on_other_dialects(emu: EmulatorThread, scope: str) -> None:
    c = client(emu, scope)
    assert c.responses.create(model="m", input="echo: hi there").output_text == "hi there"
    events = list(c.responses.create(model="m", input="x", stream=True))
    assert events[-1].type == "response.completed"


@pytest.mark.parametrize(
    ("scope", "has_models"),
    [
        ("openai", True),
        ("openrouter", True),
        ("dashscope:cn", True),
        ("groq", True),
        ("moonshot:ai", True),
        ("deepseek", True),
        ("gemini", False),
        ("dashscope:coding-intl", False),
    ],
)
def test_models_endpoints(emu: EmulatorThread, scope: str, has_models: bool) -> None:
    status, _, body = request("GET", emu.base_url(scope) + "/models", headers=auth_headers(scope))
    if has_models:
        assert status == 200
        assert len(json.loads(body)["data"]) >= 1
    else:
        assert status == 404


@pytest.mark.parametrize(
    ("scope", "path"),
    [
        ("groq", "/responses"),
        ("moonshot:ai", "/responses"),
        ("deepseek", "/responses"),
        ("gemini", "/responses"),
    ],
)
def test_unsupported_endpoints_are_404(emu: EmulatorThread, scope: str, path: str) -> None:
    status, _, body = post(emu.base_url(scope) + path, {"model": "m", "input": "x"}, auth_headers(scope))
    assert status == 404 and body


def test_unknown_paths_use_dialect_envelope(emu: EmulatorThread) -> None:
    expect = {
        "openai": b'{"error":{"message":"Invalid URL (POST /v1/nope)","type":"invalid_request_error","param":null,"code":null}}',
        "openrouter": b'{"error":{"message":"Not Found","code":404}}',
        "gemini": b'[{"error":{"code":404,"message":"Requested entity was not found.","status":"NOT_FOUND"}}]',
        "moonshot:ai": b'{"error":{"message":"Not Found","type":"resource_not_found_error"}}',
        "dashscope:coding-cn": b"",
    }
    for scope, body in expect.items():
        status, _, raw = post(emu.base_url(scope) + "/nope", {}, auth_headers(scope))
        assert (status, raw) == (404, body), scope
    status, _, raw = post(emu.base_url("anthropic") + "/v1/nope", {}, auth_headers("anthropic"))
    assert status == 404 and json.loads(raw)["error"]["type"] == "not_found_error"
    status, _, raw = request("GET", emu.url + "/nothing/here")
    assert status == 404 and b"nothing is mounted" in raw
    assert emu.last_request.dialect is None


def test_invalid_json_is_400(emu: EmulatorThread) -> None:
    status, _, raw = post(emu.base_url("openai") + "/chat/completions", b"{not json", auth_headers("openai"))
    assert status == 400 and b"could not parse the JSON body" in raw
    assert emu.last_request.body == "{not json"
