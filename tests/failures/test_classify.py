"""The failure classifier: every provider-wire.md body, retry hints, odd bodies, stream errors, real network failures."""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import socket
import ssl
import struct
from collections.abc import AsyncIterator, Awaitable, Callable

import aiohttp
import orjson
import pytest

from clawgate.call.sse import SSEParser
from clawgate.failures import CODES, FALLBACK_CODES, NEXT_CREDENTIAL_CODES, Failure
from clawgate.failures.classify import (
    PROVIDER_MESSAGE_MAX,
    classify_exception,
    classify_http,
    classify_stream_error,
    extract_error_fields,
    parse_retry_after,
    region_hint,
)

try:  # works whether or not tests/failures is a package
    from .wire_cases import CASES, WireCase, by_id
except ImportError:
    from wire_cases import CASES, WireCase, by_id


def run_case(case: WireCase) -> Failure:
    if not case.stream:
        return classify_http(
            case.status,  # type: ignore[arg-type]
            case.headers,
            case.body,
            provider=case.provider,
            api=case.api,
            host=case.host,
            model=case.model,
        )
    parser = SSEParser()
    events = parser.feed(case.body) + parser.close()
    found = [
        f
        for e in events
        if (
            f := classify_stream_error(
                orjson.loads(e.data),
                event=e.event,
                provider=case.provider,
                api=case.api,
                host=case.host,
                model=case.model,
            )
        )
    ]
    assert len(found) == 1, events
    return found[0]


# ---------------------------------------------------------------------------------------------------- table


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_wire_case(case: WireCase):
    f = run_case(case)
    assert (f.owner, f.code, f.retryable) == (case.owner, case.code, case.retryable), f.message
    assert CODES[f.code].owner == f.owner
    assert f.try_next_credential == (f.code in NEXT_CREDENTIAL_CODES)
    assert f.try_fallback == (f.code in FALLBACK_CODES)
    assert f.provider == case.provider and f.host == case.host and f.model == case.model
    assert f.status == case.status
    assert case.provider in f.message and (case.host is None or case.host in f.message)
    assert "\n" not in f.message
    for text in case.message_has:
        assert text in f.message
    if case.retry_after is not None:
        assert f.retry_after == pytest.approx(case.retry_after)
    if case.request_id is not None:
        assert f.request_id == case.request_id
    assert f.provider_message is None or len(f.provider_message) <= PROVIDER_MESSAGE_MAX
    assert f.next_steps
    f.to_json()  # serialisable as the diagnostics shape


def test_table_covers_every_provider_and_dialect():
    providers = {c.provider for c in CASES}
    assert {
        "openai",
        "anthropic",
        "openrouter",
        "qwen",
        "groq",
        "moonshot",
        "deepseek",
        "gemini",
    } <= providers
    assert {"ollama", "vllm", "llamacpp"} <= providers
    assert {c.api for c in CASES if c.stream} == {
        "openai-completions",
        "openai-responses",
        "anthropic-messages",
    }
    assert len({c.id for c in CASES}) == len(CASES)
    assert {c.code for c in CASES} <= set(CODES)


def test_auth_failures_point_at_probe_and_auth_add():
    for case in CASES:
        if case.code != "auth.rejected":
            continue
        f = run_case(case)
        assert f.try_next_credential and f.try_fallback and not f.retryable
        assert f"clawgate models status --probe --probe-provider {case.provider}" in f.next_steps
        assert f"clawgate auth add {case.provider}" in f.next_steps
        regional = case.provider in ("qwen", "moonshot")
        assert (f"clawgate config get models.providers.{case.provider}.baseUrl" in f.next_steps) is regional
        assert ("another region or plan" in f.message) is regional


