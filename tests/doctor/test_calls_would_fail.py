"""Issue 15, Done when 2 and 3: the service-environment situations where every call would fail give the right
code at severity `error` in one `doctor` run, the CLI's other reads predict the service (not this shell), and
running every `next` command doctor prints, as printed, makes the next run clean.

The three service-environment cases: a wrong HTTPS_PROXY; a key only in a project directory's .env with the
gateway started elsewhere; a subagent model with no key. Plus a cron job's model, seed 001's Token Plan host,
and `clawgate logs` showing every call.
"""

from __future__ import annotations

import json
import socket

from tests.calls.conftest import BY_ID
from tests.doctor.conftest import eventually, service, wire
from tests.support.terminal import assert_clean, errors, follow

OR = BY_ID["openrouter"]
GROQ = BY_ID["groq"]
KEYS = {OR.env: OR.key, GROQ.env: GROQ.key}
TYPED = {OR.env: OR.key, GROQ.env: GROQ.key}


def _dead_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _public_openrouter(home) -> None:
    """A provider reached over https on a public name: every call goes through the proxy."""
    cfg = json.loads(home.path.joinpath("clawgate.json").read_text())
    cfg["models"]["providers"]["openrouter"]["baseUrl"] = "https://openrouter.ai/api/v1"
    home.config(cfg)


def test_wrong_https_proxy_is_an_error_and_its_fix_works(home, emu, term):
    wire(home, emu, keys=KEYS, model="openrouter/moonshotai/kimi-k2.5")
    _public_openrouter(home)
    home.dotenv(f"{OR.env}={OR.key}\nHTTPS_PROXY=http://127.0.0.1:{_dead_port()}\n")
    rc, data = term.doctor()
    first = errors(data)[0]
    assert rc == 1 and first["code"] == "provider.unreachable" and "HTTPS_PROXY" in first["message"], first
    assert first["next"] == ["clawgate env unset HTTPS_PROXY"]
    follow(term, data)
    assert_clean(term)


def test_wrong_https_proxy_in_the_running_gateways_environment(home, emu, term):
    """The proxy is only in the gateway's process environment (its unit's Environment=): doctor reads it from
    the gateway's own report, and says where the fix lies."""
    port = wire(home, emu, keys=KEYS, model="openrouter/moonshotai/kimi-k2.5")
    _public_openrouter(home)
    with service(home, port, HTTPS_PROXY=f"http://127.0.0.1:{_dead_port()}", NO_PROXY="127.0.0.1,localhost"):
        rc, data = term.doctor()
        first = errors(data)[0]
        assert rc == 1 and first["code"] == "provider.unreachable", data["findings"]
        assert data["predicts"]["basis"] == "gateway"
        assert "process environment" in first["message"] and "Environment=" in first["hint"]


def test_key_only_in_the_project_env_is_an_error_for_the_service(home, emu, term, tmp_path):
    port = wire(home, emu, keys={}, model="openrouter/moonshotai/kimi-k2.5")
    project = tmp_path / "project"
    project.mkdir()
    (project / ".env").write_text(f"{OR.env}={OR.key}\n")
    term.cwd = project
    with service(home, port):  # started elsewhere: its directory is not the project's
        rc, data = term.doctor()
        f = errors(data)[0]
        assert rc == 1 and f["code"] == "env.cwd_only", data["findings"]
        assert not [x for x in data["findings"] if x["code"] == "auth.missing_credential"]  # the cause only
        # every read that predicts the gateway says what the gateway would do, not what this shell has
        probe = term.clawgate("models", "status", "--probe", "--json")
        att = probe.json()["attempts"][0]
        assert probe.code == 1 and att["credential"]["source"] == "none"
        assert probe.json()["predicts"]["basis"] == "gateway"
        assert term.clawgate("infer", "hello").code == 1
        status = term.clawgate("status", "--json").json()
        assert status["providers"][0]["credential"] is None
        assert [e["code"] for e in status["environment"]] == ["env.cwd_only"]
        follow(term, data)
        assert OR.env not in (project / ".env").read_text()
        eventually(lambda: term.doctor()[0] == 0, what="the gateway's reload")
        assert_clean(term)
        probe = term.clawgate("models", "status", "--probe", "--json")
        assert probe.code == 0 and probe.json()["attempts"][0]["probe"]["ok"] is True
        assert term.clawgate("infer", "hello").code == 0


