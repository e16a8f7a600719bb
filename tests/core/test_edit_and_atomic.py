"""Config path edits and atomic writes."""

from __future__ import annotations

import pytest

from clawgate.atomicfile import atomic_write
from clawgate.config.edit import get_path, parse_path, parse_value, set_path, unset_path
from clawgate.errors import UsageError
from clawgate.redaction import fingerprint, redact, register_secret


def test_parse_path():
    assert parse_path("agents.list[0].model.primary") == ["agents", "list", 0, "model", "primary"]
    with pytest.raises(UsageError):
        parse_path("agents..x")


def test_set_creates_and_converts_string_model_to_object():
    data = {"agents": {"list": [{"id": "main", "model": "a/b"}]}}
    set_path(data, parse_path("agents.list[0].model.fallbacks"), ["c/d"])
    assert data["agents"]["list"][0]["model"] == {"primary": "a/b", "fallbacks": ["c/d"]}
    set_path(data, parse_path("gateway.port"), 1)
    assert get_path(data, ["gateway", "port"]) == 1
    assert unset_path(data, parse_path("gateway.port")) and not unset_path(data, parse_path("gateway.port"))


def test_parse_value():
    assert parse_value("19000") == 19000
    assert parse_value("true") is True
    assert parse_value("[{id: 'x'}]") == [{"id": "x"}]
    assert parse_value("openrouter/auto") == "openrouter/auto"
    assert parse_value("123", as_string=True) == "123"


def test_atomic_write_sets_0600_and_replaces(tmp_path):
    p = tmp_path / "sub" / "f.json"
    atomic_write(p, "one")
    atomic_write(p, "two")
    assert p.read_text() == "two" and (p.stat().st_mode & 0o777) == 0o600
    assert (p.parent.stat().st_mode & 0o777) == 0o700
    assert not list(p.parent.glob(".f.json.tmp-*"))


def test_fingerprint_shape_and_redaction():
    key = "sk-or-v1-test-0123456789abcdef0123456789abcdef04f4"
    fp = fingerprint(key)
    assert fp.startswith("sk-or-v1…04f4#") and len(fp.split("#")[1]) == 6
    assert fingerprint("short-key1").startswith("sh…1#")
    register_secret("my-custom-secret-value")
    assert "my-custom-secret-value" not in redact("header: my-custom-secret-value!")
    assert "0123456789abcdef0123" not in redact(f"Authorization: Bearer {key}")
