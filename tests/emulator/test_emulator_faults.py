"""Faults: every kind in every dialect's envelope, stream shapers, the script queue and model triggers."""

from __future__ import annotations

import json
import socket
import time

import anthropic
import openai
import pytest
from tests.support.timing import limit, stopwatch, timeout_for

from clawgate.emulator import EmulatorThread, Fault, FaultRule, Match, parse_model_trigger
from clawgate.emulator.faults import TriggerError

from .emuclient import auth_headers, chat_body, key_for, post, request, sse, sse_json

SCOPES = [
    "openai",
    "anthropic",
    "openrouter",
    "dashscope:intl",
    "dashscope:coding-intl",
    "groq",
    "moonshot:ai",
    "deepseek",
    "gemini",
]
# kind -> scope -> (status, a substring the classifier keys on)
STATUS_FAULTS: dict[str, dict[str, tuple[int, str]]] = {
    "billing": {
        "openai": (429, '"code":"insufficient_quota"'),
        "anthropic": (400, "credit balance is too low"),
        "openrouter": (402, '"code":402'),
        "dashscope:intl": (403, '"code":"Arrearage"'),
        "dashscope:coding-intl": (403, '"code":"Arrearage"'),
        "groq": (400, "organization_restricted"),
        "moonshot:ai": (403, "exceeded_current_quota_error"),
        "deepseek": (402, "Insufficient Balance"),
        "gemini": (403, "BILLING_DISABLED"),
    },
    "forbidden": {
        "openai": (403, "unsupported_country_region_territory"),
        "anthropic": (403, "permission_error"),
        "openrouter": (403, '"code":403'),
        "dashscope:intl": (403, "Model.AccessDenied"),
        "dashscope:coding-intl": (405, "only available for Coding Agents"),
        "groq": (403, "permission_error"),
        "moonshot:ai": (403, "permission_denied_error"),
        "deepseek": (403, "permission_error"),
        "gemini": (400, "FAILED_PRECONDITION"),
    },
    "rate_limit": {
        "openai": (429, "rate_limit_exceeded"),
        "anthropic": (429, "rate_limit_error"),
        "openrouter": (429, '"code":429'),
        "dashscope:intl": (429, "Throttling.RateQuota"),
        "dashscope:coding-intl": (429, "Throttling.RateQuota"),
        "groq": (429, "rate_limit_exceeded"),
        "moonshot:ai": (429, "rate_limit_reached_error"),
        "deepseek": (429, "Rate Limit Reached"),
        "gemini": (429, "RESOURCE_EXHAUSTED"),
    },
    "overloaded": {
        "openai": (503, "server_is_overloaded"),
        "anthropic": (529, "overloaded_error"),
        "openrouter": (503, "provider_overloaded"),
        "dashscope:intl": (503, "ServiceUnavailable"),
        "dashscope:coding-intl": (503, "ServiceUnavailable"),
        "groq": (503, "over capacity"),
        "moonshot:ai": (429, "engine_overloaded_error"),
        "deepseek": (503, "Server Overloaded"),
        "gemini": (503, "UNAVAILABLE"),
    },
    "server_error": {s: (500, "") for s in SCOPES},
    "unknown_model": {
        "openai": (404, "model_not_found"),
        "anthropic": (404, "not_found_error"),
        "openrouter": (400, "is not a valid model ID"),
        "dashscope:intl": (404, "model_not_found"),
        "dashscope:coding-intl": (404, "model_not_found"),
        "groq": (404, "model_not_found"),
        "moonshot:ai": (404, "resource_not_found_error"),
        "deepseek": (400, "Model Not Exist"),
        "gemini": (404, "NOT_FOUND"),
    },
    "context_length": {
        "openai": (400, "context_length_exceeded"),
        "anthropic": (400, "prompt is too long"),
        "openrouter": (400, "maximum context length"),
        "dashscope:intl": (400, "Range of input length"),
        "dashscope:coding-intl": (400, "Range of input length"),
        "groq": (400, "context_length_exceeded"),
        "moonshot:ai": (400, "exceeded model token limit"),
        "deepseek": (400, "maximum context length"),
        "gemini": (400, "exceeds the maximum number of tokens"),
    },
}


