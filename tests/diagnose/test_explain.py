"""`clawgate explain`: every provider-wire.md body, every seed log line, and causes checked in a real temp home."""

from __future__ import annotations

import json

import pytest

from clawgate.cli.main import register
from clawgate.diagnose.explain import classify_text, detect_provider, explain

try:  # tests/ on sys.path (pytest's prepend import mode) or the repo root (python -m pytest)
    from providers.wire_cases import CASES, WireCase
except ImportError:
    from tests.failures.wire_cases import CASES, WireCase

register("explain", "clawgate.cli.explain_cmd", "explain", "Classify a pasted error.")

OR_ENV = "sk-or-v1-test-envkey-0000000000000000000000000000000000000001"
OR_PROFILE = "sk-or-v1-test-stale-profile-00000000000000000000000000000002"
SP_KEY = "sk-sp-test-tokenplan-000000000000000000000003"
GW_FILE = "gw-test-token-in-file-0000000000000004"
GW_PROC = "gw-test-token-in-process-000000000005"


# ------------------------------------------------------------------------------ every real error body


def _variants(case: WireCase) -> list[tuple[str, str]]:
    body = case.body.decode("utf-8")
    out = []
    if body.strip():
        out.append(("raw", body))
    if case.status is not None:
        out.append(("http", f"HTTP {case.status}: {body}"))
    return out


TABLE = [(c, name, text) for c in CASES for name, text in _variants(c)]


@pytest.mark.parametrize(("case", "variant", "text"), TABLE, ids=[f"{c.id}-{v}" for c, v, _ in TABLE])
def test_wire_body_gets_the_classifiers_owner(case: WireCase, variant: str, text: str):
    ex = classify_text(text)
    assert ex is not None, text
    assert ex.owner == case.owner, (ex.code, ex.via, ex.message)
    if variant == "http" or case.stream:
        # the same status and body reach the same classifier: the code matches too
        assert ex.code == case.code, (ex.via, ex.message)
    assert "HTTP None" not in ex.message
    # telling explain the provider never changes the owner
    assert classify_text(text, provider=case.provider).owner == case.owner


def test_every_wire_case_is_covered():
    assert len({c.id for c, _, _ in TABLE}) == len(CASES)
    assert sum(1 for _, v, _ in TABLE if v == "http") == sum(1 for c in CASES if c.status is not None)


# Bodies that carry nothing of their provider's own (the same text is sent by several providers).
_AMBIGUOUS = {"qwen-429-insufficient-quota"}


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_provider_detection_never_guesses_wrong(case: WireCase):
    body = case.body.decode("utf-8")
    found = detect_provider(body) if body else None
    if case.id not in _AMBIGUOUS:
        assert found in (None, case.provider)


@pytest.mark.parametrize(
    ("case_id", "provider"),
    [
        ("qwen-401-compat", "qwen"),  # help.aliyun.com link
        ("qwen-401-native", "qwen"),  # DashScope native envelope
        ("openrouter-401-missing-header", "openrouter"),
        ("openrouter-402-more-credits", "openrouter"),
        ("openrouter-stream-error", "openrouter"),  # names the upstream provider ("OpenAI") beside the error
        ("anthropic-401-missing-key", "anthropic"),  # x-api-key
        ("anthropic-529", "anthropic"),
        ("gemini-400-api-key-invalid", "gemini"),  # Google RPC array
        ("gemini-429", "gemini"),
        ("moonshot-401-invalid-authentication", "moonshot"),
        ("deepseek-401", "deepseek"),
        ("groq-429-tpm", "groq"),
        ("llamacpp-400-context", "llamacpp"),
        ("vllm-404-model-flat", "vllm"),
        ("responses-stream-error-nested", "openai"),
    ],
)
def test_provider_detected_from_body_shape(case_id: str, provider: str):
    case = next(c for c in CASES if c.id == case_id)
    assert detect_provider(case.body.decode()) == provider
    assert classify_text(case.body.decode()).provider == provider


