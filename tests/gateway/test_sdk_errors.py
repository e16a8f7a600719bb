"""Done-when 2 (error half) and 3: the SDKs receive errors they parse, for each owner, with the status, headers
and retry behaviour that fit; a wrong gateway token and a provider rejecting clawgate's key are told apart."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import anthropic
import httpx
import httpx2
import openai
import pytest
from tests.support.timing import limit

from clawgate.emulator import EmulatorThread

from .conftest import (
    DEEPSEEK_KEY,
    GROQ_WRONG_KEY,
    TOKEN,
    Gateway,
    base_config,
    base_dotenv,
    gateway_for,
)


def error_config(emu: EmulatorThread) -> dict[str, Any]:
    cfg = base_config(emu)
    providers = cfg["models"]["providers"]
    # Custom providers, one per credential-wide failure (a rejected or billing-blocked key is remembered by
    # the health registry for every model of that key), so the tests stay independent.
    for name, mount in (("rejecto", "groq"), ("rejectr", "groq")):
        providers[name] = {
            "baseUrl": emu.base_url(mount),
            "api": "openai-completions",
            "apiKey": "${WRONG_KEY}",
        }
    providers["rejecta"] = {
        "baseUrl": emu.base_url("anthropic"),
        "api": "anthropic-messages",
        "apiKey": "${WRONG_KEY}",
    }
    for name in ("billedo", "billeda"):
        providers[name] = {
            "baseUrl": emu.base_url("deepseek"),
            "api": "openai-completions",
            "apiKey": "${DEEPSEEK_API_KEY}",
        }
    providers["unresolved"] = {
        "baseUrl": emu.base_url("openai"),
        "api": "openai-completions",
        "apiKey": "${CG_TEST_NEVER_SET_KEY}",
    }
    providers["nourl"] = {"api": "openai-completions", "models": [{"id": "m1"}]}
    return cfg


@pytest.fixture(scope="module")
def gw(emulator: EmulatorThread, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    dotenv = base_dotenv() + f"WRONG_KEY={GROQ_WRONG_KEY}\n"
    with gateway_for(tmp_path_factory.mktemp("errors"), error_config(emulator), dotenv) as g:
        yield g


def oai(gw: Gateway, key: str = TOKEN, retries: int = 0, **kw: Any) -> openai.OpenAI:
    return openai.OpenAI(base_url=gw.url + "/v1", api_key=key, max_retries=retries, timeout=limit(20), **kw)


def ant(gw: Gateway, key: str = TOKEN, retries: int = 0, **kw: Any) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=gw.url, api_key=key, max_retries=retries, timeout=limit(20), **kw)


def call(client: Any, kind: str, model: str, stream: bool = False) -> Any:
    if kind == "chat":
        r = client.chat.completions.create(
            model=model, messages=[{"role": "user", "content": "hi"}], stream=stream
        )
    elif kind == "responses":
        r = client.responses.create(model=model, input="hi", stream=stream)
    else:
        r = client.messages.create(
            model=model, max_tokens=32, messages=[{"role": "user", "content": "hi"}], stream=stream
        )
    if stream:
        return list(r)
    return r


def body_error(exc: Any, kind: str) -> dict[str, Any]:
    """The error object inside the endpoint's envelope (as the SDK parsed it)."""
    body = exc.body
    assert isinstance(body, dict), body
    if kind == "messages":
        # the anthropic SDK keeps the whole envelope: {"type": "error", "error": {...}}
        assert body["type"] == "error"
        return body["error"]  # type: ignore[no-any-return]
    return body  # the openai SDK unwraps {"error": {...}}


