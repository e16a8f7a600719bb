"""`clawgate import openclaw`: sample OpenClaw homes built from the seeds' configs, imported and diagnosed."""

from __future__ import annotations

import json
import stat
from dataclasses import dataclass
from pathlib import Path

import pytest

from clawgate.cli.main import register
from clawgate.redaction import fingerprint

register("import", "clawgate.cli.import_cmd", "import_group", "Import another gateway's setup.")

OR_PLAIN = "sk-or-v1-test-plaintext-config-000000000000000000000001"
OR_ENV_1 = "sk-or-v1-test-env-first-00000000000000000000000000000002"
OR_ENV_2 = "sk-or-v1-test-env-second-0000000000000000000000000000003"
OR_PROFILE = "sk-or-v1-test-profile-000000000000000000000000000000000004"
OR_STALE = "sk-or-v1-test-stale-models-json-00000000000000000000000006"
CODEX_KEY = "sk-test-codex-models-json-0000000000000000000005"
SP_KEY = "sk-sp-test-tokenplan-current-00000000000000007"
SP_STALE = "sk-sp-test-tokenplan-stale-0000000000000000008"
OR_ONLY_PROFILE = "sk-or-v1-test-only-in-profile-000000000000000000968304f4"
DISCORD = "discord-bot-token-test-0000000000000000000000009"
GW_TOKEN = "oc-gateway-token-test-000000000000000000010"
ALL_KEYS = (OR_PLAIN, OR_ENV_1, OR_ENV_2, OR_PROFILE, OR_STALE, CODEX_KEY, SP_KEY, SP_STALE, OR_ONLY_PROFILE)


@dataclass
class OpenClaw:
    """A throwaway ~/.openclaw."""

    dir: Path

    def config(self, text: str) -> None:
        (self.dir / "openclaw.json").write_text(text)

    def dotenv(self, text: str) -> None:
        (self.dir / ".env").write_text(text)

    def _agent(self, agent: str) -> Path:
        p = self.dir / "agents" / agent / "agent"
        p.mkdir(parents=True, exist_ok=True)
        return p

    def profiles(self, agent: str, data: dict) -> None:
        (self._agent(agent) / "auth-profiles.json").write_text(json.dumps(data, indent=2))

    def models(self, agent: str, data: dict) -> None:
        (self._agent(agent) / "models.json").write_text(json.dumps(data, indent=2))


@pytest.fixture
def oc(tmp_path: Path) -> OpenClaw:
    d = tmp_path / "dot-openclaw"
    d.mkdir()
    return OpenClaw(d)


def _import(cli, oc: OpenClaw, *extra: str):
    res = cli("import", "openclaw", "--from", str(oc.dir), "--json", *extra)
    return res, (res.json() if res.out.strip() else None)


def _codes(report: dict) -> list[str]:
    return [f["code"] for f in report["doctor"]["findings"]]


def _no_secret(*outputs: str) -> None:
    for out in outputs:
        for key in (*ALL_KEYS, DISCORD, GW_TOKEN):
            assert key not in out


# ------------------------------------------------------------------------------------------- seed 003


def seed_003(oc: OpenClaw) -> None:
    """Steve on WSL: an agent override, a plaintext key in config and profile, a key twice in .env, codex in models.json."""
    oc.config(
        f"""// OpenClaw 2026.4.14 (control panel UI)
{{
  meta: {{ lastTouchedVersion: "2026.4.14" }},
  env: {{ shellEnv: {{ enabled: false }} }},
  models: {{
    mode: "merge",
    providers: {{
      openrouter: {{ baseUrl: "https://openrouter.ai/api/v1", apiKey: "{OR_PLAIN}" }},
    }},
  }},
  agents: {{
    defaults: {{
      model: {{ primary: "openai-codex/gpt-5.4" }},
      models: {{ "openrouter/moonshotai/kimi-k2.5": {{ alias: "kimi" }} }},
      workspace: "~/.openclaw/workspace",
    }},
    list: [{{ id: "main", model: "openrouter/moonshotai/kimi-k2.5", identity: {{ name: "Steve" }} }}],
  }},
  channels: {{ discord: {{ enabled: true, token: "{DISCORD}" }} }},
  tools: {{ profile: "coding" }},
  skills: {{ entries: {{}} }},
  ui: {{ assistant: {{ name: "Steve" }} }},
  plugins: {{ entries: {{}} }},
  gateway: {{ port: 18789, bind: "loopback", mode: "local", auth: {{ mode: "token", token: "{GW_TOKEN}" }} }},
}}
"""
    )
    oc.dotenv(f"OPENROUTER_API_KEY={OR_ENV_1}\nOPENROUTER_API_KEY={OR_ENV_2}\n")
    oc.profiles(
        "main",
        {
            "version": 1,
            "profiles": {
                "openrouter:default": {"type": "api_key", "provider": "openrouter", "key": OR_PROFILE}
            },
            "lastGood": {"openrouter": "openrouter:default"},
        },
    )
    oc.models(
        "main",
        {
            "providers": {
                "openai-codex": {
                    "baseUrl": "https://chatgpt.com/backend-api",
                    "apiKey": CODEX_KEY,
                    "models": [],
                },
                "openrouter": {"baseUrl": "https://openrouter.ai/api/v1", "apiKey": OR_STALE, "models": []},
            }
        },
    )


