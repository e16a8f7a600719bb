"""Managing a background gateway from the CLI: start/stop via pidfile, status against /api/status, and a
systemd user unit that names the state dir but never holds a secret."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from clawgate import __version__
from clawgate.errors import ClawgateError
from clawgate.gateway.pidfile import bind_host, gateways, path_id, read_pidfile, remove_pidfile
from clawgate.paths import Paths
from clawgate.processes import pid_alive
from clawgate.redaction import fingerprint


def alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        # a gateway this very process started (start() then stop() in one process: restart, the UI, tests)
        # is a zombie after it exits until reaped, and kill(pid, 0) would call it alive
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return False
    except ChildProcessError:
        pass
    return pid_alive(pid)


def address_for(snap: Any) -> str:
    """Where this CLI expects the gateway: $CLAWGATE_GATEWAY_URL, else gateway.bind/port from the config."""
    override = snap.env.get("CLAWGATE_GATEWAY_URL")
    if override:
        return override.rstrip("/")
    gw = snap.config.gateway
    host = bind_host(gw.bind)
    if host in ("0.0.0.0", "::"):
        host = "127.0.0.1"
    return f"http://{host}:{gw.port}"


_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def http_json(
    method: str, url: str, token: str | None = None, body: Any = None, timeout: float = 2.0
) -> tuple[int, Any]:
    """One JSON request from the CLI to a gateway: (status, parsed body); status 0 when nothing answered.
    Never through a proxy from the environment: the CLI talks to its own gateway."""
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with _NO_PROXY.open(req, timeout=timeout) as resp:
            return resp.status, json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as exc:
        try:
            return exc.code, json.loads(exc.read() or b"null")
        except ValueError:
            return exc.code, None
    except (urllib.error.URLError, OSError, ValueError):
        return 0, None


def http_get(url: str, token: str | None = None, timeout: float = 2.0) -> tuple[int, Any]:
    return http_json("GET", url, token, timeout=timeout)


def wait_ready(
    url: str, proc: subprocess.Popen[bytes] | None, timeout: float = 20.0, paths: Paths | None = None
) -> bool:
    """Until the gateway at `url` answers. With `proc` and `paths`: until *that* process answers from that
    home (another gateway already on the port must not pass for it)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            return False
        status, health = http_get(url + "/healthz", timeout=0.5)
        if status == 200:
            if paths is None or proc is None:
                return True
            ours = isinstance(health, dict) and health.get("home_id") == path_id(paths.home)
            pid = read_pidfile(paths)
            if ours and pid is not None and pid.get("pid") == proc.pid:
                return True
        time.sleep(0.1)
    return False


def _port_taken(paths: Paths, url: str) -> ClawgateError | None:
    """Why a gateway of this home cannot listen at `url` (something else answers there), or None."""
    code, health = http_get(url + "/healthz", timeout=1.0)
    if code == 0:
        return None
    port = _free_port()
    if isinstance(health, dict) and health.get("service") == "clawgate":
        if health.get("home_id") == path_id(paths.home):
            return None  # this home's own gateway (started by hand, without a pidfile): status shows it
        who = f"the gateway of another CLAWGATE_HOME already listens at {url}"
    else:
        who = f"something that is not this home's gateway already answers at {url} (HTTP {code})"
    return ClawgateError(
        f"{who}; this home's gateway ({paths.home}) cannot take that port",
        code="gateway.config_mismatch",
        owner="config",
        next_steps=[f"clawgate config set gateway.port {port}", "clawgate gateway start"],
        hint=f"port {port} is free now; the other gateway keeps running untouched. If you meant to use that "
        "one, run this CLI with its CLAWGATE_HOME instead",
    )


