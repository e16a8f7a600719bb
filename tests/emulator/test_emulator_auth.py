"""Auth: byte-exact missing/wrong-key bodies per dialect, region- and plan-bound keys, Coding Plan 404s."""

from __future__ import annotations

import json

import pytest

from clawgate.emulator import EmulatorThread
from clawgate.emulator.dialects.openai import mask_key

from .emuclient import auth_headers, chat_body, key_for, post, request

WRONG = "sk-test-wrong-key-0001"
OPENAI_MISSING = (
    b'{"error":{"message":"You didn\'t provide an API key. You need to provide your API key in an Authorization header '
    b"using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (with blank username) if "
    b"you're accessing the API from your browser and are prompted for a username and password. You can obtain an "
    b'API key from https://platform.openai.com/account/api-keys.","type":"invalid_request_error","param":null,'
    b'"code":null}}'
)
OPENAI_WRONG = (
    b'{"error":{"message":"Incorrect API key provided: sk-test-**********0001. You can find your API key at '
    b'https://platform.openai.com/account/api-keys.","type":"invalid_request_error","param":null,'
    b'"code":"invalid_api_key"}}'
)
DASHSCOPE_CN = (
    b'{"error":{"message":"Incorrect API key provided. For details, see: '
    b'https://help.aliyun.com/zh/model-studio/error-code#apikey-error","type":"invalid_request_error",'
    b'"code":"invalid_api_key"}}'
)
DASHSCOPE_INTL = DASHSCOPE_CN.replace(
    b"https://help.aliyun.com/zh/", b"https://www.alibabacloud.com/help/en/"
)
CODING = (
    b'{"error":{"message":"invalid access token or token expired","type":"invalid_request_error","param":null,'
    b'"code":"invalid_api_key"}}'
)
GROQ = b'{"error":{"message":"Invalid API Key","type":"invalid_request_error","code":"invalid_api_key"}}'
MOONSHOT = b'{"error":{"message":"Invalid Authentication","type":"invalid_authentication_error"}}'
DEEPSEEK_WRONG = (
    b'{"error":{"message":"Authentication Fails, Your api key: ****0001 is invalid","type":"authentication_error",'
    b'"param":null,"code":"invalid_request_error"}}'
)
DEEPSEEK_MISSING = (
    b'{"error":{"message":"Authentication Fails (auth header format should be Bearer sk-...)",'
    b'"type":"authentication_error","param":null,"code":"invalid_request_error"}}'
)
GEMINI_WRONG = (
    b'[{"error":{"code":400,"message":"API key not valid. Please pass a valid API key.","status":"INVALID_ARGUMENT",'
    b'"details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"API_KEY_INVALID",'
    b'"domain":"googleapis.com","metadata":{"service":"generativelanguage.googleapis.com"}}]}}]'
)
GEMINI_MISSING = (
    b'[{"error":{"code":403,"message":"Method doesn\'t allow unregistered callers (callers without established '
    b'identity). Please use API Key or other form of API consumer identity to call this API.",'
    b'"status":"PERMISSION_DENIED"}}]'
)

# scope -> ((missing status, missing body), (wrong status, wrong body))
EXPECTED = {
    "openai": ((401, OPENAI_MISSING), (401, OPENAI_WRONG)),
    "openrouter": (
        (401, b'{"error":{"message":"Missing Authentication header","code":401}}'),
        (401, b'{"error":{"message":"User not found.","code":401}}'),
    ),
    "dashscope:cn": ((401, DASHSCOPE_CN), (401, DASHSCOPE_CN)),
    "dashscope:intl": ((401, DASHSCOPE_INTL), (401, DASHSCOPE_INTL)),
    "dashscope:us": ((401, DASHSCOPE_INTL), (401, DASHSCOPE_INTL)),
    "dashscope:coding-cn": ((401, CODING), (401, CODING)),
    "dashscope:coding-intl": ((401, CODING), (401, CODING)),
    "groq": ((401, GROQ), (401, GROQ)),
    "moonshot:ai": ((401, MOONSHOT), (401, MOONSHOT)),
    "moonshot:cn": ((401, MOONSHOT), (401, MOONSHOT)),
    "deepseek": ((401, DEEPSEEK_MISSING), (401, DEEPSEEK_WRONG)),
    "gemini": ((403, GEMINI_MISSING), (400, GEMINI_WRONG)),
}


@pytest.mark.parametrize("scope", sorted(EXPECTED))
def test_missing_and_wrong_key_bodies(emu: EmulatorThread, scope: str) -> None:
    url = emu.base_url(scope) + "/chat/completions"
    (missing_status, missing_body), (wrong_status, wrong_body) = EXPECTED[scope]
    status, headers, raw = post(url, chat_body(), {})
    assert (status, raw) == (missing_status, missing_body)
    assert headers["content-type"].startswith("application/json")
    assert emu.last_request.auth == "missing" and emu.last_request.key is None
    status, _, raw = post(url, chat_body(), {"Authorization": f"Bearer {WRONG}"})
    assert (status, raw) == (wrong_status, wrong_body)
    assert emu.last_request.auth == "wrong" and emu.last_request.key == WRONG


@pytest.mark.parametrize("stream", [False, True])
def test_anthropic_auth_bodies(emu: EmulatorThread, stream: bool) -> None:
    url = emu.base_url("anthropic") + "/v1/messages"
    body = {"model": "m", "max_tokens": 5, "stream": stream, "messages": [{"role": "user", "content": "hi"}]}
    cases = [
        ({"anthropic-version": "2023-06-01"}, "x-api-key header is required"),
        ({"x-api-key": WRONG, "anthropic-version": "2023-06-01"}, "invalid x-api-key"),
    ]
    for headers, message in cases:
        status, resp_headers, raw = post(url, body, headers)
        rid = resp_headers["request-id"]
        assert rid.startswith("req_")
        expected = (
            b'{"type":"error","error":{"type":"authentication_error","message":"'
            + message.encode()
            + b'"},"request_id":"'
            + rid.encode()
            + b'"}'
        )
        assert (status, raw) == (401, expected)
        assert resp_headers["x-should-retry"] == "false"


