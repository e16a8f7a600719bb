"""The provider vocabularies (failures/vocabulary.py) are sourced facts, and the classifier decides the classes
they describe the way the providers' documentation does. Texts here are written for these tests (not corpus
entries); each mirrors the documented shape."""

from __future__ import annotations

import json

import pytest

from clawgate.diagnose.explain import classify_text
from clawgate.failures import vocabulary as V
from clawgate.failures.classify import classify_http

OC = "openai-completions"


def test_every_vocabulary_names_its_source_and_is_lower_case():
    assert len(V.VOCABULARIES) >= 9
    for voc in V.VOCABULARIES:
        assert voc.source.startswith(("https://", "/work/shared/reference/")), voc.provider
        for field in voc.__dataclass_fields__:
            if field in ("provider", "source"):
                continue
            for value in getattr(voc, field):
                assert value == value.lower(), (voc.provider, field, value)
    # no value is filed under two different decisions
    cats = ("auth", "billing", "forbidden", "rate", "overload", "server", "model", "invalid", "context")
    seen: dict[str, str] = {}
    for voc in V.VOCABULARIES:
        for cat in cats:
            for value in getattr(voc, cat):
                assert seen.setdefault(value, cat) == cat, value


def _body(**error) -> bytes:
    return json.dumps({"error": error}).encode()


def test_gemini_429_resource_exhausted_is_a_rate_limit_not_billing():
    """ai.google.dev api-errors: 429 RESOURCE_EXHAUSTED = the rate limit of the tier; 402 = prepaid credit."""
    body = _body(
        code=429,
        message="You exceeded your current quota. Upgrade your quota tier or wait for the per-minute window.",
        status="RESOURCE_EXHAUSTED",
    )
    assert classify_http(429, {}, body, provider="gemini", api=OC).code == "rate_limit.exceeded"
    body402 = _body(code=402, message="Your prepayment credits are depleted.", status="RESOURCE_EXHAUSTED")
    assert classify_http(402, {}, body402, provider="gemini", api=OC).code == "access.billing"
    # OpenAI's own "exceeded your current quota" (insufficient_quota) stays billing
    oa = _body(
        message="You exceeded your current quota, please check your plan and billing details.",
        type="insufficient_quota",
        code="insufficient_quota",
    )
    assert classify_http(429, {}, oa, provider="openai", api=OC).code == "access.billing"
    # the same Google answer quoted as text, its body a string inside another error
    pasted = (
        'Error: PluginError: {"kind":"ClientError","message":"429 RESOURCE_EXHAUSTED. '
        "{'error': {'code': 429, 'message': 'You exceeded your current quota for gemini-2.0-flash.', "
        "'status': 'RESOURCE_EXHAUSTED'}}\"} (generativelanguage.googleapis.com)"
    )
    ex = classify_text(pasted)
    assert ex is not None and (ex.owner, ex.code) == ("rate_limit", "rate_limit.exceeded")


def test_a_request_larger_than_the_tpm_limit_is_a_rate_limit_waiting_cannot_fix():
    """console.groq.com/docs/errors: 413 for a request too large for the tier's tokens-per-minute limit."""
    msg = (
        "Request too large for model `llama-3.3-70b-versatile` in organization `org_x` service tier "
        "`on_demand` on tokens per minute (TPM): Limit 12000, Requested 15210, please reduce your message size."
    )
    f = classify_http(
        413, {}, _body(message=msg, type="tokens", code="rate_limit_exceeded"), provider="groq", api=OC
    )
    assert (f.code, f.retryable) == ("rate_limit.exceeded", False)
    ex = classify_text(f"(AI_APICallError) {msg}")  # quoted without its status
    assert ex is not None and (ex.owner, ex.code) == ("rate_limit", "rate_limit.exceeded")
    assert ex.confidence == "low"  # the message vocabulary alone: said as a guess


@pytest.mark.parametrize(
    ("status", "body", "provider", "code"),
    [
        # Together: 403 for a prompt over the context (docs.together.ai/docs/error-codes)
        (
            403,
            _body(
                message="Input token count + max_tokens parameter must be less than the context length of 8193"
            ),
            "together",
            "context.exceeded",
        ),
        # Cohere: 400 "too many tokens: …" (docs.cohere.com/reference/errors)
        (
            400,
            {
                "message": "too many tokens: total number of tokens in the prompt cannot exceed 4081 - received 4300"
            },
            "cohere",
            "context.exceeded",
        ),
        (
            429,
            {"message": "You are past the per minute request limit, please wait and try again later."},
            "cohere",
            "rate_limit.exceeded",
        ),
        (401, {"message": "no api key supplied"}, "cohere", "auth.rejected"),
        # AWS common errors: an access key id that does not exist
        (
            403,
            {"__type": "InvalidClientTokenId", "message": "The security token is not recognized"},
            "bedrock",
            "auth.rejected",
        ),
        # Together: the model needs a dedicated endpoint
        (
            400,
            _body(
                message="The dedicated endpoint for x/y is not running.",
                code="dedicated_endpoint_not_running",
            ),
            "together",
            "model.unknown",
        ),
        # Vertex AI provisioned throughput
        (
            429,
            _body(code=429, message="Too many requests. Exceeded the Provisioned Throughput.", status="X"),
            "vertex",
            "rate_limit.exceeded",
        ),
        # Mistral's 429 type
        (
            429,
            {"object": "error", "message": "slow down", "type": "rate_limited", "code": "1300"},
            "mistral",
            "rate_limit.exceeded",
        ),
    ],
)
def test_documented_vocabularies(status, body, provider, code):
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    assert classify_http(status, {}, raw, provider=provider, api=OC).code == code