def start(
    paths: Paths,
    environ: dict[str, str],
    url: str,
    pass_through: list[str] | None = None,
    workers: int = 1,
) -> dict[str, Any]:
    """Start `clawgate gateway run` in the background with the service's defined environment (see
    gateway/service_env.py): not this shell's exports, only OS basics, the home and `env.passThrough`."""
    from clawgate.gateway.service_env import service_environ

    running = read_pidfile(paths)
    if running and alive(int(running.get("pid", 0))):
        return {"ok": True, "already_running": True, **running}
    taken = _port_taken(paths, url)
    if taken is not None:
        raise taken
    paths.ensure_home()
    paths.logs_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    out_path = paths.logs_dir / "gateway.out"
    env = service_environ(environ, pass_through or [])
    env["CLAWGATE_HOME"] = str(paths.home)
    if paths.config_explicit:
        env["CLAWGATE_CONFIG"] = str(paths.config)
    with out_path.open("ab") as out:
        os.chmod(out_path, 0o600)
        proc = subprocess.Popen(
            [sys.executable, "-m", "clawgate", "gateway", "run", "--quiet"]
            + (["--workers", str(workers)] if workers > 1 else []),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=out,
            env=env,
            cwd=str(paths.home),
            start_new_session=True,
        )
    if not wait_ready(url, proc, paths=paths):
        tail = _tail(out_path, 15)
        if proc.poll() is None:
            proc.terminate()
        if "address already in use" in tail.lower():
            port = _free_port()
            raise ClawgateError(
                f"the gateway could not listen at {url}: another process holds that port",
                code="gateway.not_running",
                owner="runtime",
                next_steps=[f"clawgate config set gateway.port {port}", "clawgate gateway start"],
                hint=f"port {port} is free now",
            )
        raise ClawgateError(
            f"the gateway did not become ready at {url}" + (f"; its output:\n{tail}" if tail else ""),
            code="gateway.not_running",
            owner="runtime",
            next_steps=["clawgate doctor"],
            hint="`clawgate gateway run` runs it in the foreground, where its error shows",
        )
    data = read_pidfile(paths) or {"pid": proc.pid, "url": url}
    return {"ok": True, "already_running": False, **data}


def _tail(path: Path, n: int) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-n:])
    except OSError:
        return ""


