"""The request log: headers, bodies, timings, faults, disconnects, ring buffer and the HTTP view."""

from __future__ import annotations

import json
import time

import pytest

from clawgate.emulator import EmulatorThread

from .emuclient import auth_headers, chat_body, post, request


def test_record_contents(emu: EmulatorThread) -> None:
    before = time.time()
    status, _, _ = post(
        emu.base_url("openai") + "/chat/completions?trace=1",
        chat_body(model="gpt-4o", text="hi", stream=True),
        {**auth_headers("openai"), "X-Custom-Header": "Value-1", "OpenAI-Project": "proj_test"},
    )
    assert status == 200
    rec = emu.last_request
    assert rec.method == "POST" and rec.path == "/openai/v1/chat/completions" and rec.query == "trace=1"
    assert (rec.dialect, rec.region, rec.endpoint) == ("openai", None, "chat")
    assert rec.header("authorization") == "Bearer sk-test-openai-0001"  # case-insensitive, exact value
    assert rec.header("x-custom-header") == "Value-1" and rec.headers["OpenAI-Project"] == "proj_test"
    assert rec.header("x-api-key") is None
    assert rec.body == chat_body(model="gpt-4o", text="hi", stream=True)
    assert rec.model == "gpt-4o" and rec.stream and rec.key == "sk-test-openai-0001" and rec.auth == "ok"
    assert rec.status == 200 and rec.fault is None and rec.fault_source is None
    assert rec.chunks_sent == 5 and rec.events_sent == 8  # role chunk, 5 content chunks, finish chunk, [DONE]
    assert rec.t_arrival <= rec.t_first_byte <= rec.t_finished
    assert before - 1 <= rec.wall_arrival <= time.time() + 1
    assert not rec.client_disconnected and rec.error is None


def test_no_authorization_header_is_provable(emu: EmulatorThread) -> None:
    post(emu.base_url("groq") + "/chat/completions", chat_body(), {})
    rec = emu.last_request
    assert (
        "Authorization" not in rec.headers and rec.header("Authorization") is None and rec.auth == "missing"
    )


def test_requests_for_and_http_view(emu: EmulatorThread) -> None:
    post(emu.base_url("openai") + "/chat/completions", chat_body(), auth_headers("openai"))
    request("GET", emu.base_url("openai") + "/models", headers=auth_headers("openai"))
    post(
        emu.base_url("dashscope:intl") + "/chat/completions",
        chat_body(model="fault-billing"),
        auth_headers("dashscope:intl"),
    )
    request("GET", emu.url + "/_emulator/health")  # control plane: not logged
    assert len(emu.requests) == 3
    assert [r.endpoint for r in emu.requests_for("openai")] == ["chat", "models"]
    assert [r.method for r in emu.requests_for(path_suffix="/models")] == ["GET"]
    assert emu.requests_for(region="intl")[0].fault_kind == "billing"
    assert emu.requests_for(where=lambda r: r.status == 403)[0].dialect == "dashscope"

    status, _, raw = request("GET", emu.url + "/_emulator/requests?dialect=dashscope")
    data = json.loads(raw)
    assert status == 200 and data["total"] == 3 and len(data["requests"]) == 1
    rec = data["requests"][0]
    assert rec["fault"] == {"kind": "billing"} and rec["fault_source"] == "model" and rec["status"] == 403
    assert ["Authorization", "Bearer sk-test-dashscope-intl-0001"] in rec["headers"]
    assert rec["body"]["model"] == "fault-billing" and rec["region"] == "intl"
    _, _, raw = request("GET", emu.url + "/_emulator/requests?limit=1")
    assert [r["endpoint"] for r in json.loads(raw)["requests"]] == ["chat"]
    first_id = emu.requests[0].id
    _, _, raw = request("GET", emu.url + f"/_emulator/requests?since_id={first_id}")
    assert len(json.loads(raw)["requests"]) == 2
    assert request("DELETE", emu.url + "/_emulator/requests")[0] == 200
    assert emu.requests == []


def test_ring_buffer_and_body_capture() -> None:
    with EmulatorThread(log_size=3, capture_bodies=False) as emu:
        for i in range(5):
            post(
                emu.base_url("deepseek") + "/chat/completions",
                chat_body(model=f"m{i}"),
                auth_headers("deepseek"),
            )
        records = emu.requests
        assert [r.model for r in records] == ["m2", "m3", "m4"]  # still parsed, only not kept
        assert all(r.body is None for r in records)
        assert json.loads(request("GET", emu.url + "/_emulator/requests")[2])["total"] == 5
    with EmulatorThread(log_size=0) as emu:
        assert (
            post(emu.base_url("openai") + "/chat/completions", chat_body(), auth_headers("openai"))[0] == 200
        )
        assert emu.requests == []


def test_wait_for_times_out_with_context(emu: EmulatorThread) -> None:
    post(emu.base_url("openai") + "/chat/completions", chat_body(), auth_headers("openai"))
    with pytest.raises(TimeoutError, match="last requests: \\['POST /openai/v1/chat/completions -> 200"):
        emu.wait_for(lambda: False, timeout=0.05)
    assert emu.wait_for(lambda: emu.requests[-1].status) == 200