CASES = [
    # (id, model, status for OpenAI-shaped clients, status for Anthropic clients, owner, code, should-retry)
    # a refused provider key is a 424 (Failed Dependency), never a 5xx that every client retries
    ("provider_auth", "rejecto/some-model", 424, 424, "provider_auth", "auth.rejected", "false"),
    ("provider_access", "billedo/fault-billing", 402, 402, "provider_access", "access.billing", "false"),
    ("rate_limit", "openai/fault-rate_limit-retry7", 429, 429, "rate_limit", "rate_limit.exceeded", "true"),
    ("overloaded", "anthropic/fault-overloaded-retry9", 503, 529, "upstream", "upstream.overloaded", "true"),
    (
        "server_error",
        "openai/fault-server_error-retry9",
        502,
        502,
        "upstream",
        "upstream.server_error",
        "true",
    ),
    ("unknown_model_upstream", "openai/fault-unknown_model", 404, 404, "request", "model.unknown", "false"),
    ("unknown_provider", "nosuchprovider/x", 404, 404, "request", "model.unknown", "false"),
    ("context", "openai/fault-context_length", 400, 400, "context", "context.exceeded", "false"),
    ("environment", "unresolved/m", 503, 503, "environment", "env.unresolved_ref", "false"),
    ("config", "nourl/m1", 503, 503, "config", "config.invalid_value", "false"),
]

OPENAI_EXC = {
    400: openai.BadRequestError,
    401: openai.AuthenticationError,
    402: openai.APIStatusError,
    404: openai.NotFoundError,
    424: openai.APIStatusError,
    429: openai.RateLimitError,
    502: openai.InternalServerError,
    503: openai.InternalServerError,
}
ANTHROPIC_EXC = {
    400: anthropic.BadRequestError,
    401: anthropic.AuthenticationError,
    402: anthropic.PaymentRequiredError,
    404: anthropic.NotFoundError,
    424: anthropic.APIStatusError,
    429: anthropic.RateLimitError,
    502: anthropic.InternalServerError,
    503: anthropic.ServiceUnavailableError,
    529: anthropic.OverloadedError,
}