def test_json_body_inside_a_log_line():
    line = (
        '2026-04-14T07:48:01Z [agent] call failed: 401 {"error":{"message":"Missing Authentication header",'
        '"code":401}} model=openrouter/openrouter/auto'
    )
    ex = classify_text(line)
    assert (ex.owner, ex.code, ex.provider, ex.status) == (
        "provider_auth",
        "auth.rejected",
        "openrouter",
        401,
    )


def test_clawgate_error_json_keeps_its_owner_and_next():
    body = {
        "error": {
            "message": "openrouter rejected credential env:OPENROUTER_API_KEY (sk-or-v1…04f4#7c1d2e): "
            "Missing Authentication header",
            "type": "upstream_auth_error",
            "code": "auth.rejected",
            "owner": "provider_auth",
            "provider": "openrouter",
            "next": "clawgate models status --probe --agent main",
        }
    }
    ex = classify_text("HTTP 502: " + json.dumps(body))
    assert (ex.owner, ex.code, ex.provider, ex.via) == (
        "provider_auth",
        "auth.rejected",
        "openrouter",
        "clawgate error",
    )
    assert "clawgate models status --probe --agent main" in ex.next_steps
    gw = {
        "error": {
            "message": "no",
            "type": "gateway_auth_error",
            "code": "AUTH_TOKEN_MISMATCH",
            "owner": "gateway_auth",
        }
    }
    assert classify_text(json.dumps(gw)).owner == "gateway_auth"


def test_a_clawgate_message_as_a_cli_prints_it_keeps_its_owner():
    # Codex CLI and Claude Code print only the message; clawgate's message ends with its owner and code
    text = (
        "ERROR: unexpected status 424 Failed Dependency: upstream credential refused: openai did not accept "
        "clawgate's credential config:models.providers.openai.apiKey (sk-tes…d-01#1f0c2e) for gpt-5.5 (just "
        "now). [clawgate owner: provider_auth, code: auth.rejected; next: clawgate models status --probe "
        "--probe-provider openai]"
    )
    ex = classify_text(text)
    assert (ex.owner, ex.code, ex.via) == ("provider_auth", "auth.rejected", "clawgate error"), ex


# ------------------------------------------------------------------------------------ seed log lines

SEED_LINES = [
    # seed 000 (Aliyun ModelStudio 401)
    (
        "[agent/embedded] embedded run agent end: runId=... isError=true model=qwen-plus-2025-07-28 "
        "provider=modelstudio error=HTTP 401: Incorrect API key provided. For details, see: "
        "https://help.aliyun.com/zh/model-studio/error-code#apikey-error",
        "provider_auth",
        "auth.rejected",
        "qwen",
    ),
    (
        "[agent/embedded] auth profile failure state updated: ... reason=auth window=cooldown",
        "rate_limit",
        "health.cooling",
        None,
    ),
    # seed 001 (Token Plan subagents)
    ('subagents still fail with 401 "Invalid API-key provided."', "provider_auth", "auth.rejected", "qwen"),
    ("OpenClaw gets a 404 error before sending any chat request.", "config", "provider.api_mismatch", None),
    # seeds 002 and 003 (OpenRouter)
    ("run error: 401 Missing Authentication header", "provider_auth", "auth.rejected", "openrouter"),
    (
        "Getting persistent 401 Missing Authentication header on all OpenRouter model calls.",
        "provider_auth",
        "auth.rejected",
        "openrouter",
    ),
    # seed 004 (the owner table)
    ('No API key found for provider "anthropic"', "provider_auth", "auth.missing_credential", "anthropic"),
    ("AUTH_TOKEN_MISMATCH", "gateway_auth", "gateway.token_mismatch", None),
    ("AUTH_TOKEN_MISSING", "gateway_auth", "gateway.token_missing", None),
    ("AUTH_DEVICE_TOKEN_MISMATCH", "gateway_auth", "gateway.device_token_mismatch", None),
    ("PAIRING_REQUIRED", "gateway_auth", "gateway.pairing_required", None),
    ("1008 WebSocket / token mismatch", "gateway_auth", "gateway.token_mismatch", None),
    ("all in cooldown", "rate_limit", "health.cooling", None),
    ("context_length_exceeded", "context", "context.exceeded", None),
    ("context_length_exceeded after fallback", "context", "context.exceeded", None),
    ("429 Too Many Requests", "rate_limit", "rate_limit.exceeded", None),
    ("invalid_request_error: Invalid beta flag", "request", "request.invalid", None),
    ("502 Bad Gateway", "upstream", "upstream.server_error", None),
    ("401 Unauthorized", "provider_auth", "auth.rejected", None),
    ("Error: connect ECONNREFUSED 127.0.0.1:11434", "network", "network.connect", "ollama"),
    ("getaddrinfo ENOTFOUND openrouter.ai", "network", "network.dns", "openrouter"),
    ("SSL errors: unable to verify the first certificate", "network", "network.tls", None),
]