def test_next_steps_per_kind():
    assert (
        run_case(by_id("openrouter-402-more-credits"))
        .next_steps[0]
        .endswith("https://openrouter.ai/settings/credits")
    )
    assert "clawgate models list --provider openai" in run_case(by_id("openai-404-model")).next_steps
    assert "clawgate health list" in run_case(by_id("anthropic-429")).next_steps
    assert any("larger-context" in s for s in run_case(by_id("anthropic-400-context")).next_steps)
    assert (
        "clawgate config set models.providers.qwen.api openai-completions"
        in run_case(by_id("qwen-coding-404-empty")).next_steps
    )
    moon = run_case(by_id("moonshot-403-quota")).next_steps[0]
    assert "platform.moonshot.ai" in moon


def test_context_and_invalid_requests_do_not_fall_back():
    for cid in ("openai-400-context", "anthropic-400-missing-version", "llamacpp-400-context"):
        f = run_case(by_id(cid))
        assert not f.try_fallback and not f.retryable


def test_groq_413_says_waiting_will_not_help():
    f = run_case(by_id("groq-413-tpm"))
    assert "Waiting will not help" in f.message and "Retry after" not in f.message


# ---------------------------------------------------------------------------------------------------- fields


@pytest.mark.parametrize(
    "body, expected",
    [
        (by_id("openai-401-wrong-key").body, ("Incorrect API key provided", "invalid_api_key", None)),
        (by_id("anthropic-529").body, ("Overloaded", "overloaded_error", "req_011CXnukXFhq5zC25S7ev2cy")),
        (by_id("openrouter-402-more-credits").body, ("This request requires more credits", "402", None)),
        (
            by_id("qwen-400-context").body,
            ("<400> InternalError", "invalid_parameter_error", "81a373d6-28bd-9968-8335-e22a2127c41b"),
        ),
        (by_id("qwen-401-native").body, ("Invalid API-key provided.", "InvalidApiKey", "01415ff3-…")),
        (by_id("moonshot-429-rpm").body, ("Your account org-", "rate_limit_reached_error", None)),
        (by_id("deepseek-401").body, ("Authentication Fails", "authentication_error", None)),
        (by_id("gemini-400-api-key-invalid").body, ("API key not valid", "API_KEY_INVALID", None)),
        (by_id("gemini-429").body, ("Resource has been exhausted", "RESOURCE_EXHAUSTED", None)),
        (by_id("vllm-404-model-flat").body, ("The model `X` does not exist.", "NotFoundError", None)),
        (by_id("vllm-401-unauthorized").body, ("Unauthorized", None, None)),
        (by_id("llamacpp-400-context").body, ("request (13392 tokens)", "exceed_context_size_error", None)),
        (by_id("ollama-native-404-model").body, ("model 'llama3.2' not found", None, None)),
        (by_id("qwen-coding-405-not-agent").body, ("Coding Plan is currently only available", None, None)),
        (by_id("qwen-403-arrearage").body, ("Access denied", "Arrearage", None)),
        (by_id("openrouter-429-free-tier").body, ("Rate limit exceeded: free-models-per-day", "429", None)),
        (b"", (None, None, None)),
        (b"   \n\n", (None, None, None)),
        (None, (None, None, None)),
    ],
)
def test_extract_error_fields(body, expected):
    message, kind, rid = extract_error_fields(body)
    exp_msg, exp_kind, exp_rid = expected
    assert (message is None) == (exp_msg is None)
    if exp_msg:
        assert message.startswith(exp_msg)
    assert kind == exp_kind
    assert rid == exp_rid


