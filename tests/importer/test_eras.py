"""Three OpenClaw homes, one per era, imported whole: every profile, agent and agent model, then doctor.

The homes (tests/importer/fixtures/) follow OpenClaw's documented formats: 2026-04 (agents.list, per-agent
auth-profiles.json, the legacy credentials/oauth.json), 2026-06 (config outside the state dir via
OPENCLAW_CONFIG_PATH, split with $include, today's profile fields, a legacy auth.json), 2026-08 (agents.entries,
the SQLite auth store, ChatGPT sign-in under `openai`, a retired auth-profiles.json)."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from clawgate.cli.main import register

register("import", "clawgate.cli.import_cmd", "import_group", "Import another gateway's setup.")

FIXTURES = Path(__file__).parent / "fixtures"
FOREVER = 4102444800000  # 2100-01-01


def materialize(name: str, dest: Path) -> Path:
    """Copy a fixture home and build each agent's openclaw-agent.sqlite from its .sql dump."""
    home = dest / name
    shutil.copytree(FIXTURES / name, home)
    for dump in home.rglob("openclaw-agent.sql"):
        db = dump.with_suffix(".sqlite")
        con = sqlite3.connect(db)
        con.executescript(dump.read_text())
        con.commit()
        con.close()
        dump.unlink()
    return home


def _import(cli, src: Path, *extra: str):
    res = cli("import", "openclaw", "--from", str(src), "--json", *extra)
    assert res.code == 0, res.err + res.out
    return res.json()


def _stored(home, agent: str) -> dict:
    return json.loads((home.path / "agents" / agent / "auth-profiles.json").read_text())["profiles"]


def _agents(cfg: dict) -> dict:
    return {a["id"]: a for a in cfg["agents"]["list"]}


def _doctor_errors(cli) -> list[dict]:
    rep = cli("doctor", "--json", "--no-gateway").json()
    return [f for f in rep["findings"] if f["severity"] == "error"]


def test_2026_04_agents_list_and_auth_profiles_json(home, cli, tmp_path):
    src = materialize("openclaw-2026-04", tmp_path)
    rep = _import(cli, src)
    assert rep["era"] == {
        "version": "2026.4.14",
        "strict_agent_models": False,
        "from": "OpenClaw 2026.4.14 (meta.lastTouchedVersion)",
    }
    cfg = json.loads((home.path / "clawgate.json").read_text())
    agents = _agents(cfg)
    assert list(agents) == ["main", "research", "local", "nv"]
    # before 2026-04-28 an agent's own model kept the default fallbacks: a string says exactly that in clawgate
    assert agents["main"]["model"] == "openai-codex/gpt-5.4" and agents["main"]["default"] is True
    assert agents["research"]["model"] == "anthropic/claude-sonnet-4-5"
    assert agents["local"]["model"] == {"primary": "ollama/llama3.3"}
    assert agents["nv"]["model"] == "nvidia/nvidia/nemotron-3-ultra-550b-a55b"
    summary = {a["id"]: a for a in rep["summary"]["agents"]}
    assert summary["research"]["fallbacks"] == ["openrouter/moonshotai/kimi-k2.5"]
    # every profile: both stores, and the legacy shared OAuth file into the main agent
    assert set(_stored(home, "main")) == {"openai-codex:default", "openrouter:default", "anthropic:default"}
    assert _stored(home, "main")["anthropic:default"]["refresh"] == "sk-ant-ort01-test-legacy-oauth-0426-0001"
    assert set(_stored(home, "research")) == {"anthropic:default"}
    assert any("credentials/oauth.json (legacy shared OAuth) imported" in n for n in rep["notes"])
    assert rep["summary"]["profiles"] == 4 and rep["summary"]["invalid_profiles"] == 0
    # carried-over settings: bare env-name apiKey, the ollama API kind, and the true reasons for the rest
    assert cfg["models"]["providers"]["nvidia"]["apiKey"] == "NVIDIA_API_KEY"
    assert cfg["models"]["providers"]["ollama"] == {
        "baseUrl": "http://127.0.0.1:11434",
        "api": "ollama",
        "models": [{"id": "llama3.3"}],
    }
    reasons = {u["path"]: u["reason"] for u in rep["unmapped"]}
    assert "chat channels" in reasons["channels"] and "onboarding" in reasons["wizard"]
    assert rep["models_json"] == []  # models.json names the same variable as the config: nothing stale
    assert rep["doctor"]["ok"] is True, rep["doctor"]["findings"]
    assert _doctor_errors(cli) == []
    status = cli("models", "status", "--agent", "nv", "--json").json()["attempts"][0]
    assert status["credential"]["source"] == "config:models.providers.nvidia.apiKey"
    assert status["credential"]["origin"].endswith(".env:1")