@pytest.mark.parametrize(
    ("line", "owner", "code", "provider"), SEED_LINES, ids=[s[0][:40] for s in SEED_LINES]
)
def test_seed_log_line(line: str, owner: str, code: str, provider: str | None):
    ex = explain(line)
    assert ex is not None
    assert (ex.owner, ex.code, ex.provider) == (owner, code, provider), ex.message
    assert ex.next_steps and all(isinstance(s, str) for s in ex.next_steps)


def test_cooldown_points_at_the_first_failure():
    ex = explain("[agent/embedded] auth profile failure state updated: ... reason=auth window=cooldown")
    first = ex.causes[0]
    assert first.id == "health.first_failure" and first.holds is True and "reason=auth" in first.evidence
    assert any(s.startswith("clawgate health list") for s in ex.next_steps)
    assert any(s.startswith("clawgate logs") for s in ex.next_steps)


def test_the_first_failure_wins_over_the_cooldown_it_started():
    text = (
        "[agent/embedded] embedded run agent end: isError=true provider=modelstudio error=HTTP 401: Incorrect API "
        "key provided.\n[agent/embedded] auth profile failure state updated: ... reason=auth window=cooldown"
    )
    ex = explain(text)
    assert (ex.owner, ex.code) == ("provider_auth", "auth.rejected")
    assert any(c.id == "health.cooling" and c.holds for c in ex.causes)


def test_missing_key_and_wrong_key_order_causes_differently():
    missing = explain("run error: 401 Missing Authentication header")
    wrong = explain('HTTP 401: {"error":{"message":"User not found.","code":401}}')
    assert missing.causes[0].id == "env.unresolved_ref"
    assert wrong.causes[0].id == "auth.shadowed_credential"


def test_nothing_matched():
    assert explain("the weather is nice today") is None
    assert explain("   ") is None


@pytest.mark.parametrize(
    "text",
    ['{"a":[' * 3000, "data: " + "[" * 5000, "HTTP 401: " + '{"error":' * 3000, "{" * 10000, "[x] " * 60000],
    ids=["deep-json", "deep-sse", "deep-body", "braces", "huge-log"],
)
def test_pathological_input_never_raises(text: str):
    explain(text)  # classified or not, it must not raise


# --------------------------------------------------------------------------------------------- CLI


def test_cli_json_shape_and_exit_codes(home, cli):
    res = cli("explain", "--json", "run error: 401 Missing Authentication header")
    assert res.code == 0, res.err
    data = res.json()
    assert {"owner", "code", "provider", "message", "causes", "next"} <= data.keys()
    assert data["owner"] == "provider_auth" and data["provider"] == "openrouter"
    assert all({"cause", "holds", "evidence"} <= c.keys() for c in data["causes"])
    res = cli("explain", "--json", "the weather is nice today")
    assert res.code == 2
    assert res.json()["owner"] is None and "clawgate doctor" in res.json()["next"]
    human = cli("explain", "the weather is nice today")
    assert human.code == 2 and "clawgate doctor" in human.out


def test_cli_reads_stdin_and_file(home, cli, tmp_path):
    res = cli(
        "explain",
        "--json",
        input='{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}',
    )
    assert res.code == 0 and res.json()["code"] == "upstream.overloaded"
    f = tmp_path / "err.log"
    f.write_text("HTTP 429: Too Many Requests\n")
    res = cli("explain", "--json", "--file", str(f))
    assert res.code == 0 and res.json()["owner"] == "rate_limit"
    assert cli("explain", "--file", str(tmp_path / "missing.log")).code == 2


