"""Processes opening one fresh home's SQLite files at the same moment (two gateway workers, or two CLIs, starting
together) all open them: the switch to WAL, which SQLite may refuse at once with `database is locked` while
another process holds the file, is tried again (clawgate.sqlite_wal). Before, about 1 open in 70 failed so in a
loop like this one, and `test_two_processes_refresh_once` crashed with it on a loaded machine."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.support.ports import wait_until
from tests.support.timing import limit

OPEN = """
import asyncio, sys, time
from pathlib import Path
from clawgate.state.sqlite import SQLiteState
from clawgate.store.sqlite import SQLiteStore
home, me = Path(sys.argv[1]), sys.argv[2]
(home / f"ready-{me}").touch()
while not (home / "go").exists():
    time.sleep(0.001)
try:
    store = SQLiteStore(str(home / "state.db"))
    store.close()
    state = SQLiteState(str(home / "shared.db"))
    state._connect()  # (it opens its file on first use)
    asyncio.run(state.close())
    print("ok")
except Exception as e:
    print(f"failed: {type(e).__name__}: {e}")
"""

ROUNDS = 6
PROCESSES = 8


def test_processes_opening_a_fresh_home_together_all_open_it(tmp_path: Path) -> None:
    script = tmp_path / "open.py"
    script.write_text(OPEN)
    for r in range(ROUNDS):
        home = tmp_path / f"home{r}"
        home.mkdir()
        procs = [
            subprocess.Popen(
                [sys.executable, str(script), str(home), str(i)], stdout=subprocess.PIPE, text=True
            )
            for i in range(PROCESSES)
        ]
        try:
            wait_until(
                lambda h=home: len(list(h.glob("ready-*"))) == PROCESSES,
                limit(30),
                what="every process ready",
            )
            (home / "go").touch()
            outs = [p.communicate(timeout=limit(60))[0].strip() for p in procs]
        finally:
            for p in procs:
                if p.poll() is None:
                    p.kill()
                    p.wait()
        assert outs == ["ok"] * PROCESSES, (r, outs)