def test_2026_06_config_path_includes_and_todays_profile_fields(home, cli, tmp_path, monkeypatch):
    src = materialize("openclaw-2026-06", tmp_path)
    monkeypatch.setenv("OPENCLAW_CONFIG_PATH", str(src / "conf" / "openclaw.json"))
    rep = _import(cli, src)
    assert rep["sources"]["config_from"] == "OPENCLAW_CONFIG_PATH"
    assert [Path(p).name for p in rep["sources"]["includes"]] == [
        "hosted.json5",
        "local.json5",
        "agents.json5",
    ]
    assert rep["era"]["strict_agent_models"] is True
    cfg = json.loads((home.path / "clawgate.json").read_text())
    agents = _agents(cfg)
    # since 2026-04-28 an agent's own model is strict: no default fallbacks
    assert agents["main"]["model"] == {"primary": "openai-codex/gpt-5.5", "fallbacks": []}
    assert agents["coder"]["model"] == {"primary": "kimi/kimi-for-coding", "fallbacks": []}
    assert agents["ops"]["model"] == {"primary": "zai/glm-5.2", "fallbacks": ["mistral/mistral-large-latest"]}
    summary = {a["id"]: a for a in rep["summary"]["agents"]}
    assert summary["main"]["fallbacks"] == [] and summary["coder"]["fallbacks"] == []
    assert summary["ops"]["fallbacks"] == ["mistral/mistral-large-latest"]
    # an array $include is deep-merged in order
    assert cfg["models"]["providers"]["zai"] == {
        "baseUrl": "https://api.z.ai/api/coding/paas/v4",
        "api": "openai-completions",
        "timeoutSeconds": 120,
    }
    assert cfg["agents"]["defaults"]["models"]["zai/glm-5.2"] == {"alias": "glm"}
    # today's profile fields: accepted and kept; the ones clawgate does not act on are noted
    main = _stored(home, "main")
    assert set(main) == {"openai-codex:work", "openai-codex:personal", "zai:default"}
    assert main["openai-codex:work"]["displayName"] == "Work ChatGPT"
    assert main["openai-codex:work"]["chatgptPlanType"] == "team"
    assert rep["profiles"][0]["invalid"] == []
    assert any("copyToAgents kept in the profile, not used" in n for n in rep["notes"])
    # the legacy per-agent auth.json
    assert _stored(home, "coder") == {
        "kimi:default": {"provider": "kimi", "type": "api_key", "key": "sk-kimi-test-fixture-0618-0000000001"}
    }
    assert set(_stored(home, "ops")) == {"mistral:default"}
    listing = cli("auth", "list", "--agent", "main", "--json").json()["agents"][0]["profiles"]
    work = next(r for r in listing if r["profile"] == "openai-codex:work")
    assert (work["display_name"], work["plan"], work["in_use"]) == ("Work ChatGPT", "team", True)
    assert rep["doctor"]["ok"] is True, rep["doctor"]["findings"]
    assert _doctor_errors(cli) == []
    kimi = cli("models", "status", "--agent", "coder", "--json").json()["attempts"][0]
    assert (kimi["provider"], kimi["api"], kimi["base_url"]) == (
        "kimi",
        "anthropic-messages",
        "https://api.kimi.com/coding",
    )