def test_cli_without_a_home_does_not_guess(home, cli):
    # the temp home is empty: no config, no .env, no profiles
    data = cli("explain", "--json", "401 Missing Authentication header").json()
    assert "checked" not in data
    assert all(c["holds"] is None for c in data["causes"])
    human = cli("explain", "401 Missing Authentication header")
    assert "not checked" in human.out


# ------------------------------------------------------------------------------ causes, checked locally


def _cause(data: dict, cid: str) -> dict:
    return next(c for c in data["causes"] if c["id"] == cid)


def test_unresolved_variable_holds(home, cli):
    home.config(
        {
            "models": {"providers": {"openrouter": {"apiKey": "${OPENROUTER_API_KEY}"}}},
            "agents": {"defaults": {"model": "openrouter/openrouter/auto"}},
        }
    )
    data = cli("explain", "--json", "run error: 401 Missing Authentication header").json()
    assert data["checked"]["agent"] == "main"
    unresolved = _cause(data, "env.unresolved_ref")
    assert unresolved["holds"] is True and "OPENROUTER_API_KEY" in unresolved["evidence"]
    assert _cause(data, "auth.missing_credential")["holds"] is True
    assert _cause(data, "network.proxy")["holds"] is False
    assert data["causes"][0]["holds"] is True  # what holds comes first
    assert "clawgate env set OPENROUTER_API_KEY" in data["next"]


def test_stored_profile_shadowing_an_env_key_holds(home, cli):
    home.config({"agents": {"defaults": {"model": "openrouter/moonshotai/kimi-k2.5"}}})
    home.dotenv(f"OPENROUTER_API_KEY={OR_ENV}\n")
    home.profiles(
        "main",
        {
            "version": 1,
            "profiles": {
                "openrouter:default": {"type": "api_key", "provider": "openrouter", "key": OR_PROFILE}
            },
        },
    )
    res = cli("explain", "--json", 'HTTP 401: {"error":{"message":"User not found.","code":401}}')
    data = res.json()
    shadow = _cause(data, "auth.shadowed_credential")
    assert shadow["holds"] is True
    assert (
        "profile:openrouter:default" in shadow["evidence"] and "env:OPENROUTER_API_KEY" in shadow["evidence"]
    )
    assert "clawgate auth remove openrouter:default --agent main" in data["next"]
    assert _cause(data, "auth.missing_credential")["holds"] is False
    assert OR_ENV not in res.out and OR_PROFILE not in res.out


def test_key_only_in_the_current_directory_env_holds(home, cli):
    home.config({"agents": {"defaults": {"model": "openrouter/openrouter/auto"}}})
    home.dotenv(f"OPENROUTER_API_KEY={OR_ENV}\n", cwd=True)
    data = cli("explain", "--json", "--provider", "openrouter", "401 Missing Authentication header").json()
    cwd = _cause(data, "env.cwd_only")
    assert cwd["holds"] is True and "current directory" in cwd["evidence"]


def test_proxy_variable_holds(home, cli, monkeypatch):
    home.config({"agents": {"defaults": {"model": "openrouter/openrouter/auto"}}})
    home.dotenv(f"OPENROUTER_API_KEY={OR_ENV}\n")
    monkeypatch.setenv("HTTPS_PROXY", "http://user:secretpass@proxy.local:3128")
    res = cli("explain", "--json", "401 Missing Authentication header")
    proxy = _cause(res.json(), "network.proxy")
    assert proxy["holds"] is True and "HTTPS_PROXY" in proxy["evidence"]
    assert "secretpass" not in res.out


