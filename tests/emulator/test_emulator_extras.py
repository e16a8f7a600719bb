"""The emulator's auxiliary endpoints (one model, token counting, embeddings) and what its model does with
structured-output requests and forced tool choices — through the official SDKs, as a provider would be used."""

from __future__ import annotations

import json

import anthropic
import openai
import pytest
from tests.support.timing import limit

from clawgate.emulator import EmulatorThread

from .emuclient import key_for

SCHEMA = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "n": {"type": "integer"},
        "tags": {"type": "array", "items": {"enum": ["a", "b"]}},
    },
    "required": ["name", "n", "tags"],
}


def oai(emu: EmulatorThread) -> openai.OpenAI:
    return openai.OpenAI(
        base_url=emu.base_url("openai"), api_key=key_for("openai"), max_retries=0, timeout=limit(10)
    )


def ant(emu: EmulatorThread) -> anthropic.Anthropic:
    return anthropic.Anthropic(
        base_url=emu.base_url("anthropic"), api_key=key_for("anthropic"), max_retries=0, timeout=limit(10)
    )


def test_models_retrieve_knows_the_dialects_list(emu: EmulatorThread) -> None:
    assert ant(emu).models.retrieve("claude-opus-5-5").display_name == "Claude Opus 5.5"
    assert oai(emu).models.retrieve("gpt-5.5").id == "gpt-5.5"
    with pytest.raises(anthropic.NotFoundError, match="model: claude-nope"):
        ant(emu).models.retrieve("claude-nope")
    with pytest.raises(openai.NotFoundError):
        oai(emu).models.retrieve("gpt-nope")


def test_token_counting(emu: EmulatorThread) -> None:
    text = "twelve chars"
    assert (
        ant(emu).messages.count_tokens(model="m", messages=[{"role": "user", "content": text}]).input_tokens
        == 3
    )
    out = oai(emu).responses.input_tokens.count(model="gpt-5.5", input=text)
    assert (
        out.input_tokens == 3 and emu.last_request is not None and emu.last_request.endpoint == "count_tokens"
    )


def test_embeddings_floats_and_base64(emu: EmulatorThread) -> None:
    # the openai SDK asks for base64 and decodes it itself
    out = oai(emu).embeddings.create(model="text-embedding-3-small", input=["a", "b", "a"])
    vecs = [d.embedding for d in out.data]
    assert [len(v) for v in vecs] == [8, 8, 8] and vecs[0] == pytest.approx(vecs[2]) and vecs[0] != vecs[1]
    assert emu.last_request is not None and emu.last_request.body["encoding_format"] == "base64"
    plain = oai(emu).embeddings.create(model="m", input="a", encoding_format="float", dimensions=4)
    assert plain.data[0].embedding == pytest.approx(vecs[0][:4], abs=1e-6)


def test_structured_output_answers_match_the_schema(emu: EmulatorThread) -> None:
    expected = {"name": "emulated", "n": 1, "tags": ["a"]}
    chat = oai(emu).chat.completions.create(
        model="m",
        messages=[{"role": "user", "content": "x"}],
        response_format={"type": "json_schema", "json_schema": {"name": "r", "schema": SCHEMA}},
    )
    assert json.loads(chat.choices[0].message.content or "") == expected
    resp = oai(emu).responses.create(
        model="m", input="x", text={"format": {"type": "json_schema", "name": "r", "schema": SCHEMA}}
    )
    assert json.loads(resp.output_text) == expected
    msg = ant(emu).messages.create(
        model="m",
        max_tokens=10,
        messages=[{"role": "user", "content": "x"}],
        output_config={"format": {"type": "json_schema", "schema": SCHEMA}},
    )
    assert json.loads(msg.content[0].text) == expected  # type: ignore[union-attr]


def test_a_forced_tool_choice_is_called(emu: EmulatorThread) -> None:
    tools = [
        {"name": "first", "input_schema": {"type": "object"}},
        {"name": "second", "input_schema": SCHEMA},
    ]
    msg = ant(emu).messages.create(
        model="m",
        max_tokens=10,
        messages=[{"role": "user", "content": "x"}],
        tools=tools,
        tool_choice={"type": "tool", "name": "second"},
    )
    use = msg.content[0]
    assert (
        use.type == "tool_use"
        and use.name == "second"
        and use.input == {"name": "emulated", "n": 1, "tags": ["a"]}
    )
    assert msg.stop_reason == "tool_use"
