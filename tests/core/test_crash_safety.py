"""SIGKILL during `config set` / `auth add`: the files always parse and hold the old or the new content."""

from __future__ import annotations

import io
import json
import multiprocessing as mp
import os
import random
import signal
import sys
from pathlib import Path

import pytest
from tests.support.timing import limit

KEYS = [
    "sk-or-v1-test-kill-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    "sk-or-v1-test-kill-bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
]
PORTS = list(range(20000, 20040))
KILLS = 50


def _writer(kind: str, home: str, ready: mp.synchronize.Event) -> None:  # runs in a forked child
    os.environ["CLAWGATE_HOME"] = home
    from clawgate.cli.main import main

    devnull = open(os.devnull, "w")  # noqa: SIM115
    sys.stdout = sys.stderr = devnull
    i = 0
    while True:
        if kind == "config":
            args = ["config", "set", "gateway.port", str(PORTS[i % len(PORTS)])]
        else:
            sys.stdin = io.StringIO(KEYS[i % 2])
            args = ["auth", "add", "openrouter", "--agent", "main"]
        try:
            main(args)
        except SystemExit:
            pass
        if i == 0:
            ready.set()
        i += 1


def _check_config(path: Path) -> int:
    data = json.loads(path.read_text())
    assert data["gateway"]["port"] in PORTS
    return data["gateway"]["port"]


def _check_profiles(path: Path) -> str:
    data = json.loads(path.read_text())
    key = data["profiles"]["openrouter:default"]["key"]
    assert key in KEYS
    return key


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["config", "auth"])
def test_sigkill_mid_write_never_leaves_a_broken_file(kind, home, tmp_path):
    ctx = mp.get_context("forkserver")
    ctx.set_forkserver_preload(["clawgate.cli.main", "clawgate.plan.snapshot"])
    rng = random.Random(1234)
    target = home.path / "clawgate.json" if kind == "config" else home.path / "agents/main/auth-profiles.json"
    check = _check_config if kind == "config" else _check_profiles
    seen = set()
    for _ in range(KILLS):
        ready = ctx.Event()
        proc = ctx.Process(target=_writer, args=(kind, str(home.path), ready), daemon=True)
        proc.start()
        try:
            assert ready.wait(limit(30)), "writer did not start"
            # kill at a random moment while the writer loops over read-modify-write cycles
            ready.clear()
            proc.join(rng.uniform(0.001, 0.05))
            os.kill(proc.pid, signal.SIGKILL)
            proc.join(limit(10))
        finally:
            if proc.is_alive():
                proc.kill()
                proc.join(limit(5))
        assert proc.exitcode == -signal.SIGKILL
        seen.add(check(target))
        mode = target.stat().st_mode & 0o777
        assert mode == 0o600
    # the writes really alternated between old and new content while being killed
    assert len(seen) >= 2