def test_seed_003_import_reports_what_that_user_hit(home, cli, oc):
    seed_003(oc)
    res, rep = _import(cli, oc)
    assert res.code == 0, res.err
    _no_secret(res.out, res.err)

    # what did not map, path by path
    unmapped = {u["path"] for u in rep["unmapped"]}
    assert {"meta", "channels", "tools", "skills", "ui", "plugins", "gateway.mode"} <= unmapped
    assert {"agents.defaults.workspace", "agents.list[0].identity"} <= unmapped
    assert "chat channels" in next(u["reason"] for u in rep["unmapped"] if u["path"] == "channels")
    assert rep["mapped"] == ["agents", "env", "gateway", "models"]

    # the doctor findings this user needed (a dozen forum messages' worth)
    codes = _codes(rep)
    for code in (
        "model.override_shadows_default",
        "config.plaintext_secret",
        "env.duplicate_definition",
        "auth.shadowed_credential",
    ):
        assert code in codes, codes
    override = next(f for f in rep["doctor"]["findings"] if f["code"] == "model.override_shadows_default")
    assert "agents.list[0].model" in override["message"] and "openai-codex/gpt-5.4" in override["message"]
    shadowed = [f for f in rep["doctor"]["findings"] if f["code"] == "auth.shadowed_credential"]
    assert any(fingerprint(OR_PROFILE) in f["message"] for f in shadowed)
    plaintext = {
        f["subject"].get("path") for f in rep["doctor"]["findings"] if f["code"] == "config.plaintext_secret"
    }
    assert {"models.providers.openrouter.apiKey", "gateway.auth.token"} <= plaintext
    dup = next(f for f in rep["doctor"]["findings"] if f["code"] == "env.duplicate_definition")
    assert dup["subject"] == {"variable": "OPENROUTER_API_KEY"} and dup["evidence"]["values_differ"]

    # models.json: the stale OpenRouter key (both fingerprints, never the key) and the codex entry
    rows = {r["provider"]: r for r in rep["models_json"]}
    stale = rows["openrouter"]
    assert stale["kind"] == "stale" and stale["field"] == "apiKey"
    assert stale["fingerprint"] == fingerprint(OR_STALE)
    assert stale["config"][0]["fingerprint"] == fingerprint(OR_PLAIN)
    assert fingerprint(OR_STALE) in stale["message"] and fingerprint(OR_PLAIN) in stale["message"]
    assert rows["openai-codex"]["kind"] == "orphan"

    # what was written: the shared keys, .env and the profile store, all 0600, and a config that validates
    cfg = json.loads((home.path / "clawgate.json").read_text())
    assert cfg["agents"]["list"] == [{"id": "main", "model": "openrouter/moonshotai/kimi-k2.5"}]
    assert cfg["gateway"] == {"port": 18789, "bind": "loopback", "auth": {"mode": "token", "token": GW_TOKEN}}
    assert "channels" not in cfg and "workspace" not in cfg["agents"]["defaults"]
    assert (
        home.path / ".env"
    ).read_text() == f"OPENROUTER_API_KEY={OR_ENV_1}\nOPENROUTER_API_KEY={OR_ENV_2}\n"
    prof = home.path / "agents" / "main" / "auth-profiles.json"
    assert json.loads(prof.read_text())["profiles"]["openrouter:default"]["key"] == OR_PROFILE
    for p in (home.path / "clawgate.json", home.path / ".env", prof):
        assert stat.S_IMODE(p.stat().st_mode) == 0o600
    assert cli("config", "validate").code == 0
    # the offline findings a plain doctor run shows afterwards (doctor may add live ones, e.g. gateway.*)
    assert set(_codes(rep)) <= {f["code"] for f in cli("doctor", "--json").json()["findings"]}


