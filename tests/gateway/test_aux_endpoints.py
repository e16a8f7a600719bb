"""Issue 12, through a real gateway, the emulator and the official SDKs: `previous_response_id` kept by
clawgate for providers that keep nothing (store: false honoured), and the endpoints clients call besides chat
— models.retrieve, messages.count_tokens and embeddings.create — through the same plan and classification."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import anthropic
import openai
import pytest
from tests.support.timing import limit

from clawgate.emulator import EmulatorThread

from .conftest import TOKEN, Gateway, base_config, gateway_for


@pytest.fixture(scope="module")
def gw(emulator: EmulatorThread, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    cfg = base_config(emulator)
    cfg["models"]["providers"]["gemini"] = {"baseUrl": emulator.base_url("gemini"), "apiKey": "AIza-test-000"}
    with gateway_for(tmp_path_factory.mktemp("aux"), cfg) as g:
        yield g


def oai(gw: Gateway) -> openai.OpenAI:
    return openai.OpenAI(base_url=gw.url + "/v1", api_key=TOKEN, max_retries=0, timeout=limit(20))


def ant(gw: Gateway) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=gw.url, api_key=TOKEN, max_retries=0, timeout=limit(20))


def anthropic_bodies(emu: EmulatorThread) -> list[dict[str, Any]]:
    return [r.body for r in emu.requests_for(dialect="anthropic", path_suffix="/v1/messages")]


# --- previous_response_id ---------------------------------------------------------------------------------


@pytest.mark.parametrize("stream", [False, True])
def test_two_turns_keep_their_context_through_an_anthropic_provider(
    gw: Gateway, emu: EmulatorThread, stream: bool
) -> None:
    client = oai(gw)
    model = "anthropic/claude-sonnet-4-5"
    if stream:
        with client.responses.stream(
            model=model, input="echo: the sky is green", instructions="Be brief."
        ) as s:
            first = s.get_final_response()
    else:
        first = client.responses.create(model=model, input="echo: the sky is green", instructions="Be brief.")
    assert first.output_text == "the sky is green" and first.id.startswith("resp_")
    second = client.responses.create(model=model, previous_response_id=first.id, input="echo: what colour?")
    assert second.output_text == "what colour?"
    sent = anthropic_bodies(emu)[-1]
    # the emulator's log shows the first turn (question and answer) in the second request
    assert [(m["role"], m["content"]) for m in sent["messages"]] == [
        ("user", "echo: the sky is green"),
        ("assistant", "the sky is green"),
        ("user", "echo: what colour?"),
    ]
    assert "system" not in sent  # instructions are not carried over (as OpenAI does)
    third = client.responses.create(model=model, previous_response_id=second.id, input="echo: and now?")
    assert len(anthropic_bodies(emu)[-1]["messages"]) == 5 and third.output_text == "and now?"


def test_store_false_is_honoured(gw: Gateway, emu: EmulatorThread) -> None:
    client = oai(gw)
    first = client.responses.create(model="anthropic/claude-sonnet-4-5", input="echo: secret", store=False)
    with pytest.raises(openai.BadRequestError) as e:
        client.responses.create(model="anthropic/claude-sonnet-4-5", previous_response_id=first.id, input="x")
    err = e.value.body
    assert isinstance(err, dict)
    assert (err["code"], err["param"]) == ("request.previous_response_not_found", "previous_response_id")
    assert first.id in err["message"]


def test_an_unknown_id_goes_to_a_responses_provider_which_decides(gw: Gateway, emu: EmulatorThread) -> None:
    out = oai(gw).responses.create(model="openai/gpt-5.5", previous_response_id="resp_upstream_1", input="hi")
    assert out.output_text
    sent = [r.body for r in emu.requests_for(dialect="openai", path_suffix="/responses")][-1]
    assert sent["previous_response_id"] == "resp_upstream_1"  # passed through unchanged


# --- models.retrieve ------------------------------------------------------------------------------------


def test_models_retrieve_from_both_sdks(gw: Gateway) -> None:
    m = oai(gw).models.retrieve("claude-opus-5-5")
    assert (m.id, m.owned_by) == ("claude-opus-5-5", "anthropic")
    extra = m.model_extra or {}
    assert extra["clawgate"]["ref"] == "anthropic/claude-opus-5-5"
    assert extra["clawgate"]["context_window"] == 1_000_000
    a = ant(gw).models.retrieve("claude-opus-5-5")
    assert (a.id, a.max_input_tokens, a.max_tokens) == ("claude-opus-5-5", 1_000_000, 128000)
    assert oai(gw).models.retrieve("agent/claude").owned_by == "anthropic"
    assert oai(gw).models.retrieve("openrouter/moonshotai/kimi-k2.5").id == "openrouter/moonshotai/kimi-k2.5"


def test_models_retrieve_unknown_is_a_404_in_each_envelope(gw: Gateway) -> None:
    with pytest.raises(openai.NotFoundError) as e:
        oai(gw).models.retrieve("nosuchprovider/x")
    assert isinstance(e.value.body, dict) and e.value.body["code"] == "model.unknown"
    with pytest.raises(anthropic.NotFoundError):
        ant(gw).models.retrieve("nosuch-model-family-1")


# --- messages.count_tokens --------------------------------------------------------------------------------


def test_count_tokens_asks_the_provider_when_it_can(gw: Gateway, emu: EmulatorThread) -> None:
    text = "count these words please"
    emulated = (len(text) + 3) // 4  # how the emulated provider counts
    messages = [{"role": "user", "content": text}]
    raw = ant(gw).messages.with_raw_response.count_tokens(model="claude-opus-5-5", messages=messages)  # type: ignore[arg-type]
    counted = raw.parse()
    assert counted.input_tokens == emulated
    assert "x-clawgate-estimate" not in raw.headers
    (req,) = emu.requests_for(dialect="anthropic", path_suffix="/v1/messages/count_tokens")
    assert req.body["model"] == "claude-opus-5-5" and "max_tokens" not in req.body
    # a Responses provider counts with /responses/input_tokens
    assert ant(gw).messages.count_tokens(model="openai/gpt-5.5", messages=messages).input_tokens == emulated  # type: ignore[arg-type]
    assert emu.requests_for(dialect="openai", path_suffix="/responses/input_tokens")


def test_count_tokens_estimates_for_a_provider_without_a_count_and_says_so(
    gw: Gateway, emu: EmulatorThread
) -> None:
    raw = ant(gw).messages.with_raw_response.count_tokens(
        model="groq/llama-3.3-70b-versatile", messages=[{"role": "user", "content": "x" * 40}]
    )
    out = raw.parse()
    assert out.input_tokens == 10 and raw.headers["x-clawgate-estimate"] == "chars/4"
    assert (out.model_extra or {})["clawgate"]["estimated"] is True
    assert not emu.requests  # nothing was sent


def test_count_tokens_failures_are_classified(gw: Gateway, emu: EmulatorThread) -> None:
    emu.add_fault("rate_limit", dialect="anthropic", times=None, retry_after=0)
    with pytest.raises(anthropic.RateLimitError) as e:
        ant(gw).messages.count_tokens(model="claude-opus-5-5", messages=[{"role": "user", "content": "x"}])
    assert e.value.body["error"]["owner"] == "rate_limit"  # type: ignore[index]


# --- embeddings.create --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "model", ["text-embedding-3-small", "openai/text-embedding-3-small", "gemini/gemini-embedding-001"]
)
def test_embeddings_from_the_sdk(gw: Gateway, emu: EmulatorThread, model: str) -> None:
    out = oai(gw).embeddings.create(model=model, input=["one", "two"])
    assert [len(d.embedding) for d in out.data] == [8, 8] and out.data[0].embedding != out.data[1].embedding
    assert emu.requests_for(path_suffix="/embeddings")


def test_embeddings_on_a_provider_without_them_is_refused_before_sending(
    gw: Gateway, emu: EmulatorThread
) -> None:
    with pytest.raises(openai.BadRequestError) as e:
        oai(gw).embeddings.create(model="anthropic/claude-sonnet-4-5", input="x")
    assert isinstance(e.value.body, dict) and e.value.body["code"] == "request.unsupported_endpoint"
    assert not emu.requests


@pytest.mark.parametrize(
    "path,extra",
    [
        ("/v1/chat/completions", {"messages": [{"role": "user", "content": "x"}]}),
        ("/v1/embeddings", {"input": "x"}),
        ("/v1/messages/count_tokens", {"messages": [{"role": "user", "content": "x"}]}),
    ],
)
def test_a_model_that_is_not_a_string_is_said_alike_on_every_endpoint(
    gw: Gateway, emu: EmulatorThread, path: str, extra: dict[str, Any]
) -> None:
    """F4: one check of `model`: a number is "must be a string" everywhere (not "is required" on two of them)."""
    import httpx

    r = httpx.post(gw.url + path, json={"model": 123, **extra}, headers=gw.headers(), timeout=limit(10))
    assert r.status_code == 400, r.text
    err = r.json()["error"]
    assert err["code"] == "request.invalid" and err["message"].startswith("'model' must be a string"), err
    if path != "/v1/chat/completions":  # a missing model is still required where the endpoint needs one
        r = httpx.post(gw.url + path, json=extra, headers=gw.headers(), timeout=limit(10))
        assert r.status_code == 400 and r.json()["error"]["message"].startswith("'model' is required"), r.text
    assert not emu.requests
