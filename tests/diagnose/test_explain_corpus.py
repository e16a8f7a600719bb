"""Issue 15, Done when 1: `explain` on a corpus of real error texts (tests/diagnose/corpus/), measured on the
held-out part that was split off before the parser was built; plus the misses the issue lists."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from clawgate.diagnose.explain import classify_text
from clawgate.failures import CODES

CORPUS = Path(__file__).parent / "corpus"


def _load(part: str) -> list[dict]:
    return [json.loads(line) for line in (CORPUS / f"{part}.jsonl").read_text().splitlines() if line.strip()]


DEV, HELDOUT = _load("dev"), _load("heldout")


def _accuracy(rows: list[dict]) -> tuple[float, list[tuple[str, tuple, tuple]]]:
    wrong = []
    for r in rows:
        ex = classify_text(r["text"])
        got = (ex.owner, ex.code) if ex else (None, None)
        if got != (r["owner"], r["code"]):
            wrong.append((r["id"], (r["owner"], r["code"]), got))
    return 1 - len(wrong) / len(rows), wrong


def test_corpus_shape():
    rows = DEV + HELDOUT
    assert len(rows) >= 150
    assert len({r["provider"] for r in rows if r["provider"]}) >= 15
    assert len({r["library"] for r in rows}) >= 5
    assert len(HELDOUT) >= 0.4 * len(rows)
    assert not {r["id"] for r in DEV} & {r["id"] for r in HELDOUT}
    for r in rows:
        assert r["code"] in CODES and CODES[r["code"]].owner == r["owner"], r
        assert r["source"].startswith("https://"), r


def test_heldout_accuracy_is_at_least_90_percent():
    acc, wrong = _accuracy(HELDOUT)
    print(f"held-out: {acc:.1%} of {len(HELDOUT)}; wrong: {wrong}")
    assert acc >= 0.90, wrong


def test_dev_accuracy():
    acc, wrong = _accuracy(DEV)
    print(f"dev: {acc:.1%} of {len(DEV)}; wrong: {wrong}")
    assert acc >= 0.95, wrong


@pytest.mark.parametrize(
    ("text", "owner", "code", "provider"),
    [
        (
            "botocore.exceptions.ClientError: An error occurred (UnrecognizedClientException) when calling the "
            "Converse operation: The security token included in the request is invalid.",
            "provider_auth",
            "auth.rejected",
            "bedrock",
        ),
        ("invalid api token (HTTP 401 from api.cohere.com)", "provider_auth", "auth.rejected", "cohere"),
        (
            '{"code":"Client specified an invalid argument","error":"Incorrect API key provided: xa***yz. '
            'You can obtain an API key from https://console.x.ai."}',
            "provider_auth",
            "auth.rejected",
            "xai",
        ),
        (
            '{"error":{"type":"rate_limited","message":"slow down"}}',
            "rate_limit",
            "rate_limit.exceeded",
            None,
        ),
        (
            'SecretRefResolutionError: Environment variable "OPENROUTER_API_KEY" is missing or empty.',
            "environment",
            "env.unresolved_ref",
            None,
        ),
        ("Agent failed before reply: Unknown model: groq/llama-9", "request", "model.unknown", "groq"),
    ],
)
def test_the_misses_the_issue_lists(text: str, owner: str, code: str, provider: str | None):
    ex = classify_text(text)
    assert ex is not None
    assert (ex.owner, ex.code) == (owner, code), ex.message
    if provider:
        assert ex.provider == provider
    assert ex.next_steps


def test_clawgate_own_503_through_an_sdk_is_not_called_the_providers_overload():
    # the openai SDK's one-line form of clawgate's own refusal (every credential cooling down)
    text = (
        "openai.InternalServerError: Error code: 503 - {'error': {'message': 'every credential for "
        "openrouter is cooling down', 'type': 'upstream_error', 'code': 'health.cooling', 'owner': "
        "'rate_limit', 'provider': 'openrouter'"
    )
    ex = classify_text(text)
    assert ex is not None and (ex.owner, ex.code) == ("rate_limit", "health.cooling"), ex.message
    assert "overloaded" not in ex.message


def test_confidence_says_when_it_is_guessing():
    sure = classify_text('HTTP 401: {"error":{"type":"authentication_error","message":"invalid x-api-key"}}')
    guess = classify_text("Resource has been exhausted (e.g. check quota).")
    assert sure is not None and sure.confidence == "high" and sure.evidence
    assert guess is not None and guess.code == "rate_limit.exceeded"
    assert guess.confidence == "low" and "guess" in guess.message.lower()
    assert guess.to_json()["confidence"] == "low"