def test_openai_masking() -> None:
    key = "sk-VKMIs" + "x" * 39 + "wjh3"
    assert mask_key(key) == "sk-VKMIs***************************************wjh3"
    proj = "sk-proj-" + "y" * 152 + "M2kA"
    assert mask_key(proj) == "sk-proj-" + "*" * 152 + "M2kA"
    assert mask_key("ai") == "ai"


def test_dashscope_keys_are_region_bound(emu: EmulatorThread) -> None:
    intl_key = key_for("dashscope:intl")
    status, _, _ = post(
        emu.base_url("dashscope:intl") + "/chat/completions", chat_body(), auth_headers("dashscope:intl")
    )
    assert status == 200
    status, _, raw = post(
        emu.base_url("dashscope", "cn") + "/chat/completions",
        chat_body(),
        {"Authorization": f"Bearer {intl_key}"},
    )
    assert (status, raw) == (401, DASHSCOPE_CN)
    assert emu.last_request.auth == "wrong_region" and emu.last_request.region == "cn"
    # A pay-as-you-go key on the Coding Plan host, and a Coding Plan key on a pay-as-you-go host.
    status, _, raw = post(
        emu.base_url("dashscope:coding-intl") + "/chat/completions",
        chat_body(),
        {"Authorization": f"Bearer {intl_key}"},
    )
    assert (status, raw) == (401, CODING)
    coding_key = key_for("dashscope:coding-intl")
    status, _, raw = post(
        emu.base_url("dashscope:intl") + "/chat/completions",
        chat_body(),
        {"Authorization": f"Bearer {coding_key}"},
    )
    assert (status, raw) == (401, DASHSCOPE_INTL)


def test_moonshot_keys_are_region_bound(emu: EmulatorThread) -> None:
    cn_key = key_for("moonshot:cn")
    status, _, _ = post(
        emu.base_url("moonshot", "cn") + "/chat/completions",
        chat_body(),
        {"Authorization": f"Bearer {cn_key}"},
    )
    assert status == 200
    status, _, raw = post(
        emu.base_url("moonshot") + "/chat/completions", chat_body(), {"Authorization": f"Bearer {cn_key}"}
    )
    assert (status, raw) == (401, MOONSHOT)
    assert emu.last_request.region == "ai" and emu.last_request.auth == "wrong_region"
    status, _, _ = request(
        "GET", emu.base_url("moonshot:ai") + "/models", headers={"Authorization": f"Bearer {cn_key}"}
    )
    assert status == 401


def test_unscoped_and_unconfigured_keys() -> None:
    with EmulatorThread(keys={"dashscope": ["sk-test-any-region"], "moonshot:ai": ["sk-test-ai"]}) as emu:
        for region in ("cn", "intl", "us", "coding-cn", "coding-intl"):
            status, _, _ = post(
                emu.base_url("dashscope", region) + "/chat/completions",
                chat_body(),
                {"Authorization": "Bearer sk-test-any-region"},
            )
            assert status == 200, region
        # moonshot has keys for `ai` only: the `cn` host accepts none.
        status, _, _ = post(
            emu.base_url("moonshot:cn") + "/chat/completions",
            chat_body(),
            {"Authorization": "Bearer sk-test-ai"},
        )
        assert status == 401
        # No keys configured for openai: any non-empty key is accepted, an empty one is missing.
        status, _, _ = post(
            emu.base_url("openai") + "/chat/completions", chat_body(), {"Authorization": "Bearer sk-test-x"}
        )
        assert status == 200
        status, _, raw = post(
            emu.base_url("openai") + "/chat/completions", chat_body(), {"Authorization": "Bearer "}
        )
        assert (status, raw) == (401, OPENAI_MISSING)
        assert emu.keys == {"dashscope": ["sk-test-any-region"], "moonshot:ai": ["sk-test-ai"]}


def test_bad_key_scope_is_rejected() -> None:
    with pytest.raises(ValueError, match="no dialect"):
        EmulatorThread(keys={"nope": ["sk-test-1"]})
    with pytest.raises(ValueError, match="unknown region"):
        EmulatorThread(keys={"dashscope:mars": ["sk-test-1"]})


@pytest.mark.parametrize("plan", ["coding-cn", "coding-intl"])
def test_coding_plan_has_no_models_or_responses(emu: EmulatorThread, plan: str) -> None:
    base = emu.base_url("dashscope", plan)
    for headers in (auth_headers(f"dashscope:{plan}"), {}):
        status, resp_headers, raw = request("GET", base + "/models", headers=headers)
        assert (status, raw) == (404, b"")
        assert resp_headers.get("content-length") == "0"
        status, _, raw = post(base + "/responses", {"model": "m", "input": "x"}, headers)
        assert (status, raw) == (404, b"")
    status, _, raw = post(base + "/chat/completions", chat_body(), auth_headers(f"dashscope:{plan}"))
    assert status == 200 and json.loads(raw)["choices"][0]["message"]["content"]


def test_gemini_accepts_x_goog_api_key(emu: EmulatorThread) -> None:
    status, _, _ = post(
        emu.base_url("gemini") + "/chat/completions", chat_body(), {"x-goog-api-key": key_for("gemini")}
    )
    assert status == 200
