"""Documented error vocabularies of providers beyond the presets' wire formats, as data for the classifier.

Facts gathered from each provider's error documentation (see docs/explain.md for the sources): AWS Bedrock's
exception names, Azure OpenAI's error codes, Vertex AI / Google RPC statuses, Cohere, xAI, Mistral, Together,
Fireworks and Perplexity messages. Values are lower-cased; `failures.classify` unions the key sets into its own
and matches the phrases against the provider's message. Nothing here decides anything by itself.
"""

from __future__ import annotations

# type / code / status / reason values ---------------------------------------------------------------------

AUTH_KEYS = frozenset(
    {
        "unrecognizedclientexception",  # AWS: the access key id or security token is invalid
        "invalidsignatureexception",  # AWS: the request signature does not match (wrong secret key)
        "expiredtokenexception",  # AWS: the session token has expired
        "incompletesignature",
        "missingauthenticationtoken",
        "unauthorized",  # Azure OpenAI {"error":{"code":"Unauthorized"}}, Fireworks
        "invalid_api_key_error",
        "authentication_failed",
    }
)
BILLING_KEYS = frozenset({"insufficient_balance", "quota_exceeded_error", "credits_exhausted"})
FORBIDDEN_KEYS = frozenset(
    {
        "accessdeniedexception",  # AWS: the account may not invoke this model / action
        "permissiondenied",
        "forbidden",
        "consumer_invalid",  # Google: the project behind the credential may not use this API
    }
)
RATE_KEYS = frozenset(
    {
        "throttlingexception",  # AWS Bedrock 429
        "servicequotaexceededexception",  # AWS Bedrock: account quota for the model
        "toomanyrequestsexception",
        "toomanyrequests",
        "ratelimitexceeded",  # Google errors[].reason
        "rate_limited",
        "throttling_error",
        "rate_limit",
        "requests_rate_limit_exceeded",
    }
)
OVERLOAD_KEYS = frozenset(
    {
        "serviceunavailableexception",  # AWS 503
        "modelnotreadyexception",  # AWS: the model is not ready to serve yet
        "servicecurrentlyunavailable",
        "engine_overloaded",
    }
)
SERVER_KEYS = frozenset({"internalserverexception", "modelerrorexception", "modeltimeoutexception"})
MODEL_KEYS = frozenset(
    {
        "deploymentnotfound",  # Azure: the deployment (its model name) does not exist on this resource
        "model_not_available",  # Together: a non-serverless model without a dedicated endpoint
        "invalid_model",  # Perplexity
        "resource_not_found_error",  # Moonshot
        "resourcenotfoundexception",  # AWS: the model / inference profile ARN is unknown
        "unknown_model",
        "model_not_supported",
    }
)
INVALID_KEYS = frozenset({"validationexception", "invalid_request", "bad_request", "badrequest"})
CONTEXT_KEYS = frozenset({"contextwindowexceedederror", "prompt_too_long"})

# message phrases (matched lower-cased against the provider's message) -------------------------------------

AUTH_PHRASES = (
    "incorrect api key provided",  # OpenAI, xAI (xAI sends it with 400)
    "invalid api token",  # Cohere
    "invalid subscription key",  # Azure
    "security token included in the request is invalid",  # AWS
    "the security token included in the request is expired",
    "api key not valid",  # Google
    "api key not found. please pass a valid api key",
    "invalid api-key provided",  # DashScope
    "invalid authentication",  # Moonshot
    "authentication fails",  # DeepSeek
    "invalid x-api-key",  # Anthropic
    "invalid_api_key",
    "authorization required",  # nginx/openresty 401 page (Perplexity)
)
BILLING_PHRASES = (
    "used all available credits",  # xAI
    "monthly spending limit",  # xAI
    "purchase more credits",
    "insufficient credits",
    "exceeded current quota",
    "out of credits",
)
FORBIDDEN_PHRASES = (
    "you don't have access to the model",  # AWS Bedrock model access not granted
    "not authorized to invoke this api operation",  # AWS
    "no endpoints found matching your data policy",  # OpenRouter privacy settings
    "permission denied on resource",  # Google
    "' denied on resource '",  # Google IAM: "Permission 'aiplatform.endpoints.predict' denied on resource …"
)
RATE_PHRASES = (
    "too many requests",
    "rate limit reached",
    "rate limit exceeded",
    "rate limit is exceeded",
    "exceeded token rate limit",  # Azure
    "exceeded call rate limit",  # Azure
    "exceeded the call rate limit",
    "resource has been exhausted",  # Google
    "resource exhausted",
    "request rate is too high",  # AWS
    "too many tokens, please wait",  # AWS
    "requests rate limit exceeded",  # Mistral
)
MODEL_PHRASES = (
    "api deployment for this resource does not exist",  # Azure
    "api deployment for the resource does not exist",
    "not found, try pulling it first",  # Ollama
    "no endpoints found for ",  # OpenRouter: no provider serves this model id
    "invalid model '",  # Perplexity
    "unable to access model",  # Together
    "unable to access non-serverless model",  # Together
    "model identifier is invalid",  # AWS Bedrock
    "model not found, inaccessible",  # Fireworks
    "not found the model",  # Moonshot
)
UNSUPPORTED_PHRASES = (
    "no endpoints found that support",  # OpenRouter: no provider of this model supports the request's feature
    "with on-demand throughput isn",  # AWS: the model needs an inference profile id
)
API_MISMATCH_PHRASES = ("unknown request url", "method not allowed")
