"""The HTTP surface below the SDKs: request validation, size limit, headers on every response, the model list,
/api/status, readiness, and the gateway token (both header styles, lockout per client address)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from tests.support.timing import limit

from clawgate.emulator import EmulatorThread

from .conftest import TOKEN, Gateway, base_config, gateway_for

MAX_BODY = 4096
LOCKOUT_AFTER = 3


@pytest.fixture(scope="module")
def gw(emulator: EmulatorThread, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    cfg = base_config(
        emulator,
        maxBodyBytes=MAX_BODY,
        auth={"exemptLoopback": False, "maxFailuresPerMinute": LOCKOUT_AFTER, "lockoutSeconds": 300},
    )
    cfg["agents"]["defaults"]["models"] = {"openai/gpt-4o-mini": {"alias": "fast"}}
    with gateway_for(tmp_path_factory.mktemp("http"), cfg) as g:
        yield g


def client_from(gw: Gateway, address: str, token: str | None = TOKEN) -> httpx.Client:
    """A client whose connections come from `address` (any 127.x address reaches the loopback listener):
    lockout is per client address, so each test that sends wrong tokens uses its own."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.Client(
        base_url=gw.url,
        headers=headers,
        timeout=limit(10),
        transport=httpx.HTTPTransport(local_address=address),
    )


CHAT = {"model": "openai/gpt-4o", "messages": [{"role": "user", "content": "hi"}]}


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/v1/chat/completions", {"model": "openai/gpt-4o"}, "messages"),
        ("/v1/chat/completions", {"model": "openai/gpt-4o", "messages": []}, "messages"),
        ("/v1/chat/completions", {"model": "openai/gpt-4o", "messages": ["hi"]}, "messages[0]"),
        ("/v1/chat/completions", {"model": 5, "messages": [{"role": "user", "content": "x"}]}, "model"),
        ("/v1/chat/completions", {**CHAT, "stream": "yes"}, "stream"),
        ("/v1/messages", {"model": "openai/gpt-4o", "max_tokens": 5}, "messages"),
        ("/v1/messages", {**CHAT, "max_tokens": 0}, "max_tokens"),
        ("/v1/responses", {"model": "openai/gpt-4o"}, "input"),
        ("/v1/responses", {"model": "openai/gpt-4o", "input": 5}, "input"),
        ("/v1/responses", {"model": "openai/gpt-4o", "input": "hi", "stream": "yes"}, "stream"),
    ],
)
def test_invalid_bodies_get_400_naming_the_field(
    gw: Gateway, emu: EmulatorThread, path: str, body: dict, field: str
) -> None:
    with gw.client() as c:
        r = c.post(path, json=body)
    assert r.status_code == 400, r.text
    err = r.json()["error"]
    assert err["owner"] == "request" and err["code"] == "request.invalid"
    assert f"'{field}'" in err["message"] or field in err["message"], err
    assert r.headers["x-clawgate-owner"] == "request"
    assert r.headers["x-should-retry"] == "false"
    if path == "/v1/messages":
        assert r.json()["type"] == "error" and err["type"] == "invalid_request_error"
    assert emu.requests == []  # nothing reached a provider


MSGS = [{"role": "user", "content": "hi"}]
# one model per route: the provider speaks the client's format (pass-through) or another one (translated)
SAME = {"/v1/chat/completions": "openai/gpt-4o", "/v1/responses": "openai/gpt-4o"}
SAME["/v1/messages"] = "anthropic/claude-sonnet-4-5"
CROSS = {
    "/v1/chat/completions": "anthropic/claude-sonnet-4-5",
    "/v1/responses": "anthropic/claude-sonnet-4-5",
}
CROSS["/v1/messages"] = "openai/gpt-4o"
BASE = {
    "/v1/chat/completions": {"messages": MSGS},
    "/v1/responses": {"input": "hi"},
    "/v1/messages": {"messages": MSGS, "max_tokens": 16},
}


@pytest.mark.parametrize("route", ["same", "translated"])
@pytest.mark.parametrize(
    ("path", "extra", "param", "says"),
    [
        ("/v1/chat/completions", {"temperature": "hot"}, "temperature", "must be a number"),
        ("/v1/chat/completions", {"stop": 5}, "stop", "a string or a list of strings"),
        ("/v1/chat/completions", {"max_tokens": "lots"}, "max_tokens", "must be an integer"),
        ("/v1/chat/completions", {"tools": [{"type": "function"}]}, "tools[0].function", "is required"),
        (
            "/v1/chat/completions",
            {"tools": [{"type": "function", "function": {}}]},
            "tools[0].function.name",
            "",
        ),
        ("/v1/responses", {"temperature": "hot"}, "temperature", "must be a number"),
        ("/v1/responses", {"max_output_tokens": 1.5}, "max_output_tokens", "must be an integer"),
        ("/v1/responses", {"tools": [{"type": "function"}]}, "tools[0].name", "is required"),
        ("/v1/messages", {"temperature": "hot"}, "temperature", "must be a number"),
        ("/v1/messages", {"stop_sequences": "END"}, "stop_sequences", "a list of strings"),
    ],
)
def test_wrong_typed_fields_get_the_same_400_on_every_route(
    gw: Gateway, emu: EmulatorThread, route: str, path: str, extra: dict, param: str, says: str
) -> None:
    model = (SAME if route == "same" else CROSS)[path]
    with gw.client() as c:
        r = c.post(path, json={"model": model, **BASE[path], **extra})
    assert r.status_code == 400, r.text
    err = r.json()["error"]
    assert (err["owner"], err["code"], err.get("param")) == ("request", "request.invalid", param), err
    assert f"'{param}'" in err["message"] and says in err["message"], err
    assert emu.requests == []  # refused before any provider, whichever format it speaks


