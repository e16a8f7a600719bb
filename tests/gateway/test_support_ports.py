"""The test launcher survives a port taken between choosing and binding it (other test runs share the machine):
it starts the gateway again on a fresh port instead of failing the test."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from tests.support import gateway as support
from tests.support.ports import free_port


def test_a_taken_port_is_replaced_by_a_fresh_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = support.make_home(tmp_path)
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen(1)
        taken = squatter.getsockname()[1]
        ports = iter([taken, free_port()])
        monkeypatch.setattr(support, "free_port", lambda: next(ports))
        gw = support.spawn_gateway(home)
        try:
            assert gw.port != taken and gw.proc.poll() is None
            assert "Address already in use" in (tmp_path / f"gateway-{taken}.out").read_text()
        finally:
            gw.stop()
