"""The scripted emulator run the end-to-end observability tests share: a gateway (subprocess) in front of the
emulator, driven by the official OpenAI SDK through plain calls, streams, a failover, a next-credential move and
failures owned by different layers. It returns what the clients and the emulator saw, which the tests compare
with what Prometheus scraped or the OTLP receiver got."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import openai
from tests.support.gateway import GatewayProcess, make_home, running_gateway

from clawgate.emulator import EmulatorThread

TOKEN = "gw-test-token-obs-6c1f9a2e4b7d3085"
OPENAI_KEY = "sk-test-obs-e2e-openai-0000001"
ANTHROPIC_KEY = "sk-ant-api03-test-obs-e2e-00001"
GROQ_KEY_1 = "gsk_test_obs_first_0000000001"
GROQ_KEY_2 = "gsk_test_obs_second_000000002"
EMU_KEYS = {"openai": [OPENAI_KEY], "anthropic": [ANTHROPIC_KEY], "groq": [GROQ_KEY_1, GROQ_KEY_2]}


def config(emu: EmulatorThread, observability: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "models": {"providers": {p: {"baseUrl": emu.base_url(p)} for p in ("openai", "anthropic", "groq")}},
        "agents": {
            "defaults": {"model": {"primary": "openai/gpt-4o", "fallbacks": []}},
            "list": [
                {"id": "main", "default": True},
                # a model that fails over to Anthropic
                {
                    "id": "fo",
                    "model": {"primary": "openai/gpt-4o-mini", "fallbacks": ["anthropic/claude-sonnet-4-5"]},
                },
                {"id": "mv", "model": "groq/llama-3.3-70b-versatile"},  # two keys: a move to the second
            ],
        },
        "auth": {"order": {"groq": ["groq:first", "groq:second"]}},
        # the token is required from loopback too, so the scrape proves it sends one
        "gateway": {"maxRetryWaitSeconds": 0, "auth": {"exemptLoopback": False}},
        "observability": observability or {},
    }


def profiles() -> dict[str, Any]:
    return {
        "version": 1,
        "profiles": {
            "groq:first": {"type": "api_key", "provider": "groq", "key": GROQ_KEY_1},
            "groq:second": {"type": "api_key", "provider": "groq", "key": GROQ_KEY_2},
        },
    }


@contextlib.contextmanager
def gateway(
    base: Path, emu: EmulatorThread, observability: dict[str, Any] | None = None, args: tuple[str, ...] = ()
) -> Iterator[GatewayProcess]:
    home = make_home(base)
    home.config(config(emu, observability))
    home.dotenv(
        f"OPENAI_API_KEY={OPENAI_KEY}\nANTHROPIC_API_KEY={ANTHROPIC_KEY}\nCLAWGATE_GATEWAY_TOKEN={TOKEN}\n"
    )
    agent = home.path / "agents" / "main"
    agent.mkdir(parents=True)
    import json

    (agent / "auth-profiles.json").write_text(json.dumps(profiles()))
    (agent / "auth-profiles.json").chmod(0o600)
    with running_gateway(home, token=TOKEN, timeout=120, args=args) as gw:
        yield gw


@dataclass
class Run:
    """What the clients and the emulator observed."""

    requests: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    overhead_ms: list[float] = field(default_factory=list)
    owners: dict[str, int] = field(default_factory=dict)  # failed client requests by x-clawgate-owner
    upstream_statuses: dict[int, int] = field(default_factory=dict)  # the emulator's answers by status


def _usage(run: Run, usage: Any) -> None:
    run.input_tokens += usage.prompt_tokens
    run.output_tokens += usage.completion_tokens


def scripted_run(gw: GatewayProcess, emu: EmulatorThread, headers: dict[str, str] | None = None) -> Run:
    emu.reset()
    run = Run()
    client = openai.OpenAI(
        base_url=gw.url + "/v1", api_key=TOKEN, max_retries=0, timeout=30, default_headers=headers or {}
    )
    msgs = [{"role": "user", "content": "Tell me something about gateways, please."}]

    def plain(model: str) -> None:
        raw = client.chat.completions.with_raw_response.create(model=model, messages=msgs)  # type: ignore[arg-type]
        run.requests += 1
        run.overhead_ms.append(float(raw.headers["x-clawgate-overhead-ms"]))
        _usage(run, raw.parse().usage)

    # three plain answers, two streams (with usage)
    for _ in range(3):
        plain("openai/gpt-4o")
    for _ in range(2):
        with client.chat.completions.with_streaming_response.create(
            model="openai/gpt-4o",
            messages=msgs,
            stream=True,
            stream_options={"include_usage": True},  # type: ignore[arg-type]
        ) as resp:
            run.requests += 1
            run.overhead_ms.append(float(resp.headers["x-clawgate-overhead-ms"]))
            usage = [c.usage for c in resp.parse() if c.usage is not None]
            assert len(usage) == 1
            _usage(run, usage[0])
    # OpenAI rate-limits three times (retry-after 0: retried in place twice), then Anthropic answers
    emu.add_fault("rate_limit", dialect="openai", model="gpt-4o-mini", retry_after=0, times=3)
    plain("agent/fo")
    # Groq rejects the first key: the second answers
    emu.add_fault("wrong_key", dialect="groq", key=GROQ_KEY_1, times=1)
    plain("agent/mv")
    # failures the client gets: the context is too long (owner context), a model no provider has (request)
    emu.add_fault("context_length", dialect="openai", model="gpt-4o", times=1)
    for model in ("openai/gpt-4o", "nosuchprovider/model-x"):
        try:
            client.chat.completions.with_raw_response.create(model=model, messages=msgs)  # type: ignore[arg-type]
            raise AssertionError(f"{model}: expected an error")
        except openai.APIStatusError as exc:
            run.requests += 1
            run.overhead_ms.append(float(exc.response.headers["x-clawgate-overhead-ms"]))
            owner = exc.response.headers["x-clawgate-owner"]
            run.owners[owner] = run.owners.get(owner, 0) + 1
    for r in emu.requests:
        if r.status is not None and r.endpoint in ("chat", "messages", "responses"):
            run.upstream_statuses[r.status] = run.upstream_statuses.get(r.status, 0) + 1
    return run