@pytest.mark.parametrize(
    "body",
    [
        b"\xff\xfe{\x00garbage",
        b"{",
        b"[",
        b"null",
        b"123",
        b"true",
        b'"just a string"',
        b"[]",
        b"[1, 2, 3]",
        b'{"error": null}',
        b'{"error": {"message": 5, "type": ["x"], "code": {"a": 1}, "details": "nope", "metadata": 3}}',
        b'{"error": {"details": [1, null, {"reason": 7}]}}',
        b"[" * 5000 + b"]" * 5000,
        b"{'a': " * 300,
        b"<html><head><title>502 Bad Gateway</title></head><body><center>nginx</center></body></html>",
        b"<html><body>\n<h1>Forbidden</h1>\n</body></html>",
        b"upstream connect error or disconnect/reset before headers. reset reason: overflow",
        b'data: {"error":{"message":"boom","type":"server_error"}}\n\n',
        b'\n\n\n{"error":{"message":"late","type":"x"}}',
        b"\xef\xbb\xbf" + b'{"error":{"message":"bom"}}',
    ],
)
def test_malformed_bodies_never_raise(body: bytes):
    extract_error_fields(body)
    for status in (400, 401, 404, 429, 500, 502, 503):
        f = classify_http(status, {}, body, provider="mycorp", api="openai-completions", host="llm.example")
        assert f.code in CODES and f.message


def test_html_from_a_proxy():
    body = b"<html><head><title>502 Bad Gateway</title></head><body><center>nginx</center></body></html>"
    f = classify_http(502, {"Content-Type": "text/html"}, body, provider="openai", api="openai-completions")
    assert f.code == "upstream.server_error" and f.retryable
    assert "HTML body" in f.message and "502 Bad Gateway" in f.message
    assert f.provider_message == "502 Bad Gateway"


def test_plain_text_and_sse_framed_and_padded_bodies():
    assert extract_error_fields(b"404 page not found") == ("404 page not found", None, None)
    assert extract_error_fields(b'data: {"error":{"message":"boom","type":"server_error"}}\n\n')[:2] == (
        "boom",
        "server_error",
    )
    assert extract_error_fields(b'\n\n\n{"error":{"message":"late","type":"x"}}')[:2] == ("late", "x")


def test_request_id_from_headers_any_case():
    body = by_id("openai-429-rate-limit").body
    f = classify_http(429, {"X-Request-ID": "req_abc"}, body, provider="openai", api="openai-completions")
    assert f.request_id == "req_abc"
    f = classify_http(500, {"Request-Id": "req_xyz"}, b"", provider="anthropic", api="anthropic-messages")
    assert f.request_id == "req_xyz"
    f = classify_http(
        401,
        {"request-id": "from-header"},
        by_id("anthropic-401-missing-key").body,
        provider="anthropic",
        api="x",
    )
    assert f.request_id == "req_011CeoTSFcsuNZkEqC59YWgZ"  # the body's id wins


# ---------------------------------------------------------------------------------------------------- retry hints


def test_parse_retry_after_variants():
    assert parse_retry_after({}) is None
    assert parse_retry_after(None) is None
    assert parse_retry_after({"Retry-After": "7"}) == 7.0
    assert parse_retry_after({"retry-after": " 2.5 "}) == 2.5
    assert parse_retry_after({"retry-after-ms": "1500", "retry-after": "30"}) == 1.5
    assert parse_retry_after({"Retry-After-Ms": "junk", "Retry-After": "3"}) == 3.0
    for bad in ("-1", "nan", "inf", "soon", ""):
        assert parse_retry_after({"retry-after": bad}) is None
    now = 1_700_000_000.0
    date = email.utils.formatdate(now + 30, usegmt=True)
    assert parse_retry_after({"Retry-After": date}, now=now) == pytest.approx(30.0)
    assert parse_retry_after({"Retry-After": email.utils.formatdate(now - 60, usegmt=True)}, now=now) == 0.0


def test_retry_after_header_beats_message_text():
    body = by_id("openai-429-rate-limit").body  # the message says 1.574s
    f = classify_http(429, {"retry-after-ms": "250"}, body, provider="openai", api="openai-completions")
    assert f.retry_after == 0.25
    f = classify_http(429, {"Retry-After": "9"}, body, provider="openai", api="openai-completions")
    assert f.retry_after == 9.0


