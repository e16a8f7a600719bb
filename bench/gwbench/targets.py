"""Start the fake upstream and the proxies under test, each configured at the same upstream.

A `Target` is what the load goes to: direct (the upstream itself), the Python floor (gwbench/floor_proxy.py),
clawgate (one worker, or `--workers N`), LiteLLM. Each knows its port, the model names that select the fast and
the slow stream, and the process whose CPU and RSS count.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from gwbench.procs import Proc, free_port, wait_ready

BENCH = Path(__file__).resolve().parent.parent
REPO = BENCH.parent
PATH = "/v1/chat/completions"
UPSTREAM_KEY = "sk-test-bench-upstream-0000000000000000"

# variables that would change what the proxies do (a developer's keys, proxies, clawgate state)
_SCRUB = (
    "CLAWGATE_HOME",
    "CLAWGATE_CONFIG",
    "CLAWGATE_GATEWAY_TOKEN",
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
    "PYTHONPATH",
)


def _ready(t: Target, url: str, deadline_s: float, any_status: bool = False) -> Target:
    """Wait for readiness; a target that never gets ready is stopped here (its caller has no handle yet)."""
    try:
        t.ready_s = wait_ready(t.proc, url, deadline_s, any_status)
    except BaseException:
        t.proc.stop()
        raise
    return t


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _SCRUB and not k.startswith("LITELLM_")}
    env.update(extra)
    return env


@dataclass
class Target:
    name: str
    port: int
    model: str  # selects the fast upstream stream/body
    slow_model: str  # selects the upstream's slow stream (1,000-open-streams test)
    proc: Proc  # whose CPU/RSS count (for direct: the upstream)
    ready_s: float = 0.0
    info: dict[str, str] = field(default_factory=dict)
    host: str = "127.0.0.1"
    path: str = PATH
    token: str | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}{self.path}"

    def body(self, stream: bool, slow: bool = False) -> bytes:
        obj: dict[str, object] = {
            "model": self.slow_model if slow else self.model,
            "messages": [{"role": "user", "content": "Say hello."}],
        }
        if stream:
            obj["stream"] = True
        return json.dumps(obj, separators=(",", ":")).encode()


def start_upstream(
    workdir: Path, chunks: int, chunk_delay_ms: float, slow_chunks: int, slow_delay_ms: float
) -> Target:
    port = free_port()
    argv = [
        sys.executable,
        "-m",
        "gwbench.upstream",
        "--port",
        str(port),
        "--chunks",
        str(chunks),
        "--chunk-delay-ms",
        str(chunk_delay_ms),
        "--slow-chunks",
        str(slow_chunks),
        "--slow-chunk-delay-ms",
        str(slow_delay_ms),
    ]
    env = clean_env(PYTHONPATH=str(BENCH))
    proc = Proc("upstream", argv, env=env, cwd=BENCH, log=workdir / "upstream.log")
    t = _ready(Target("direct", port, "gpt-4o", "slow", proc), f"http://127.0.0.1:{port}/healthz", 15)
    t.info["upstream"] = f"gwbench.upstream ({chunks} chunks/stream, {chunk_delay_ms:g} ms between chunks)"
    return t


FLOOR_KEY = "sk-test-bench-floor-client-000000000000"


def floor_env(port: int, upstream_port: int) -> dict[str, str]:
    """The floor's environment: its port, the upstream, the client key and the same model table as clawgate."""
    return clean_env(
        PYTHONPATH=str(BENCH),
        GATEWAY_PORT=str(port),
        FAKE_UPSTREAM_API_BASE=f"http://127.0.0.1:{upstream_port}/v1",
        FAKE_UPSTREAM_KEY=UPSTREAM_KEY,
        BENCH_GATEWAY_KEY=FLOOR_KEY,
        FLOOR_MODELS="openai/gpt-4o=gpt-4o,openai/slow=slow",
    )


def start_floor(workdir: Path, upstream_port: int) -> Target:
    """The Python floor (raw ASGI + aiohttp, gc frozen) on this Python, sent the same bodies as clawgate."""
    port = free_port()
    env = floor_env(port, upstream_port)
    argv = [sys.executable, "-m", "gwbench.floor_proxy"]
    proc = Proc("floor", argv, env=env, cwd=BENCH, log=workdir / "floor.log")
    # the floor has no health route: any HTTP answer (its 404) means it is listening
    t = Target("floor", port, "openai/gpt-4o", "openai/slow", proc, token=FLOOR_KEY)
    return _ready(t, f"http://127.0.0.1:{port}/healthz", 15, any_status=True)


def clawgate_bin() -> str:
    for cand in (REPO / ".venv" / "bin" / "clawgate", Path(sys.executable).parent / "clawgate"):
        if cand.exists():
            return str(cand)
    found = shutil.which("clawgate")
    if not found:
        raise RuntimeError("no clawgate executable: run scripts/setup.sh (creates .venv) first")
    return found


# clawgate's observability settings per bench target: the shipping default (metrics on, no tracing), everything
# off (the baseline of the observability cost), and tracing on to the bench's OTLP sink
OBSERVABILITY_OFF = {"metrics": {"enabled": False}}