def test_seed_003_human_report(home, cli, oc):
    seed_003(oc)
    res = cli("import", "openclaw", "--from", str(oc.dir))
    assert res.code == 0, res.err
    for text in ("not mapped", "channels", "models.json", "stale", "model.override_shadows_default"):
        assert text in res.out
    _no_secret(res.out, res.err)


# ------------------------------------------------------------------------------------------- seed 001


def seed_001(oc: OpenClaw) -> None:
    """Token Plan in Singapore: a custom provider with a ${VAR} key, a stale models.json key for the main agent."""
    oc.config(
        """{
  env: { ALIBABA_TOKEN_PLAN_API_KEY: "SP_KEY" },
  models: {
    mode: "merge",
    providers: {
      "alibaba-token-plan": {
        baseUrl: "https://token-plan.ap-southeast-1.maas.aliyuncs.com/compatible-mode/v1",
        apiKey: "${ALIBABA_TOKEN_PLAN_API_KEY}",
        api: "openai-completions",
        models: [{ id: "qwen3.6-plus", name: "Qwen 3.6 Plus", contextWindow: 1000000, maxTokens: 65536 }],
      },
    },
  },
  agents: {
    defaults: {
      model: { primary: "alibaba-token-plan/qwen3.6-plus" },
      subagents: { model: "alibaba-token-plan/qwen3.6-plus", maxConcurrent: 2 },
      sandbox: { mode: "non-main" },
    },
    list: [{ id: "main", default: true }, { id: "coder" }],
  },
}
""".replace("SP_KEY", SP_KEY, 1)
    )
    oc.models(
        "main",
        {
            "providers": {
                "alibaba-token-plan": {
                    "baseUrl": "https://token-plan.ap-southeast-1.maas.aliyuncs.com/compatible-mode/v1",
                    "apiKey": SP_STALE,
                    "api": "openai-completions",
                    "models": [{"id": "qwen3.6-plus"}],
                }
            }
        },
    )
    # the subagent's catalog names a variable the config does not use (the seed's ALIBABA_CLOUD_API_KEY)
    oc.models("coder", {"providers": {"alibaba-token-plan": {"apiKey": "ALIBABA_CLOUD_API_KEY"}}})


def test_seed_001_stale_models_json_keys(home, cli, oc):
    seed_001(oc)
    res, rep = _import(cli, oc)
    assert res.code == 0, res.err
    _no_secret(res.out, res.err)
    by_agent = {r["agent"]: r for r in rep["models_json"]}
    main = by_agent["main"]
    assert (main["kind"], main["provider"], main["field"]) == ("stale", "alibaba-token-plan", "apiKey")
    assert main["fingerprint"] == fingerprint(SP_STALE)
    assert main["config"][0]["source"] == "config:models.providers.alibaba-token-plan.apiKey"
    assert main["config"][0]["fingerprint"] == fingerprint(SP_KEY)
    coder = by_agent["coder"]
    assert coder["kind"] == "stale" and "ALIBABA_CLOUD_API_KEY" in coder["message"]
    assert "${ALIBABA_TOKEN_PLAN_API_KEY}" in coder["message"] and "not set" in coder["message"]
    # the config carried over: custom provider with its static catalog, the key as an inline env var
    codes = _codes(rep)
    assert rep["doctor"]["ok"] is True, codes
    assert "config.plaintext_secret" in codes  # env.ALIBABA_TOKEN_PLAN_API_KEY is a literal in the config
    assert "model.no_catalog" not in codes
    assert {
        "path": "agents.defaults.sandbox",
        "reason": next(u["reason"] for u in rep["unmapped"] if u["path"] == "agents.defaults.sandbox"),
    } in rep["unmapped"]
    status = cli("models", "status", "--json").json()
    assert (
        status["attempts"][0]["credential"]["source"] == "config:models.providers.alibaba-token-plan.apiKey"
    )


# ------------------------------------------------------------------------------------------- seed 002