def gen_url(emu: EmulatorThread, scope: str) -> str:
    return emu.base_url(scope) + ("/v1/messages" if scope == "anthropic" else "/chat/completions")


def gen(emu: EmulatorThread, scope: str, model: str = "m", stream: bool = False, **extra: object):
    body = chat_body(model=model, stream=stream, max_tokens=10, **extra)
    return post(gen_url(emu, scope), body, auth_headers(scope))


@pytest.mark.parametrize("kind", sorted(STATUS_FAULTS))
@pytest.mark.parametrize("scope", SCOPES)
def test_status_faults_by_model_trigger(emu: EmulatorThread, scope: str, kind: str) -> None:
    expected_status, needle = STATUS_FAULTS[kind][scope]
    for stream in (False, True):
        status, headers, raw = gen(emu, scope, model=f"fault-{kind}", stream=stream)
        assert status == expected_status, (scope, kind, raw)
        assert needle.encode() in raw
        assert headers["content-type"].startswith("application/json")
        rec = emu.last_request
        assert rec.fault_kind == kind and rec.fault_source == "model" and rec.status == expected_status


def test_forced_auth_faults_with_a_valid_key(emu: EmulatorThread) -> None:
    status, _, raw = gen(emu, "openrouter", model="fault-missing_key")
    assert (status, raw) == (401, b'{"error":{"message":"Missing Authentication header","code":401}}')
    emu.add_fault("wrong_key", dialect="groq")
    status, _, raw = gen(emu, "groq")
    assert (status, raw) == (
        401,
        b'{"error":{"message":"Invalid API Key","type":"invalid_request_error","code":"invalid_api_key"}}',
    )
    # wrong_key masks the key that was actually sent.
    status, _, raw = gen(emu, "openai", model="fault-wrong_key")
    assert status == 401 and b"Incorrect API key provided: sk-test-*******0001." in raw


def test_exact_bodies_from_the_reference(emu: EmulatorThread) -> None:
    emu.add_fault("rate_limit", dialect="openai", retry_after=1.574)
    status, _, raw = gen(emu, "openai", model="o4-mini")
    assert status == 429 and raw == (
        b'{"error":{"message":"Rate limit reached for o4-mini in organization org-******* on tokens per min (TPM): '
        b"Limit 200000, Used 162960, Requested 42288. Please try again in 1.574s. Visit "
        b'https://platform.openai.com/account/rate-limits to learn more.","type":"tokens","param":null,'
        b'"code":"rate_limit_exceeded"}}'
    )
    status, _, raw = gen(emu, "openai", model="fault-forbidden")
    assert raw == (
        b'{"error":{"code":"unsupported_country_region_territory","message":"Country, region, or territory not '
        b'supported","param":null,"type":"request_forbidden"}}'
    )
    status, headers, raw = gen(emu, "anthropic", model="fault-overloaded")
    rid = headers["request-id"].encode()
    assert (
        raw
        == b'{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"},"request_id":"'
        + rid
        + b'"}'
    )
    assert headers["x-should-retry"] == "true"
    status, headers, raw = gen(emu, "anthropic", model="fault-context_length")
    rid = headers["request-id"].encode()
    assert raw == (
        b'{"type":"error","error":{"type":"invalid_request_error","message":"prompt is too long: 205429 tokens > '
        b'200000 maximum"},"request_id":"' + rid + b'"}'
    )
    assert headers["x-should-retry"] == "false"
    emu.add_faults({"match": {"dialect": "openrouter", "model": "healer-alpha"}, "fault": "unknown_model"})
    status, _, raw = gen(emu, "openrouter", model="healer-alpha")
    assert status == 400
    assert raw.startswith(
        b'{"error":{"message":"healer-alpha is not a valid model ID","code":400},"user_id":"user_'
    )
    status, _, raw = gen(emu, "deepseek", model="fault-billing")
    assert raw == (
        b'{"error":{"message":"Insufficient Balance","type":"unknown_error","param":null,'
        b'"code":"invalid_request_error"}}'
    )
    status, _, raw = gen(emu, "dashscope:coding-cn", model="fault-forbidden")
    assert (status, raw) == (405, b'{"error": "Coding Plan is currently only available for Coding Agents"}')
    status, _, raw = gen(emu, "gemini", model="fault-rate_limit")
    assert raw == (
        b'[{"error":{"code":429,"message":"Resource has been exhausted (e.g. check quota).",'
        b'"status":"RESOURCE_EXHAUSTED"}}]'
    )
    status, _, raw = gen(emu, "moonshot:ai", model="fault-overloaded")
    assert raw == (
        b'{"error":{"message":"The engine is currently overloaded, please try again later",'
        b'"type":"engine_overloaded_error"}}'
    )
    status, headers, raw = gen(emu, "dashscope:cn", model="fault-context_length")
    assert json.loads(raw) == {
        "error": {
            "code": "invalid_parameter_error",
            "message": "<400> InternalError.Algo.InvalidParameter: Range of input length should be [1, 983616]",
            "param": None,
            "type": "invalid_request_error",
        },
        "request_id": headers["x-request-id"],
    }


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        ("fault-rate_limit", {"retry-after": "1"}),
        ("fault-rate_limit-retry2-retryms1500", {"retry-after": "2", "retry-after-ms": "1500"}),
        ("fault-rate_limit-retryms250", {"retry-after-ms": "250"}),
        ("fault-rate_limit-retry0.5", {"retry-after": "0.5"}),
        ("fault-rate_limit-noretry", {}),
        ("fault-overloaded", {}),
        ("fault-overloaded-retry3", {"retry-after": "3"}),
    ],
)
def test_retry_headers(emu: EmulatorThread, model: str, expected: dict[str, str]) -> None:
    for scope in ("openai", "anthropic", "groq"):
        _, headers, _ = gen(emu, scope, model=model)
        got = {k: v for k, v in headers.items() if k in ("retry-after", "retry-after-ms")}
        assert got == expected, scope


