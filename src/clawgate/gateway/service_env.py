"""The environment the gateway service runs with: defined, never inherited from the shell that starts it.

`clawgate gateway start` and the systemd unit `clawgate gateway install` writes give the gateway process only

- the OS basics a process needs (`OS_NAMES`, `LC_*`),
- `CLAWGATE_HOME` (and `CLAWGATE_CONFIG` when one is set),
- the names the config lists in `env.passThrough` (the unit: `PassEnvironment=`).

Provider keys, proxies and the gateway token come from what the gateway reads itself: `$CLAWGATE_HOME/.env`,
the config's `env` block and, with `env.shellEnv.enabled`, a login shell. A key exported only in the shell
that ran `gateway start` is not the gateway's — exactly as under systemd — and the CLI predicts the service
with this same function (`diagnose/prediction.py`). `clawgate gateway run` *is* the service process: it keeps
the environment it is given (a container's, a unit's, a terminal's).

`launched_by` says, where the process can tell, what started it (a systemd unit, a container), so a fix for a
variable in its process environment can name where that variable is set.

`env_view` is the other half: a running gateway reports, for every variable its plans read and every proxy
variable, where its value comes from and a fingerprint — never a value (proxy URLs with the password masked).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from clawgate.environment import NO_PROXY_NAMES, PROXY_NAMES
from clawgate.redaction import fingerprint, mask_url

OS_NAMES = (
    "PATH",
    "HOME",
    "USER",
    "LOGNAME",
    "SHELL",
    "LANG",
    "LANGUAGE",
    "TZ",
    "TMPDIR",
    "XDG_RUNTIME_DIR",
    "PYTHONPATH",  # how this clawgate is run, not what it does
)
OS_PREFIXES = ("LC_",)
PATH_NAMES = ("CLAWGATE_HOME", "CLAWGATE_CONFIG")


def pass_through_names(config: Any) -> list[str]:
    """The names `env.passThrough` lists (an unreadable config: none)."""
    try:
        return list(config.env.pass_through)
    except AttributeError:
        return []


def service_environ(environ: Mapping[str, str], pass_through: Iterable[str] = ()) -> dict[str, str]:
    """The process environment a service started from `environ` gets: OS basics, the home and config paths,
    and `pass_through` — nothing else of the shell."""
    keep = set(OS_NAMES) | set(PATH_NAMES) | set(pass_through)
    return {k: v for k, v in environ.items() if k in keep or k.startswith(OS_PREFIXES)}


def viewed_names(snap: Any) -> set[str]:
    """Every variable the plans read (main, subagent and cron plans of every agent) and the proxy variables."""
    from clawgate.diagnose.plans import needed_vars

    return needed_vars(snap) | set(PROXY_NAMES) | set(NO_PROXY_NAMES)


def env_view(snap: Any) -> dict[str, Any]:
    """name -> None (not set) or {source, origin, fingerprint[, url]} as this process sees it."""
    out: dict[str, Any] = {}
    for name in sorted(viewed_names(snap)):
        var = snap.env.var(name)
        if var is None:
            out[name] = None
            continue
        entry: dict[str, Any] = {
            "source": var.winner.source,
            "origin": var.winner.origin,
            "fingerprint": fingerprint(var.value) if var.value else None,
        }
        if name in PROXY_NAMES or name in NO_PROXY_NAMES:
            entry["url"] = mask_url(var.value)
        out[name] = entry
    return out


def launched_by(environ: Mapping[str, str] | None = None) -> str | None:
    """ "systemd" (a unit: systemd sets INVOCATION_ID), "container" (Docker's /.dockerenv, Podman's
    /run/.containerenv), or None (a terminal, `gateway start`: not known from inside)."""
    env = os.environ if environ is None else environ
    if env.get("INVOCATION_ID"):
        return "systemd"
    if Path("/.dockerenv").exists() or Path("/run/.containerenv").exists():
        return "container"
    return None
