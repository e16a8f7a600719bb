"""Predict the service, not the CLI: the process environment the gateway has (one runs) or would get (none does).

- **A gateway runs for this home**: its own report (`/api/status` → `env`, built by
  `gateway.service_env.env_view`) decides, name by name, what the service has. Values never travel: where the
  gateway's value comes from its process environment, the CLI uses a value it can read itself (its own
  environment, this directory's `.env`, the home `.env`) with the same fingerprint; without one the variable
  is *unreadable* here: it stays the winner as a `GatewayOnly` (the gateway's fingerprint, no value), so
  nothing falls back to a file line the gateway's value beats, probes of it go to the gateway
  (`cli/models_gateway_probe.py`), and doctor says so (`env.gateway_only`).
- **None runs**: exactly what `clawgate gateway start` and the systemd unit give the service
  (`gateway.service_env.service_environ`): no shell variable outside `env.passThrough`, no `./.env`.

Every CLI read that predicts the gateway (`doctor`, `models status` and its probes, `infer`, `status`, a local
`cron run`) plans with `Snapshot.load(paths, prediction.environ, cwd=None)`: the home `.env`, config env and
login shell are then read by the snapshot, as the service reads them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from clawgate.environment import Environment, GatewayOnly
from clawgate.errors import ClawgateError
from clawgate.gateway.service_env import pass_through_names, service_environ
from clawgate.paths import Paths
from clawgate.redaction import fingerprint


@dataclass
class ServicePrediction:
    """The process environment to plan with, and what it was predicted from."""

    environ: dict[str, str]
    basis: str  # "gateway" (the running gateway's report) | "service" (what `gateway start` / the unit give)
    gateway_url: str | None = None
    gateway_pid: int | None = None
    unreadable: dict[str, dict[str, Any]] = field(default_factory=dict)  # name -> the gateway's view entry
    launched_by: str | None = (
        None  # what started the running gateway, when it can tell ("systemd", "container")
    )

    def describe(self) -> str:
        if self.basis == "gateway":
            return f"the running gateway's environment (pid {self.gateway_pid} at {self.gateway_url})"
        return (
            "the environment `clawgate gateway start` and the systemd unit give the gateway (not this "
            "shell's exports, not ./.env)"
        )

    def short(self) -> str:
        """How a finding's message names the service."""
        if self.basis == "gateway":
            return f"the running gateway (pid {self.gateway_pid})"
        return "the gateway service (as `clawgate gateway start` or the unit would run it)"

    def to_json(self) -> dict[str, Any]:
        return {
            "basis": self.basis,
            "describes": self.describe(),
            "gateway": {"url": self.gateway_url, "pid": self.gateway_pid}
            if self.basis == "gateway"
            else None,
            "unreadable": sorted(self.unreadable),
        }


def _same_home(status: Mapping[str, Any]) -> bool:
    return not any(m.get("field") in ("home", "config") for m in status.get("mismatches") or [])


def _readable(name: str, cli_environ: Mapping[str, str], cwd: Path | None, paths: Paths) -> list[str]:
    """Every value of `name` this CLI can read: its own environment, ./.env, the home .env."""
    out = [cli_environ[name]] if name in cli_environ else []
    files = Environment.load(process={}, cwd=cwd, home_env_file=paths.env_file)
    var = files.var(name)
    if var is not None:
        out.extend(d.value for d in var.definitions)
    return out


def predict_service(
    paths: Paths,
    cli_environ: Mapping[str, str],
    gateway_status: Mapping[str, Any] | None = None,
    config: Any = None,
    cwd: Path | None = None,
) -> ServicePrediction:
    """The service's process environment. `gateway_status`: `gateway.lifecycle.status()` for this home's
    gateway (its `gateway.env` is the running gateway's view); `config`: the loaded config (else read here)."""
    if config is None:
        from clawgate.config.loader import load_config

        try:
            config = load_config(paths).config
        except ClawgateError:
            config = None
    base = service_environ(cli_environ, pass_through_names(config))
    gw = gateway_status.get("gateway") if gateway_status else None
    view = gw.get("env") if isinstance(gw, dict) else None
    if gateway_status is None or not isinstance(view, dict) or not _same_home(gateway_status):
        return ServicePrediction(base, "service")
    assert isinstance(gw, dict)
    env = dict(base)
    unreadable: dict[str, dict[str, Any]] = {}
    pid = gw.get("pid")
    for name, info in view.items():
        env.pop(name, None)
        if not isinstance(info, dict) or info.get("source") != "process":
            continue  # not set in the gateway, or read from a file the snapshot reads too
        want = info.get("fingerprint")
        value = next(
            (v for v in _readable(name, cli_environ, cwd, paths) if (fingerprint(v) if v else None) == want),
            None,
        )
        shown = info.get("url")
        if value is None and isinstance(shown, str) and "****" not in shown and fingerprint(shown) == want:
            value = shown  # a proxy URL is reported whole when it has no password
        if value is None:
            unreadable[name] = info
            if want:  # the gateway's value wins over every line the snapshot reads, as in the gateway
                env[name] = GatewayOnly(str(want), f"process environment of the running gateway (pid {pid})")
        else:
            env[name] = value
    launched = gw.get("launched_by")
    return ServicePrediction(
        env,
        "gateway",
        str(gateway_status.get("url")),
        int(pid) if pid else None,
        unreadable,
        launched if isinstance(launched, str) else None,
    )


def gateway_status_for(paths: Paths, cli_environ: Mapping[str, str]) -> dict[str, Any] | None:
    """`gateway.lifecycle.status()` as this CLI sees it (its gateway URL and token), or None when this CLI
    cannot load its config."""
    from clawgate.gateway.lifecycle import status, target_for
    from clawgate.plan.snapshot import Snapshot

    try:
        client = Snapshot.load(paths, cli_environ, cwd=None)
    except ClawgateError:
        return None
    url, token, info = target_for(client)
    return status(paths, url, token, info)


def predict_for_cli(
    paths: Paths, cli_environ: Mapping[str, str], cwd: Path | None = None
) -> tuple[ServicePrediction, dict[str, Any] | None]:
    """(the prediction, the gateway status it was built from) for a CLI command."""
    st = gateway_status_for(paths, cli_environ)
    return predict_service(paths, cli_environ, st, cwd=cwd or Path(os.getcwd())), st