def test_status_override_and_custom(emu: EmulatorThread) -> None:
    status, _, raw = gen(emu, "openai", model="fault-server_error-status502")
    assert status == 502 and b'"type":"server_error"' in raw
    emu.add_faults(
        {"fault": {"kind": "custom", "status": 418, "body": {"teapot": True}, "headers": {"x-emu-test": "1"}}}
    )
    status, headers, raw = gen(emu, "deepseek")
    assert (status, raw, headers["x-emu-test"]) == (418, b'{"teapot":true}', "1")


def test_sdks_raise_the_right_errors(emu: EmulatorThread) -> None:
    oa = openai.OpenAI(
        base_url=emu.base_url("openai"), api_key=key_for("openai"), max_retries=0, timeout=limit(10)
    )
    with pytest.raises(openai.RateLimitError) as err:
        oa.chat.completions.create(model="fault-billing", messages=[{"role": "user", "content": "x"}])
    assert err.value.code == "insufficient_quota"
    with pytest.raises(openai.NotFoundError):
        oa.chat.completions.create(model="fault-unknown_model", messages=[], stream=True)
    an = anthropic.Anthropic(
        base_url=emu.base_url("anthropic"), api_key=key_for("anthropic"), max_retries=0, timeout=limit(10)
    )
    with pytest.raises(anthropic.OverloadedError):
        an.messages.create(
            model="fault-overloaded", max_tokens=5, messages=[{"role": "user", "content": "x"}]
        )


# Stream shapers ---------------------------------------------------------------------------
def test_slow_first_byte(emu: EmulatorThread) -> None:
    for stream in (False, True):
        started = time.monotonic()
        status, _, _ = gen(emu, "openai", model="fault-slow_first_byte-ms150", stream=stream)
        assert status == 200 and time.monotonic() - started >= 0.15
        rec = emu.last_request
        assert rec.ttfb is not None and rec.ttfb >= 0.15
    # Combined with a status fault through the script.
    emu.add_fault("rate_limit", first_byte_ms=100)
    status, _, _ = gen(emu, "anthropic")
    assert status == 429 and emu.last_request.ttfb >= 0.1


