"""`--home` / `--config` are reported as the flags they are, not as the variables the CLI passes them on in."""

from __future__ import annotations


def test_home_flag_is_reported_as_the_flag(home, cli, tmp_path):
    other = tmp_path / "flaghome"
    data = cli("--home", str(other), "config", "path", "--json").json()
    assert data["home"] == str(other) and data["home_from"] == "flag:--home"
    assert data["config_from"] == "flag:--home"
    cfg = tmp_path / "elsewhere.json"
    data = cli("--config", str(cfg), "config", "path", "--json").json()
    assert data["config"] == str(cfg) and data["config_from"] == "flag:--config"
    assert data["home_from"] == "env:CLAWGATE_HOME"  # the fixture's variable, not a flag
