"""The tracing tests' receiver start survives its port being taken between choosing and binding it (the race that
failed a CI run under `pytest -n 2`): the first start finds its HTTP port held by another listener, exits with
"address already in use", and `running_phoenix` starts it again on fresh ports, which answer."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.support import phoenix
from tests.support.ports import quiet_port

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]


def test_a_taken_port_is_retried_on_fresh_ones(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if not phoenix.available():
        pytest.skip("the OTLP receiver (Arize Phoenix) is not installed: bash scripts/otlp-receiver.sh")
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as held:
        held.bind(("127.0.0.1", quiet_port()))
        held.listen()
        taken = held.getsockname()[1]

        def ports() -> Iterator[int]:
            yield taken  # the first start's HTTP port: someone else has it
            while True:
                yield quiet_port()

        chosen = ports()
        monkeypatch.setattr(phoenix, "quiet_port", lambda: next(chosen))
        with phoenix.running_phoenix(tmp_path, dict(os.environ)) as server:
            assert server.port != taken
            assert server.proc.poll() is None
            assert server.spans() == []  # its REST API answers
        first = (tmp_path / f"phoenix-{taken}.log").read_text(errors="replace").lower()
        assert "address already in use" in first
    assert server.proc.poll() is not None  # stopped by its handle on the way out