@pytest.mark.parametrize("raw", [b"{not json", b"\xff\xfe", b"", b"[1, 2]", b'"text"'])
def test_bodies_that_are_not_a_json_object(gw: Gateway, raw: bytes) -> None:
    with gw.client() as c:
        r = c.post("/v1/chat/completions", content=raw, headers={"content-type": "application/json"})
    assert r.status_code == 400
    assert r.json()["error"]["owner"] == "request"
    assert "JSON" in r.json()["error"]["message"]


def test_body_size_limit(gw: Gateway, emu: EmulatorThread) -> None:
    big = {**CHAT, "messages": [{"role": "user", "content": "x" * (MAX_BODY + 10)}]}
    with gw.client() as c:
        r = c.post("/v1/chat/completions", json=big)
        assert r.status_code == 413
        assert r.json()["error"]["code"] == "request.too_large"
        assert str(MAX_BODY) in r.json()["error"]["message"]
        assert r.headers["x-clawgate-owner"] == "request"
        # the same, streamed in chunks without a content-length
        r = c.post("/v1/messages", content=iter([b"x" * 1000] * 10))
        assert r.status_code == 413
        assert r.json()["type"] == "error"
        # just under the limit is fine
        ok = {**CHAT, "messages": [{"role": "user", "content": "x" * (MAX_BODY - 200)}]}
        assert c.post("/v1/chat/completions", json=ok).status_code == 200
    assert len(emu.requests) == 1


REQUESTS = [
    ("GET", "/healthz", None),
    ("GET", "/readyz", None),
    ("GET", "/api/status", None),
    ("GET", "/v1/models", None),
    ("GET", "/no/such/route", None),
    ("POST", "/healthz", None),
    ("GET", "/v1/chat/completions", None),
    ("POST", "/v1/chat/completions", CHAT),
    ("POST", "/v1/chat/completions", {**CHAT, "stream": True}),
    ("POST", "/v1/chat/completions", {**CHAT, "model": "openai/fault-server_error-retry30"}),
    ("POST", "/v1/messages", {**CHAT, "max_tokens": 5}),
    ("POST", "/v1/responses", {"model": "openai/gpt-4o", "input": "x"}),
    ("POST", "/v1/responses", {"model": "nosuch/x", "input": "x"}),
]


@pytest.mark.parametrize(("method", "path", "body"), REQUESTS, ids=[f"{m} {p}" for m, p, _ in REQUESTS])
def test_every_response_has_overhead_and_every_error_an_owner(
    gw: Gateway, method: str, path: str, body: dict | None
) -> None:
    with gw.client() as c:
        r = c.request(method, path, json=body)
        r.read()
    assert "x-clawgate-overhead-ms" in r.headers, (r.status_code, dict(r.headers))
    assert float(r.headers["x-clawgate-overhead-ms"]) >= 0
    if r.status_code >= 400:
        assert r.headers.get("x-clawgate-owner"), (r.status_code, r.text)
        assert r.headers["content-type"].startswith("application/json")
        assert r.json()["error"]["owner"] == r.headers["x-clawgate-owner"]
    if path == "/no/such/route":
        assert r.status_code == 404
    if method == "GET" and path == "/v1/chat/completions":
        assert r.status_code == 405


def test_models_list_openai_and_anthropic_shapes(gw: Gateway) -> None:
    with gw.client() as c:
        o = c.get("/v1/models").json()
        a = c.get("/v1/models", headers={"anthropic-version": "2023-06-01"}).json()
    ids = [m["id"] for m in o["data"]]
    assert o["object"] == "list" and all(m["object"] == "model" for m in o["data"])
    assert {"openai/gpt-4o", "agent/main", "agent/claude", "fast"} <= set(ids)
    assert any(i.startswith("anthropic/") for i in ids) and any(i.startswith("openrouter/") for i in ids)
    assert len(ids) == len(set(ids))
    assert [m["id"] for m in a["data"]] == ids
    assert all(m["type"] == "model" and m["display_name"] for m in a["data"])
    assert a["has_more"] is False and a["first_id"] == ids[0] and a["last_id"] == ids[-1]
    # the SDKs parse both
    import anthropic
    import openai

    assert "agent/main" in [m.id for m in openai.OpenAI(base_url=gw.url + "/v1", api_key=TOKEN).models.list()]
    assert "agent/claude" in [m.id for m in anthropic.Anthropic(base_url=gw.url, api_key=TOKEN).models.list()]