def stop(paths: Paths, drain: float) -> dict[str, Any]:
    """SIGTERM every gateway process of this home (a supervisor passes it to its workers), wait for all of
    them (workers included) for the drain window, SIGKILL what is left."""
    procs = gateways(paths)
    if not procs:
        return {"ok": True, "was_running": False}
    tops = [int(g["pid"]) for g in procs]
    workers = [int(w) for g in procs for w in g.get("workers") or []]
    for pid in tops:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + drain + 10
    while time.monotonic() < deadline and any(alive(p) for p in tops + workers):
        time.sleep(0.1)
    killed = False
    for pid in tops + workers:
        if alive(pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            killed = True
    for pid in tops:
        with contextlib.suppress(Exception):
            remove_pidfile(paths, pid)  # a killed one could not take itself out
    return {
        "ok": True,
        "was_running": True,
        "pid": tops[0],
        "pids": tops,
        "workers": workers,
        "killed": killed,
    }


def _free_port() -> int:
    """A port free on loopback now (for a suggested command, not reserved)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _same_path(a: Any, b: Any) -> bool:
    return a == b or (a is not None and b is not None and os.path.realpath(a) == os.path.realpath(b))


def _local_url(url: str) -> str:
    """The URL to reach a gateway listening on `url` from this machine (a wildcard bind → loopback)."""
    for wildcard in ("//0.0.0.0:", "//[::]:"):
        url = url.replace(wildcard, "//127.0.0.1:")
    return url


def target_for(snap: Any) -> tuple[str, str | None, dict[str, Any]]:
    """(url, token, how this CLI got them) — what `status()` needs to name the fix for a mismatch."""
    from clawgate.gateway.token import resolve_gateway_token

    tok = resolve_gateway_token(snap)
    url_var = snap.env.var("CLAWGATE_GATEWAY_URL")
    info = {
        "url_from": url_var.winner.source if url_var is not None and url_var.value else "config",
        "token_source": tok.source,
        "token_origin": tok.origin,
    }
    return address_for(snap), tok.value, info


def _token_steps(client: dict[str, Any]) -> tuple[list[str], str]:
    if client.get("token_origin") == "process environment":
        return ["unset CLAWGATE_GATEWAY_TOKEN"], (
            "this shell's CLAWGATE_GATEWAY_TOKEN overrides the token in $CLAWGATE_HOME/.env; if the shell's is "
            "the right one, the gateway's must change instead: clawgate env set CLAWGATE_GATEWAY_TOKEN"
        )
    return ["clawgate env set CLAWGATE_GATEWAY_TOKEN"], (
        "prompts for the gateway's token (hidden; `clawgate gateway status` on the gateway's machine shows its "
        "fingerprint) and writes it to $CLAWGATE_HOME/.env"
    )


def _beside_steps(client: dict[str, Any]) -> tuple[list[str], str]:
    """Run this home's own gateway on a free port, beside the other one."""
    port = _free_port()
    steps = [f"clawgate config set gateway.port {port}", "clawgate gateway start"]
    hint = (
        f"port {port} is free now; the other gateway keeps running untouched (`gateway restart` cannot take a "
        "port another home's gateway holds). If you meant to use that gateway, run this CLI with its "
        "CLAWGATE_HOME instead (`systemctl --user cat clawgate` shows it)"
    )
    if client.get("url_from") not in (None, "config"):
        steps.insert(0, "unset CLAWGATE_GATEWAY_URL")
        hint = "CLAWGATE_GATEWAY_URL points this CLI at that gateway; " + hint
    return steps, hint


def status(paths: Paths, url: str, token: str | None, client: dict[str, Any] | None = None) -> dict[str, Any]:
    """Compare this CLI's home, config and version with whatever gateway answers at `url` (or, when nothing
    answers there, with the gateway this home's pidfile names). `client`: how the CLI got the URL and token
    (`target_for`), so each finding's next commands fix where they come from."""
    client = client or {}
    code, health = http_get(url + "/healthz")
    if code != 200:
        pid = read_pidfile(paths)
        other = _local_url(str(pid.get("url"))) if pid and pid.get("url") else None
        if (
            pid
            and alive(int(pid.get("pid", 0)))
            and other
            and other != url
            and http_get(other + "/healthz")[0] == 200
        ):
            moved = status(paths, other, token, client)
            moved["findings"].append(
                {
                    "code": "gateway.address_differs",
                    "severity": "warn",
                    "owner": "config",
                    "message": f"this home's gateway listens on {other}, not on {url} (gateway.bind/"
                    "gateway.port): it was started with --host/--port",
                    "next": ["clawgate gateway restart"],
                    "hint": "restarts it where gateway.bind/gateway.port say",
                }
            )
            return moved
    cli = {"home": str(paths.home), "config": str(paths.config), "version": __version__, "url": url}
    out: dict[str, Any] = {"cli": cli, "url": url, "running": code == 200, "mismatches": [], "findings": []}
    if code != 200:
        pid = read_pidfile(paths)
        out["pidfile"] = pid
        out["findings"].append(
            {
                "code": "gateway.not_running",
                "severity": "info",
                "owner": "runtime",
                "message": f"no gateway answers at {url}",
                "next": ["clawgate gateway start"],
                "hint": "or run it in the foreground: clawgate gateway run",
            }
        )
        return out
    if not isinstance(health, dict) or health.get("service") != "clawgate":
        steps, hint = _beside_steps(client)
        out["findings"].append(
            {
                "code": "gateway.config_mismatch",
                "severity": "error",
                "owner": "config",
                "message": f"something that is not clawgate answers at {url}",
                "next": steps,
                "hint": hint,
            }
        )
        return out
    # Without a token the gateway shows no paths, but its /healthz carries ids of its home and config.
    other_home = health.get("home_id") not in (None, path_id(paths.home))
    other_config = health.get("config_id") not in (None, path_id(paths.config))
    code, st = http_get(url + "/api/status", token)
    if code == 401:
        reason = (st or {}).get("error", {}).get("code") if isinstance(st, dict) else None
        if other_home or other_config:
            steps, hint = _beside_steps(client)
            which = " and ".join(
                n for n, differs in (("CLAWGATE_HOME", other_home), ("config", other_config)) if differs
            )
            out["findings"].append(
                {
                    "code": "gateway.config_mismatch",
                    "severity": "error",
                    "owner": "config",
                    "message": f"the gateway at {url} runs from another {which} than this CLI "
                    f"({paths.home}); what this CLI shows is not what the gateway uses (it also refused "
                    f"this CLI's token: {reason})",
                    "next": steps,
                    "hint": hint,
                }
            )
        if other_home or other_config:
            return out  # the token refusal follows from the gateway being another home's: said above
        c = "gateway.token_mismatch" if reason == "gateway.token_mismatch" else "gateway.token_missing"
        tsteps, thint = _token_steps(client)
        out["findings"].append(
            {
                "code": c,
                "severity": "error",
                "owner": "gateway_auth",
                "message": f"the running gateway refused this CLI's token ({reason}; this CLI's is "
                + (f"{fingerprint(token)} from " if token else "")
                + f"{client.get('token_source') or 'unknown'}"
                + (f" from {client['token_origin']}" if client.get("token_origin") else "")
                + ")",
                "next": tsteps,
                "hint": thint,
            }
        )
        return out
    if code != 200 or not isinstance(st, dict):
        out["findings"].append(
            {
                "code": "gateway.not_running",
                "severity": "error",
                "owner": "runtime",
                "message": f"/api/status answered {code}",
            }
        )
        return out
    out["gateway"] = st
    out["gateways"] = gateways(paths)
    for f in st.get("state_findings") or []:
        out["findings"].append(f)
    for key in ("home", "config", "version"):
        same = st.get(key) == cli[key] if key == "version" else _same_path(st.get(key), cli[key])
        if not same:
            out["mismatches"].append({"field": key, "cli": cli[key], "gateway": st.get(key)})
    if out["mismatches"]:
        fields = ", ".join(m["field"] for m in out["mismatches"])
        if any(m["field"] == "home" for m in out["mismatches"]):
            msteps, mhint = _beside_steps(client)
        else:  # this home's gateway, started with another config or version: restart it with this one
            msteps = ["clawgate gateway restart"]
            mhint = (
                "restarts this home's gateway with this CLI's config and version; to inspect its setup first: "
                f"CLAWGATE_HOME={st.get('home')} clawgate models status"
            )
        detail = "; ".join(
            f"{m['field']}: CLI {m['cli']} vs gateway {m['gateway']}" for m in out["mismatches"]
        )
        out["findings"].append(
            {
                "code": "gateway.config_mismatch",
                "severity": "error",
                "owner": "config",
                "message": f"this CLI and the running gateway differ in {fields} ({detail}): what the CLI shows is "
                "not what the gateway uses",
                "next": msteps,
                "hint": mhint,
            }
        )
    err = (st.get("reload") or {}).get("error")
    if err:
        out["findings"].append(
            {
                "code": "config.parse_error"
                if err.get("code") == "config.parse_error"
                else "config.invalid_value",
                "severity": "error",
                "owner": "config",
                "message": "the last config edit was rejected; the gateway keeps serving the last "
                f"good config: {err.get('message')}",
                "next": err.get("next", []),
            }
        )
    return out


def unit_text(paths: Paths, drain: float, pass_through: list[str] | None = None, workers: int = 1) -> str:
    """The systemd user unit: the same defined environment as `gateway start` (gateway/service_env.py) —
    the home, the config, and `PassEnvironment=` for the names `env.passThrough` lists."""
    exe = Path(sys.executable).parent / "clawgate"
    cmd = f"{exe} gateway run" if exe.exists() else f"{sys.executable} -m clawgate gateway run"
    if workers > 1:
        cmd += f" --workers {workers}"
    env_lines = [f"Environment=CLAWGATE_HOME={paths.home}"]
    if paths.config_explicit:
        env_lines.append(f"Environment=CLAWGATE_CONFIG={paths.config}")
    if pass_through:
        env_lines.append(f"PassEnvironment={' '.join(pass_through)}")
    return "\n".join(
        [
            "# Written by `clawgate gateway install`. Holds no secret: keys and the gateway token live in",
            f"# {paths.env_file} and the files under {paths.home}, which the gateway reads itself.",
            "[Unit]",
            "Description=clawgate AI agent gateway",
            "After=network-online.target",
            "Wants=network-online.target",
            "",
            "[Service]",
            "Type=simple",
            *env_lines,
            f"WorkingDirectory={paths.home}",
            f"ExecStart={cmd}",
            "Restart=on-failure",
            "RestartSec=2",
            "KillSignal=SIGTERM",
            f"TimeoutStopSec={int(drain) + 15}",
            "",
            "[Install]",
            "WantedBy=default.target",
            "",
        ]
    )
