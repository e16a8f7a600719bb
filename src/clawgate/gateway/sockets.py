"""The gateway's listening socket: bound once (the port checked before anything starts, `gateway.port_in_use` with
the next commands), and for `--workers N` the one socket every worker inherits."""

from __future__ import annotations

import socket

from clawgate.errors import ClawgateError


def bind(host: str, port: int) -> socket.socket:
    """A socket bound to host:port (not listening yet), or `gateway.port_in_use` with the next commands."""
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(fam, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise ClawgateError(
            f"cannot listen on {host}:{port}: {exc.strerror}",
            code="gateway.port_in_use",
            owner="environment",
            next_steps=[
                "clawgate gateway status   # is a gateway already running?",
                "clawgate gateway run --port 18800",
            ],
        ) from None
    return sock


def listen(host: str, port: int) -> socket.socket:
    """The one listening socket every worker of `--workers N` inherits."""
    sock = bind(host, port)
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock
