"""What clawgate's writes leave on disk: no mode change to a directory it did not create, no lock file left
behind, a symlinked file written through to its target, and the lock still exclusive across processes."""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import stat
from pathlib import Path

from tests.support.timing import limit

from clawgate.atomicfile import atomic_write, locked

KEY = "gsk_test_files_0123456789abcdef0123456789abcdef"


def _mode(p: Path) -> int:
    return stat.S_IMODE(p.stat().st_mode)


def _locks(d: Path) -> list[str]:
    return sorted(p.name for p in d.iterdir() if p.name.endswith(".lock"))


def test_env_move_leaves_the_project_directory_as_it_was(home, cli):
    home.work.chmod(0o755)
    home.dotenv(f"GROQ_API_KEY={KEY}\nOTHER=1\n", cwd=True)
    r = cli("env", "move", "GROQ_API_KEY")
    assert r.code == 0, r.err
    assert _mode(home.work) == 0o755
    assert _locks(home.work) == [] and _locks(home.path) == []
    assert (home.work / ".env").read_text() == "OTHER=1\n"
    assert KEY in (home.path / ".env").read_text()


def test_config_outside_the_home_keeps_its_folder_mode(home, cli, tmp_path, monkeypatch):
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o755)
    monkeypatch.setenv("CLAWGATE_CONFIG", str(shared / "clawgate.json"))
    r = cli("config", "set", "gateway.port", "19123")
    assert r.code == 0, r.err
    r = cli("config", "set", "gateway.port", "19124")  # the second write also writes the .bak
    assert r.code == 0, r.err
    assert json.loads((shared / "clawgate.json").read_text())["gateway"]["port"] == 19124
    assert _mode(shared) == 0o755
    assert _locks(shared) == [] and _locks(home.path) == []


def test_a_directory_clawgate_creates_is_private(tmp_path):
    tmp_path.chmod(0o755)
    p = tmp_path / "new" / "deeper" / "f.json"
    atomic_write(p, "x")
    assert _mode(tmp_path) == 0o755
    assert _mode(tmp_path / "new") == 0o700 and _mode(tmp_path / "new" / "deeper") == 0o700


def test_the_home_is_still_made_private(home, cli):
    home.path.chmod(0o755)
    assert cli("config", "set", "gateway.port", "19125").code == 0
    assert _mode(home.path) == 0o700
    home.path.chmod(0o755)
    assert cli("env", "set", "GROQ_API_KEY", input=KEY).code == 0
    assert _mode(home.path) == 0o700


def test_config_symlink_is_kept_and_its_target_written(home, cli, tmp_path):
    dotfiles = tmp_path / "dotfiles"
    dotfiles.mkdir()
    target = dotfiles / "clawgate.json"
    target.write_text("{gateway: {port: 19001}}\n")
    link = home.path / "clawgate.json"
    link.symlink_to(target)
    r = cli("config", "set", "gateway.port", "19002")
    assert r.code == 0, r.err
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert json.loads(target.read_text())["gateway"]["port"] == 19002
    # the previous file is kept beside the path clawgate was given, not in the link's folder
    assert (home.path / "clawgate.json.bak").read_text() == "{gateway: {port: 19001}}\n"
    assert not (dotfiles / "clawgate.json.bak").exists()
    assert _locks(dotfiles) == [] and not list(dotfiles.glob(".clawgate.json.tmp-*"))


def test_env_symlink_is_kept_and_its_target_written(home, cli, tmp_path):
    target = tmp_path / "secrets.env"
    target.write_text("OTHER=1\n")
    link = home.path / ".env"
    link.symlink_to(target)
    r = cli("env", "set", "GROQ_API_KEY", input=KEY)
    assert r.code == 0, r.err
    assert link.is_symlink()
    assert target.read_text() == f"OTHER=1\nGROQ_API_KEY={KEY}\n"


def _bump(path: str, rounds: int, start: mp.synchronize.Event) -> None:  # runs in a child process
    p = Path(path)
    start.wait()
    for _ in range(rounds):
        with locked(p):
            n = int(p.read_text()) if p.exists() else 0
            atomic_write(p, str(n + 1))


def test_the_lock_is_exclusive_across_processes_although_its_file_goes(tmp_path):
    """Read-modify-write from several processes at once loses no update, though each release removes the
    lock file (a waiter that got a removed file's lock must take the new one)."""
    counter = tmp_path / "counter"
    ctx = mp.get_context("spawn")
    start = ctx.Event()
    procs = [ctx.Process(target=_bump, args=(str(counter), 40, start)) for _ in range(4)]
    for p in procs:
        p.start()
    start.set()
    for p in procs:
        p.join(limit(60))
    assert [p.exitcode for p in procs] == [0, 0, 0, 0]
    assert counter.read_text() == "160"
    assert _locks(tmp_path) == []
