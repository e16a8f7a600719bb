"""Reach each provider host through the proxy the gateway is configured with; err when that fails.

A wrong `HTTPS_PROXY` makes every call fail while the config looks fine, so doctor opens a connection to
the proxy and asks it to `CONNECT` to each https provider host (a plain TCP connect for http and SOCKS
proxies). Only when a proxy is in effect for the host (NO_PROXY honoured): without one doctor sends nothing.
Timeouts are short; the proxy URL's password is never shown.
"""

from __future__ import annotations

import json
import socket
import urllib.request
from dataclasses import dataclass
from urllib.parse import urlsplit

from clawgate.diagnose.findings import Finding
from clawgate.diagnose.plans import plans_to_check
from clawgate.gateway.service_env import pass_through_names
from clawgate.plan.snapshot import Snapshot
from clawgate.redaction import mask_url

_TIMEOUT = 4.0
_VARS = {
    "https": ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"),
    "http": ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"),
}


@dataclass(frozen=True)
class ProxyUse:
    variable: str
    url: str
    origin: str
    source: str
    config_path: str | None = None


_masked = mask_url


def proxy_fix_steps(snap: Snapshot, name: str) -> tuple[list[str], str]:
    """(commands, hint) that take proxy variable `name` out of the gateway's environment, by where it comes
    from; correcting it instead is in the hint."""
    var = snap.env.var(name)
    if var is None:
        return [], ""
    source, origin = var.winner.source, var.winner.origin
    fixed = f"or correct it: printf '%s' <PROXY_URL> | clawgate env set {name}"
    if source == "home_dotenv":
        return [f"clawgate env unset {name}"], f"drops it from {origin}; {fixed}"
    if source == "config":
        return [f"clawgate config unset {origin.rsplit(': ', 1)[-1]}"], f"drops it from {origin}"
    if name in pass_through_names(snap.config):
        rest = [n for n in pass_through_names(snap.config) if n != name]
        cmd = (
            f"clawgate config set env.passThrough '{json.dumps(rest)}'"
            if rest
            else "clawgate config unset env.passThrough"
        )
        return [cmd, "clawgate gateway restart"], (
            f"env.passThrough hands this shell's {name} to the gateway; without it the gateway connects directly"
        )
    return [], (
        f"{name} is in the gateway's process environment ({origin}): unset it where the gateway is started "
        "(the unit's Environment=, the container's environment) and restart it"
    )


def proxy_for(snap: Snapshot, scheme: str, host: str) -> ProxyUse | None:
    """The proxy a call to scheme://host takes in the gateway's environment, or None."""
    env = snap.env
    no_proxy = env.get("NO_PROXY") or env.get("no_proxy") or ""
    bypass = urllib.request.proxy_bypass_environment  # type: ignore[attr-defined]  # real, untyped in typeshed
    if no_proxy and bypass(host, {"no": no_proxy}):
        return None
    for name in _VARS.get(scheme, ()):
        var = env.var(name)
        if var is not None and var.value.strip():
            path = None
            if var.winner.source == "config":
                path = var.winner.origin.split(": ", 1)[-1]
            return ProxyUse(name, var.value.strip(), var.winner.origin, var.winner.source, path)
    return None


def _check(proxy: str, host: str, port: int, tls: bool) -> str | None:
    """None when the proxy accepts and (for https) tunnels to host:port; else why not."""
    p = urlsplit(proxy if "://" in proxy else "http://" + proxy)
    if not p.hostname:
        return f"the proxy URL {_masked(proxy)!r} has no host"
    pport = p.port or (1080 if p.scheme.startswith("socks") else 443 if p.scheme == "https" else 80)
    try:
        sock = socket.create_connection((p.hostname, pport), timeout=_TIMEOUT)
    except socket.gaierror:
        return f"the proxy host {p.hostname} does not resolve"
    except ConnectionRefusedError:
        return f"nothing accepts connections at {p.hostname}:{pport} (connection refused)"
    except TimeoutError:
        return f"{p.hostname}:{pport} did not accept a connection within {_TIMEOUT:g}s"
    except OSError as exc:
        return f"cannot connect to {p.hostname}:{pport} ({exc.strerror or exc})"
    try:
        if not tls or p.scheme not in ("http", ""):
            return None
        sock.settimeout(_TIMEOUT)
        sock.sendall(f"CONNECT {host}:{port} HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode())
        first = sock.recv(1024).split(b"\r\n", 1)[0].decode("latin-1", "replace")
        parts = first.split()
        if len(parts) >= 2 and parts[1] == "200":
            return None
        if len(parts) >= 2 and parts[1] == "407":
            return "the proxy requires authentication (407)"
        return f"the proxy refused to tunnel to {host}:{port}: {first or 'no answer'}"
    except (TimeoutError, OSError) as exc:
        return f"the proxy did not tunnel to {host}:{port} ({type(exc).__name__})"
    finally:
        sock.close()


def proxy_findings(snap: Snapshot, agent: str | None = None) -> list[Finding]:
    targets: dict[tuple[str, str, int], list[str]] = {}
    for use in plans_to_check(snap, agent):
        for att in use.plan.attempts:
            if not att.base_url or (att.view is not None and att.view.preset and att.view.preset.local):
                continue
            u = urlsplit(att.base_url)
            if not u.hostname or u.hostname in ("localhost", "127.0.0.1", "::1"):
                continue
            port = u.port or (443 if u.scheme == "https" else 80)
            targets.setdefault((u.scheme, u.hostname, port), []).append(att.provider)
    out: list[Finding] = []
    for (scheme, host, port), providers in sorted(targets.items()):
        proxy = proxy_for(snap, scheme, host)
        if proxy is None:
            continue
        why = _check(proxy.url, host, port, scheme == "https")
        if why is None:
            continue
        fix, hint = proxy_fix_steps(snap, proxy.variable)
        out.append(
            Finding(
                "provider.unreachable",
                f"every call to {', '.join(sorted(set(providers)))} ({host}) goes through {proxy.variable}="
                f"{_masked(proxy.url)} (from {proxy.origin}), and that proxy fails: {why}",
                severity="error",
                subject={"provider": sorted(set(providers))[0], "host": host, "variable": proxy.variable},
                evidence={"proxy": _masked(proxy.url), "origin": proxy.origin, "reason": why},
                next_steps=fix,
                hint=hint,
            )
        )
    return out