@pytest.mark.parametrize(
    "message, seconds",
    [
        ("Please try again in 1.574s. Visit", 1.574),
        ("Please try again in 20ms.", 0.02),
        ("Please try again in 6m0s.", 360.0),
        ("please try again after 1 seconds", 1.0),
        ("Please try again in 7.5 seconds.", 7.5),
        ("retry after 2 minutes", 120.0),
        ("Rate limit exceeded", None),
    ],
)
def test_retry_after_from_message_text(message: str, seconds: float | None):
    body = orjson.dumps({"error": {"message": message, "type": "rate_limit_error"}})
    f = classify_http(429, {}, body, provider="groq", api="openai-completions")
    assert f.code == "rate_limit.exceeded"
    assert f.retry_after == (pytest.approx(seconds) if seconds is not None else None)


def test_retry_after_from_gemini_retry_info_and_ratelimit_reset_headers():
    body = orjson.dumps(
        [
            {
                "error": {
                    "code": 429,
                    "message": "You exceeded your current quota, please check your plan and billing details.",
                    "status": "RESOURCE_EXHAUSTED",
                    "details": [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "41s"}],
                }
            }
        ]
    )
    f = classify_http(429, {}, body, provider="gemini", api="openai-completions")
    assert (
        f.code == "rate_limit.exceeded" and f.retry_after == 41.0
    )  # RESOURCE_EXHAUSTED beats the quota wording
    headers = {"x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": "2m59.56s"}
    f = classify_http(429, headers, b"", provider="groq", api="openai-completions")
    assert f.retry_after == pytest.approx(179.56)


def test_x_should_retry_overrides_and_is_recorded():
    f = classify_http(503, {"X-Should-Retry": "false"}, b"", provider="openai", api="openai-completions")
    assert f.code == "upstream.overloaded" and f.retryable is False and f.should_retry_header is False
    f = classify_http(
        400,
        {"x-should-retry": "true"},
        by_id("anthropic-400-missing-version").body,
        provider="anthropic",
        api="x",
    )
    assert f.code == "request.invalid" and f.retryable is True and f.should_retry_header is True
    f = classify_http(503, {"x-should-retry": "maybe"}, b"", provider="openai", api="openai-completions")
    assert f.retryable is True and f.should_retry_header is None


# ---------------------------------------------------------------------------------------------------- rules


def _http(status: int, body: object, provider: str = "openai", **kw) -> Failure:
    raw = body if isinstance(body, bytes) else orjson.dumps(body)
    return classify_http(
        status, kw.pop("headers", {}), raw, provider=provider, api=kw.pop("api", "openai-completions"), **kw
    )


def test_endpoint_missing_is_an_api_mismatch_not_a_model_problem():
    f = _http(
        404,
        {"error": {"message": "Invalid URL (POST /v1/responses)", "type": "invalid_request_error"}},
        api="openai-responses",
        host="api.groq.com",
        provider="groq",
    )
    assert f.code == "provider.api_mismatch" and f.owner == "config"
    assert "openai-responses" in f.message and "/responses" in f.message
    f = _http(404, b"404 page not found", provider="ollama", host="localhost:11434")
    assert f.code == "provider.api_mismatch"
    f = _http(405, b"", provider="mycorp")
    assert f.code == "provider.api_mismatch"


def test_status_fallbacks_for_unknown_providers():
    assert _http(401, b"", provider="mycorp").code == "auth.rejected"
    assert _http(402, b"", provider="mycorp").code == "access.billing"
    assert _http(403, b"", provider="mycorp").code == "access.forbidden"
    assert _http(429, b"", provider="mycorp").code == "rate_limit.exceeded"
    assert _http(400, b"", provider="mycorp").code == "request.invalid"
    assert _http(413, b"", provider="mycorp").code == "request.too_large"
    assert _http(500, b"", provider="mycorp").code == "upstream.server_error"
    assert _http(502, b"", provider="mycorp").code == "upstream.server_error"
    assert _http(504, b"", provider="mycorp").code == "upstream.server_error"
    assert _http(503, b"", provider="mycorp").code == "upstream.overloaded"
    assert _http(529, b"", provider="mycorp").code == "upstream.overloaded"
    assert _http(407, b"", provider="mycorp").code == "network.connect"
    conflict = _http(409, b"", provider="mycorp")
    assert conflict.code == "request.invalid" and conflict.retryable