def test_deepseek_keepalives_while_first_byte_is_slow(emu: EmulatorThread) -> None:
    # a keep-alive at once and every 40 ms: the delay is long enough for a second one on a busy machine too
    delay = limit(0.12)
    model = f"fault-slow_first_byte-ms{int(delay * 1000)}-ka40"
    status, _, raw = gen(emu, "deepseek", model=model, stream=True)
    assert status == 200
    assert raw.startswith(b": keep-alive\n\n: keep-alive\n\n")
    assert sse_json(raw)[-1]["choices"][0]["finish_reason"] == "stop"
    rec = emu.last_request
    assert (
        rec.duration >= delay - 0.001 and rec.duration - rec.ttfb >= delay - 0.02
    )  # headers at once, data later
    # Non-stream: blank lines before the JSON body, which clients still parse.
    ds = openai.OpenAI(
        base_url=emu.base_url("deepseek"), api_key=key_for("deepseek"), max_retries=0, timeout=limit(10)
    )
    emu.add_fault("slow_first_byte", first_byte_ms=80, keepalive_ms=30)
    resp = ds.chat.completions.create(model="deepseek-chat", messages=[{"role": "user", "content": "hi"}])
    assert resp.choices[0].message.content.startswith("emulated reply")
    emu.add_fault("slow_first_byte", first_byte_ms=50)
    _, _, raw = gen(emu, "deepseek")
    assert raw.startswith(b"\n") and json.loads(raw)["object"] == "chat.completion"


def test_openrouter_processing_comments_while_first_byte_is_slow(emu: EmulatorThread) -> None:
    delay_ms = int(limit(0.1) * 1000)  # a comment at once and every 20 ms: room for three on a busy machine
    _, _, raw = gen(emu, "openrouter", model=f"fault-slow_first_byte-ms{delay_ms}-ka20", stream=True)
    head = raw.split(b"data: ", 1)[0]
    assert head.count(b": OPENROUTER PROCESSING\n\n") >= 3


def test_slow_chunks(emu: EmulatorThread) -> None:
    started = time.monotonic()
    chunks = list(
        openai.OpenAI(
            base_url=emu.base_url("openai"), api_key=key_for("openai"), max_retries=0, timeout=limit(10)
        ).chat.completions.create(
            model="fault-slow_chunks-ms30", messages=[{"role": "user", "content": "x"}], stream=True
        )
    )
    assert len(chunks) == 7 and time.monotonic() - started >= 0.18  # 8 writes, 7 gaps of 30 ms


@pytest.mark.parametrize("scope", ["openai", "anthropic", "openrouter"])
def test_cut_mid_stream(emu: EmulatorThread, scope: str) -> None:
    with pytest.raises(Exception) as err:
        gen(emu, scope, model="fault-cut_mid_stream-after3", stream=True)
    assert "IncompleteRead" in repr(err.value) or "incomplete" in str(err.value).lower()
    rec = emu.last_request
    assert rec.chunks_sent == 3 and rec.fault_kind == "cut_mid_stream" and rec.finished


def test_cut_mid_stream_sdk_and_non_stream(emu: EmulatorThread) -> None:
    oa = openai.OpenAI(
        base_url=emu.base_url("openai"), api_key=key_for("openai"), max_retries=0, timeout=limit(10)
    )
    got = []
    with pytest.raises(openai.APIConnectionError):
        for chunk in oa.chat.completions.create(
            model="fault-cut_mid_stream",
            messages=[{"role": "user", "content": "echo: 0123456789"}],
            stream=True,
        ):
            got.append(chunk.choices[0].delta.content or "")
    assert "".join(got) == "0123"  # two of five chunks
    with pytest.raises(openai.APIConnectionError):
        oa.chat.completions.create(model="fault-cut_mid_stream", messages=[{"role": "user", "content": "x"}])