def test_provider_family_maps_to_the_custom_provider_in_use(home, cli):
    """Seed 001: a DashScope message, a custom Token Plan provider whose ${VAR} is not set."""
    home.config(
        {
            "models": {
                "providers": {
                    "alibaba-token-plan": {
                        "baseUrl": "https://token-plan.ap-southeast-1.maas.aliyuncs.com/compatible-mode/v1",
                        "apiKey": "${ALIBABA_TOKEN_PLAN_API_KEY}",
                        "api": "openai-completions",
                        "models": [{"id": "qwen3.6-plus"}],
                    }
                }
            },
            "agents": {"defaults": {"model": "alibaba-token-plan/qwen3.6-plus"}},
        }
    )
    data = cli("explain", "--json", 'subagents still fail with 401 "Invalid API-key provided."').json()
    assert data["provider"] == "alibaba-token-plan" and "qwen host family" in data["provider_from"]
    # re-classified with the local provider and host: the next steps name what this setup has
    assert "token-plan.ap-southeast-1.maas.aliyuncs.com is a Token Plan host" in data["message"]
    assert "clawgate config get models.providers.alibaba-token-plan.baseUrl" in data["next"]
    assert _cause(data, "env.unresolved_ref")["holds"] is True
    home.dotenv(f"ALIBABA_TOKEN_PLAN_API_KEY={SP_KEY}\n")
    data = cli("explain", "--json", 'subagents still fail with 401 "Invalid API-key provided."').json()
    assert _cause(data, "env.unresolved_ref")["holds"] is False
    assert _cause(data, "auth.missing_credential")["holds"] is False


def test_agent_override_holds_when_the_provider_is_not_the_default(home, cli):
    """Seed 003: agents.list[0].model shadows agents.defaults.model.primary."""
    home.config(
        {
            "agents": {
                "defaults": {"model": {"primary": "openai/gpt-4o"}},
                "list": [{"id": "main", "model": "openrouter/moonshotai/kimi-k2.5"}],
            }
        }
    )
    home.dotenv(f"OPENROUTER_API_KEY={OR_ENV}\n")
    data = cli("explain", "--json", "401 Missing Authentication header").json()
    over = _cause(data, "model.override_shadows_default")
    assert over["holds"] is True and "agents.list[0].model" in over["evidence"]
    assert "clawgate config unset 'agents.list[0].model'   # inherit openai/gpt-4o" in data["next"]


def test_gateway_token_overridden_by_the_process(home, cli, monkeypatch):
    home.config({"gateway": {"auth": {"mode": "token"}}})
    home.dotenv(f"CLAWGATE_GATEWAY_TOKEN={GW_FILE}\n")
    monkeypatch.setenv("CLAWGATE_GATEWAY_TOKEN", GW_PROC)
    res = cli("explain", "--json", "AUTH_TOKEN_MISMATCH")
    data = res.json()
    assert data["owner"] == "gateway_auth"
    assert _cause(data, "env.process_override")["holds"] is True
    assert GW_FILE not in res.out and GW_PROC not in res.out


def test_context_after_failover_to_a_smaller_window(home, cli):
    home.config(
        {
            "agents": {
                "defaults": {
                    "model": {
                        "primary": "openrouter/moonshotai/kimi-k2.5",
                        "fallbacks": ["groq/llama-3.3-70b-versatile"],
                    }
                }
            }
        }
    )
    data = cli("explain", "--json", "context_length_exceeded").json()
    after = _cause(data, "context.after_failover")
    assert after["holds"] is True and "groq/llama-3.3-70b-versatile" in after["evidence"]


def test_rate_limit_without_fallback(home, cli):
    home.config({"agents": {"defaults": {"model": "openrouter/openrouter/auto"}}})
    data = cli("explain", "--json", "429 Too Many Requests").json()
    assert (
        data["provider"] == "openrouter" and "primary model" in data["provider_from"]
    )  # the best guess, said so
    assert _cause(data, "fallback.none")["holds"] is True
    assert _cause(data, "health.cooling")["holds"] is None  # no state.db yet


def test_a_config_that_does_not_load_is_said_first(home, cli):
    home.config("{ models: { providers: ")
    data = cli("explain", "--json", "401 Missing Authentication header").json()
    assert data["causes"][0]["id"] == "config.invalid_value" and data["causes"][0]["holds"] is True
    assert data["next"][0] == "clawgate config validate"


def test_human_output_marks_what_holds(home, cli):
    home.config(
        {
            "models": {"providers": {"openrouter": {"apiKey": "${OPENROUTER_API_KEY}"}}},
            "agents": {"defaults": {"model": "openrouter/openrouter/auto"}},
        }
    )
    res = cli("explain", "run error: 401 Missing Authentication header")
    assert res.code == 0
    assert "owner provider_auth" in res.out and "✓ holds" in res.out and "next:" in res.out