def test_quota_phrase_without_a_code_is_billing_but_a_rate_code_wins():
    f = _http(
        429, {"error": {"message": "Allocated quota exceeded, please increase your quota limit."}}, "qwen"
    )
    assert f.code == "access.billing" and not f.retryable
    f = _http(429, {"error": {"message": "You exceeded your current quota", "code": "rate_limit_exceeded"}})
    assert f.code == "rate_limit.exceeded"


def test_openrouter_metadata_error_type_and_raw():
    body = {
        "error": {
            "code": 400,
            "message": "Provider returned error",
            "metadata": {
                "raw": '{"error":{"message":"This model\'s maximum context length is 8192 tokens. However, you requested 9000 tokens"}}',
                "provider_name": "Fireworks",
            },
        }
    }
    f = _http(400, body, "openrouter", host="openrouter.ai")
    assert f.code == "context.exceeded" and "9000" in f.message
    body = {
        "error": {
            "code": 502,
            "message": "Provider returned error",
            "metadata": {"error_type": "provider_overloaded"},
        }
    }
    assert _http(502, body, "openrouter").code == "upstream.overloaded"


def test_custom_provider_on_a_known_host_gets_its_hints():
    f = _http(
        401,
        {"error": {"message": "Incorrect API key provided.", "code": "invalid_api_key"}},
        provider="bailian",
        host="dashscope-us.aliyuncs.com",
    )
    assert "another region or plan" in f.message and "US (Virginia)" in f.message
    assert "clawgate config get models.providers.bailian.baseUrl" in f.next_steps


def test_region_hint():
    assert region_hint("openai", "api.openai.com") is None
    assert region_hint("groq", None) is None
    intl = region_hint("qwen", "coding-intl.dashscope.aliyuncs.com")
    assert "Coding Plan (International)" in intl and "sk-sp-" in intl and "another region or plan" in intl
    assert "Token Plan" in region_hint("qwen", "token-plan.cn-beijing.maas.aliyuncs.com")
    assert "Hong Kong" in region_hint("qwen", "cn-hongkong.dashscope.aliyuncs.com")
    assert "this host" in region_hint("qwen", None)
    assert "China platform" in region_hint("moonshot", "api.moonshot.cn")
    assert "global platform" in region_hint("moonshot", "api.moonshot.ai")
    assert "api.moonshot.ai" in region_hint("kimi-custom", "api.moonshot.ai")


def test_messages_never_carry_a_full_key_but_keep_provider_masking():
    key = "sk-proj-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789"
    body = {"error": {"message": f"Incorrect API key provided: {key}.", "code": "invalid_api_key"}}
    f = _http(401, body, "mycorp", host="llm.example")
    assert key not in f.message and key not in (f.provider_message or "")
    assert key not in orjson.dumps(f.to_json()).decode()
    masked = run_case(by_id("openai-401-wrong-key"))
    assert "sk-VKMIs***************************************wjh3" in masked.provider_message
    assert "****fcc2" in run_case(by_id("deepseek-401")).provider_message


def test_provider_message_is_truncated():
    body = {"error": {"message": "x" * 5000, "type": "server_error"}}
    f = _http(500, body)
    assert len(f.provider_message) == PROVIDER_MESSAGE_MAX
    assert len(f.message) < 400


# ---------------------------------------------------------------------------------------------------- in-band


def _stream(obj, event=None, provider="openai", api="openai-completions"):
    return classify_stream_error(obj, event=event, provider=provider, api=api, host="h.example", model="m")