def start_clawgate(
    workdir: Path,
    upstream_port: int,
    exe: str | None = None,
    name: str = "clawgate",
    observability: dict[str, object] | None = None,
    workers: int = 1,
) -> Target:
    """clawgate on its defaults (metrics on, state on this home's SQLite files); `workers` > 1 runs
    `gateway run --workers N` (the supervisor and its workers are one process tree: CPU and RSS sum them)."""
    home = Path(tempfile.mkdtemp(prefix=f"{name}-home-", dir=workdir))
    home.chmod(0o700)
    cfg: dict[str, object] = {
        "models": {"providers": {"openai": {"baseUrl": f"http://127.0.0.1:{upstream_port}/v1"}}},
        "agents": {"defaults": {"model": "openai/gpt-4o"}},
    }
    if observability is not None:
        cfg["observability"] = observability
    (home / "clawgate.json").write_text(json.dumps(cfg, indent=2))
    env_file = home / ".env"
    env_file.write_text(f"OPENAI_API_KEY={UPSTREAM_KEY}\n")
    env_file.chmod(0o600)
    port = free_port()
    exe = exe or clawgate_bin()
    argv = [exe, "gateway", "run", "--port", str(port), "--quiet"]
    if workers > 1:
        argv += ["--workers", str(workers)]
    proc = Proc(name, argv, env=clean_env(CLAWGATE_HOME=str(home)), cwd=home, log=workdir / f"{name}.log")
    t = _ready(
        Target(name, port, "openai/gpt-4o", "openai/slow", proc), f"http://127.0.0.1:{port}/healthz", 30
    )
    t.info["home"] = str(home)
    t.info["workers"] = str(workers)
    if workers > 1:
        try:
            _all_workers_answer(t, workers, 60)
        except BaseException:
            proc.stop()
            raise
    return t


def _all_workers_answer(t: Target, n: int, deadline_s: float) -> None:
    """`gateway run --workers N` is ready when each of its N workers has answered /healthz (its `pid`)."""
    import time
    import urllib.request

    t0, seen = time.monotonic(), set()
    while len(seen) < n:
        if time.monotonic() - t0 > deadline_s:
            raise RuntimeError(f"{t.name}: only {len(seen)} of {n} workers answered in {deadline_s:.0f}s")
        with urllib.request.urlopen(f"http://{t.host}:{t.port}/healthz", timeout=2) as r:  # a new connection
            seen.add(json.loads(r.read())["pid"])
        time.sleep(0.02)
    t.ready_s = time.monotonic() - t0 + t.ready_s


def start_otlp_sink(workdir: Path) -> Target:
    """The OTLP/HTTP trace sink (gwbench.otlp_sink) the traced clawgate exports to."""
    port = free_port()
    argv = [sys.executable, "-m", "gwbench.otlp_sink", "--port", str(port)]
    proc = Proc(
        "otlp-sink", argv, env=clean_env(PYTHONPATH=str(BENCH)), cwd=BENCH, log=workdir / "otlp-sink.log"
    )
    return _ready(Target("otlp-sink", port, "", "", proc), f"http://127.0.0.1:{port}/healthz", 15)


LITELLM_CONFIG = """\
model_list:
  - model_name: gpt-4o
    litellm_params:
      model: openai/gpt-4o
      api_base: http://127.0.0.1:{port}/v1
      api_key: {key}
  - model_name: slow
    litellm_params:
      model: openai/slow
      api_base: http://127.0.0.1:{port}/v1
      api_key: {key}
litellm_settings:
  telemetry: false
  set_verbose: false
general_settings: {{}}
"""


def litellm_bin() -> Path:
    return BENCH / ".venv-litellm" / "bin" / "litellm"


def start_litellm(workdir: Path, upstream_port: int, exe: Path | None = None, workers: int = 1) -> Target:
    exe = exe or litellm_bin()
    if not exe.exists():
        raise RuntimeError(f"{exe} is missing: bench/run installs it (or pass --no-litellm)")
    d = workdir / "litellm"
    d.mkdir(exist_ok=True)
    cfg = d / "config.yaml"
    cfg.write_text(LITELLM_CONFIG.format(port=upstream_port, key=UPSTREAM_KEY))
    port = free_port()
    env = clean_env(
        LITELLM_LOCAL_MODEL_COST_MAP="True",
        LITELLM_TELEMETRY="False",
        LITELLM_LOG="ERROR",
        LITELLM_MODE="PRODUCTION",  # no .env loading from the working directory
        DISABLE_ADMIN_UI="True",
        HOME=str(d),
    )
    argv = [
        str(exe),
        "--config",
        str(cfg),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--num_workers",
        str(workers),
        "--telemetry",
        "False",
    ]
    proc = Proc("litellm", argv, env=env, cwd=d, log=workdir / "litellm.log")
    t = _ready(
        Target("litellm", port, "gpt-4o", "slow", proc), f"http://127.0.0.1:{port}/health/liveliness", 120
    )
    t.info["workers"] = str(workers)
    return t