def test_alias_and_agent_models_are_served(gw: Gateway, emu: EmulatorThread) -> None:
    with gw.client() as c:
        r = c.post("/v1/chat/completions", json={**CHAT, "model": "fast"})
        assert r.status_code == 200 and r.headers["x-clawgate-model"] == "openai/gpt-4o-mini"
        r = c.post("/v1/chat/completions", json={**CHAT, "model": "agent/claude"})
        assert r.headers["x-clawgate-model"] == "anthropic/claude-sonnet-4-5"
        r = c.post(
            "/v1/chat/completions",
            json={"messages": CHAT["messages"]},
            headers={"x-clawgate-agent": "claude"},
        )
        assert r.headers["x-clawgate-model"] == "anthropic/claude-sonnet-4-5"
        r = c.post("/v1/chat/completions", json={**CHAT, "model": "agent/nosuch"})
        assert r.status_code == 404 and "nosuch" in r.json()["error"]["message"]
        assert r.json()["error"]["owner"] == "request"
    assert [r.model for r in emu.requests] == ["gpt-4o-mini", "claude-sonnet-4-5", "claude-sonnet-4-5"]


def test_api_status(gw: Gateway) -> None:
    st = gw.status()
    assert st["service"] == "clawgate" and st["pid"] == gw.proc.pid
    assert st["home"] == str(gw.home.path)
    assert st["config"] == str(gw.home.config_path)
    assert st["address"] == gw.url
    assert st["auth"]["mode"] == "token" and st["auth"]["source"] == "env:CLAWGATE_GATEWAY_TOKEN"
    assert st["auth"]["fingerprint"] and TOKEN not in str(st)
    assert {a["id"] for a in st["agents"]} == {"main", "claude"}
    assert st["reload"]["error"] is None
    assert st["draining"] is False
    with gw.client() as c:
        ready = c.get("/readyz")
    assert ready.status_code == 200 and ready.json()["ready"] is True


def test_token_in_either_header(gw: Gateway) -> None:
    with client_from(gw, "127.0.0.4", token=None) as c:
        assert c.post("/v1/chat/completions", json=CHAT, headers={"x-api-key": TOKEN}).status_code == 200
        assert (
            c.post(
                "/v1/chat/completions", json=CHAT, headers={"Authorization": f"Bearer {TOKEN}"}
            ).status_code
            == 200
        )
        assert (
            c.post(
                "/v1/chat/completions", json=CHAT, headers={"Authorization": f"bearer  {TOKEN}"}
            ).status_code
            == 200
        )
        r = c.post(
            "/v1/messages",
            json={**CHAT, "max_tokens": 5},
            headers={"x-api-key": TOKEN, "anthropic-version": "2023-06-01"},
        )
        assert r.status_code == 200 and r.json()["type"] == "message"


def test_lockout_after_repeated_failures_from_one_address(gw: Gateway) -> None:
    with client_from(gw, "127.0.0.2", token="gw-test-wrong") as bad, client_from(gw, "127.0.0.2") as good:
        for _ in range(LOCKOUT_AFTER):
            r = bad.post("/v1/chat/completions", json=CHAT)
            assert r.status_code == 401 and r.json()["error"]["code"] == "gateway.token_mismatch"
        # locked out now: even the right token is refused, with a 429 owned by gateway_auth
        r = good.post("/v1/chat/completions", json=CHAT)
        assert r.status_code == 429
        err = r.json()["error"]
        assert (err["owner"], err["code"]) == ("gateway_auth", "gateway.locked_out")
        assert r.headers["x-clawgate-owner"] == "gateway_auth"
        assert r.headers["x-should-retry"] == "false"
        # how long is said in words; no retry-after, which a client would obey although retrying is no fix
        assert "retry-after" not in r.headers and "locked out for" in err["message"]
        r = good.get("/api/status")
        assert r.status_code == 429
        # no token at all from the locked address: still 429, not a 401 that invites guessing
        r = bad.post("/v1/chat/completions", json=CHAT, headers={"Authorization": ""})
        assert r.status_code == 429
    with client_from(gw, "127.0.0.3") as other:
        assert other.post("/v1/chat/completions", json=CHAT).status_code == 200
    # the lockout shows in the anthropic envelope too
    with client_from(gw, "127.0.0.2") as good:
        r = good.post("/v1/messages", json={**CHAT, "max_tokens": 5})
        assert r.status_code == 429 and r.json()["error"]["type"] == "rate_limit_error"


def test_missing_token_counts_towards_lockout(gw: Gateway) -> None:
    with client_from(gw, "127.0.0.5", token=None) as anon:
        for _ in range(LOCKOUT_AFTER):
            r = anon.post("/v1/chat/completions", json=CHAT)
            assert r.status_code == 401 and r.json()["error"]["code"] == "gateway.token_missing"
        assert anon.post("/v1/chat/completions", json=CHAT).status_code == 429