def seed_002(oc: OpenClaw, field_name: str = "key") -> None:
    """The TUI user: openrouter/auto, the OpenRouter key only in the main agent's auth profile."""
    oc.config(
        """{
  agents: {
    defaults: {
      model: { primary: "openrouter/openrouter/auto" },
      models: { "openrouter/openrouter/auto": { alias: "OpenRouter" } },
    },
  },
  gateway: { port: 18789 },
}
"""
    )
    oc.profiles(
        "main",
        {
            "version": 1,
            "profiles": {
                "openrouter:default": {
                    "type": "api_key",
                    "provider": "openrouter",
                    field_name: OR_ONLY_PROFILE,
                }
            },
        },
    )


def test_seed_002_key_only_in_a_profile_is_healthy(home, cli, oc):
    seed_002(oc)
    res, rep = _import(cli, oc)
    assert res.code == 0, res.err
    assert rep["profiles"][0]["profiles"] == 1 and rep["profiles"][0]["invalid"] == []
    assert rep["doctor"]["ok"] is True
    assert rep["unmapped"] == [] and rep["models_json"] == []
    cred = cli("models", "status", "--json").json()["attempts"][0]["credential"]
    assert cred["source"] == "profile:openrouter:default"
    assert cred["fingerprint"] == fingerprint(OR_ONLY_PROFILE)


def test_invalid_profile_is_reported_with_its_fix_not_fixed(home, cli, oc):
    seed_002(oc, field_name="apiKey")
    res, rep = _import(cli, oc)
    assert res.code == 0, res.err
    invalid = rep["profiles"][0]["invalid"]
    assert [(i["profile"], i["field"]) for i in invalid] == [("openrouter:default", "apiKey")]
    assert any("rename 'apiKey' to 'key'" in f for f in invalid[0]["fix"])
    codes = _codes(rep)
    assert "auth.profile_invalid" in codes and "auth.missing_credential" in codes
    assert rep["doctor"]["ok"] is False
    # copied as it was: the import reports, it does not silently fix
    stored = json.loads((home.path / "agents" / "main" / "auth-profiles.json").read_text())
    assert "apiKey" in stored["profiles"]["openrouter:default"]
    _no_secret(res.out, res.err)


# ------------------------------------------------------------------------------------- safety and shape


def test_never_overwrites_without_force(home, cli, oc):
    seed_002(oc)
    home.config({"agents": {"defaults": {"model": "groq/llama-3.3-70b-versatile"}}})
    before = (home.path / "clawgate.json").read_text()
    res, _ = _import(cli, oc)
    assert res.code == 2
    assert "refusing to overwrite" in res.out and "--force" in res.out
    assert (home.path / "clawgate.json").read_text() == before
    assert not (home.path / "agents" / "main" / "auth-profiles.json").exists()  # nothing half-imported
    res, rep = _import(cli, oc, "--force")
    assert res.code == 0, res.err
    assert (home.path / "clawgate.json.bak").read_text() == before
    assert rep["backups"] == [str(home.path / "clawgate.json.bak")]
    assert "openrouter/openrouter/auto" in (home.path / "clawgate.json").read_text()


def test_dry_run_writes_nothing_and_shows_the_result(home, cli, oc):
    seed_003(oc)
    home.config({"agents": {"defaults": {"model": "groq/llama-3.3-70b-versatile"}}})
    before = sorted(p.name for p in home.path.rglob("*"))
    res, rep = _import(cli, oc, "--dry-run")
    assert res.code == 0, res.err
    assert sorted(p.name for p in home.path.rglob("*")) == before
    assert rep["dry_run"] is True
    assert rep["refused"] == [str(home.path / "clawgate.json")]
    assert {f["file"] for f in rep["files"]} == {
        str(home.path / "clawgate.json"),
        str(home.path / ".env"),
        str(home.path / "agents" / "main" / "auth-profiles.json"),
    }
    assert "model.override_shadows_default" in _codes(rep)
    text = json.dumps(rep)
    assert "clawgate-import-" not in text  # the scratch dir is never shown
    assert str(home.path / ".env") in json.dumps(rep["doctor"])