def test_inband_errors(emu: EmulatorThread) -> None:
    # OpenAI chat: a bare error data line after two content chunks, no [DONE].
    _, _, raw = gen(emu, "openai", model="fault-inband_error", stream=True)
    assert raw.endswith(
        b'data: {"error": {"message": "The server had an error while processing your request. Sorry about that!", '
        b'"type": "server_error"}}\n\n'
    )
    assert b"[DONE]" not in raw and emu.last_request.chunks_sent == 2
    oa = openai.OpenAI(
        base_url=emu.base_url("openai"), api_key=key_for("openai"), max_retries=0, timeout=limit(10)
    )
    with pytest.raises(openai.APIError):
        list(oa.chat.completions.create(model="fault-inband_error", messages=[], stream=True))
    # OpenRouter: an error chunk with finish_reason "error", then the stream ends.
    _, _, raw = gen(emu, "openrouter", model="fault-inband_error-after1", stream=True)
    last = sse_json(raw)[-1]
    assert last["error"]["code"] == 429 and last["choices"][0]["finish_reason"] == "error"
    assert b"[DONE]" not in raw
    # Anthropic: event: error with overloaded_error on a 200.
    status, _, raw = gen(emu, "anthropic", model="fault-inband_error", stream=True)
    assert status == 200 and raw.endswith(
        b'event: error\ndata: {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}\n\n'
    )
    an = anthropic.Anthropic(
        base_url=emu.base_url("anthropic"), api_key=key_for("anthropic"), max_retries=0, timeout=limit(10)
    )
    with (
        pytest.raises(anthropic.APIStatusError) as err,
        an.messages.stream(
            model="fault-inband_error", max_tokens=5, messages=[{"role": "user", "content": "x"}]
        ) as s,
    ):
        s.get_final_message()
    assert "overloaded_error" in str(err.value)
    # Non-stream OpenRouter: finish_reason "error" with choices[0].error under HTTP 200.
    status, _, raw = gen(emu, "openrouter", model="fault-inband_error")
    assert status == 200 and json.loads(raw)["choices"][0]["error"]["code"] == 502


@pytest.mark.parametrize("variant", [None, "flat"])
def test_responses_inband_error(emu: EmulatorThread, variant: str | None) -> None:
    emu.add_fault("inband_error", after=1, variant=variant)
    status, _, raw = post(
        emu.base_url("openai") + "/responses",
        {"model": "m", "input": "x", "stream": True},
        auth_headers("openai"),
    )
    events = sse(raw)
    assert status == 200 and [n for n, _ in events][-2:] == ["error", "response.failed"]
    err = json.loads(events[-2][1])
    if variant == "flat":
        assert err["code"] == "server_is_overloaded" and "error" not in err
    else:
        assert err["error"]["code"] == "server_is_overloaded"
    failed = json.loads(events[-1][1])
    assert (
        failed["response"]["status"] == "failed" and failed["sequence_number"] == err["sequence_number"] + 1
    )


def test_keepalive(emu: EmulatorThread) -> None:
    _, _, raw = gen(emu, "openai", model="fault-keepalive", stream=True)
    assert raw.count(b": keep-alive\n\n") == len(sse(raw)) - 1
    _, _, raw = gen(emu, "openrouter", model="fault-keepalive", stream=True)
    assert raw.count(b": OPENROUTER PROCESSING") > 2
    _, _, raw = gen(emu, "anthropic", model="fault-keepalive", stream=True)
    assert [n for n, _ in sse(raw)].count("ping") > 5
    status, _, raw = gen(emu, "groq", model="fault-keepalive")
    assert status == 200 and raw.startswith(b"\n\n\n") and json.loads(raw)["object"] == "chat.completion"


def test_done_variants(emu: EmulatorThread) -> None:
    _, _, raw = gen(emu, "openai", model="fault-extra_done", stream=True)
    assert raw.endswith(b"data: [DONE]\n\ndata: [DONE]\n\n") and raw.count(b"[DONE]") == 2
    _, _, raw = gen(emu, "openai", model="fault-no_done", stream=True)
    assert b"[DONE]" not in raw and sse_json(raw)[-1]["choices"][0]["finish_reason"] == "stop"
    _, _, raw = gen(emu, "anthropic", model="fault-no_done", stream=True)
    assert [n for n, _ in sse(raw)][-1] == "message_delta"
    _, _, raw = gen(emu, "anthropic", model="fault-extra_done", stream=True)
    assert raw.endswith(
        b'event: message_stop\ndata: {"type":"message_stop"}\n\ndata: [DONE]\n\ndata: [DONE]\n\n'
    )
    # The SDK stops at the first [DONE] and tolerates a missing one.
    oa = openai.OpenAI(
        base_url=emu.base_url("openai"), api_key=key_for("openai"), max_retries=0, timeout=limit(10)
    )
    for model in ("fault-extra_done", "fault-no_done"):
        chunks = list(
            oa.chat.completions.create(
                model=model, messages=[{"role": "user", "content": "echo: ok"}], stream=True
            )
        )
        assert "".join(c.choices[0].delta.content or "" for c in chunks) == "ok"


