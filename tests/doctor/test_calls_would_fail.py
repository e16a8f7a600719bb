"""Issue 15, Done when 2 and 3: situations where every call would fail give the right code at severity `error`
in one `doctor` run, and running every `next` command doctor prints for them makes the next run clean.

A `next` command that needs the secret itself is written `printf '%s' "$VAR" | clawgate auth add …`; the test
runs it as a person would, with the key on stdin. `clawgate doctor` itself (re-run) is skipped: it is the check.
"""

from __future__ import annotations

import json
import re
import shlex
import socket

from tests.calls.conftest import BY_ID, wire_home

OR = BY_ID["openrouter"]
GROQ = BY_ID["groq"]
KEYS = {OR.env: OR.key, GROQ.env: GROQ.key}


def _doctor(cli):
    res = cli("doctor", "--json", "--no-gateway")
    return res.code, json.loads(res.out)


def _errors(data):
    return [f for f in data["findings"] if f["severity"] == "error"]


def _run_next(cli, command: str, secrets: dict[str, str]) -> None:
    """Run one `next` command the way a person would (the secret from their own store on stdin)."""
    line = command.split("   #", 1)[0].strip()
    stdin = None
    m = re.match(r"""printf '%s' "\$(\w+)" \| (.+)$""", line)
    if m:
        stdin, line = secrets[m.group(1)], m.group(2)
    argv = shlex.split(line)
    assert argv[0] == "clawgate", f"not a clawgate command: {command!r}"
    if argv[1:2] == ["doctor"] or argv[1:3] in (["config", "get"], ["models", "status"], ["models", "list"]):
        res = cli(*argv[1:])
        assert res.code in (0, 1), (command, res.err)
        return
    res = cli(*argv[1:], input=stdin)
    assert res.code == 0, (command, res.out, res.err)


def _fix_and_recheck(cli, data, code: str, secrets: dict[str, str]) -> None:
    wanted = [f for f in _errors(data) if f["code"] == code]
    assert wanted, data["findings"]
    for f in _errors(data):  # every next command of every error doctor printed
        for cmd in f["next"]:
            _run_next(cli, cmd, secrets)
    rc, after = _doctor(cli)
    assert rc == 0 and not _errors(after), after["findings"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_wrong_https_proxy_is_an_error_and_its_fix_works(home, emu, cli):
    wire_home(home, emu, keys=KEYS, model="openrouter/moonshotai/kimi-k2.5")
    cfg = json.loads(home.path.joinpath("clawgate.json").read_text())
    # a provider reached over https on a public name: every call goes through the proxy
    cfg["models"]["providers"]["openrouter"]["baseUrl"] = "https://openrouter.ai/api/v1"
    home.config(cfg)
    home.dotenv(f"{OR.env}={OR.key}\nHTTPS_PROXY=http://127.0.0.1:{_free_port()}\n")
    rc, data = _doctor(cli)
    assert rc == 1
    first = _errors(data)[0]
    assert first["code"] == "provider.unreachable" and "HTTPS_PROXY" in first["message"], first
    _fix_and_recheck(cli, data, "provider.unreachable", KEYS)


def test_key_only_in_the_project_env_is_an_error_for_the_service(home, emu, cli, tmp_path, monkeypatch):
    wire_home(home, emu, keys={}, model="openrouter/moonshotai/kimi-k2.5")
    project = tmp_path / "project"
    project.mkdir()
    (project / ".env").write_text(f"{OR.env}={OR.key}\n")
    monkeypatch.chdir(project)
    rc, data = _doctor(cli)
    assert rc == 1
    assert _errors(data)[0]["code"] == "env.cwd_only", data["findings"]
    # the CLI predicts the service: a probe from here fails like the gateway would
    probe = json.loads(cli("models", "status", "--probe", "--json").out)
    assert probe["attempts"][0]["credential"]["source"] == "none"
    _fix_and_recheck(cli, data, "env.cwd_only", KEYS)
    assert OR.env not in (project / ".env").read_text()
    probe = json.loads(cli("models", "status", "--probe", "--json").out)
    assert probe["attempts"][0]["probe"]["ok"] is True


def test_subagent_model_without_a_key_is_an_error(home, emu, cli):
    wire_home(
        home,
        emu,
        keys={OR.env: OR.key},
        model="openrouter/moonshotai/kimi-k2.5",
        extra={
            "agents": {
                "defaults": {
                    "model": "openrouter/moonshotai/kimi-k2.5",
                    "subagents": {"model": "groq/llama-3.3-70b-versatile"},
                }
            }
        },
    )
    rc, data = _doctor(cli)
    assert rc == 1
    err = _errors(data)[0]
    assert err["code"] == "auth.missing_credential" and err["subject"].get("plan") == "subagent", err
    _fix_and_recheck(cli, data, "auth.missing_credential", KEYS)


def test_cron_job_model_without_a_key_is_an_error(home, emu, cli):
    wire_home(
        home,
        emu,
        keys={OR.env: OR.key},
        model="openrouter/moonshotai/kimi-k2.5",
        extra={
            "cron": {
                "jobs": [
                    {
                        "id": "nightly",
                        "prompt": "hi",
                        "schedule": "0 3 * * *",
                        "model": "groq/llama-3.3-70b-versatile",
                    }
                ]
            }
        },
    )
    rc, data = _doctor(cli)
    assert rc == 1
    err = _errors(data)[0]
    assert err["code"] == "auth.missing_credential" and err["subject"].get("plan") == "cron:nightly", err


def test_seed001_custom_id_on_the_token_plan_host_without_v1(home, cli):
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
        }
    )
    home.dotenv("ALIBABA_TOKEN_PLAN_API_KEY=sk-sp-test-token-plan-000000001\n")
    rc, data = _doctor(cli)
    assert rc == 1
    err = _errors(data)[0]
    assert err["code"] == "provider.base_url_suspect", err
    assert any("/compatible-mode/v1" in n for n in err["next"]), err
    _fix_and_recheck(cli, data, "provider.base_url_suspect", {})


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


def test_seed004_no_key_for_the_provider_in_use(home, emu, cli):
    wire_home(home, emu, keys={GROQ.env: GROQ.key}, model="openrouter/moonshotai/kimi-k2.5")
    rc, data = _doctor(cli)
    assert rc == 1 and _errors(data)[0]["code"] == "auth.missing_credential", data["findings"]
    _fix_and_recheck(cli, data, "auth.missing_credential", KEYS)


def test_logs_show_infer_and_probe_calls(home, emu, cli):
    wire_home(home, emu, keys=KEYS, model="openrouter/moonshotai/kimi-k2.5")
    assert cli("infer", "hello").code == 0
    assert cli("models", "status", "--probe", "--json").code == 0
    res = cli("logs", "--json", "--calls", "-n", "20")
    entries = [json.loads(line) for line in res.out.splitlines() if line.strip()]
    purposes = {e["purpose"] for e in entries if e.get("event") == "call"}
    assert {"infer", "probe"} <= purposes, entries
