"""Issue 12 through a real gateway, the emulator and the official SDKs: a JSON-schema structured output reaches
the provider in every one of the 6 translation directions (or the request is refused with the field named),
request fields with no equivalent are refused by name unless the operator opts into dropping them, and
model names reach the provider as clients send them (families, routes)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import anthropic
import openai
import pytest
from tests.support.timing import limit

from clawgate.emulator import EmulatorThread
from clawgate.emulator.structured import instance

from .conftest import ANTHROPIC_KEY, OPENAI_KEY, TOKEN, Gateway, base_config, gateway_for, run_cli

SCHEMA = {
    "type": "object",
    "properties": {"city": {"type": "string"}, "temp_c": {"type": "integer"}},
    "required": ["city", "temp_c"],
    "additionalProperties": False,
}
ANSWER = instance(SCHEMA)  # what the emulated model answers for SCHEMA


def config(emu: EmulatorThread) -> dict[str, Any]:
    cfg = base_config(emu)
    providers = cfg["models"]["providers"]
    # providers pinned to one dialect, so each client dialect crosses to each other one
    providers["oresp"] = {"baseUrl": emu.base_url("openai"), "api": "openai-responses", "apiKey": OPENAI_KEY}
    providers["ochat"] = {
        "baseUrl": emu.base_url("openai"),
        "api": "openai-completions",
        "apiKey": OPENAI_KEY,
    }
    providers["oldclaude"] = {
        "baseUrl": emu.base_url("anthropic"),
        "api": "anthropic-messages",
        "apiKey": ANTHROPIC_KEY,
        "structuredOutput": "tool",
    }
    providers["lenient"] = {
        "baseUrl": emu.base_url("anthropic"),
        "api": "anthropic-messages",
        "apiKey": ANTHROPIC_KEY,
        "dropUnsupported": ["logprobs"],
    }
    cfg["models"]["routes"] = [
        {"match": "claude-haiku-*", "to": "agent/fast"},
        {"match": "house-*", "to": "ochat/*"},
    ]
    cfg["agents"]["list"].append({"id": "fast", "model": "ochat/gpt-4o-mini"})
    return cfg


@pytest.fixture(scope="module")
def gw(emulator: EmulatorThread, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    with gateway_for(tmp_path_factory.mktemp("xlate"), config(emulator)) as g:
        yield g


def oai(gw: Gateway) -> openai.OpenAI:
    return openai.OpenAI(base_url=gw.url + "/v1", api_key=TOKEN, max_retries=0, timeout=limit(20))


def ant(gw: Gateway) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=gw.url, api_key=TOKEN, max_retries=0, timeout=limit(20))


def upstream(emu: EmulatorThread, dialect: str) -> dict[str, Any]:
    """The body of the last request the provider (emulator) received in `dialect`."""
    reqs = [r for r in emu.requests_for(dialect=dialect) if r.method == "POST"]
    assert reqs, f"no request reached the {dialect} emulator"
    body = reqs[-1].body
    assert isinstance(body, dict)
    return body


CHAT_FORMAT = {"type": "json_schema", "json_schema": {"name": "weather", "schema": SCHEMA, "strict": True}}
RESPONSES_FORMAT = {"type": "json_schema", "name": "weather", "schema": SCHEMA, "strict": True}
ANTHROPIC_FORMAT = {"format": {"type": "json_schema", "schema": SCHEMA}}


# --- structured output: the 6 directions ---------------------------------------------------------------


@pytest.mark.parametrize("stream", [False, True])
def test_chat_to_anthropic_native_output_format(gw: Gateway, emu: EmulatorThread, stream: bool) -> None:
    kw: dict[str, Any] = {"model": "anthropic/claude-sonnet-4-5", "response_format": CHAT_FORMAT}
    messages = [{"role": "user", "content": "weather?"}]
    if stream:
        with oai(gw).chat.completions.create(messages=messages, stream=True, **kw) as s:  # type: ignore[call-overload]
            text = "".join(c.choices[0].delta.content or "" for c in s if c.choices)
    else:
        text = oai(gw).chat.completions.create(messages=messages, **kw).choices[0].message.content  # type: ignore[call-overload]
    assert upstream(emu, "anthropic")["output_config"] == ANTHROPIC_FORMAT
    assert json.loads(text) == ANSWER


@pytest.mark.parametrize("stream", [False, True])
def test_chat_to_anthropic_without_native_support_uses_a_forced_tool(
    gw: Gateway, emu: EmulatorThread, stream: bool
) -> None:
    kw: dict[str, Any] = {"model": "oldclaude/claude-3-7-sonnet", "response_format": CHAT_FORMAT}
    messages = [{"role": "user", "content": "weather?"}]
    if stream:
        with oai(gw).chat.completions.create(messages=messages, stream=True, **kw) as s:  # type: ignore[call-overload]
            chunks = list(s)
        text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
        finish = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    else:
        choice = oai(gw).chat.completions.create(messages=messages, **kw).choices[0]  # type: ignore[call-overload]
        text, finish = choice.message.content, [choice.finish_reason]
    sent = upstream(emu, "anthropic")
    assert sent["tools"][0]["input_schema"] == SCHEMA and sent["tool_choice"]["type"] == "tool"
    assert json.loads(text) == ANSWER and finish == ["stop"]  # the forced call came back as the answer


def test_chat_to_responses(gw: Gateway, emu: EmulatorThread) -> None:
    out = oai(gw).chat.completions.create(
        model="oresp/gpt-5.5", messages=[{"role": "user", "content": "weather?"}], response_format=CHAT_FORMAT
    )
    assert upstream(emu, "openai")["text"]["format"] == RESPONSES_FORMAT
    assert json.loads(out.choices[0].message.content or "") == ANSWER


@pytest.mark.parametrize("stream", [False, True])
def test_responses_to_chat(gw: Gateway, emu: EmulatorThread, stream: bool) -> None:
    kw: dict[str, Any] = {"model": "groq/llama-3.3-70b-versatile", "input": "weather?"}
    if stream:
        with oai(gw).responses.stream(text={"format": RESPONSES_FORMAT}, **kw) as s:  # type: ignore[arg-type]
            text = s.get_final_response().output_text
    else:
        text = oai(gw).responses.create(text={"format": RESPONSES_FORMAT}, **kw).output_text  # type: ignore[arg-type]
    assert upstream(emu, "groq")["response_format"] == CHAT_FORMAT
    assert json.loads(text) == ANSWER


def test_responses_to_anthropic(gw: Gateway, emu: EmulatorThread) -> None:
    out = oai(gw).responses.create(
        model="anthropic/claude-sonnet-4-5",
        input="weather?",
        text={"format": RESPONSES_FORMAT},  # type: ignore[typeddict-item]
    )
    assert upstream(emu, "anthropic")["output_config"] == ANTHROPIC_FORMAT
    assert json.loads(out.output_text) == ANSWER


def test_anthropic_to_chat(gw: Gateway, emu: EmulatorThread) -> None:
    out = ant(gw).messages.create(
        model="groq/llama-3.3-70b-versatile",
        max_tokens=200,
        messages=[{"role": "user", "content": "weather?"}],
        output_config=ANTHROPIC_FORMAT,  # type: ignore[arg-type]
    )
    sent = upstream(emu, "groq")
    assert sent["response_format"]["json_schema"]["schema"] == SCHEMA
    assert json.loads(out.content[0].text) == ANSWER  # type: ignore[union-attr]


def test_anthropic_to_responses(gw: Gateway, emu: EmulatorThread) -> None:
    out = ant(gw).messages.create(
        model="oresp/gpt-5.5",
        max_tokens=200,
        messages=[{"role": "user", "content": "weather?"}],
        output_config=ANTHROPIC_FORMAT,  # type: ignore[arg-type]
    )
    sent = upstream(emu, "openai")
    assert sent["text"]["format"]["schema"] == SCHEMA and sent["text"]["format"]["type"] == "json_schema"
    assert json.loads(out.content[0].text) == ANSWER  # type: ignore[union-attr]


def test_structured_output_with_tools_on_an_old_claude_is_refused(gw: Gateway, emu: EmulatorThread) -> None:
    tool = {"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}
    with pytest.raises(openai.BadRequestError) as e:
        oai(gw).chat.completions.create(
            model="oldclaude/claude-3-7-sonnet",
            messages=[{"role": "user", "content": "x"}],
            tools=[tool],  # type: ignore[list-item]
            response_format=CHAT_FORMAT,  # type: ignore[arg-type]
        )
    err = e.value.body
    assert isinstance(err, dict) and (err["code"], err["param"]) == (
        "request.unsupported_param",
        "response_format",
    )
    assert not emu.requests_for(dialect="anthropic")  # nothing was sent


# --- never drop silently ---------------------------------------------------------------------------------


def test_a_field_without_equivalent_is_refused_by_name_and_route(gw: Gateway, emu: EmulatorThread) -> None:
    with pytest.raises(openai.BadRequestError) as e:
        oai(gw).chat.completions.create(
            model="anthropic/claude-sonnet-4-5", messages=[{"role": "user", "content": "x"}], logprobs=True
        )
    err = e.value.body
    assert isinstance(err, dict)
    assert (err["code"], err["param"], err["owner"]) == ("request.unsupported_param", "logprobs", "request")
    assert "openai-completions → anthropic-messages" in err["message"]
    assert "models.providers.anthropic.dropUnsupported" in " ".join(err["next_steps"])
    assert not emu.requests_for(dialect="anthropic")


def test_the_operator_can_drop_a_field_per_provider_and_it_is_named(gw: Gateway, emu: EmulatorThread) -> None:
    raw = oai(gw).chat.completions.with_raw_response.create(
        model="lenient/claude-sonnet-4-5", messages=[{"role": "user", "content": "x"}], logprobs=True, seed=3
    )
    assert raw.parse().choices[0].message.content
    assert "logprobs" not in upstream(emu, "anthropic") and "seed" not in upstream(emu, "anthropic")
    assert raw.headers["x-clawgate-omitted"] == "seed, logprobs (dropped)"


@pytest.mark.parametrize(
    ("model", "extra", "param"),
    [
        ("groq/llama-3.3-70b-versatile", {"tools": [{"type": "web_search"}]}, "tools.web_search"),
        (
            "anthropic/claude-sonnet-4-5",
            {"tools": [{"type": "file_search", "vector_store_ids": ["v"]}]},
            "tools.file_search",
        ),
        ("groq/llama-3.3-70b-versatile", {"background": True}, "background"),
        (
            "groq/llama-3.3-70b-versatile",
            {"include": ["file_search_call.results"]},
            "include.file_search_call.results",
        ),
    ],
)
def test_responses_built_in_tools_and_features_without_equivalent_are_refused(
    gw: Gateway, emu: EmulatorThread, model: str, extra: dict[str, Any], param: str
) -> None:
    with pytest.raises(openai.BadRequestError) as e:
        oai(gw).responses.create(model=model, input="x", **extra)
    assert isinstance(e.value.body, dict) and e.value.body["param"] == param


def test_stop_to_a_responses_provider_is_refused(gw: Gateway) -> None:
    with pytest.raises(openai.BadRequestError) as e:
        oai(gw).chat.completions.create(
            model="oresp/gpt-5.5", messages=[{"role": "user", "content": "x"}], stop=["END"]
        )
    assert isinstance(e.value.body, dict) and e.value.body["param"] == "stop"


def test_codex_style_tools_cross_to_a_chat_provider(gw: Gateway, emu: EmulatorThread) -> None:
    """Namespaced (sub-agent) tools are flattened and free-form (custom) tools become functions; their calls
    come back as the items Codex expects."""
    tools: list[Any] = [
        {"type": "function", "name": "exec_command", "parameters": {"type": "object", "properties": {}}},
        {
            "type": "custom",
            "name": "apply_patch",
            "description": "patch",
            "format": {"type": "grammar", "syntax": "lark", "definition": "start: /.+/"},
        },
        {
            "type": "namespace",
            "name": "multi_agent_v1",
            "description": "sub-agents",
            "tools": [
                {
                    "type": "function",
                    "name": "spawn_agent",
                    "parameters": {"type": "object", "properties": {"x": {"type": "integer"}}},
                }
            ],
        },
    ]
    out = oai(gw).responses.create(
        model="groq/llama-3.3-70b-versatile",
        input="call_tool please",
        tools=tools,
        tool_choice={"type": "function", "name": "multi_agent_v1__spawn_agent"},  # type: ignore[arg-type]
    )
    names = [t["function"]["name"] for t in upstream(emu, "groq")["tools"]]
    assert names == ["exec_command", "apply_patch", "multi_agent_v1__spawn_agent"]
    call = out.output[0]
    assert (call.type, call.name, getattr(call, "namespace", None)) == (
        "function_call",
        "spawn_agent",
        "multi_agent_v1",
    )
    patched = oai(gw).responses.create(
        model="groq/llama-3.3-70b-versatile",
        input="x",
        tools=tools,
        tool_choice={"type": "custom", "name": "apply_patch"},  # type: ignore[arg-type]
    )
    item = patched.output[0]
    assert item.type == "custom_tool_call" and item.name == "apply_patch"


def test_max_tokens_stays_within_the_model_limit(gw: Gateway, emu: EmulatorThread) -> None:
    ant(gw).messages.create(
        model="openai/gpt-4o", max_tokens=32000, messages=[{"role": "user", "content": "x"}]
    )
    assert upstream(emu, "openai")["max_tokens"] == 16384  # the catalog's limit for gpt-4o


def test_reasoning_effort_becomes_anthropic_thinking_and_back(gw: Gateway, emu: EmulatorThread) -> None:
    oai(gw).chat.completions.create(
        model="anthropic/claude-sonnet-4-5",
        messages=[{"role": "user", "content": "x"}],
        reasoning_effort="high",
    )
    thinking = upstream(emu, "anthropic")["thinking"]
    assert thinking["type"] == "enabled" and thinking["budget_tokens"] == 16384
    ant(gw).messages.create(
        model="ochat/gpt-5.5",
        max_tokens=500,
        messages=[{"role": "user", "content": "x"}],
        thinking={"type": "enabled", "budget_tokens": 2048},
    )
    assert upstream(emu, "openai")["reasoning_effort"] == "low"


# --- model names as clients send them ------------------------------------------------------------------


def test_bare_claude_names_reach_anthropic_dated_or_not(gw: Gateway, emu: EmulatorThread) -> None:
    for name in ("claude-opus-5-5", "claude-sonnet-4-5-20250929", "claude-opus-4-8"):
        out = ant(gw).messages.create(model=name, max_tokens=10, messages=[{"role": "user", "content": "hi"}])
        assert out.content[0].text == f"emulated reply from anthropic model {name}"  # type: ignore[union-attr]


def test_the_providers_404_is_model_unknown_with_its_words(gw: Gateway, emu: EmulatorThread) -> None:
    emu.add_fault("unknown_model", dialect="anthropic", model="claude-nosuch-9")
    with pytest.raises(anthropic.NotFoundError) as e:
        ant(gw).messages.create(
            model="claude-nosuch-9", max_tokens=10, messages=[{"role": "user", "content": "hi"}]
        )
    err = e.value.body["error"]  # type: ignore[index]
    assert (err["code"], err["owner"]) == ("model.unknown", "request")
    assert "model: claude-nosuch-9" in err["message"]


def test_a_route_sends_a_client_name_to_an_agent(gw: Gateway, emu: EmulatorThread) -> None:
    raw = ant(gw).messages.with_raw_response.create(
        model="claude-haiku-5-5", max_tokens=10, messages=[{"role": "user", "content": "hi"}]
    )
    assert raw.headers["x-clawgate-model"] == "ochat/gpt-4o-mini"
    assert upstream(emu, "openai")["model"] == "gpt-4o-mini"
    oai(gw).chat.completions.create(model="house-gpt-4.1", messages=[{"role": "user", "content": "hi"}])
    assert upstream(emu, "openai")["model"] == "gpt-4.1"


def test_models_status_shows_which_route_matched(gw: Gateway) -> None:
    r = run_cli(gw.home, "models", "status", "--model", "claude-haiku-5-5", "--json")
    data = json.loads(r.stdout)
    assert data["route"] == {
        "from": "models.routes[0]",
        "match": "claude-haiku-*",
        "to": "agent/fast",
        "requested": "claude-haiku-5-5",
        "result": "agent/fast",
    }
    assert data["agent"] == "fast" and data["attempts"][0]["ref"] == "ochat/gpt-4o-mini"
    text = run_cli(gw.home, "models", "status", "--model", "claude-haiku-5-5").stdout
    assert "route claude-haiku-5-5 → agent/fast  models.routes[0]: claude-haiku-* → agent/fast" in text
