"""`clawgate secrets audit` as a CI gate: a config it cannot read fails the audit (file and line named) instead
of passing as clean, and a literal key in a config that loads is found."""

from __future__ import annotations

import json

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
