"""Fixtures for doctor tests: the shared emulator and a real gateway subprocess."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from tests.calls.conftest import KEYS

from clawgate.emulator import EmulatorThread


@pytest.fixture(scope="session")
def _emulator() -> Iterator[EmulatorThread]:
    emu = EmulatorThread(keys=KEYS)
    emu.start()
    try:
        yield emu
    finally:
        emu.stop()


@pytest.fixture
def emu(_emulator: EmulatorThread) -> EmulatorThread:
    _emulator.reset()
    return _emulator


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def running_gateway(home: Any, **env: str) -> Iterator[str]:
    """`clawgate gateway run` for `home` on a free port; yields its URL; stopped by its handle."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "clawgate", "gateway", "run", "--port", str(port), "--quiet"],
        env=home.env(**env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with urllib.request.urlopen(url + "/healthz", timeout=0.5):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    out = proc.stdout.read().decode(errors="replace") if proc.stdout else ""
                    raise RuntimeError(f"gateway did not start: {out[-2000:]}") from None
                time.sleep(0.05)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
