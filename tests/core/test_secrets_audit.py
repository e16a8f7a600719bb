"""`clawgate secrets audit` as a CI gate: a config it cannot read fails the audit (file and line named) instead
of passing as clean, and a literal key in a config that loads is found."""

from __future__ import annotations

import json
import stat

KEY = "sk-test-qa-audit-0123456789abcdef0123456789abcdef"

# the comma after the apiKey line is missing: not JSON5
BROKEN = (
    "{\n"
    "  models: {\n"
    "    providers: {\n"
    f'      openai: {{ apiKey: "{KEY}"\n'
    '        baseUrl: "https://api.openai.com/v1" },\n'
    "    },\n"
    "  },\n"
    "}\n"
)


def test_unparsable_config_fails_the_audit(home, cli):
    cfg = home.config(BROKEN)
    r = cli("secrets", "audit", "--check")
    assert r.code == 1
    assert "no problems found" not in r.out
    assert "config.parse_error" in r.out and f"{cfg}:5" in r.out
    assert "clawgate config validate" in r.out
    assert KEY not in r.out + r.err
    r = cli("secrets", "audit", "--json")
    assert r.code == 1  # nothing was checked: not a pass even without --check
    data = json.loads(r.out)
    assert data["ok"] is False and data["checked"] is False
    (item,) = data["items"]
    assert item["code"] == "config.parse_error" and item["severity"] == "error"
    assert item["evidence"]["location"]["file"] == str(cfg) and item["evidence"]["location"]["line"] == 5


def test_invalid_config_fails_the_audit(home, cli):
    cfg = home.config({"models": {"providers": {"openai": {"apiKey": KEY}}}, "gateway": {"port": "many"}})
    r = cli("secrets", "audit", "--check", "--json")
    assert r.code == 1
    data = json.loads(r.out)
    assert data["ok"] is False and data["checked"] is False
    assert [i["code"] for i in data["items"]] == ["config.invalid_value"]
    assert "gateway.port" in data["items"][0]["message"] and str(cfg) in data["items"][0]["message"]


def test_literal_key_in_a_config_that_loads_is_found(home, cli):
    home.config({"models": {"providers": {"openai": {"apiKey": KEY}}}})
    r = cli("secrets", "audit", "--check", "--json")
    assert r.code == 1
    data = json.loads(r.out)
    assert data["checked"] is True
    assert [i["subject"].get("path") for i in data["items"] if i["code"] == "config.plaintext_secret"] == [
        "models.providers.openai.apiKey"
    ]
    home.config({"models": {"providers": {"openai": {"apiKey": "${OPENAI_API_KEY}"}}}})
    home.dotenv(f"OPENAI_API_KEY={KEY}\n")
    r = cli("secrets", "audit", "--check")
    assert r.code == 0 and "no problems found" in r.out


# -- a moved secret does not stay behind in the backups clawgate wrote ------------------------------------


def _holding(root, secret):
    return sorted(
        str(p.relative_to(root)) for p in root.rglob("*") if p.is_file() and secret in p.read_text()
    )


def test_doctor_fix_leaves_no_literal_in_the_config_backups(home, cli):
    home.config({"models": {"providers": {"openai": {"apiKey": KEY}}}})
    home.dotenv("OTHER=1\n")
    r = cli("config", "set", "gateway.port", "19200")  # an earlier .bak that holds the literal too
    assert r.code == 0 and KEY in (home.path / "clawgate.json.bak").read_text()
    r = cli("doctor", "--fix", "--yes", "--no-gateway", "--json")
    data = json.loads(r.out)
    assert data["fixes_applied"] and data["backup"]
    stamp = home.path / "backups" / data["backup"].rsplit("/", 1)[1]
    assert stat.S_IMODE((home.path / "backups").stat().st_mode) == 0o700
    assert stat.S_IMODE(stamp.stat().st_mode) == 0o700
    # the key is in the home .env and in the backup's copy of it (the secret store), in no config or config copy
    assert _holding(home.path, KEY) == [".env", f"backups/{stamp.name}/.env"]
    for cfg in (home.path / "clawgate.json.bak", stamp / "clawgate.json"):
        assert json.loads(cfg.read_text())["models"]["providers"]["openai"]["apiKey"] == "${OPENAI_API_KEY}"
    # restoring the backup folder gives the same key, from the .env
    (home.path / "clawgate.json").write_text((stamp / "clawgate.json").read_text())
    (home.path / ".env").write_text((stamp / ".env").read_text())
    assert (stamp / ".env").read_text() == f"OTHER=1\nOPENAI_API_KEY={KEY}\n"
    r = cli("secrets", "audit", "--check")
    assert r.code == 0, r.out


def test_secrets_move_replaces_the_literal_in_the_bak(home, cli, tmp_path):
    other = "sk-test-qa-other-value-not-moved-0123456789"
    home.config(
        '{\n  // hand-written\n  env: { vars: { GROQ_API_KEY: "gsk_test_move_0123456789abcdef",'
        f" NOTE: '{other}' }} }},\n}}\n"
    )
    r = cli("secrets", "move", "env.vars.GROQ_API_KEY")
    assert r.code == 0, r.err
    assert "backups too" in r.out and "clawgate.json.bak" in r.out
    bak = (home.path / "clawgate.json.bak").read_text()
    assert "gsk_test_move_0123456789abcdef" not in bak
    assert "// hand-written" in bak and 'GROQ_API_KEY: "${GROQ_API_KEY}"' in bak  # only the value changed
    assert other in bak  # a value that was not moved is left as it was
    assert _holding(home.path, "gsk_test_move_0123456789abcdef") == [".env"]
    r = cli("secrets", "move", "env.vars.NOTE", "--json")
    assert r.code == 0 and json.loads(r.out)["backups_scrubbed"]