def _open_stream(
    emu: EmulatorThread, path: str, body: dict, headers: dict[str, str]
) -> tuple[socket.socket, bytes]:
    """Send a request on a raw socket and read until the first content chunk has arrived."""
    payload = json.dumps(body).encode()
    head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    sock = socket.create_connection(("127.0.0.1", emu.port), timeout=limit(5))
    sock.sendall(
        f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {len(payload)}\r\n"
        f"{head}\r\n".encode()
        + payload
    )
    got = b""
    while b'"content":"e' not in got:
        got += sock.recv(65536)
    return sock, got


def test_hang_until_the_client_leaves(emu: EmulatorThread) -> None:
    path = "/openai/v1/chat/completions"
    sock, got = _open_stream(
        emu, path, chat_body(model="fault-hang-after1", stream=True), auth_headers("openai")
    )
    try:
        assert got.startswith(b"HTTP/1.1 200")
        rec = emu.wait_for(lambda: emu.requests_for("openai") and emu.requests_for("openai")[-1])
        sock.settimeout(0.1)
        with pytest.raises(TimeoutError):
            sock.recv(65536)  # nothing more is coming
        assert not rec.finished and rec.chunks_sent == 1
    finally:
        sock.close()
    emu.wait_for(lambda: rec.finished)
    assert rec.client_disconnected


def test_hang_non_stream_and_sdk_timeout(emu: EmulatorThread) -> None:
    # the SDK's timeout has to fire on the hang, but only after the request (and its headers) got through:
    # derive it from a normal call timed now
    oa = openai.OpenAI(
        base_url=emu.base_url("openai"), api_key=key_for("openai"), max_retries=0, timeout=limit(10)
    )
    with stopwatch() as normal:
        oa.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "x"}])
    oa = oa.with_options(timeout=timeout_for(normal.seconds))
    with pytest.raises(openai.APITimeoutError):
        oa.chat.completions.create(model="fault-hang", messages=[{"role": "user", "content": "x"}])
    rec = emu.last_request
    emu.wait_for(lambda: rec.finished)
    assert rec.client_disconnected and rec.t_first_byte is not None  # headers were sent


def test_client_disconnect_mid_stream(emu: EmulatorThread) -> None:
    oa = openai.OpenAI(
        base_url=emu.base_url("openai"), api_key=key_for("openai"), max_retries=0, timeout=limit(10)
    )
    stream = oa.chat.completions.create(
        model="fault-slow_chunks-ms100-chunks20", messages=[{"role": "user", "content": "x"}], stream=True
    )
    next(iter(stream))
    stream.close()
    rec = emu.last_request
    emu.wait_for(lambda: rec.finished)
    assert rec.client_disconnected and rec.chunks_sent < 20


# The script -------------------------------------------------------------------------------
def test_script_order_times_and_matching(emu: EmulatorThread) -> None:
    emu.add_faults(
        FaultRule(Fault("server_error"), Match(dialect="groq"), times=2),
        {"match": {"path_suffix": "/v1/messages"}, "fault": {"kind": "overloaded"}},
        {"match": {"model": "special", "stream": True}, "fault": "billing", "times": None},
        {"match": {"key": "sk-test-moonshot-cn-0001"}, "fault": "forbidden"},
    )
    assert gen(emu, "openai")[0] == 200  # matches nothing
    assert gen(emu, "anthropic")[0] == 529
    assert gen(emu, "anthropic")[0] == 200  # consumed
    assert [gen(emu, "groq")[0] for _ in range(3)] == [500, 500, 200]
    assert gen(emu, "openai", model="special")[0] == 200  # not a stream
    assert [gen(emu, "openai", model="special", stream=True)[0] for _ in range(2)] == [429, 429]
    assert gen(emu, "moonshot:ai")[0] == 200  # another key
    assert gen(emu, "moonshot:cn")[0] == 403
    rules = emu.faults
    assert len(rules) == 1 and rules[0].times is None and rules[0].fault.kind == "billing"
    assert emu.last_request.fault_source == "script"
    emu.clear_faults()
    assert gen(emu, "openai", model="special", stream=True)[0] == 200


