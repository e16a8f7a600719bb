"""docs/emulator.md runs as written: every `bash` and `python` block, in order, against a real `clawgate emulate`
subprocess (the command the doc gives) and the gateway the doc starts, in a throwaway HOME, each block's output
checked against the `text` block after it. A doc example that rots fails here."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from tests.support.env import SCRUB
from tests.support.ports import free_port, wait_until
from tests.support.timing import limit

from .mdblocks import Block, blocks, missing

REPO = Path(__file__).resolve().parents[2]
DOC = REPO / "docs" / "emulator.md"
BIN = Path(sys.executable).parent  # this checkout's venv: `clawgate`, `python3` as the doc's reader has them


@pytest.fixture
def doc_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    """The variables the doc's first block exports, with free ports, and a running `clawgate emulate`."""
    home = tmp_path / "home"
    home.mkdir()
    emu_port, gw_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if k not in SCRUB and not k.startswith("PYTEST")}
    env.update(
        HOME=str(home),
        PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}",
        CLAWGATE_HOME=str(home / ".clawgate-try"),
        EMU=f"http://127.0.0.1:{emu_port}",
        GW_PORT=str(gw_port),
        GW=f"http://127.0.0.1:{gw_port}",
        PYTHONUNBUFFERED="1",
    )
    log = (tmp_path / "emulator.out").open("wb")
    emu = subprocess.Popen(
        [str(BIN / "clawgate"), "emulate", "--port", str(emu_port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
    )
    try:

        def up() -> bool:
            if emu.poll() is not None:
                raise AssertionError(f"clawgate emulate exited: {(tmp_path / 'emulator.out').read_text()}")
            try:
                return httpx.get(env["EMU"] + "/_emulator/health", timeout=limit(2)).status_code == 200
            except httpx.HTTPError:
                return False

        wait_until(up, 20, what="clawgate emulate")
        yield env
    finally:
        # the doc starts a gateway in the background; stop it whatever happened
        subprocess.run(
            [str(BIN / "clawgate"), "gateway", "stop"], env=env, capture_output=True, timeout=limit(30)
        )
        emu.terminate()
        try:
            emu.wait(limit(10))
        except subprocess.TimeoutExpired:
            emu.kill()
            emu.wait(limit(5))
        log.close()


def _run(block: Block, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    if block.lang == "bash":
        cmd = ["bash", "-euo", "pipefail", "-c", block.code]
    else:
        cmd = [sys.executable, "-c", block.code]
    return subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, timeout=limit(120))


def test_the_doc_exports_the_variables_this_test_provides() -> None:
    first = next(b for b in blocks(DOC) if b.lang == "bash")
    assert "norun" in first.flags
    exported = set(re.findall(r"\b([A-Z_]+)=", first.code))
    assert exported == {"CLAWGATE_HOME", "EMU", "GW_PORT", "GW"}, exported


def test_every_example_in_docs_emulator_md_runs(doc_env: dict[str, str], tmp_path: Path) -> None:
    runnable = [b for b in blocks(DOC) if b.runnable]
    assert len(runnable) >= 15, "the doc lost its examples"
    assert sum(1 for b in runnable if b.expect) >= 12, "the doc lost its expected outputs"
    for block in runnable:
        r = _run(block, doc_env, tmp_path)
        where = f"docs/emulator.md:{block.line} ({block.lang})"
        shown = f"--- stdout ---\n{r.stdout}\n--- stderr ---\n{r.stderr}"
        assert r.returncode == 0, f"{where} exited {r.returncode}\n{shown}"
        # the doc shows its default ports; this run has its own
        expect = [
            e.replace("127.0.0.1:18790", doc_env["EMU"][7:]).replace("127.0.0.1:18789", doc_env["GW"][7:])
            for e in block.expect
        ]
        line = missing(expect, r.stdout)
        assert line is None, f"{where}: expected output line {line!r} not found\n{shown}"


def test_expected_output_matching_can_fail() -> None:
    assert missing(["a … c", "d"], "a b c\nd\n") is None
    assert missing(["d", "a … c"], "a b c\nd\n") == "a … c"  # order matters
    assert missing(["exit 18"], "exit 28") == "exit 18"
