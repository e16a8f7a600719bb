"""Test helpers for the emulator tests: fake keys, a raw HTTP client and an SSE parser."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

# Every key is fake; each scope gets its own so region binding is observable.
KEYS: dict[str, list[str]] = {
    "openai": ["sk-test-openai-0001"],
    "anthropic": ["sk-test-anthropic-0001", "sk-ant-oat01-test-0001"],
    "openrouter": ["sk-test-openrouter-0001"],
    "dashscope:cn": ["sk-test-dashscope-cn-0001"],
    "dashscope:intl": ["sk-test-dashscope-intl-0001"],
    "dashscope:us": ["sk-test-dashscope-us-0001"],
    "dashscope:coding-cn": ["sk-test-coding-cn-0001"],
    "dashscope:coding-intl": ["sk-test-coding-intl-0001"],
    "groq": ["sk-test-groq-0001"],
    "moonshot:ai": ["sk-test-moonshot-ai-0001"],
    "moonshot:cn": ["sk-test-moonshot-cn-0001"],
    "deepseek": ["sk-test-deepseek-0001"],
    "gemini": ["sk-test-gemini-0001"],
}

# (scope, path suffix of the chat endpoint) for every OpenAI-compatible mount.
OPENAI_COMPAT = [
    "openai",
    "openrouter",
    "dashscope:cn",
    "dashscope:intl",
    "dashscope:us",
    "dashscope:coding-cn",
    "dashscope:coding-intl",
    "groq",
    "moonshot:ai",
    "moonshot:cn",
    "deepseek",
    "gemini",
]


def key_for(scope: str) -> str:
    return KEYS[scope][0]


def auth_headers(scope: str, key: str | None = None) -> dict[str, str]:
    """The headers a client of `scope` sends with `key` (its valid key by default)."""
    key = key if key is not None else key_for(scope)
    if scope == "anthropic":
        return {"x-api-key": key, "anthropic-version": "2023-06-01"}
    return {"Authorization": f"Bearer {key}"}


def chat_body(
    model: str = "test-model", text: str = "hello", stream: bool = False, **extra: Any
) -> dict[str, Any]:
    return {"model": model, "messages": [{"role": "user", "content": text}], "stream": stream, **extra}


def request(
    method: str,
    url: str,
    body: Any = None,
    headers: dict[str, str] | None = None,
    timeout: float = 10.0,
) -> tuple[int, dict[str, str], bytes]:
    """(status, lower-cased headers, raw body) of one request; HTTP errors are returned, not raised."""
    data = None
    hdrs = dict(headers or {})
    if body is not None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        hdrs.setdefault("Content-Type", "application/json")
    req = urllib.request.Request(url, data=data, headers=hdrs, method=method)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, {k.lower(): v for k, v in resp.headers.items()}, resp.read()
    except urllib.error.HTTPError as err:
        with err:
            return err.code, {k.lower(): v for k, v in err.headers.items()}, err.read()


def post(url: str, body: Any, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    return request("POST", url, body, headers)


def sse(raw: bytes) -> list[tuple[str | None, str]]:
    """(event name, data) per SSE event; comments and blank keep-alives are skipped."""
    out: list[tuple[str | None, str]] = []
    for block in raw.decode().split("\n\n"):
        name = None
        data = []
        for line in block.split("\n"):
            if line.startswith("event: "):
                name = line[len("event: ") :]
            elif line.startswith("data: "):
                data.append(line[len("data: ") :])
        if data:
            out.append((name, "\n".join(data)))
    return out


def sse_json(raw: bytes) -> list[Any]:
    """The JSON data of every event except `[DONE]`."""
    return [json.loads(d) for _, d in sse(raw) if d != "[DONE]"]