def test_values_clawgate_cannot_take_are_dropped_and_reported(home, cli, oc):
    oc.config(
        """{
  models: {
    providers: {
      Google: { baseUrl: "https://generativelanguage.googleapis.com/v1beta", api: "google-generative-ai",
                apiKey: "${GEMINI_API_KEY}", models: ["gemini-2.5-pro"], compat: { x: 1 } },
    },
  },
  agents: { defaults: { model: { primary: "google/gemini-2.5-pro", fallbacks: [] , thinking: "low" } } },
  gateway: { bind: "tailnet", auth: { mode: "password", password: "hunter2-hunter2" } },
  auth: { profiles: { "google:default": { provider: "google", mode: "api_key" } }, order: { google: ["google:default"] } },
}
"""
    )
    res, rep = _import(cli, oc)
    assert res.code == 0, res.err
    reasons = {u["path"]: u["reason"] for u in rep["unmapped"]}
    assert (
        "request-shaping flags" in reasons["models.providers.Google.compat"]
    )  # the true reason, not "unsupported"
    assert reasons["models.providers.google.api"].startswith("not valid for clawgate")
    assert reasons["agents.defaults.model.thinking"].startswith("not valid for clawgate")
    assert "tailnet" in reasons["gateway.bind"]
    assert reasons["gateway.auth.mode"].startswith("not valid for clawgate")
    assert "token" in reasons["gateway.auth.password"]
    assert "auth-profiles.json" in reasons["auth.profiles"]
    assert any("renamed to google" in n for n in rep["notes"])
    assert any("bare model ids" in n for n in rep["notes"])
    cfg = json.loads((home.path / "clawgate.json").read_text())
    assert cfg["models"]["providers"]["google"]["models"] == [{"id": "gemini-2.5-pro"}]
    assert cfg["auth"] == {"order": {"gemini": ["google:default"]}}  # clawgate's id for google
    assert any("auth.order.google renamed to gemini" in n for n in rep["notes"])
    assert cfg["agents"]["defaults"]["model"] == {"primary": "google/gemini-2.5-pro", "fallbacks": []}
    assert "hunter2" not in res.out
    assert cli("config", "validate").code == 0


def test_missing_state_dir_and_bad_json5(home, cli, tmp_path, oc):
    res = cli("import", "openclaw", "--from", str(tmp_path / "nope"))
    assert res.code == 2 and "no OpenClaw state dir" in res.err
    oc.config("{ agents: { defaults: { model: ")
    res = cli("import", "openclaw", "--from", str(oc.dir))
    assert res.code == 2 and "openclaw.json" in res.err
    assert not (home.path / "clawgate.json").exists()


def test_default_source_is_openclaw_state_dir(home, cli, oc, monkeypatch):
    seed_002(oc)
    monkeypatch.setenv("OPENCLAW_STATE_DIR", str(oc.dir))
    res = cli("import", "openclaw", "--json")
    assert res.code == 0, res.err
    assert res.json()["source"] == str(oc.dir)


def test_explain_after_import_checks_the_imported_setup(home, cli, oc):
    """The point of importing: explain an OpenClaw log line against the user's own setup."""
    register("explain", "clawgate.cli.explain_cmd", "explain", "Classify a pasted error.")
    seed_003(oc)
    assert _import(cli, oc)[0].code == 0
    data = cli("explain", "--json", "run error: 401 Missing Authentication header").json()
    holds = {c["id"] for c in data["causes"] if c["holds"]}
    assert {"model.override_shadows_default", "auth.shadowed_credential"} <= holds


# ------------------------------------------------------------------------------------------- models.json


def test_models_json_same_key_by_another_name_is_not_stale(home, cli, oc):
    """models.json names OPENROUTER_API_KEY, the config ${OR_KEY}; both hold the same key: nothing is stale."""
    oc.config(
        '{ models: { providers: { openrouter: { apiKey: "${OR_KEY}" } } }, '
        'agents: { defaults: { model: "openrouter/openrouter/auto" } } }'
    )
    oc.dotenv(f"OR_KEY={OR_ENV_1}\nOPENROUTER_API_KEY={OR_ENV_1}\n")
    oc.models("main", {"providers": {"openrouter": {"apiKey": "OPENROUTER_API_KEY"}}})
    res, rep = _import(cli, oc)
    assert res.code == 0, res.err
    assert rep["models_json"] == []


def test_models_json_placeholders_are_not_keys(home, cli, oc):
    """`secretref-managed` (a file/exec SecretRef) and the other markers OpenClaw writes are not plaintext keys."""
    oc.config('{ agents: { defaults: { model: "openrouter/openrouter/auto" } } }')
    oc.dotenv(f"OPENROUTER_API_KEY={OR_ENV_1}\n")
    oc.models(
        "main",
        {
            "providers": {
                "openrouter": {"apiKey": "secretref-managed"},
                "ollama": {"apiKey": "ollama-local"},
                "minimax": {"apiKey": "minimax-oauth"},
            }
        },
    )
    res, rep = _import(cli, oc)
    assert res.code == 0, res.err
    assert rep["models_json"] == []
