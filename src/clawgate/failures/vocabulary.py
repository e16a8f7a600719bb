"""Documented error vocabularies of providers beyond the presets' wire formats, as data for the classifier.

One `Vocabulary` per provider, each with the page its facts come from (docs/explain.md lists them): AWS
Bedrock's and AWS's common exception names, Azure OpenAI's codes and messages, Google's (Gemini API, Vertex AI)
RPC statuses and messages, Cohere, xAI, Mistral, Together, Fireworks and Perplexity — plus the few values client
libraries put in front of them. Keys (type / code / status / reason) and phrases are lower-cased;
`failures.classify` unions the sets below into its own and matches the phrases against the provider's message.
Nothing here decides anything by itself; what a status means at one provider only (Together's 403 for a prompt
over the context, Fireworks' 403 for a bad key) is left to the message, which these phrases read.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Vocabulary:
    provider: str
    source: str  # where these facts are documented (or, for a phrase only issue threads show, the thread)
    auth: tuple[str, ...] = ()
    billing: tuple[str, ...] = ()
    forbidden: tuple[str, ...] = ()
    rate: tuple[str, ...] = ()
    overload: tuple[str, ...] = ()
    server: tuple[str, ...] = ()
    model: tuple[str, ...] = ()
    invalid: tuple[str, ...] = ()
    context: tuple[str, ...] = ()
    auth_phrases: tuple[str, ...] = ()
    billing_phrases: tuple[str, ...] = ()
    forbidden_phrases: tuple[str, ...] = ()
    rate_phrases: tuple[str, ...] = ()
    model_phrases: tuple[str, ...] = ()
    context_phrases: tuple[str, ...] = ()
    unsupported_phrases: tuple[str, ...] = ()


VOCABULARIES: tuple[Vocabulary, ...] = (
    Vocabulary(
        "AWS Bedrock",
        "https://docs.aws.amazon.com/bedrock/latest/userguide/troubleshooting-api-error-codes.html",
        # AccessDeniedException 403; BadCScoreException / MPAgreementBeingCreated 403 (no access to the model)
        forbidden=("accessdeniedexception", "badcscoreexception", "mpagreementbeingcreated"),
        rate=("throttlingexception", "servicequotaexceededexception"),  # 429 / "resubmit your request later"
        overload=("serviceunavailableexception", "modelnotreadyexception"),  # 503 / 429, retried by the SDK
        server=("internalserverexception", "modelerrorexception", "modeltimeoutexception"),  # 500 / 424 / 408
        model=("resourcenotfoundexception",),  # 404: unknown model / inference profile ARN
        invalid=("validationexception",),
        forbidden_phrases=("you don't have access to the model",),  # AccessDeniedException's message
        rate_phrases=(
            "too many requests, please wait",  # ThrottlingException's three messages (AWS re:Post)
            "request rate is too high",
            "too many tokens, please wait",
        ),
        model_phrases=(
            "model identifier is invalid",
        ),  # ValidationException "The provided model identifier…"
        unsupported_phrases=(
            "with on-demand throughput isn",
        ),  # "…isn't supported": needs an inference profile
    ),
    Vocabulary(
        "AWS (common errors of every service)",
        "https://docs.aws.amazon.com/awsconsolehelpdocs/latest/gsg/common-errors.html",
        # UnrecognizedClientException / InvalidClientTokenId 403: the access key id does not exist;
        # IncompleteSignature; MissingAuthenticationToken; ExpiredTokenException 403; InvalidSignatureException
        # (403, "The request signature we calculated does not match": a wrong secret key — see
        # https://github.com/BerriAI/litellm/issues/14763)
        auth=(
            "unrecognizedclientexception",
            "invalidclienttokenid",
            "incompletesignature",
            "missingauthenticationtoken",
            "expiredtokenexception",
            "invalidsignatureexception",
        ),
        forbidden=("notauthorized", "optinrequired"),  # no permission; the key needs a subscription
        rate=("throttling",),
        overload=("serviceunavailable",),
        server=("internalfailure",),
        invalid=("validationerror",),
        auth_phrases=(
            "security token included in the request is invalid",
            "security token included in the request is expired",
            "request signature we calculated does not match",
        ),
        forbidden_phrases=("not authorized to invoke this api operation",),
    ),
    Vocabulary(
        "Azure OpenAI",
        "https://learn.microsoft.com/azure/foundry/openai/how-to/troubleshoot-errors",
        # 404 {"error":{"code":"DeploymentNotFound","message":"The API deployment for this resource does not
        # exist…"}} (https://github.com/MicrosoftDocs/azure-docs/issues/114013); 403 PermissionDenied (RBAC)
        forbidden=("permissiondenied",),
        model=("deploymentnotfound",),
        auth_phrases=("invalid subscription key or wrong api endpoint",),  # the 401 message
        rate_phrases=(
            "exceeded token rate limit",  # "…have exceeded token rate limit of your current OpenAI S0 pricing tier"
            "exceeded call rate limit",
            "exceeded the call rate limit",
            "rate limit is exceeded",
        ),
        model_phrases=(
            "api deployment for this resource does not exist",
            "api deployment for the resource does not exist",
        ),
    ),
    Vocabulary(
        "Gemini API (Google AI)",
        "https://ai.google.dev/gemini-api/docs/generate-content/api-errors",
        # 429 RESOURCE_EXHAUSTED "You've exceeded the rate limit" (rate, whatever the message says about
        # "quota"); 402 RESOURCE_EXHAUSTED: prepaid credit used up; 400 FAILED_PRECONDITION: free tier not
        # available in the country, enable billing; 403 PERMISSION_DENIED; API_KEY_INVALID in ErrorInfo.reason
        auth=("api_key_invalid",),
        forbidden=("consumer_invalid",),  # ErrorInfo.reason: the project behind the key may not use the API
        rate=("ratelimitexceeded",),  # errors[].reason
        auth_phrases=("api key not valid", "api key not found. please pass a valid api key"),
        billing_phrases=("free tier is not available in your country",),
        forbidden_phrases=("permission denied on resource", "' denied on resource '"),
        rate_phrases=("resource has been exhausted",),
    ),
    Vocabulary(
        "Vertex AI",
        "https://docs.cloud.google.com/vertex-ai/generative-ai/docs/model-reference/api-errors",
        # 429 RESOURCE_EXHAUSTED: "Resource exhausted, please try again later." (pay-as-you-go) / "Too many
        # requests. Exceeded the Provisioned Throughput." (…/provisioned-throughput/error-code-429)
        rate_phrases=("resource exhausted", "exceeded the provisioned throughput"),
    ),
    Vocabulary(
        "Cohere",
        "https://docs.cohere.com/reference/errors",
        # 401 "no api key supplied" / "invalid api token" / "Your API key has expired…"; 402 billing limit;
        # 429 per-minute and trial-key limits; 400 "too many tokens: …" (the prompt over the model's limit)
        auth_phrases=("invalid api token", "no api key supplied", "your api key has expired"),
        rate_phrases=(
            "past the per minute request limit",
            "you are using a trial key, which is limited to",
            "trial token rate limit exceeded",
        ),
        context_phrases=("too many tokens: total number of tokens", "too many tokens: size limit exceeded"),
    ),
    Vocabulary(
        "xAI",
        "https://docs.x.ai/docs/key-information/debugging",
        # 400 for an incorrect API key (not 401); credits used up arrive as 429 or 403
        # (https://github.com/continuedev/continue/issues/10373, https://github.com/warpdotdev/warp/issues/14863)
        auth_phrases=("incorrect api key provided",),
        billing_phrases=("used all available credits", "monthly spending limit", "purchase more credits"),
    ),
    Vocabulary(
        "Mistral",
        "https://docs.mistral.ai/resources/error-glossary",
        # body {"object":"error","message","type","param","code":"unknown_model"}; a 429 has type
        # "rate_limited" (https://github.com/raycast/extensions/issues/31107); a bad key is a bare 401
        # {"detail":"Unauthorized"} (https://github.com/agent0ai/agent-zero/issues/539)
        auth=("unauthorized",),
        rate=("rate_limited",),
        model=("unknown_model",),
    ),
    Vocabulary(
        "Together AI",
        "https://docs.together.ai/docs/error-codes",
        # 402 monthly spending limit; 403 "Input token count + max_tokens parameter must be less than the context
        # length"; 404 model name; 400 model_not_available / dedicated_endpoint_not_running
        # (https://github.com/HeyPuter/puter/issues/3168)
        model=("model_not_available", "dedicated_endpoint_not_running"),
        model_phrases=("unable to access non-serverless model", "unable to access model"),
        context_phrases=("must be less than the context length",),
    ),
    Vocabulary(
        "Fireworks AI",
        "https://docs.fireworks.ai/guides/inference-error-codes",
        # 404: the model does not exist, is not deployed or not accessible — {"message":"Model not found,
        # inaccessible, and/or not deployed","code":"NOT_FOUND"} (https://github.com/warpdotdev/warp/issues/15107)
        model_phrases=("model not found, inaccessible",),
    ),
    Vocabulary(
        "Perplexity",
        "https://github.com/perplexityai/api-discussion/issues/262",
        # 400 {"error":{"message":"Invalid model '…'","type":"invalid_model"}}; a bad key gets openresty's
        # "401 Authorization Required" page (https://github.com/perplexityai/api-discussion/issues/281)
        model=("invalid_model",),
        auth_phrases=("authorization required",),
        model_phrases=("invalid model '",),
    ),
    Vocabulary(
        "Moonshot (Kimi)",
        "https://github.com/langgenius/dify/issues/39778",
        model=("resource_not_found_error",),
        model_phrases=("not found the model",),
    ),
    Vocabulary(
        "the presets' own messages (DashScope, Moonshot, DeepSeek, Anthropic, OpenAI)",
        "/work/shared/reference/provider-wire.md",
        auth_phrases=(
            "invalid api-key provided",  # DashScope
            "invalid authentication",  # Moonshot
            "authentication fails",  # DeepSeek
            "invalid x-api-key",  # Anthropic
            "invalid_api_key",
        ),
    ),
    Vocabulary(
        "Ollama",
        "https://github.com/netease-youdao/QAnything/issues/555",
        model_phrases=(
            "not found, try pulling it first",
        ),  # 404 {"error":"model \"x\" not found, try pulling it first"}
    ),
    Vocabulary(
        "client libraries and routers in front of the providers",
        "https://docs.litellm.ai/docs/exception_mapping",
        # litellm's RateLimitError type "throttling_error" and ContextWindowExceededError; OpenAI-compatible
        # servers' "engine_overloaded"; OpenRouter's credit and data-policy messages (its preset reads the rest)
        rate=("throttling_error",),
        overload=("engine_overloaded",),
        context=("contextwindowexceedederror",),
        billing_phrases=("insufficient credits",),
        forbidden_phrases=("no endpoints found matching your data policy",),
        model_phrases=("no endpoints found for ",),
        unsupported_phrases=("no endpoints found that support",),
    ),
)


def _keys(field: str) -> frozenset[str]:
    return frozenset(v for voc in VOCABULARIES for v in getattr(voc, field))


def _phrases(field: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v for voc in VOCABULARIES for v in getattr(voc, field)))


AUTH_KEYS = _keys("auth")
BILLING_KEYS = _keys("billing")
FORBIDDEN_KEYS = _keys("forbidden")
RATE_KEYS = _keys("rate")
OVERLOAD_KEYS = _keys("overload")
SERVER_KEYS = _keys("server")
MODEL_KEYS = _keys("model")
INVALID_KEYS = _keys("invalid")
CONTEXT_KEYS = _keys("context")

AUTH_PHRASES = _phrases("auth_phrases")
BILLING_PHRASES = _phrases("billing_phrases")
FORBIDDEN_PHRASES = _phrases("forbidden_phrases")
RATE_PHRASES = (*_phrases("rate_phrases"), "too many requests", "rate limit reached", "rate limit exceeded")
MODEL_PHRASES = _phrases("model_phrases")
CONTEXT_PHRASES = _phrases("context_phrases")
UNSUPPORTED_PHRASES = _phrases("unsupported_phrases")
API_MISMATCH_PHRASES = ("unknown request url", "method not allowed")