@pytest.mark.parametrize("kind", ["chat", "messages", "responses"])
@pytest.mark.parametrize(
    ("model", "ostatus", "astatus", "owner", "code", "retry"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_each_owner_reaches_the_sdk(
    gw: Gateway,
    emu: EmulatorThread,
    kind: str,
    model: str,
    ostatus: int,
    astatus: int,
    owner: str,
    code: str,
    retry: str,
) -> None:
    if "/fault-" in model:
        # a distinct model per client shape: a rate-limited or overloaded model cools down (per model), and
        # this test wants each shape to see the provider's own answer. (Credential-wide states — rejected,
        # billing — are shared by every model of the key; later shapes get them from the health record,
        # with the same owner and code, which is part of what they check.)
        model += "-chunks" + str(["chat", "messages", "responses"].index(kind) + 1)
    client = ant(gw) if kind == "messages" else oai(gw)
    status = astatus if kind == "messages" else ostatus
    exc_types = ANTHROPIC_EXC if kind == "messages" else OPENAI_EXC
    with pytest.raises(exc_types[status]) as info:
        call(client, kind, model)
    exc = info.value
    assert exc.status_code == status
    err = body_error(exc, kind)
    assert (err["owner"], err["code"]) == (owner, code), err
    assert err["message"] and err["next_steps"], err
    h = exc.response.headers
    assert h["x-clawgate-owner"] == owner
    assert h["x-clawgate-code"] == code
    assert h["x-should-retry"] == retry
    assert float(h["x-clawgate-overhead-ms"]) >= 0
    if owner == "rate_limit":
        assert h["retry-after"] == "7"
    if code == "upstream.overloaded" or code == "upstream.server_error":
        assert h["retry-after"] == "9"
    if owner in ("provider_auth", "provider_access"):
        assert "retry-after" not in h  # a client obeying it (Codex CLI) would wait out the key's recheck
        assert err["provider"] == model.split("/")[0]
        assert err["credential"]["source"] == "config:models.providers." + model.split("/")[0] + ".apiKey"
        assert err["credential"]["fingerprint"]
    # the same failure on a streaming request is an HTTP error too (nothing was streamed yet)
    stream_model = model.replace("-chunks", "-after1-chunks")  # a model that is not cooling down yet
    with pytest.raises(exc_types[status]) as info2:
        call(client, kind, stream_model, stream=True)
    err = body_error(info2.value, kind)
    assert (err["owner"], err["code"]) == (owner, code), err


def test_anthropic_client_gets_overloaded_error_529(gw: Gateway) -> None:
    with pytest.raises(anthropic.OverloadedError) as info:
        call(ant(gw), "messages", "anthropic/fault-overloaded-retry8")
    assert info.value.status_code == 529
    assert body_error(info.value, "messages")["type"] == "overloaded_error"


def test_wrong_gateway_token_versus_provider_rejecting_the_key(gw: Gateway, emu: EmulatorThread) -> None:
    """Done-when 3. Default max_retries=2: the SDK would retry a retryable answer twice; it must not here."""
    counted: list[str] = []

    def count(request: httpx.Request) -> None:
        counted.append(request.url.path)

    http = httpx2.Client(event_hooks={"request": [count]}, timeout=limit(20))
    # 1. the client's own token is wrong
    wrong = openai.OpenAI(base_url=gw.url + "/v1", api_key="gw-test-not-the-token", http_client=http)
    with pytest.raises(openai.AuthenticationError) as a:
        wrong.chat.completions.create(model="rejectr/m", messages=[{"role": "user", "content": "hi"}])
    assert a.value.status_code == 401
    assert (a.value.body["owner"], a.value.body["code"]) == ("gateway_auth", "gateway.token_mismatch")  # type: ignore[index]
    assert a.value.response.headers["x-clawgate-owner"] == "gateway_auth"
    assert a.value.response.headers["x-should-retry"] == "false"
    assert emu.requests == []  # never reached a provider
    assert counted == ["/v1/chat/completions"]
    # 2. the provider rejects clawgate's key: not a 401, another code and owner, and no SDK retry
    counted.clear()
    right = openai.OpenAI(base_url=gw.url + "/v1", api_key=TOKEN, http_client=http)
    assert right.max_retries == 2
    with pytest.raises(openai.APIStatusError) as p:
        right.chat.completions.create(model="rejectr/m", messages=[{"role": "user", "content": "hi"}])
    assert p.value.status_code == 424
    body = p.value.body
    assert (body["owner"], body["code"]) == ("provider_auth", "auth.rejected")  # type: ignore[index]
    assert "rejectr" in body["message"]  # type: ignore[index]
    assert p.value.response.headers["x-should-retry"] == "false"
    assert counted == ["/v1/chat/completions"], "the SDK retried a non-retryable failure"
    sent = emu.requests
    assert len(sent) == 1 and sent[0].auth == "wrong" and sent[0].key == GROQ_WRONG_KEY
    # 3. the same with the anthropic SDK against an Anthropic-dialect provider
    emu.reset()
    counted.clear()
    ac = anthropic.Anthropic(base_url=gw.url, api_key=TOKEN, http_client=http)
    assert ac.max_retries == 2
    with pytest.raises(anthropic.APIStatusError) as q:
        ac.messages.create(model="rejecta/m", max_tokens=8, messages=[{"role": "user", "content": "hi"}])
    assert q.value.status_code == 424
    assert body_error(q.value, "messages")["owner"] == "provider_auth"
    assert counted == ["/v1/messages"]
    assert len(emu.requests) == 1 and emu.requests[0].auth == "wrong"
    with pytest.raises(anthropic.AuthenticationError) as b:
        anthropic.Anthropic(base_url=gw.url, api_key="gw-test-wrong", http_client=http).messages.create(
            model="rejecta/m", max_tokens=8, messages=[{"role": "user", "content": "hi"}]
        )
    assert body_error(b.value, "messages")["code"] == "gateway.token_mismatch"
    assert body_error(b.value, "messages")["type"] == "authentication_error"
    http.close()


def test_sdk_retries_a_rate_limit_and_it_succeeds(gw: Gateway, emu: EmulatorThread) -> None:
    """The retryable side: x-should-retry true + retry-after lets the SDK's own retry succeed."""
    emu.add_fault("rate_limit", dialect="openai", model="gpt-4o-mini", retry_after=0, times=1)
    client = oai(gw, retries=2)
    out = client.chat.completions.create(
        model="openai/gpt-4o-mini", messages=[{"role": "user", "content": "echo: ok"}]
    )
    assert out.choices[0].message.content == "ok"


def test_missing_and_wrong_token_bodies(gw: Gateway) -> None:
    with httpx.Client(base_url=gw.url, timeout=limit(10)) as c:
        body = {"model": "openai/gpt-4o", "messages": [{"role": "user", "content": "hi"}]}
        r = c.post("/v1/chat/completions", json=body)
        assert r.status_code == 401
        assert r.json()["error"]["code"] == "gateway.token_missing"
        assert r.json()["error"]["owner"] == "gateway_auth"
        assert r.headers["x-clawgate-owner"] == "gateway_auth"
        r = c.post("/v1/messages", json={**body, "max_tokens": 5}, headers={"x-api-key": "nope"})
        assert r.status_code == 401
        assert r.json()["type"] == "error"
        assert r.json()["error"]["code"] == "gateway.token_mismatch"
        assert r.json()["error"]["owner"] == "gateway_auth"
        # both header styles carry the right token
        assert c.post("/v1/chat/completions", json=body, headers={"x-api-key": TOKEN}).status_code == 200
        assert (
            c.post(
                "/v1/chat/completions", json=body, headers={"Authorization": f"Bearer {TOKEN}"}
            ).status_code
            == 200
        )
        # the token never appears in an answer
        r = c.post("/v1/chat/completions", json=body, headers={"Authorization": "Bearer wrong"})
        assert TOKEN not in r.text
        # non-model endpoints are guarded too
        assert c.get("/api/status").status_code == 401
        assert c.get("/v1/models").status_code == 401
        assert c.get("/healthz").status_code == 200


def test_billing_key_is_not_reused_for_other_models_but_other_providers_work(gw: Gateway) -> None:
    client = oai(gw)
    with pytest.raises(openai.APIStatusError) as info:
        call(client, "chat", "billeda/fault-billing")
    assert info.value.status_code == 402
    # the same key (blocked) for another model: refused without sending, still provider_access
    with pytest.raises(openai.APIStatusError) as info2:
        call(client, "chat", "billeda/other")
    assert info2.value.body["owner"] == "provider_access"  # type: ignore[index]
    # DEEPSEEK_KEY on the preset keeps working (another provider entry)
    assert DEEPSEEK_KEY
    assert call(client, "chat", "deepseek/deepseek-chat").choices[0].message.content


@pytest.mark.parametrize("kind", ["chat", "messages", "responses"])
def test_gateway_auth_error_in_each_shape(gw: Gateway, emu: EmulatorThread, kind: str) -> None:
    client = ant(gw, key="gw-test-wrong") if kind == "messages" else oai(gw, key="gw-test-wrong")
    exc_type = anthropic.AuthenticationError if kind == "messages" else openai.AuthenticationError
    with pytest.raises(exc_type) as info:
        call(client, kind, "openai/gpt-4o")
    err = body_error(info.value, kind)
    assert (err["owner"], err["code"]) == ("gateway_auth", "gateway.token_mismatch")
    assert info.value.response.headers["x-should-retry"] == "false"
    assert emu.requests == []


def test_a_wrong_token_is_answered_with_its_fingerprint_and_a_next_step_that_names_real_fields(
    gw: Gateway, gcli: Any
) -> None:
    """F3: the 401 says which token was sent (its fingerprint, never the token) and where `gateway status --json`
    shows the gateway's, so the two can be compared."""
    from clawgate.diagnose.commands import split_steps
    from clawgate.redaction import fingerprint

    wrong = "gw-test-token-stale-9f8e7d6c5b4a"
    with httpx.Client(base_url=gw.url, timeout=limit(10)) as c:
        body = {"model": "openai/gpt-4o", "messages": [{"role": "user", "content": "hi"}]}
        r = c.post("/v1/chat/completions", json=body, headers={"Authorization": f"Bearer {wrong}"})
    assert r.status_code == 401
    assert wrong not in r.text and TOKEN not in r.text
    err = r.json()["error"]
    assert err["code"] == "gateway.token_mismatch"
    assert fingerprint(wrong) in err["message"], err
    assert err["credential"] == {"source": "header:authorization", "fingerprint": fingerprint(wrong)}, err
    commands, prose = split_steps(err["next_steps"])
    assert "clawgate gateway status --json" in commands, err
    assert "gateway.auth.fingerprint" in " ".join(prose), prose
    # the fields it names are where `gateway status --json` has them
    status = json.loads(gcli(gw.home, "gateway", "status", "--json").stdout)
    assert status["gateway"]["auth"]["fingerprint"] == fingerprint(TOKEN) != fingerprint(wrong)
    assert status["cli"]["token"]["fingerprint"] == fingerprint(TOKEN)