def test_2026_08_sqlite_store_and_agents_entries(home, cli, tmp_path):
    src = materialize("openclaw-2026-08", tmp_path)
    rep = _import(cli, src)
    assert rep["era"]["version"] == "2026.8.12" and rep["era"]["strict_agent_models"] is True
    cfg = json.loads((home.path / "clawgate.json").read_text())
    agents = _agents(cfg)
    assert list(agents) == ["main", "ops", "pilot", "local"]
    assert agents["main"]["default"] is True and agents["main"]["name"] == "Main"
    # ChatGPT sign-in under `openai` (no OpenAI API key anywhere) is clawgate's openai-codex
    assert agents["main"]["model"] == {"primary": "openai-codex/gpt-5.6-sol", "fallbacks": []}
    assert cfg["agents"]["defaults"]["model"] == {
        "primary": "openai-codex/gpt-5.6-sol",
        "fallbacks": ["zai/glm-5.2"],
    }
    assert agents["ops"]["model"] == {"primary": "anthropic/claude-opus-4-6", "fallbacks": ["zai/glm-5.2"]}
    assert agents["pilot"]["model"] == {"primary": "github-copilot/gpt-4.1", "fallbacks": []}
    assert agents["local"]["model"] == {"primary": "ollama/llama3.3", "fallbacks": []}
    # every profile from the SQLite stores; the retired JSON file is not read (OpenClaw does not read it either)
    main = _stored(home, "main")
    assert set(main) == {"openai:default", "zai:default"}
    assert main["openai:default"]["provider"] == "openai-codex"
    assert main["openai:default"]["accountId"] == "acct_test_0812"
    assert json.loads((home.path / "agents" / "main" / "auth-profiles.json").read_text())["order"] == {
        "openai": ["openai:default"]
    }
    assert set(_stored(home, "ops")) == {"anthropic:default", "anthropic:work"}
    assert set(_stored(home, "pilot")) == {"github-copilot:github"}
    assert any(
        "openai-codex:default not imported: OpenClaw no longer reads this file" in n for n in rep["notes"]
    ), rep["notes"]
    assert rep["summary"]["profiles"] == 5
    # per-agent runtime settings are reported under the key OpenClaw wrote
    reasons = {u["path"]: u["reason"] for u in rep["unmapped"]}
    assert "agents.entries.ops.tools" in reasons and "agents.entries.main.workspace" in reasons
    assert "agent runtimes" in reasons["models.providers.ollama.agentRuntime"]
    assert "allowlist" in reasons["agents.defaults.modelPolicy"]
    assert rep["doctor"]["ok"] is True, rep["doctor"]["findings"]
    assert _doctor_errors(cli) == []
    pilot = cli("models", "status", "--agent", "pilot", "--json").json()["attempts"][0]
    assert pilot["credential"]["source"] == "profile:github-copilot:github"
    codex = cli("models", "status", "--json").json()["attempts"][0]
    assert (codex["provider"], codex["api_kind"], codex["credential"]["source"]) == (
        "openai-codex",
        "openai-codex-responses",
        "profile:openai:default",
    )


def test_dry_run_of_a_sqlite_home_writes_nothing(home, cli, tmp_path):
    src = materialize("openclaw-2026-08", tmp_path)
    before = sorted(p.name for p in home.path.rglob("*"))
    rep = _import(cli, src, "--dry-run")
    assert rep["dry_run"] is True and rep["summary"]["profiles"] == 5
    assert sorted(p.name for p in home.path.rglob("*")) == before


@pytest.mark.parametrize(
    ("include", "why"),
    [
        ('"./missing.json5"', "does not exist"),
        ('"../outside.json5"', "outside the config directory"),
        ('"./self.json5"', "circular"),
    ],
)
def test_includes_that_cannot_be_followed_are_reported(home, cli, tmp_path, include, why):
    src = tmp_path / "oc"
    src.mkdir()
    (tmp_path / "outside.json5").write_text("{ defaults: { model: 'openai/gpt-4o' } }")
    (src / "self.json5").write_text('{ $include: "./self.json5" }')
    (src / "openclaw.json").write_text(f"{{ agents: {{ $include: {include} }}, gateway: {{ port: 18800 }} }}")
    rep = _import(cli, src)
    problem = next(u for u in rep["unmapped"] if u["path"].endswith("$include"))
    assert problem["path"].startswith("agents") and why in problem["reason"], problem
    assert json.loads((home.path / "clawgate.json").read_text())["gateway"] == {"port": 18800}
