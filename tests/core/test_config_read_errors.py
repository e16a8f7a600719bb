"""A config that cannot be read at all — not UTF-8, a directory in its place, a home that is a file — is the
usual clear error (the file, what is wrong, the next command; exit 2 as for other config errors), never an
internal error."""

from __future__ import annotations

import json

import pytest
from tests.support.ports import free_port


def _clear(r, where: str, what: str, code: int = 2) -> None:
    text = r.out + r.err
    assert r.code == code, text
    assert "internal error" not in text and "Traceback" not in text
    assert where in text and what in text, text


def test_config_that_is_not_utf8(home, cli):
    cfg = home.path / "clawgate.json"
    cfg.write_bytes(b'{\n  gateway: {port: 1},\n  "\xff\xfe": 1\n}\n')
    for args in (["config", "validate"], ["models", "status"], ["config", "set", "gateway.port", "2"]):
        _clear(cli(*args), f"{cfg}:3", "not UTF-8")
    assert cfg.read_bytes().startswith(b"{\n  gateway: {port: 1}")  # not rewritten
    r = cli("config", "validate", "--json")
    err = json.loads(r.out)["error"]
    assert err["code"] == "config.parse_error" and err["location"] == {"file": str(cfg), "line": 3}
    r = cli("doctor", "--no-gateway", "--json")
    assert r.code == 1 and json.loads(r.out)["findings"][0]["code"] == "config.parse_error"


def test_config_that_is_a_directory(home, cli):
    cfg = home.path / "clawgate.json"
    cfg.mkdir()
    for args in (["config", "validate"], ["config", "set", "gateway.port", "2"], ["models", "status"]):
        r = cli(*args)
        _clear(r, str(cfg), "is a directory, not a config file")
        assert "next: clawgate config path" in r.err
    assert cfg.is_dir() and not list(cfg.iterdir())
    r = cli("doctor", "--no-gateway")
    _clear(r, str(cfg), "is a directory", code=1)
    assert "config.invalid_value" in r.out


def test_home_that_is_a_file(home, cli, monkeypatch, tmp_path):
    f = tmp_path / "not-a-home"
    f.write_text("x")
    monkeypatch.setenv("CLAWGATE_HOME", str(f))
    r = cli("config", "path")
    _clear(r, str(f), "the clawgate home (CLAWGATE_HOME) is a file, not a directory")
    assert json.loads(cli("config", "path", "--json").out)["problem"].startswith(f"{f}: the clawgate home")
    for args in (
        ["config", "set", "gateway.port", "2"],
        ["config", "validate"],
        ["env"],
        ["models", "status"],
        ["gateway", "run", "--port", str(free_port())],
    ):
        _clear(cli(*args), str(f), "is a file, not a directory")
    r = cli("env", "set", "GROQ_API_KEY", input="gsk_test_homefile_0123456789")
    _clear(r, str(f), "is a file, not a directory")
    _clear(cli("doctor", "--no-gateway"), str(f), "is a file, not a directory", code=1)
    assert f.read_text() == "x"


@pytest.mark.parametrize("below", ["clawgate.json", "sub/clawgate.json"])
def test_config_under_a_file(home, cli, monkeypatch, tmp_path, below):
    f = tmp_path / "plain-file"
    f.write_text("x")
    monkeypatch.setenv("CLAWGATE_CONFIG", str(f / below))
    for args in (["config", "validate"], ["config", "set", "gateway.port", "2"]):
        _clear(cli(*args), str(f), "is a file, so the config")
    assert f.read_text() == "x"
