"""The set-up a new user meets: the README names every system package scripts/system-deps.sh installs, and
scripts/link-command.sh makes `clawgate` runnable by name in a new login shell of a clean HOME — without ever
replacing a file it did not make, and quietly when everything is in place."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest
from tests.support.timing import limit

REPO = Path(__file__).resolve().parents[2]
LINK = REPO / "scripts" / "link-command.sh"
MARKER = "# added by clawgate's scripts/setup.sh"


def _packages() -> list[tuple[str, str, str]]:
    text = (REPO / "scripts" / "system-deps.sh").read_text()
    table = text.split("PACKAGES='", 1)[1].split("\n'", 1)[0]
    rows = []
    for line in table.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            pkg, check, why = line.split(None, 2)
            rows.append((pkg, check, why))
    return rows


def test_the_readme_names_every_system_package_set_up_installs() -> None:
    rows = _packages()
    assert {"tmux", "chromium"} <= {p for p, _, _ in rows}
    readme = (REPO / "README.md").read_text()
    section = readme.split("## What set-up installs", 1)[1].split("\n## ", 1)[0]
    for pkg, _, why in rows:
        assert re.search(rf"`{re.escape(pkg)}`", section), f"README's set-up section does not name {pkg}"
        assert why.strip(), f"{pkg} has no reason in scripts/system-deps.sh"


def test_the_readme_names_every_script_the_test_command_runs_and_what_they_make_is_ignored() -> None:
    """Each set-up step of `scripts/test.sh` is in the README's table; what they install into the checkout (the
    virtualenvs, the npm tree) is gitignored, so it is never committed."""
    steps = re.findall(r"^(?:exec )?(scripts/[\w-]+\.sh)", (REPO / "scripts" / "test.sh").read_text(), re.M)
    assert {"scripts/setup.sh", "scripts/system-deps.sh", "scripts/otlp-receiver.sh"} <= set(steps)
    section = (REPO / "README.md").read_text().split("## What set-up installs", 1)[1].split("\n## ", 1)[0]
    for step in steps:
        assert f"`{step}`" in section, f"README's set-up section does not name {step}"
    for made in (".venv/bin/python", ".venv-phoenix/bin/phoenix", "tools/agents/node_modules/x"):
        r = subprocess.run(["git", "check-ignore", "-q", made], cwd=REPO, timeout=limit(30))
        assert r.returncode == 0, f"{made} is not gitignored"


def _fake_clawgate(tmp_path: Path) -> Path:
    """A stand-in for .venv/bin/clawgate (a checkout's venv path, as the script expects)."""
    exe = tmp_path / "checkout" / ".venv" / "bin" / "clawgate"
    exe.parent.mkdir(parents=True)
    exe.write_text('#!/bin/sh\necho "clawgate from $0 $*"\n')
    exe.chmod(0o755)
    return exe


def _link(home: Path, target: Path, shell: str = "/bin/bash") -> subprocess.CompletedProcess[str]:
    env = {"HOME": str(home), "PATH": os.environ["PATH"], "SHELL": shell, "USER": "tester"}
    return subprocess.run(
        ["bash", str(LINK), str(target)], env=env, capture_output=True, text=True, timeout=limit(60)
    )


def _new_login_shell(home: Path, command: str) -> subprocess.CompletedProcess[str]:
    """What a new terminal runs: a login shell with nothing inherited but HOME."""
    return subprocess.run(
        ["env", "-i", f"HOME={home}", "USER=tester", "TERM=dumb", "bash", "-lc", command],
        capture_output=True,
        text=True,
        timeout=limit(60),
        stdin=subprocess.DEVNULL,
    )


def test_a_clean_home_gets_the_command_in_new_terminals(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    exe = _fake_clawgate(tmp_path)
    assert _new_login_shell(home, "command -v clawgate").returncode != 0  # not there before
    r = _link(home, exe)
    assert r.returncode == 0, r.stderr
    assert (home / ".local" / "bin" / "clawgate").resolve() == exe
    assert "linked ~/.local/bin/clawgate" in r.stdout and "~/.profile" in r.stdout
    assert MARKER in (home / ".profile").read_text()
    run = _new_login_shell(home, "clawgate doctor")
    assert run.returncode == 0 and run.stdout.strip() == f"clawgate from {home}/.local/bin/clawgate doctor"
    # a second run has nothing to do and says nothing; the profile gets one block only
    again = _link(home, exe)
    assert (again.returncode, again.stdout, again.stderr) == (0, "", "")
    assert (home / ".profile").read_text().count(MARKER) == 1


def test_a_profile_that_already_has_local_bin_is_left_alone(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / ".local" / "bin").mkdir(parents=True)
    debian = 'if [ -d "$HOME/.local/bin" ] ; then\n    PATH="$HOME/.local/bin:$PATH"\nfi\n'
    (home / ".profile").write_text(debian)  # what Debian's /etc/skel gives every new user
    r = _link(home, _fake_clawgate(tmp_path))
    assert r.returncode == 0, r.stderr
    assert (home / ".profile").read_text() == debian
    assert _new_login_shell(home, "clawgate").returncode == 0


def test_bash_profile_wins_over_profile_when_it_exists(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / ".bash_profile").write_text("# mine\n")
    (home / ".profile").write_text("# never read by bash while .bash_profile exists\n")
    assert _link(home, _fake_clawgate(tmp_path)).returncode == 0
    assert MARKER in (home / ".bash_profile").read_text()
    assert (home / ".bash_profile").read_text().startswith("# mine\n")
    assert MARKER not in (home / ".profile").read_text()
    assert _new_login_shell(home, "clawgate").returncode == 0


def test_a_clawgate_it_did_not_make_is_never_replaced(tmp_path: Path) -> None:
    home = tmp_path / "home"
    mine = home / ".local" / "bin" / "clawgate"
    mine.parent.mkdir(parents=True)
    mine.write_text("#!/bin/sh\necho my own\n")
    r = _link(home, _fake_clawgate(tmp_path))
    assert r.returncode == 0
    assert mine.read_text() == "#!/bin/sh\necho my own\n" and not mine.is_symlink()
    assert "not a link made by this script: left alone" in r.stderr
    assert not (home / ".profile").exists()


@pytest.mark.parametrize("other", ["old-checkout"])
def test_a_link_to_another_checkout_is_repointed_and_said_so(tmp_path: Path, other: str) -> None:
    home = tmp_path / "home"
    link = home / ".local" / "bin" / "clawgate"
    link.parent.mkdir(parents=True)
    old = tmp_path / other / ".venv" / "bin" / "clawgate"
    link.symlink_to(old)
    exe = _fake_clawgate(tmp_path)
    r = _link(home, exe)
    assert r.returncode == 0
    assert link.resolve() == exe and "now runs this checkout's clawgate" in r.stdout and other in r.stdout