def test_subagent_model_without_a_key_is_an_error(home, emu, term):
    wire(
        home,
        emu,
        keys={OR.env: OR.key},
        model="openrouter/moonshotai/kimi-k2.5",
        agents={
            "defaults": {
                "model": "openrouter/moonshotai/kimi-k2.5",
                "subagents": {"model": "groq/llama-3.3-70b-versatile"},
            }
        },
    )
    rc, data = term.doctor()
    err = errors(data)[0]
    assert rc == 1 and err["code"] == "auth.missing_credential" and err["subject"].get("plan") == "subagent"
    follow(term, data, typed=TYPED)
    assert_clean(term, "--probe")


def test_cron_job_model_without_a_key_is_an_error(home, emu, term):
    job = {"id": "nightly", "prompt": "hi", "schedule": "0 3 * * *", "model": "groq/llama-3.3-70b-versatile"}
    wire(home, emu, keys={OR.env: OR.key}, model="openrouter/moonshotai/kimi-k2.5", cron={"jobs": [job]})
    rc, data = term.doctor()
    err = errors(data)[0]
    assert (
        rc == 1 and err["code"] == "auth.missing_credential" and err["subject"].get("plan") == "cron:nightly"
    )
    follow(term, data, typed=TYPED)
    assert_clean(term)


def test_seed001_custom_id_on_the_token_plan_host_without_v1(home, term):
    from tests.support.ports import free_port

    home.config(
        {
            "models": {
                "providers": {
                    "alibaba-token-plan": {
                        "baseUrl": "https://token-plan.ap-southeast-1.maas.aliyuncs.com/compatible-mode",
                        "apiKey": "${ALIBABA_TOKEN_PLAN_API_KEY}",
                        "api": "openai-completions",
                        "models": [{"id": "qwen3.6-plus"}],
                    }
                }
            },
            "agents": {"defaults": {"model": "alibaba-token-plan/qwen3.6-plus"}},
            "gateway": {"port": free_port()},
        }
    )
    home.dotenv("ALIBABA_TOKEN_PLAN_API_KEY=sk-sp-test-token-plan-000000001\n")
    rc, data = term.doctor()
    err = errors(data)[0]
    assert rc == 1 and err["code"] == "provider.base_url_suspect", err
    assert any("/compatible-mode/v1" in n for n in err["next"]), err
    follow(term, data)
    assert_clean(term)


def test_seed001_live_404_does_not_suggest_the_adapter_it_already_has():
    from clawgate.failures.classify import classify_http

    f = classify_http(
        404,
        {},
        b'{"error":{"message":"Not Found"}}',
        provider="alibaba-token-plan",
        api="openai-completions",
        host="token-plan.ap-southeast-1.maas.aliyuncs.com",
    )
    assert f.code == "provider.api_mismatch"
    assert not any("api openai-completions" in s for s in f.next_steps), f.next_steps
    assert "base URL" in f.message


def test_seed004_no_key_for_the_provider_in_use(home, emu, term):
    wire(home, emu, keys={GROQ.env: GROQ.key}, model="openrouter/moonshotai/kimi-k2.5")
    rc, data = term.doctor()
    assert rc == 1 and errors(data)[0]["code"] == "auth.missing_credential", data["findings"]
    follow(term, data, typed=TYPED)
    assert_clean(term, "--probe")


def test_logs_show_infer_and_probe_calls(home, emu, cli):
    wire(home, emu, keys=KEYS, model="openrouter/moonshotai/kimi-k2.5")
    assert cli("infer", "hello").code == 0
    assert cli("models", "status", "--probe", "--json").code == 0
    res = cli("logs", "--json", "--calls", "-n", "20")
    entries = [json.loads(line) for line in res.out.splitlines() if line.strip()]
    purposes = {e["purpose"] for e in entries if e.get("event") == "call"}
    assert {"infer", "probe"} <= purposes, entries