@pytest.mark.parametrize(
    "obj, event, api",
    [
        (
            {
                "id": "c",
                "object": "chat.completion.chunk",
                "choices": [{"index": 0, "delta": {"content": "hi"}}],
            },
            None,
            "openai-completions",
        ),
        (
            {"id": "c", "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]},
            None,
            "openai-completions",
        ),
        ({"id": "c", "choices": [], "usage": {"prompt_tokens": 1}}, None, "openai-completions"),
        ({"id": "c", "choices": None, "x_groq": {"id": "req_1"}}, None, "openai-completions"),
        ({"error": None, "choices": [{"finish_reason": "length"}]}, None, "openai-completions"),
        (
            {"type": "message_start", "message": {"id": "msg_1", "content": []}},
            "message_start",
            "anthropic-messages",
        ),
        ({"type": "ping"}, "ping", "anthropic-messages"),
        (
            {"type": "message_delta", "delta": {"stop_reason": "end_turn"}},
            "message_delta",
            "anthropic-messages",
        ),
        (
            {"type": "response.created", "response": {"id": "r", "status": "in_progress", "error": None}},
            "response.created",
            "openai-responses",
        ),
        (
            {"type": "response.output_text.delta", "delta": "x", "sequence_number": 4},
            "response.output_text.delta",
            "openai-responses",
        ),
        (
            {"type": "response.completed", "response": {"id": "r", "status": "completed", "error": None}},
            "response.completed",
            "openai-responses",
        ),
        (
            {
                "type": "response.incomplete",
                "response": {"incomplete_details": {"reason": "max_output_tokens"}},
            },
            None,
            "openai-responses",
        ),
        ([{"candidates": []}], None, "openai-completions"),
        ([], None, "openai-completions"),
    ],
)
def test_normal_stream_objects_are_not_errors(obj, event, api):
    assert _stream(obj, event, api=api) is None


def test_in_band_errors_per_dialect():
    f = _stream(
        {"type": "error", "error": {"type": "rate_limit_error", "message": "slow down"}},
        "error",
        provider="anthropic",
        api="anthropic-messages",
    )
    assert f.code == "rate_limit.exceeded" and f.status is None and f.retryable
    f = _stream(
        {"type": "error", "error": {"type": "api_error", "message": "Internal"}},
        "error",
        provider="anthropic",
        api="anthropic-messages",
    )
    assert f.code == "upstream.stream_error" and "in-stream error api_error" in f.message
    f = _stream(
        {"type": "error", "error": {"type": "invalid_request_error", "message": "bad"}},
        None,
        provider="anthropic",
        api="anthropic-messages",
    )
    assert f.code == "request.invalid" and not f.retryable
    f = _stream(
        {"type": "response.failed", "response": {"id": "r", "status": "failed", "error": None}},
        "response.failed",
        api="openai-responses",
    )
    assert f.code == "upstream.stream_error"
    f = _stream(
        {"type": "response.failed", "response": {"error": {"code": "rate_limit_exceeded", "message": "m"}}},
        None,
        api="openai-responses",
    )
    assert f.code == "rate_limit.exceeded"
    f = _stream(
        {"id": "gen-1", "choices": [{"index": 0, "delta": {"content": ""}, "finish_reason": "error"}]},
        provider="openrouter",
    )
    assert f.code == "upstream.stream_error"
    f = _stream(
        {
            "id": "gen-1",
            "choices": [
                {"finish_reason": "error", "error": {"code": 402, "message": "Insufficient credits"}}
            ],
        },
        provider="openrouter",
    )
    assert f.code == "access.billing"
    f = _stream({"error": {"message": "context", "code": "context_length_exceeded"}})
    assert f.code == "context.exceeded" and not f.try_fallback
    f = _stream({"error": "something broke"})
    assert f.code == "upstream.stream_error" and "something broke" in f.message
    f = _stream(
        [{"error": {"code": 429, "message": "Resource exhausted", "status": "RESOURCE_EXHAUSTED"}}],
        provider="gemini",
    )
    assert f.code == "rate_limit.exceeded"


def test_stream_error_through_the_parser_after_pings_and_comments():
    stream = (
        b'event: message_start\ndata: {"type":"message_start","message":{"id":"msg_1","content":[]}}\n\n'
        b'event: ping\ndata: {"type": "ping"}\n\n'
        b": keep-alive\n\n" + by_id("anthropic-stream-error").body
    )
    parser = SSEParser()
    failures = []
    for i in range(0, len(stream), 7):
        for ev in parser.feed(stream[i : i + 7]):
            failures.append(_stream(orjson.loads(ev.data), ev.event, "anthropic", "anthropic-messages"))
    for ev in parser.close():
        failures.append(_stream(orjson.loads(ev.data), ev.event, "anthropic", "anthropic-messages"))
    assert [f.code if f else None for f in failures] == [None, None, "upstream.overloaded"]
    assert parser.comments == 1


# ---------------------------------------------------------------------------------------------------- network


@contextlib.asynccontextmanager
async def serve(
    handler: Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]],
) -> AsyncIterator[int]:
    async def wrapped(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await handler(reader, writer)
        except (asyncio.CancelledError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(wrapped, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()


async def fetch(url: str, timeout: aiohttp.ClientTimeout | None = None, **kw) -> None:
    async with (
        aiohttp.ClientSession(timeout=timeout or aiohttp.ClientTimeout(total=5), **kw) as session,
        session.get(url) as resp,
    ):
        async for _ in resp.content.iter_any():
            pass


def failure_of(
    coro: Awaitable[None], *, phase: str, provider: str = "openai", host: str = "127.0.0.1"
) -> Failure:
    async def go() -> BaseException:
        try:
            await coro
        except BaseException as exc:  # the real aiohttp/asyncio exception
            return exc
        raise AssertionError("expected a failure")

    exc = asyncio.run(go())
    return classify_exception(exc, provider=provider, host=host, phase=phase)


def closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_connection_refused():
    f = failure_of(fetch(f"http://127.0.0.1:{closed_port()}/v1/models"), phase="connect", provider="ollama")
    assert (f.owner, f.code, f.retryable) == ("network", "network.connect", True)
    assert "refused" in f.message and "127.0.0.1" in f.message
    assert "ollama serve" in f.next_steps
    # only a probe finds it (offline doctor reports nothing once the cooldown ends)
    assert "clawgate models status --probe --probe-provider ollama" in f.next_steps
    assert "clawgate doctor" not in f.next_steps
    assert f.try_fallback


def test_connection_reset_before_answer():
    async def rst(reader, writer):
        writer.get_extra_info("socket").setsockopt(
            socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
        )
        writer.transport.abort()

    async def go():
        async with serve(rst) as port:
            await fetch(f"http://127.0.0.1:{port}/")

    f = failure_of(go(), phase="first_byte")
    assert (f.code, f.retryable) == ("network.reset", True)


def test_server_closes_after_reading_request():
    async def close_after_request(reader, writer):
        await reader.readuntil(b"\r\n\r\n")

    async def go():
        async with serve(close_after_request) as port:
            await fetch(f"http://127.0.0.1:{port}/")

    f = failure_of(go(), phase="first_byte")
    assert f.code == "network.reset" and "closed the connection before answering" in f.message


def test_stream_cut_mid_body():
    async def short(reader, writer):
        await reader.readuntil(b"\r\n\r\n")
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Length: 500\r\n\r\ndata: {}\n\n"
        )
        await writer.drain()

    async def go():
        async with serve(short) as port:
            await fetch(f"http://127.0.0.1:{port}/")

    f = failure_of(go(), phase="stream")
    assert (f.owner, f.code, f.retryable) == ("upstream", "upstream.stream_cut", True)
    disconnected = classify_exception(
        aiohttp.ServerDisconnectedError(), provider="x", host="h", phase="stream"
    )
    assert disconnected.code == "upstream.stream_cut"


def _silent(headers_first: bool):
    async def handler(reader, writer):
        await reader.readuntil(b"\r\n\r\n")
        if headers_first:
            writer.write(
                b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
            )
            writer.write(b"9\r\ndata: x\n\n\r\n")
            await writer.drain()
        await reader.read()  # until the client gives up and closes

    return handler


@pytest.mark.parametrize(
    "headers_first, timeout, phase, expect",
    [
        (False, aiohttp.ClientTimeout(sock_read=0.15), "first_byte", "first-byte timeout"),
        (True, aiohttp.ClientTimeout(sock_read=0.15), "idle", "idle timeout"),
        (False, aiohttp.ClientTimeout(total=0.15), "total", "total request timeout"),
    ],
)
def test_timeouts_say_which_fired(headers_first, timeout, phase, expect):
    async def go():
        async with serve(_silent(headers_first)) as port:
            await fetch(f"http://127.0.0.1:{port}/", timeout=timeout)

    f = failure_of(go(), phase=phase)
    assert (f.owner, f.code, f.retryable) == ("network", "network.timeout", True)
    assert expect in f.message and f"({phase} timeout)" in f.message


def test_connect_timeouts():
    for exc in (
        TimeoutError(),  # asyncio.TimeoutError is the same class since 3.11
        aiohttp.ConnectionTimeoutError("Connection timeout to host"),
    ):
        f = classify_exception(exc, provider="openai", host="api.openai.com", phase="connect")
        assert f.code == "network.timeout" and "connect timeout" in f.message
    # aiohttp's connection timeout names its phase even when the caller says otherwise
    f = classify_exception(aiohttp.ConnectionTimeoutError(), provider="openai", host="h", phase="total")
    assert "(connect timeout)" in f.message


def test_dns_failure_through_aiohttp():
    class FailingResolver(aiohttp.abc.AbstractResolver):
        async def resolve(self, host, port=0, family=socket.AF_INET):
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

        async def close(self) -> None:
            pass

    async def go():
        connector = aiohttp.TCPConnector(resolver=FailingResolver())
        await fetch("https://api.opnai.example/v1/models", connector=connector)

    f = failure_of(go(), phase="connect", host="api.opnai.example")
    assert (f.owner, f.code, f.retryable) == ("network", "network.dns", False)
    assert "api.opnai.example" in f.message
    assert "clawgate config get models.providers.openai.baseUrl" in f.next_steps
    g = classify_exception(
        socket.gaierror(-2, "Name or service not known"), provider="x", host="h", phase="connect"
    )
    assert g.code == "network.dns"


def test_tls_failure_through_aiohttp():
    async def plain_http(reader, writer):
        writer.write(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
        await writer.drain()

    async def go():
        async with serve(plain_http) as port:
            await fetch(f"https://127.0.0.1:{port}/")

    f = failure_of(go(), phase="connect")
    assert (f.owner, f.code, f.retryable) == ("network", "network.tls", False)
    assert "TLS handshake failed" in f.message
    cert = ssl.SSLCertVerificationError(1, "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed")
    g = classify_exception(cert, provider="openai", host="api.openai.com", phase="connect")
    assert g.code == "network.tls" and "certificate" in g.message
    assert any("SSL_CERT_FILE" in s for s in g.next_steps)


def test_other_exceptions():
    f = classify_exception(asyncio.CancelledError(), provider="openai", host=None, phase="stream")
    assert (f.owner, f.code, f.retryable) == ("runtime", "runtime.cancelled", False)
    f = classify_exception(aiohttp.InvalidURL("htp//bad"), provider="openai", host=None, phase="connect")
    assert f.code == "config.invalid_value"
    f = classify_exception(ValueError("boom"), provider="openai", host=None, phase="connect")
    assert f.code == "runtime.internal"
    f = classify_exception(
        ConnectionResetError(104, "Connection reset by peer"), provider="o", host="h", phase="idle"
    )
    assert f.code == "upstream.stream_cut"
    f = classify_exception(OSError(101, "Network is unreachable"), provider="o", host="h", phase="connect")
    assert f.code == "network.connect" and "unreachable" in f.message
