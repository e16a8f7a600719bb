"""Environment layering: precedence, per-file duplicates with line numbers, provenance of every definition."""

from __future__ import annotations

from clawgate.environment import Environment


def test_precedence_never_overrides_an_earlier_source(tmp_path):
    cwd = tmp_path / "proj"
    cwd.mkdir()
    (cwd / ".env").write_text("A=cwd\nB=cwd\n")
    home_env = tmp_path / "home.env"
    home_env.write_text("A=home\nB=home\nC=home\n")
    env = Environment.load(
        process={"A": "proc"},
        cwd=cwd,
        home_env_file=home_env,
        config_vars={"A": ("cfg", "env.vars.A"), "D": ("cfg", "env.vars.D")},
        config_file="clawgate.json",
    )
    assert (
        env.get("A") == "proc" and env.get("B") == "cwd" and env.get("C") == "home" and env.get("D") == "cfg"
    )
    a = env.var("A")
    assert [d.source for d in a.definitions] == ["process", "cwd_dotenv", "home_dotenv", "config"]
    assert a.shadowed[0].origin.endswith("proj/.env:1")
    assert env.var("D").winner.origin == "clawgate.json: env.vars.D"
    assert env.var("MISSING") is None


def test_duplicate_in_one_file_last_line_wins_and_both_lines_are_kept(tmp_path):
    f = tmp_path / ".env"
    f.write_text("K=one\nX=1\nK=two\n")
    env = Environment.load(process={}, cwd=None, home_env_file=f)
    k = env.var("K")
    assert k.value == "two" and k.winner.line == 3 and k.shadowed[0].line == 1
    dups = dict(env.duplicates())
    assert [d.line for d in dups["K"]] == [1, 3]


def test_home_dotenv_read_from_home_dir_counts_once(tmp_path):
    f = tmp_path / ".env"
    f.write_text("K=v\n")
    env = Environment.load(process={}, cwd=tmp_path, home_env_file=f)
    assert [d.source for d in env.var("K").definitions] == ["home_dotenv"]


def test_unparseable_line_is_reported_with_its_number(tmp_path):
    f = tmp_path / ".env"
    f.write_text("GOOD=1\nthis is not an assignment\n")
    env = Environment.load(process={}, cwd=None, home_env_file=f)
    assert env.get("GOOD") == "1"
    assert env.issues[0].line == 2


def test_login_shell_import_is_last_and_opt_in(tmp_path, monkeypatch):
    rc = tmp_path / "shell.sh"
    rc.write_text("#!/bin/sh\nexec /usr/bin/env -i SHELL_ONLY_VAR=from-shell FOO=shell /usr/bin/env -0\n")
    rc.chmod(0o755)
    monkeypatch.setenv("SHELL", str(rc))
    off = Environment.load(process={}, cwd=None, home_env_file=None, shell_names={"SHELL_ONLY_VAR"})
    assert off.get("SHELL_ONLY_VAR") is None
    on = Environment.load(
        process={"FOO": "proc"},
        cwd=None,
        home_env_file=None,
        shell_enabled=True,
        shell_names={"SHELL_ONLY_VAR", "FOO"},
    )
    assert on.get("SHELL_ONLY_VAR") == "from-shell"
    assert on.get("FOO") == "proc" and on.var("FOO").shadowed[0].source == "login_shell"