def test_script_takes_precedence_over_trigger(emu: EmulatorThread) -> None:
    emu.add_fault("billing")
    assert gen(emu, "openai", model="fault-server_error")[0] == 429
    assert gen(emu, "openai", model="fault-server_error")[0] == 500


def test_failed_auth_does_not_consume_a_fault(emu: EmulatorThread) -> None:
    emu.add_fault("rate_limit", dialect="openai")
    status, _, _ = post(gen_url(emu, "openai"), chat_body(), {"Authorization": "Bearer sk-test-bad"})
    assert status == 401 and emu.last_request.fault is None
    status, _, _ = post(
        gen_url(emu, "openai"), chat_body(model="fault-billing"), {"Authorization": "Bearer sk-test-bad"}
    )
    assert status == 401  # triggers also wait for a valid key
    assert gen(emu, "openai")[0] == 429


def test_control_plane_http(emu: EmulatorThread) -> None:
    ctl = emu.url + "/_emulator"
    status, _, raw = post(
        ctl + "/faults", [{"match": {"dialect": "deepseek"}, "fault": {"kind": "billing"}, "times": 2}]
    )
    assert status == 200 and json.loads(raw)["rules"][0]["times"] == 2
    status, _, raw = post(ctl + "/faults", {"fault": {"kind": "slow_first_byte", "ms": 10}})
    assert [r["fault"] for r in json.loads(raw)["rules"]] == [
        {"kind": "billing"},
        {"kind": "slow_first_byte", "first_byte_ms": 10},
    ]
    assert gen(emu, "deepseek")[0] == 402
    status, _, raw = request("PUT", ctl + "/faults", {"rules": [{"fault": "overloaded", "times": None}]})
    assert [r["fault"]["kind"] for r in json.loads(raw)["rules"]] == ["overloaded"]
    assert gen(emu, "deepseek")[0] == 503
    status, _, raw = request("GET", ctl + "/faults")
    assert json.loads(raw)["rules"][0]["times"] is None
    status, _, raw = post(ctl + "/faults", [{"fault": {"kind": "nope"}}])
    assert status == 400 and b"unknown fault kind" in raw
    status, _, raw = post(ctl + "/faults", [{"fault": "billing", "match": {"colour": "red"}}])
    assert status == 400 and b"unknown match field" in raw
    assert request("DELETE", ctl + "/faults")[0] == 200
    assert gen(emu, "deepseek")[0] == 200
    emu.add_fault("billing", times=None)
    assert post(ctl + "/reset", {})[0] == 200
    assert emu.faults == [] and emu.requests == []


# Model triggers ---------------------------------------------------------------------------
def test_trigger_parsing() -> None:
    assert parse_model_trigger("gpt-4o") is None
    assert parse_model_trigger("fault-rate_limit-retry2") == Fault("rate_limit", retry_after=2.0)
    assert parse_model_trigger("openrouter/fault-hang-after3") == Fault("hang", after=3)
    assert parse_model_trigger("fault-slow_first_byte-ms250") == Fault("slow_first_byte", first_byte_ms=250)
    assert parse_model_trigger("fault-slow_chunks-ms20-chunks9") == Fault(
        "slow_chunks", chunk_delay_ms=20, chunks=9
    )
    assert parse_model_trigger("fault-server_error-status502-fb10-gap5") == Fault(
        "server_error", status=502, first_byte_ms=10, chunk_delay_ms=5
    )
    assert parse_model_trigger("fault-rate_limit-retryms1500-noretry") == Fault(
        "rate_limit", retry_after_ms=1500, no_retry=True
    )
    for bad in (
        "fault-nope",
        "fault-rate_limit-retryX",
        "fault-hang-colour3",
        "fault-custom",
        "fault-none-chunks0",
    ):
        with pytest.raises(TriggerError):
            parse_model_trigger(bad)


def test_trigger_with_prefix_and_bad_trigger(emu: EmulatorThread) -> None:
    assert gen(emu, "openrouter", model="emulator/fault-billing")[0] == 402
    status, _, raw = gen(emu, "openai", model="fault-explode")
    assert status == 400 and b"emulator: unknown fault kind 'explode'" in raw
