"""Every provider error body from provider-wire.md, with the Failure it must classify to (data for tests and explain)."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["CASES", "WireCase", "by_id"]


@dataclass
class WireCase:
    """One real (or assembled-from-documented-fields) upstream error and its expected classification.

    For an HTTP error `status` is the response status and `body` the response body. For an in-band stream
    error `stream` is True, `status` is None and `body` holds the SSE bytes (feed them to SSEParser, parse
    each event's data as JSON, and pass it to classify_stream_error with the event name).
    `verbatim` is True when the JSON text is exactly as written in provider-wire.md (SSE framing may be
    added around it, see `note`); False when the body is assembled from fields and messages the reference
    states without quoting a whole body.
    """

    id: str
    provider: str
    api: str
    status: int | None
    body: bytes
    owner: str
    code: str
    retryable: bool
    headers: dict[str, str] = field(default_factory=dict)
    host: str | None = None
    model: str | None = None
    stream: bool = False
    verbatim: bool = True
    source: str = ""  # provider-wire.md section and evidence grade
    note: str = ""
    retry_after: float | None = None  # expected Failure.retry_after
    request_id: str | None = None  # expected Failure.request_id
    message_has: tuple[str, ...] = ()  # substrings Failure.message must contain


OC = "openai-completions"
OR_ = "openai-responses"
AM = "anthropic-messages"


def _b(text: str) -> bytes:
    return text.encode("utf-8")


CASES: tuple[WireCase, ...] = (
    # ------------------------------------------------------------ §1 OpenAI (chat completions and Responses)
    WireCase(
        id="openai-401-no-key",
        provider="openai",
        api=OC,
        status=401,
        body=_b(
            '{"error":{"message":"You didn\'t provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (with blank username) if you\'re accessing the API from your browser and are prompted for a username and password. You can obtain an API key from https://platform.openai.com/account/api-keys.","type":"invalid_request_error","param":null,"code":null}}'
        ),
        owner="provider_auth",
        code="auth.rejected",
        retryable=False,
        host="api.openai.com",
        source="§1 [R]/[T]",
        message_has=("openai (api.openai.com)", "HTTP 401"),
    ),
    WireCase(
        id="openai-401-wrong-key",
        provider="openai",
        api=OC,
        status=401,
        body=_b(
            '{"error":{"message":"Incorrect API key provided: sk-VKMIs***************************************wjh3. You can find your API key at https://platform.openai.com/account/api-keys.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}'
        ),
        owner="provider_auth",
        code="auth.rejected",
        retryable=False,
        host="api.openai.com",
        source="§1 [R] chatanywhere/GPT_API_free#62",
        message_has=("invalid_api_key",),
    ),
    WireCase(
        id="openai-403-region",
        provider="openai",
        api=OC,
        status=403,
        body=_b(
            '{"error":{"code":"unsupported_country_region_territory","message":"Country, region, or territory not supported","param":null,"type":"request_forbidden"}}'
        ),
        owner="provider_access",
        code="access.forbidden",
        retryable=False,
        host="api.openai.com",
        source="§1 [R] home-assistant/core#120072",
    ),
    WireCase(
        id="openai-404-model",
        provider="openai",
        api=OC,
        status=404,
        body=_b(
            '{"error":{"message":"The model `gpt-4o` does not exist or you do not have access to it.","type":"invalid_request_error","param":null,"code":"model_not_found"}}'
        ),
        owner="request",
        code="model.unknown",
        retryable=False,
        host="api.openai.com",
        model="gpt-4o",
        verbatim=False,
        source="§1 [R] ksred/GitPilotAI#12",
        note="envelope assembled from the stated code, type and message",
    ),
    WireCase(
        id="openai-400-context",
        provider="openai",
        api=OC,
        status=400,
        body=_b(
            '{"error":{"message":"This model\'s maximum context length is 4097 tokens. However, your messages resulted in 4294 tokens. Please reduce the length of the messages.","type":"invalid_request_error","param":"messages","code":"context_length_exceeded"}}'
        ),
        owner="context",
        code="context.exceeded",
        retryable=False,
        host="api.openai.com",
        source="§1 [R] chathub-dev/chathub#126",
        message_has=("4294", "4097"),
    ),
    WireCase(
        id="openai-429-rate-limit",
        provider="openai",
        api=OC,
        status=429,
        body=_b(
            '{"error":{"message":"Rate limit reached for o4-mini in organization org-******* on tokens per min (TPM): Limit 200000, Used 162960, Requested 42288. Please try again in 1.574s. Visit https://platform.openai.com/account/rate-limits to learn more.","type":"tokens","param":null,"code":"rate_limit_exceeded"}}'
        ),
        owner="rate_limit",
        code="rate_limit.exceeded",
        retryable=True,
        host="api.openai.com",
        source="§1 [R] openai/codex#88",
        note="no retry-after header: the wait comes from the message",
        retry_after=1.574,
    ),
    WireCase(
        id="openai-429-insufficient-quota",
        provider="openai",
        api=OC,
        status=429,
        body=_b(
            '{"error":{"message":"You exceeded your current quota, please check your plan and billing details. For more information on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.","type":"insufficient_quota","param":null,"code":"insufficient_quota"}}'
        ),
        owner="provider_access",
        code="access.billing",
        retryable=False,
        host="api.openai.com",
        source="§1 [R] ruvnet/agentic-reports#1",
        note="a 429 that is not a rate limit: never retry",
    ),
    WireCase(
        id="openai-500-server-error",
        provider="openai",
        api=OC,
        status=500,
        body=_b(
            '{"error":{"message":"The server had an error while processing your request. Sorry about that!","type":"server_error","param":null,"code":null}}'
        ),
        owner="upstream",
        code="upstream.server_error",
        retryable=True,
        host="api.openai.com",
        verbatim=False,
        source="§1",
        note="param/code filled in as null (elided in the reference)",
    ),
    WireCase(
        id="openai-503-overloaded-legacy",
        provider="openai",
        api=OC,
        status=503,
        body=_b(
            '{"error":{"message":"That model is currently overloaded with other requests. You can retry your request.","type":"server_error","param":null,"code":null}}'
        ),
        owner="upstream",
        code="upstream.overloaded",
        retryable=True,
        host="api.openai.com",
        verbatim=False,
        source="§1 [R] ikechan8370/chatgpt-plugin#125",
        note="type/code as stated; message text assembled",
    ),
    WireCase(
        id="openai-chat-stream-error",
        provider="openai",
        api=OC,
        status=None,
        body=_b(
            'data: {"error": {"message": "The server had an error while processing your request. Sorry about that!", "type": "server_error"}}\n'
        ),
        owner="upstream",
        code="upstream.stream_error",
        retryable=True,
        host="api.openai.com",
        stream=True,
        source="§1 [R] coder/aibridge stream_error.txtar",
        note="no [DONE] follows; no blank line either",
    ),
    WireCase(
        id="responses-stream-error-flat",
        provider="openai",
        api=OR_,
        status=None,
        body=_b(
            'event: error\ndata: {"type":"error","code":"ERR_SOMETHING","message":"Something went wrong","param":null,"sequence_number":1}\n\n'
        ),
        owner="upstream",
        code="upstream.stream_error",
        retryable=True,
        host="api.openai.com",
        stream=True,
        source="§1 [D] spec example",
        note="SSE framing added",
    ),
    WireCase(
        id="responses-stream-error-nested",
        provider="openai",
        api=OR_,
        status=None,
        body=_b(
            'event: error\ndata: {"error":{"code":"server_is_overloaded","message":"Our servers are currently overloaded. Please try again later.","param":null,"type":"service_unavailable_error"},"sequence_number":2,"type":"error"}\n\n'
        ),
        owner="upstream",
        code="upstream.overloaded",
        retryable=True,
        host="api.openai.com",
        stream=True,
        source="§1 [R] Wei-Shaw/sub2api#6631",
        note="SSE framing added",
    ),
    WireCase(
        id="responses-stream-failed",
        provider="openai",
        api=OR_,
        status=None,
        body=_b(
            'event: response.failed\ndata: {"type":"response.failed","sequence_number":3,"response":{"id":"resp_123","object":"response","status":"failed","error":{"code":"server_error","message":"The server had an error while processing your request."}}}\n\n'
        ),
        owner="upstream",
        code="upstream.stream_error",
        retryable=True,
        host="api.openai.com",
        stream=True,
        verbatim=False,
        source="§1 [R] Wei-Shaw/sub2api#6631",
        note="the response.failed that followed; fields around error assembled",
    ),
    # ------------------------------------------------------------ §2 Anthropic Messages
    WireCase(
        id="anthropic-401-missing-key",
        provider="anthropic",
        api=AM,
        status=401,
        body=_b(
            '{"type":"error","error":{"type":"authentication_error","message":"x-api-key header is required"},"request_id":"req_011CeoTSFcsuNZkEqC59YWgZ"}'
        ),
        owner="provider_auth",
        code="auth.rejected",
        retryable=False,
        host="api.anthropic.com",
        source="§2 [R] n8n-io/n8n#37930",
        request_id="req_011CeoTSFcsuNZkEqC59YWgZ",
    ),
    WireCase(
        id="anthropic-401-wrong-key",
        provider="anthropic",
        api=AM,
        status=401,
        body=_b('{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}'),
        owner="provider_auth",
        code="auth.rejected",
        retryable=False,
        host="api.anthropic.com",
        source="§2 [R] cline/cline#12",
    ),
    WireCase(
        id="anthropic-400-missing-version",
        provider="anthropic",
        api=AM,
        status=400,
        body=_b(
            '{"type":"error","error":{"type":"invalid_request_error","message":"anthropic-version: header is required"}}'
        ),
        owner="request",
        code="request.invalid",
        retryable=False,
        host="api.anthropic.com",
        verbatim=False,
        source="§2 [T]",
    ),
    WireCase(
        id="anthropic-404-model",
        provider="anthropic",
        api=AM,
        status=404,
        body=_b(
            '{"type":"error","error":{"type":"not_found_error","message":"model: claude-3-5-sonnet-20241022 "}}'
        ),
        owner="request",
        code="model.unknown",
        retryable=False,
        host="api.anthropic.com",
        model="claude-3-5-sonnet-20241022",
        source="§2 [R] mattermost/mattermost-plugin-agents#257",
    ),
    WireCase(
        id="anthropic-400-context",
        provider="anthropic",
        api=AM,
        status=400,
        body=_b(
            '{"type":"error","error":{"type":"invalid_request_error","message":"prompt is too long: 205429 tokens > 200000 maximum"},"request_id":"req_011CV5Jab6gR3ZNs9Sj6apiD"}'
        ),
        owner="context",
        code="context.exceeded",
        retryable=False,
        headers={"Request-Id": "req_011CV5Jab6gR3ZNs9Sj6apiD", "X-Should-Retry": "false"},
        host="api.anthropic.com",
        source="§2 [R] coder/aibridge non_stream_error.txtar",
        request_id="req_011CV5Jab6gR3ZNs9Sj6apiD",
        message_has=("205429", "200000"),
    ),
    WireCase(
        id="anthropic-400-credit-too-low",
        provider="anthropic",
        api=AM,
        status=400,
        body=_b(
            '{"type":"error","error":{"type":"invalid_request_error","message":"Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits."}}'
        ),
        owner="provider_access",
        code="access.billing",
        retryable=False,
        host="api.anthropic.com",
        verbatim=False,
        source="§2 [R] anthropics/anthropic-sdk-typescript#618",
        note="a 400, not a 402",
    ),
    WireCase(
        id="anthropic-429",
        provider="anthropic",
        api=AM,
        status=429,
        body=_b(
            '{"type":"error","error":{"type":"rate_limit_error","message":"This request would exceed your account\'s rate limit. Please try again later."},"request_id":"req_011CcR9mkMvXdaiWP4739PSN"}'
        ),
        owner="rate_limit",
        code="rate_limit.exceeded",
        retryable=True,
        host="api.anthropic.com",
        source="§2 [R] anthropics/claude-code#71669",
        request_id="req_011CcR9mkMvXdaiWP4739PSN",
    ),
    WireCase(
        id="anthropic-529",
        provider="anthropic",
        api=AM,
        status=529,
        body=_b(
            '{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"},"request_id":"req_011CXnukXFhq5zC25S7ev2cy"}'
        ),
        owner="upstream",
        code="upstream.overloaded",
        retryable=True,
        host="api.anthropic.com",
        source="§2 [R] anthropics/claude-code#23049",
    ),
    WireCase(
        id="anthropic-529-null-request-id",
        provider="anthropic",
        api=AM,
        status=529,
        body=_b(
            '{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"},"request_id":null}'
        ),
        owner="upstream",
        code="upstream.overloaded",
        retryable=True,
        host="api.anthropic.com",
        verbatim=False,
        source="§2 [R] #7218 variant",
    ),
    WireCase(
        id="anthropic-529-docs-link",
        provider="anthropic",
        api=AM,
        status=529,
        body=_b(
            '{"type":"error","error":{"type":"overloaded_error","message":"Overloaded.\\nhttps://docs.claude.com/en/api/errors"}}'
        ),
        owner="upstream",
        code="upstream.overloaded",
        retryable=True,
        host="api.anthropic.com",
        verbatim=False,
        source="§2 [R] #39745 variant",
    ),
    WireCase(
        id="anthropic-stream-error",
        provider="anthropic",
        api=AM,
        status=None,
        body=_b(
            'event: error\ndata: {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}\n'
        ),
        owner="upstream",
        code="upstream.overloaded",
        retryable=True,
        host="api.anthropic.com",
        stream=True,
        source="§2 [D]",
        note="arrives on an HTTP 200: key on error.type, not status",
    ),
    WireCase(
        id="anthropic-402-billing-error",
        provider="anthropic",
        api=AM,
        status=402,
        body=_b(
            '{"type":"error","error":{"type":"billing_error","message":"Your account has a billing issue."}}'
        ),
        owner="provider_access",
        code="access.billing",
        retryable=False,
        host="api.anthropic.com",
        verbatim=False,
        source="§2 [S] SDK types",
    ),
    WireCase(
        id="anthropic-403-permission",
        provider="anthropic",
        api=AM,
        status=403,
        body=_b(
            '{"type":"error","error":{"type":"permission_error","message":"Your API key does not have permission to use the specified resource."}}'
        ),
        owner="provider_access",
        code="access.forbidden",
        retryable=False,
        host="api.anthropic.com",
        verbatim=False,
        source="§2 [S] SDK types",
    ),
    WireCase(
        id="anthropic-413-too-large",
        provider="anthropic",
        api=AM,
        status=413,
        body=_b(
            '{"type":"error","error":{"type":"request_too_large","message":"Request exceeds the maximum allowed number of bytes."}}'
        ),
        owner="request",
        code="request.too_large",
        retryable=False,
        host="api.anthropic.com",
        verbatim=False,
        source="§2 [S] SDK types",
    ),
    WireCase(
        id="anthropic-500-api-error",
        provider="anthropic",
        api=AM,
        status=500,
        body=_b('{"type":"error","error":{"type":"api_error","message":"Internal server error"}}'),
        owner="upstream",
        code="upstream.server_error",
        retryable=True,
        host="api.anthropic.com",
        verbatim=False,
        source="§2 [S] SDK types",
    ),
    WireCase(
        id="anthropic-504-timeout-error",
        provider="anthropic",
        api=AM,
        status=504,
        body=_b('{"type":"error","error":{"type":"timeout_error","message":"Request timed out"}}'),
        owner="upstream",
        code="upstream.server_error",
        retryable=True,
        host="api.anthropic.com",
        verbatim=False,
        source="§2 [S] SDK types",
    ),
    # ------------------------------------------------------------ §3 OpenRouter
    WireCase(
        id="openrouter-401-missing-header",
        provider="openrouter",
        api=OC,
        status=401,
        body=_b('{"error":{"message":"Missing Authentication header","code":401}}'),
        owner="provider_auth",
        code="auth.rejected",
        retryable=False,
        host="openrouter.ai",
        source="§3 [R] free-claude-code#146",
    ),
    WireCase(
        id="openrouter-401-no-credentials",
        provider="openrouter",
        api=OC,
        status=401,
        body=_b('{"error":{"message":"No auth credentials found","code":401}}'),
        owner="provider_auth",
        code="auth.rejected",
        retryable=False,
        host="openrouter.ai",
        verbatim=False,
        source="§3 [R] musistudio/claude-code-router#227",
    ),
    WireCase(
        id="openrouter-401-user-not-found",
        provider="openrouter",
        api=OC,
        status=401,
        body=_b('{"error":{"message":"User not found.","code":401}}'),
        owner="provider_auth",
        code="auth.rejected",
        retryable=False,
        host="openrouter.ai",
        verbatim=False,
        source="§3 [R] Fosowl/agenticSeek#407",
        note="a revoked or wrong key",
    ),
    WireCase(
        id="openrouter-402-more-credits",
        provider="openrouter",
        api=OC,
        status=402,
        body=_b(
            '{"error":{"message":"This request requires more credits, or fewer max_tokens. You requested up to 32000 tokens, but can only afford 27342. To increase, visit https://openrouter.ai/settings/credits and upgrade to a paid account","code":402,"metadata":{"provider_name":null}},"user_id":"user_3D0IVsejFIV6kOYwkxFE9nKiq0g"}'
        ),
        owner="provider_access",
        code="access.billing",
        retryable=False,
        host="openrouter.ai",
        source="§3 [R] Gitlawb/openclaude#1125",
    ),
    WireCase(
        id="openrouter-402-spec",
        provider="openrouter",
        api=OC,
        status=402,
        body=_b(
            '{"error":{"code":402,"message":"Insufficient credits. Add more using https://openrouter.ai/credits"}}'
        ),
        owner="provider_access",
        code="access.billing",
        retryable=False,
        host="openrouter.ai",
        verbatim=False,
        source="§3 [D] spec example",
    ),
    WireCase(
        id="openrouter-400-invalid-model",
        provider="openrouter",
        api=OC,
        status=400,
        body=_b('{"error":{"message":"healer-alpha is not a valid model ID","code":400},"user_id":"user_…"}'),
        owner="request",
        code="model.unknown",
        retryable=False,
        host="openrouter.ai",
        model="healer-alpha",
        source="§3 [R] RightNow-AI/openfang#697",
        note="a 400, not a 404",
    ),
    WireCase(
        id="openrouter-429-free-tier",
        provider="openrouter",
        api=OC,
        status=429,
        body=_b(
            '{"error":{"message":"Rate limit exceeded: free-models-per-day. Add 10 credits to unlock 1000 free model requests per day","code":429,"metadata":{"headers":{"X-RateLimit-Limit":"50","X-RateLimit-Remaining":"0",…}}}}'
        ),
        owner="rate_limit",
        code="rate_limit.quota",
        retryable=False,
        host="openrouter.ai",
        source="§3 [R] Gitlawb/openclaude#936",
        note="as written the body is not valid JSON (an elided `…` member): the lenient parser still reads it",
    ),
    WireCase(
        id="openrouter-stream-error",
        provider="openrouter",
        api=OC,
        status=None,
        body=_b(
            'data: {"id":"gen-abc123","object":"chat.completion.chunk","created":1234567890,"model":"openai/gpt-4o","provider":"OpenAI","error":{"code":429,"message":"Rate limit exceeded","metadata":{"error_type":"rate_limit_exceeded"}},"choices":[{"index":0,"delta":{"content":""},"finish_reason":"error"}]}\n'
        ),
        owner="rate_limit",
        code="rate_limit.exceeded",
        retryable=True,
        host="openrouter.ai",
        stream=True,
        source="§3 [D] streaming.mdx",
    ),
    WireCase(
        id="openrouter-403-moderation",
        provider="openrouter",
        api=OC,
        status=403,
        body=_b(
            '{"error":{"code":403,"message":"Your chosen model requires moderation and your input was flagged","metadata":{"reasons":["harassment"],"flagged_input":"...","provider_name":"OpenAI","model_slug":"openai/gpt-4o"}}}'
        ),
        owner="provider_access",
        code="access.forbidden",
        retryable=False,
        host="openrouter.ai",
        verbatim=False,
        source="§3 [D]",
    ),
    WireCase(
        id="openrouter-408",
        provider="openrouter",
        api=OC,
        status=408,
        body=_b('{"error":{"code":408,"message":"Operation timed out. Please try again later."}}'),
        owner="upstream",
        code="upstream.server_error",
        retryable=True,
        host="openrouter.ai",
        verbatim=False,
        source="§3 / spec example",
    ),
    WireCase(
        id="openrouter-502",
        provider="openrouter",
        api=OC,
        status=502,
        body=_b('{"error":{"code":502,"message":"Provider returned error"}}'),
        owner="upstream",
        code="upstream.server_error",
        retryable=True,
        host="openrouter.ai",
        verbatim=False,
        source="§3 / spec example",
    ),
    WireCase(
        id="openrouter-503",
        provider="openrouter",
        api=OC,
        status=503,
        body=_b('{"error":{"code":503,"message":"Service temporarily unavailable"}}'),
        owner="upstream",
        code="upstream.overloaded",
        retryable=True,
        host="openrouter.ai",
        verbatim=False,
        source="§3 / spec example",
    ),
    WireCase(
        id="openrouter-529",
        provider="openrouter",
        api=OC,
        status=529,
        body=_b('{"error":{"code":529,"message":"Provider returned error"}}'),
        owner="upstream",
        code="upstream.overloaded",
        retryable=True,
        host="openrouter.ai",
        verbatim=False,
        source="spec ProviderOverloadedResponseErrorData",
    ),
    # ------------------------------------------------------------ §4 DashScope / Model Studio (provider id qwen)
    WireCase(
        id="qwen-401-compat",
        provider="qwen",
        api=OC,
        status=401,
        body=_b(
            '{"error":{"message":"Incorrect API key provided. For details, see: https://help.aliyun.com/zh/model-studio/error-code#apikey-error","type":"invalid_request_error","code":"invalid_api_key"}}'
        ),
        owner="provider_auth",
        code="auth.rejected",
        retryable=False,
        host="dashscope.aliyuncs.com",
        source="§4 [R] NousResearch/hermes-agent#3912",
        message_has=("dashscope.aliyuncs.com", "another region or plan"),
    ),
    WireCase(
        id="qwen-401-native",
        provider="qwen",
        api=OC,
        status=401,
        body=_b('{"code":"InvalidApiKey","message":"Invalid API-key provided.","request_id":"01415ff3-…"}'),
        owner="provider_auth",
        code="auth.rejected",
        retryable=False,
        host="dashscope-intl.aliyuncs.com",
        source="§4 [R] dinoanderson/qwen_cli_coder#1",
        request_id="01415ff3-…",
        message_has=("dashscope-intl.aliyuncs.com", "another region or plan"),
    ),
    WireCase(
        id="qwen-401-native-no-key",
        provider="qwen",
        api=OC,
        status=401,
        body=_b(
            '{"code":"InvalidApiKey","message":"No API-key provided.","request_id":"00000000-0000-0000-0000-000000000000"}'
        ),
        owner="provider_auth",
        code="auth.rejected",
        retryable=False,
        host="dashscope.aliyuncs.com",
        verbatim=False,
        source="§4 [D] Token Plan FAQ",
    ),
    WireCase(
        id="qwen-400-context",
        provider="qwen",
        api=OC,
        status=400,
        body=_b(
            '{"error":{"code":"invalid_parameter_error","message":"<400> InternalError.Algo.InvalidParameter: Range of input length should be [1, 983616]","param":null,"type":"invalid_request_error"},"request_id":"81a373d6-28bd-9968-8335-e22a2127c41b"}'
        ),
        owner="context",
        code="context.exceeded",
        retryable=False,
        host="dashscope.aliyuncs.com",
        source="§4 [R] agentscope-ai/QwenPaw#6255",
        request_id="81a373d6-28bd-9968-8335-e22a2127c41b",
        message_has=("983616",),
    ),
    WireCase(
        id="qwen-403-arrearage",
        provider="qwen",
        api=OC,
        status=403,
        body=_b(
            "{'code': 'Arrearage', 'param': None, 'message': 'Access denied, please make sure your account is in good standing.', 'type': 'Arrearage'}"
        ),
        owner="provider_access",
        code="access.billing",
        retryable=False,
        host="dashscope.aliyuncs.com",
        source="§4 [D] error-code page",
        note="written in the docs as a Python literal, not JSON: the parser accepts it",
    ),
    WireCase(
        id="qwen-403-arrearage-json",
        provider="qwen",
        api=OC,
        status=403,
        body=_b(
            '{"error":{"code":"Arrearage","param":null,"message":"Access denied, please make sure your account is in good standing.","type":"Arrearage"}}'
        ),
        owner="provider_access",
        code="access.billing",
        retryable=False,
        host="dashscope.aliyuncs.com",
        verbatim=False,
        source="§4 [D]",
        note="the same fields in the compat JSON envelope",
    ),
    WireCase(
        id="qwen-429-allocation-quota",
        provider="qwen",
        api=OC,
        status=429,
        body=_b(
            '{"code":"Throttling.AllocationQuota","message":"Allocated quota exceeded, please increase your quota limit. For details, see: https://help.aliyun.com/zh/model-studio/error-code#token-limit","request_id":"00000000-0000-0000-0000-000000000001"}'
        ),
        owner="provider_access",
        code="access.billing",
        retryable=False,
        host="dashscope.aliyuncs.com",
        verbatim=False,
        source="§4 [D] + QwenLM/Qwen#2254 message",
        note="full 429 JSON not captured (§12)",
    ),
    WireCase(
        id="qwen-429-insufficient-quota",
        provider="qwen",
        api=OC,
        status=429,
        body=_b(
            '{"error":{"message":"You exceeded your current quota, please check your plan and billing details.","type":"insufficient_quota","param":null,"code":"insufficient_quota"}}'
        ),
        owner="provider_access",
        code="access.billing",
        retryable=False,
        host="dashscope.aliyuncs.com",
        verbatim=False,
        source="§4 [D]",
    ),
    WireCase(
        id="qwen-429-rate-quota",
        provider="qwen",
        api=OC,
        status=429,
        body=_b(
            '{"code":"Throttling.RateQuota","message":"Requests rate limit exceeded, please try again later.","request_id":"00000000-0000-0000-0000-000000000002"}'
        ),
        owner="rate_limit",
        code="rate_limit.exceeded",
        retryable=True,
        host="dashscope.aliyuncs.com",
        verbatim=False,
        source="§4 [D]",
    ),
    WireCase(
        id="qwen-coding-401",
        provider="qwen",
        api=OC,
        status=401,
        body=_b('{"error":{"message":"invalid access token or token expired"}}'),
        owner="provider_auth",
        code="auth.rejected",
        retryable=False,
        host="coding.dashscope.aliyuncs.com",
        verbatim=False,
        source="§4 [D] Coding Plan FAQ",
        note="a pay-as-you-go sk- key sent to the Coding Plan host",
        message_has=("coding.dashscope.aliyuncs.com", "Coding Plan", "sk-sp-"),
    ),
    WireCase(
        id="qwen-coding-405-not-agent",
        provider="qwen",
        api=OC,
        status=405,
        body=_b('{"error": "Coding Plan is currently only available for Coding Agents"}'),
        owner="config",
        code="provider.api_mismatch",
        retryable=False,
        host="coding.dashscope.aliyuncs.com",
        source="§4 [R] Open-Less/openless#947",
    ),
    WireCase(
        id="qwen-coding-404-empty",
        provider="qwen",
        api=OR_,
        status=404,
        body=b"",
        owner="config",
        code="provider.api_mismatch",
        retryable=False,
        host="coding.dashscope.aliyuncs.com",
        source="§0/§4 [R] Coding Plan GET /models",
        note="an endpoint the host does not have answers 404 with an empty body",
        message_has=("openai-responses",),
    ),
    # ------------------------------------------------------------ §5 Groq
    WireCase(
        id="groq-401",
        provider="groq",
        api=OC,
        status=401,
        body=_b(
            '{"error":{"message":"Invalid API Key","type":"invalid_request_error","code":"invalid_api_key"}}'
        ),
        owner="provider_auth",
        code="auth.rejected",
        retryable=False,
        headers={"x-request-id": "req_01…"},
        host="api.groq.com",
        source="§5 [R] ag5826000/resume-commentor#4",
        request_id="req_01…",
    ),
    WireCase(
        id="groq-404-model",
        provider="groq",
        api=OC,
        status=404,
        body=_b(
            '{"error":{"message":"The model `llama3.1-405b` does not exist or you do not have access to it.","type":"invalid_request_error"}}'
        ),
        owner="request",
        code="model.unknown",
        retryable=False,
        host="api.groq.com",
        verbatim=False,
        source="§5 [R] continuedev/continue#10832",
        note="`code` not captured (§12): classified on the message",
    ),
    WireCase(
        id="groq-429-tpm",
        provider="groq",
        api=OC,
        status=429,
        body=_b(
            '{"error":{"message":"Rate limit reached for model `llama3-70b-8192` in organization `org_…` on tokens per minute (TPM): Limit 7000, Used 0, Requested ~12903. Please try again in 50.597142857s. …","type":"tokens","code":"rate_limit_exceeded"}}'
        ),
        owner="rate_limit",
        code="rate_limit.exceeded",
        retryable=True,
        host="api.groq.com",
        source="§5 [R] danielmiessler/Fabric#364",
        retry_after=50.597142857,
    ),
    WireCase(
        id="groq-413-tpm",
        provider="groq",
        api=OC,
        status=413,
        body=_b(
            '{"error":{"message":"Request too large for model `llama3-70b-8192` in organization `org_…` service tier `on_demand` on tokens per minute (TPM): Limit 6000, Requested 12425, please reduce your message size and try again.","type":"tokens","code":"rate_limit_exceeded"}}'
        ),
        owner="rate_limit",
        code="rate_limit.exceeded",
        retryable=False,
        host="api.groq.com",
        verbatim=False,
        source="§5 [R] HunorLaczko/ha-groq-cloud-api#27",
        note="one request larger than the TPM limit: a wait cannot help",
        message_has=("12425", "6000"),
    ),
    WireCase(
        id="groq-498-flex-capacity",
        provider="groq",
        api=OC,
        status=498,
        body=_b(
            '{"error":{"message":"Capacity exceeded for the flex service tier. Please try again later.","type":"capacity_exceeded","code":"capacity_exceeded"}}'
        ),
        owner="rate_limit",
        code="rate_limit.exceeded",
        retryable=True,
        host="api.groq.com",
        verbatim=False,
        source="§5 [T]",
    ),
    # ------------------------------------------------------------ §6 Moonshot / Kimi
    WireCase(
        id="moonshot-401-invalid-authentication",
        provider="moonshot",
        api=OC,
        status=401,
        body=_b('{"error":{"message":"Invalid Authentication","type":"invalid_authentication_error"}}'),
        owner="provider_auth",
        code="auth.rejected",
        retryable=False,
        host="api.moonshot.cn",
        verbatim=False,
        source="§6 [R] LLM-Red-Team/kimi-cc#19",
        message_has=("api.moonshot.cn", "another region or plan"),
    ),
    WireCase(
        id="moonshot-401-incorrect-key",
        provider="moonshot",
        api=OC,
        status=401,
        body=_b('{"error":{"message":"Incorrect API key provided","type":"incorrect_api_key_error"}}'),
        owner="provider_auth",
        code="auth.rejected",
        retryable=False,
        host="api.moonshot.ai",
        verbatim=False,
        source="§6 [D]",
        message_has=("api.moonshot.ai",),
    ),
    WireCase(
        id="moonshot-400-context",
        provider="moonshot",
        api=OC,
        status=400,
        body=_b(
            '{"error":{"message":"Invalid request: Your request exceeded model token limit: 262144 (requested: 269030)","type":"invalid_request_error"}}'
        ),
        owner="context",
        code="context.exceeded",
        retryable=False,
        host="api.moonshot.ai",
        verbatim=False,
        source="§6 [R] MoonshotAI/kimi-cli#2011",
        message_has=("269030", "262144"),
    ),
    WireCase(
        id="moonshot-400-content-filter",
        provider="moonshot",
        api=OC,
        status=400,
        body=_b(
            '{"error":{"message":"The request was rejected because it was considered high risk","type":"content_filter"}}'
        ),
        owner="request",
        code="request.invalid",
        retryable=False,
        host="api.moonshot.ai",
        verbatim=False,
        source="§6 [D]",
    ),
    WireCase(
        id="moonshot-403-quota",
        provider="moonshot",
        api=OC,
        status=403,
        body=_b(
            '{"error":{"message":"Your account … is not active, organization … exceeded current quota, please check your plan and billing details","type":"exceeded_current_quota_error"}}'
        ),
        owner="provider_access",
        code="access.billing",
        retryable=False,
        host="api.moonshot.ai",
        verbatim=False,
        source="§6 [R] MoonshotAI/Kimi-K2#5",
    ),
    WireCase(
        id="moonshot-429-rpm",
        provider="moonshot",
        api=OC,
        status=429,
        body=_b(
            '{"error":{"message":"Your account org-… request reached organization max RPM: 20, please try again after 1 seconds","type":"rate_limit_reached_error"}}'
        ),
        owner="rate_limit",
        code="rate_limit.exceeded",
        retryable=True,
        host="api.moonshot.ai",
        verbatim=False,
        source="§6 [R] MoonshotAI/kimi-cli#1599",
        retry_after=1.0,
    ),
    WireCase(
        id="moonshot-429-tpd",
        provider="moonshot",
        api=OC,
        status=429,
        body=_b(
            '{"error":{"message":"…TPD rate limit, current: 1526210, limit: 1500000","type":"rate_limit_reached_error"}}'
        ),
        owner="rate_limit",
        code="rate_limit.quota",
        retryable=False,
        host="api.moonshot.ai",
        verbatim=False,
        source="§6 [R] MoonshotAI/kimi-cli#1599",
    ),
    WireCase(
        id="moonshot-429-engine-overloaded",
        provider="moonshot",
        api=OC,
        status=429,
        body=_b(
            '{"error":{"message":"The engine is currently overloaded, please try again later","type":"engine_overloaded_error"}}'
        ),
        owner="upstream",
        code="upstream.overloaded",
        retryable=True,
        host="api.moonshot.ai",
        verbatim=False,
        source="§6 [R] MoonshotAI/MoonshotAI-Cookbook#16",
    ),
    # ------------------------------------------------------------ §7 DeepSeek
    WireCase(
        id="deepseek-401",
        provider="deepseek",
        api=OC,
        status=401,
        body=_b(
            '{"error":{"message":"Authentication Fails, Your api key: ****fcc2 is invalid","type":"authentication_error","param":null,"code":"invalid_request_error"}}'
        ),
        owner="provider_auth",
        code="auth.rejected",
        retryable=False,
        host="api.deepseek.com",
        source="§7 [R] claude-code-launcher#3",
        note="code is always invalid_request_error: key on type",
    ),
    WireCase(
        id="deepseek-402",
        provider="deepseek",
        api=OC,
        status=402,
        body=_b(
            '{"error":{"message":"Insufficient Balance","type":"unknown_error","param":null,"code":"invalid_request_error"}}'
        ),
        owner="provider_access",
        code="access.billing",
        retryable=False,
        host="api.deepseek.com",
        source="§7 [R] Aider-AI/aider#4851",
    ),
    WireCase(
        id="deepseek-401-header-format",
        provider="deepseek",
        api=OC,
        status=401,
        body=_b(
            '{"error":{"message":"Authentication Fails (auth header format should be Bearer sk-...)","type":"authentication_error","param":null,"code":"invalid_request_error"}}'
        ),
        owner="provider_auth",
        code="auth.rejected",
        retryable=False,
        host="api.deepseek.com",
        verbatim=False,
        source="§7 [R] continuedev/continue#10056",
    ),
    WireCase(
        id="deepseek-401-no-such-user",
        provider="deepseek",
        api=OC,
        status=401,
        body=_b(
            '{"error":{"message":"Authentication Fails (no such user)","type":"authentication_error","param":null,"code":"invalid_request_error"}}'
        ),
        owner="provider_auth",
        code="auth.rejected",
        retryable=False,
        host="api.deepseek.com",
        verbatim=False,
        source="§7 [R] deepseek-ai/DeepSeek-R1#82",
    ),
    WireCase(
        id="deepseek-400-model-not-exist",
        provider="deepseek",
        api=OC,
        status=400,
        body=_b(
            '{"error":{"message":"Model Not Exist","type":"invalid_request_error","param":null,"code":"invalid_request_error"}}'
        ),
        owner="request",
        code="model.unknown",
        retryable=False,
        host="api.deepseek.com",
        model="deepseek-chatt",
        verbatim=False,
        source="§7 [R] deepwn/addi#13",
        message_has=("deepseek-chatt",),
    ),
    WireCase(
        id="deepseek-400-context",
        provider="deepseek",
        api=OC,
        status=400,
        body=_b(
            '{"error":{"message":"This model\'s maximum context length is 131072 tokens. However, you requested 131134 tokens (…)","type":"invalid_request_error","param":null,"code":"invalid_request_error"}}'
        ),
        owner="context",
        code="context.exceeded",
        retryable=False,
        host="api.deepseek.com",
        verbatim=False,
        source="§7 [R] evalstate/fast-agent#621",
        message_has=("131134", "131072"),
    ),
    WireCase(
        id="deepseek-503",
        provider="deepseek",
        api=OC,
        status=503,
        body=_b(
            '{"error":{"message":"Server overloaded, please try again later.","type":"unknown_error","param":null,"code":"invalid_request_error"}}'
        ),
        owner="upstream",
        code="upstream.overloaded",
        retryable=True,
        host="api.deepseek.com",
        verbatim=False,
        source="§7 [D] error codes",
    ),
    WireCase(
        id="deepseek-500",
        provider="deepseek",
        api=OC,
        status=500,
        body=_b(
            '{"error":{"message":"Server error","type":"unknown_error","param":null,"code":"invalid_request_error"}}'
        ),
        owner="upstream",
        code="upstream.server_error",
        retryable=True,
        host="api.deepseek.com",
        verbatim=False,
        source="§7 [D] error codes",
    ),
    WireCase(
        id="deepseek-422",
        provider="deepseek",
        api=OC,
        status=422,
        body=_b(
            '{"error":{"message":"Invalid Parameters","type":"invalid_request_error","param":null,"code":"invalid_request_error"}}'
        ),
        owner="request",
        code="request.invalid",
        retryable=False,
        host="api.deepseek.com",
        verbatim=False,
        source="§7 [D] error codes",
    ),
    # ------------------------------------------------------------ §8 Gemini OpenAI-compatibility layer
    WireCase(
        id="gemini-400-api-key-invalid",
        provider="gemini",
        api=OC,
        status=400,
        body=_b(
            '[{"error":{"code":400,"message":"API key not valid. Please pass a valid API key.","status":"INVALID_ARGUMENT","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"API_KEY_INVALID","domain":"googleapis.com","metadata":{"service":"generativelanguage.googleapis.com"}}]}}]'
        ),
        owner="provider_auth",
        code="auth.rejected",
        retryable=False,
        host="generativelanguage.googleapis.com",
        source="§8 [R] continuedev/continue#8516",
        note="a bad key is a 400 keyed on details[].reason",
    ),
    WireCase(
        id="gemini-429",
        provider="gemini",
        api=OC,
        status=429,
        body=_b(
            '[{"error":{"code":429,"message":"Resource has been exhausted (e.g. check quota).","status":"RESOURCE_EXHAUSTED"}}]'
        ),
        owner="rate_limit",
        code="rate_limit.exceeded",
        retryable=True,
        host="generativelanguage.googleapis.com",
        source="§8 [R] n4ze3m/page-assist#406",
    ),
    WireCase(
        id="gemini-404-not-found",
        provider="gemini",
        api=OC,
        status=404,
        body=_b('[{"error":{"code":404,"message":"Requested entity was not found.","status":"NOT_FOUND"}}]'),
        owner="request",
        code="model.unknown",
        retryable=False,
        host="generativelanguage.googleapis.com",
        verbatim=False,
        source="§8 [R] google-gemini/gemini-cli#4764",
        note="native-API text in the compat array envelope",
    ),
    # ------------------------------------------------------------ §9 local servers
    WireCase(
        id="ollama-404-model",
        provider="ollama",
        api=OC,
        status=404,
        body=_b(
            '{"error":{"message":"model \'llama3.2\' not found","type":"not_found_error","param":null,"code":null}}'
        ),
        owner="request",
        code="model.unknown",
        retryable=False,
        host="localhost:11434",
        verbatim=False,
        source="§9 [S] openai.go",
    ),
    WireCase(
        id="ollama-native-404-model",
        provider="ollama",
        api=OC,
        status=404,
        body=_b('{"error":"model \'llama3.2\' not found"}'),
        owner="request",
        code="model.unknown",
        retryable=False,
        host="localhost:11434",
        verbatim=False,
        source="§9 [S] routes.go",
    ),
    WireCase(
        id="ollama-400-invalid",
        provider="ollama",
        api=OC,
        status=400,
        body=_b(
            '{"error":{"message":"invalid message format","type":"invalid_request_error","param":null,"code":null}}'
        ),
        owner="request",
        code="request.invalid",
        retryable=False,
        host="localhost:11434",
        verbatim=False,
        source="§9 [S] openai.go",
    ),
    WireCase(
        id="vllm-404-model-flat",
        provider="vllm",
        api=OC,
        status=404,
        body=_b(
            '{"object":"error","message":"The model `X` does not exist.","type":"NotFoundError","param":null,"code":404}'
        ),
        owner="request",
        code="model.unknown",
        retryable=False,
        host="localhost:8000",
        source="§9 [R] vllm-project/vllm#3485",
    ),
    WireCase(
        id="vllm-401-unauthorized",
        provider="vllm",
        api=OC,
        status=401,
        body=_b('{"error": "Unauthorized"}'),
        owner="provider_auth",
        code="auth.rejected",
        retryable=False,
        host="localhost:8000",
        source="§9 [S/T] --api-key",
        note="`error` is a string, not an object",
    ),
    WireCase(
        id="vllm-400-context",
        provider="vllm",
        api=OC,
        status=400,
        body=_b(
            '{"error":{"message":"This model\'s maximum context length is 32768 tokens. However, you requested 40000 tokens (39000 in the messages, 1000 in the completion). Please reduce the length of the messages or completion.","type":"BadRequestError","param":null,"code":400}}'
        ),
        owner="context",
        code="context.exceeded",
        retryable=False,
        host="localhost:8000",
        verbatim=False,
        source="§9 [S] protocol.py",
        message_has=("40000", "32768"),
    ),
    WireCase(
        id="llamacpp-401",
        provider="llamacpp",
        api=OC,
        status=401,
        body=_b('{"error":{"code":401,"message":"Invalid API Key","type":"authentication_error"}}'),
        owner="provider_auth",
        code="auth.rejected",
        retryable=False,
        host="localhost:8080",
        verbatim=False,
        source="§9 [S] server-common.cpp",
    ),
    WireCase(
        id="llamacpp-400-context",
        provider="llamacpp",
        api=OC,
        status=400,
        body=_b(
            '{"error":{"code":400,"message":"request (13392 tokens) exceeds the available context size (8192 tokens), try increasing it","type":"exceed_context_size_error","n_prompt_tokens":13392,"n_ctx":8192}}'
        ),
        owner="context",
        code="context.exceeded",
        retryable=False,
        host="localhost:8080",
        verbatim=False,
        source="§9 [S] server-common.cpp",
        message_has=("13392", "8192"),
    ),
    WireCase(
        id="llamacpp-503-loading",
        provider="llamacpp",
        api=OC,
        status=503,
        body=_b('{"error":{"code":503,"message":"Loading model","type":"unavailable_error"}}'),
        owner="upstream",
        code="upstream.overloaded",
        retryable=True,
        host="localhost:8080",
        verbatim=False,
        source="§9 [S] server-common.cpp",
    ),
    WireCase(
        id="llamacpp-501-not-supported",
        provider="llamacpp",
        api=OC,
        status=501,
        body=_b(
            '{"error":{"code":501,"message":"This server does not support embeddings. Start it with `--embeddings`","type":"not_supported_error"}}'
        ),
        owner="config",
        code="provider.api_mismatch",
        retryable=False,
        host="localhost:8080",
        verbatim=False,
        source="§9 [S] server-common.cpp",
    ),
    WireCase(
        id="llamacpp-403-permission",
        provider="llamacpp",
        api=OC,
        status=403,
        body=_b('{"error":{"code":403,"message":"Forbidden","type":"permission_error"}}'),
        owner="provider_access",
        code="access.forbidden",
        retryable=False,
        host="localhost:8080",
        verbatim=False,
        source="§9 [S] server-common.cpp",
    ),
    WireCase(
        id="llamacpp-404-not-found",
        provider="llamacpp",
        api=OC,
        status=404,
        body=_b('{"error":{"code":404,"message":"File Not Found","type":"not_found_error"}}'),
        owner="config",
        code="provider.api_mismatch",
        retryable=False,
        host="localhost:8080",
        verbatim=False,
        source="§9 [S] server-common.cpp",
        note="a missing path, not a missing model",
    ),
    WireCase(
        id="llamacpp-500",
        provider="llamacpp",
        api=OC,
        status=500,
        body=_b('{"error":{"code":500,"message":"Internal Server Error","type":"server_error"}}'),
        owner="upstream",
        code="upstream.server_error",
        retryable=True,
        host="localhost:8080",
        verbatim=False,
        source="§9 [S] server-common.cpp",
    ),
    WireCase(
        id="llamacpp-stream-error",
        provider="llamacpp",
        api=OC,
        status=None,
        body=_b(
            'data: {"error":{"code":500,"message":"Failed to decode the batch","type":"server_error"}}\n\n'
        ),
        owner="upstream",
        code="upstream.stream_error",
        retryable=True,
        host="localhost:8080",
        stream=True,
        verbatim=False,
        source="§9 [S] server-context.cpp",
        note="the stream then closes with no [DONE]",
    ),
)


def by_id(case_id: str) -> WireCase:
    """The case with this id (KeyError when none)."""
    for case in CASES:
        if case.id == case_id:
            return case
    raise KeyError(case_id)
