"""Several gateway processes sharing state, as the two deployments of docs/deployment.md run them:

- `redis+postgres`: separate gateway processes with homes of their own (as on two machines: nothing shared but
  the config they were given, Redis and PostgreSQL), each on its own port;
- `sqlite-workers`: one home, one `gateway run --workers 2` (the SQLite files and their locks are shared).

Each process is reached through a client pinned to it: for separate processes their own port, for workers a
keep-alive connection whose /healthz answered with that worker's pid. Everything is stopped by its handle."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from .gateway import GatewayProcess, GwHome, make_home, run_cli, spawn_gateway
from .ports import free_port, wait_until

TOKEN = "cluster-test-token-8d1f3c5a7e9b2046"


@dataclass
class Proc:
    """One gateway process, and a client whose every request it answers."""

    pid: int
    url: str
    client: httpx.Client
    gw: GatewayProcess | None = None  # separate processes: their own handle


@dataclass
class Cluster:
    kind: str
    base: Path
    config: dict[str, Any]
    dotenv: str
    homes: list[GwHome] = field(default_factory=list)
    gws: list[GatewayProcess] = field(default_factory=list)
    procs: list[Proc] = field(default_factory=list)
    clients: list[httpx.Client] = field(default_factory=list)

    def headers(self, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {TOKEN}", **extra}

    def new_home(self) -> GwHome:
        home = make_home(self.base, f"home{len(self.homes)}")
        home.config(self.config)
        home.dotenv(self.dotenv)
        self.homes.append(home)
        return home

    def start(self) -> Cluster:
        if self.kind == "sqlite-workers":
            home = self.new_home()
            gw = spawn_gateway(home, token=TOKEN, args=("--workers", "2"), timeout=60)
            self.gws.append(gw)
            self.procs = pinned(gw.url, self.headers(), 2, self)
        else:
            for _ in range(2):
                self.add_process()
        return self

    def add_process(self) -> GatewayProcess:
        """Another gateway process: on a home of its own (redis+postgres), or on the same home (sqlite)."""
        home = self.new_home() if self.kind != "sqlite-workers" else self.homes[0]
        gw = spawn_gateway(home, free_port(), token=TOKEN, timeout=60)
        self.gws.append(gw)
        if self.kind != "sqlite-workers":
            c = self.client(gw.url)
            self.procs.append(Proc(c.get("/healthz").json()["pid"], gw.url, c, gw))
        return gw

    def client(self, url: str) -> httpx.Client:
        c = httpx.Client(
            base_url=url,
            headers=self.headers(),
            timeout=30,
            limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
        )
        self.clients.append(c)
        return c

    def cli(self, *args: str, home: GwHome | None = None) -> Any:
        return run_cli(home or self.homes[0], *args)

    def pidfile(self, home: GwHome | None = None) -> dict[str, Any]:
        return json.loads(((home or self.homes[0]).path / "run" / "gateway.json").read_text())

    def stop(self) -> None:
        for c in self.clients:
            c.close()
        for gw in reversed(self.gws):
            gw.stop(30)

    def output(self) -> str:
        return "\n".join(gw.output()[-2000:] for gw in self.gws)


def pinned(url: str, headers: dict[str, str], n: int, cluster: Cluster, tries: int = 400) -> list[Proc]:
    """A client per worker: new connections until `n` different pids answered (the kernel hands each new
    connection to whichever worker accepts first); a keep-alive connection stays with its worker."""
    found: dict[int, Proc] = {}
    extra: list[httpx.Client] = []

    def more() -> bool:
        for _ in range(8):
            c = httpx.Client(
                base_url=url,
                headers=headers,
                timeout=30,
                limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
            )
            pid = c.get("/healthz").json()["pid"]
            if pid in found:
                extra.append(c)
            else:
                cluster.clients.append(c)
                found[pid] = Proc(pid, url, c)
            if len(found) >= n:
                return True
        for c in extra[:-16]:  # keep a few open (busy connections spread the next accepts), close the rest
            c.close()
        del extra[:-16]
        return False

    wait_until(more, timeout=60, interval=0.01, what=f"{n} distinct workers answering at {url}")
    for c in extra:
        c.close()
    return list(found.values())


def cluster_config(
    emu: Any, kind: str, redis_url: str | None, database_url: str | None, **extra: Any
) -> tuple[dict[str, Any], str]:
    """(config, .env) for every home of the cluster: the emulator as openai, the engines from env refs."""
    cfg: dict[str, Any] = {
        "models": {
            "providers": {
                "openai": {
                    "baseUrl": emu.base_url("openai"),
                    "models": [{"id": "gpt-4o", "contextWindow": 128000}],
                }
            }
        },
        "agents": {
            "defaults": {"model": {"primary": "openai/gpt-4o", "fallbacks": []}},
            "list": [{"id": "main", "default": True}],
        },
        "gateway": {"maxRetryWaitSeconds": 0, "reloadIntervalSeconds": 0.2, "drainSeconds": 1},
    }
    for key, value in extra.items():
        cfg[key] = {**cfg.get(key, {}), **value} if isinstance(value, dict) else value
    dotenv = f"OPENAI_API_KEY={OPENAI_KEY}\nCLAWGATE_GATEWAY_TOKEN={TOKEN}\n"
    if kind == "redis+postgres":
        cfg["state"] = {"redis": "${CLAWGATE_REDIS_URL}", "database": "${CLAWGATE_DATABASE_URL}"}
        dotenv += f"CLAWGATE_REDIS_URL={redis_url}\nCLAWGATE_DATABASE_URL={database_url}\n"
    return cfg, dotenv


OPENAI_KEY = "sk-test-cluster-openai-0000000000001"


def fresh_database(pg_url: str) -> str:
    """A PostgreSQL database of its own on the shared test server."""
    import asyncio
    import uuid

    import asyncpg

    name = "c_" + uuid.uuid4().hex[:12]

    async def create() -> None:
        conn = await asyncpg.connect(pg_url)
        try:
            await conn.execute(f"CREATE DATABASE {name}")
        finally:
            await conn.close()

    asyncio.run(create())
    return pg_url.rsplit("/", 1)[0] + "/" + name


def flush_redis(url: str) -> None:
    import redis

    r = redis.Redis.from_url(url)
    try:
        r.flushall()
    finally:
        r.close()


def sse(lines: Iterator[str]) -> Iterator[dict[str, Any]]:
    data: list[str] = []
    for line in lines:
        if line.startswith("data:"):
            data.append(line[5:].strip())
        elif line == "" and data:
            yield json.loads("\n".join(data))
            data = []
