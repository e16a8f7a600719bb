"""Fixtures for calling providers end to end: one emulator per session, a home wired to it, a runtime."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any

from tests.support.emulator import emulator_fixtures

from clawgate.call.executor import CallOutcome, CallRequest, Policy
from clawgate.call.runtime import Runtime
from clawgate.dialects.internal import ChatRequest, Message, Part, StreamEvent
from clawgate.emulator import EmulatorThread
from clawgate.failures import Failure
from clawgate.paths import Paths


@dataclass(frozen=True)
class Prov:
    """A clawgate provider wired to one emulator dialect (and region)."""

    id: str
    dialect: str
    region: str | None
    env: str
    key: str
    model: str
    auth_header: str = "authorization"


PROVIDERS = [
    Prov("openai", "openai", None, "OPENAI_API_KEY", "sk-test-openai-good-00000000000001", "gpt-4o"),
    Prov(
        "anthropic",
        "anthropic",
        None,
        "ANTHROPIC_API_KEY",
        "sk-ant-api03-test-good-000000000001",
        "claude-sonnet-4-5",
        "x-api-key",
    ),
    Prov(
        "openrouter",
        "openrouter",
        None,
        "OPENROUTER_API_KEY",
        "sk-or-v1-test-good-00000000000000001",
        "moonshotai/kimi-k2.5",
    ),
    Prov(
        "qwen", "dashscope", "intl", "DASHSCOPE_API_KEY", "sk-test-dashscope-intl-000000000001", "qwen-plus"
    ),
    Prov(
        "groq",
        "groq",
        None,
        "GROQ_API_KEY",
        "gsk_testgood0000000000000000000000001",
        "llama-3.3-70b-versatile",
    ),
    Prov("moonshot", "moonshot", "ai", "MOONSHOT_API_KEY", "sk-test-moonshot-ai-0000000000001", "kimi-k2.5"),
    Prov(
        "deepseek",
        "deepseek",
        None,
        "DEEPSEEK_API_KEY",
        "sk-test-deepseek-good-000000000001",
        "deepseek-chat",
    ),
    Prov(
        "gemini", "gemini", None, "GEMINI_API_KEY", "AIzaTestGood000000000000000000000001", "gemini-2.5-flash"
    ),
]
BY_ID = {p.id: p for p in PROVIDERS}
CN_KEY = "sk-test-dashscope-cn-00000000000001"

KEYS = {
    "openai": [BY_ID["openai"].key],
    "anthropic": [BY_ID["anthropic"].key],
    "openrouter": [BY_ID["openrouter"].key],
    "dashscope:intl": [BY_ID["qwen"].key],
    "dashscope:cn": [CN_KEY],
    "dashscope:coding-intl": ["sk-sp-test-token-plan-000000001"],
    "groq": [BY_ID["groq"].key],
    "moonshot:ai": [BY_ID["moonshot"].key],
    "deepseek": [BY_ID["deepseek"].key],
    "gemini": [BY_ID["gemini"].key],
}


_emulator, emu = emulator_fixtures(KEYS, name="_emulator")


def wire_home(
    home: Any,
    emu: EmulatorThread,
    keys: dict[str, str] | None = None,
    model: Any = None,
    extra: dict[str, Any] | None = None,
    timeout: float | None = None,
) -> None:
    """Point every preset at the emulator; `keys` maps env var -> key (default: every good key)."""
    providers: dict[str, Any] = {}
    for p in PROVIDERS:
        entry: dict[str, Any] = {"baseUrl": emu.base_url(p.dialect, p.region)}
        if timeout is not None:
            entry["timeoutSeconds"] = timeout
        providers[p.id] = entry
    cfg: dict[str, Any] = {"models": {"providers": providers}}
    if model is not None:
        cfg["agents"] = {"defaults": {"model": model}}
    for k, v in (extra or {}).items():
        cfg[k] = v
    home.config(cfg)
    env_keys = {p.env: p.key for p in PROVIDERS} if keys is None else keys
    home.dotenv("".join(f"{k}={v}\n" for k, v in env_keys.items()))


def runtime(home: Any, persist: bool = False, **policy: Any) -> Runtime:
    rt = Runtime(Paths.discover(home.env()), home.env(), cwd=None, persist=persist)
    rt.executor.policy = Policy(**{"backoff_base": 0.01, "backoff_cap": 0.05, **policy})
    return rt


def chat(text: str = "hello", stream: bool = False, **kw: Any) -> CallRequest:
    req = ChatRequest(
        model="", messages=[Message("user", [Part("text", text)])], stream=stream, max_tokens=64
    )
    return CallRequest(stream=stream, chat=req, purpose="infer", **kw)


@dataclass
class Done:
    outcome: CallOutcome
    text: str = ""
    events: list[Any] | None = None
    failure: Failure | None = None  # the outcome's failure or a mid-stream one
    first_event_chunks_sent: int | None = None


def call(rt: Runtime, plan: Any, req: CallRequest, emu: EmulatorThread | None = None) -> Done:
    """Run one call to completion (consuming a stream) on a fresh event loop."""

    async def go() -> Done:
        try:
            outcome = await rt.run(plan, req)
            done = Done(outcome, failure=outcome.failure)
            if not outcome.ok:
                return done
            if not req.stream:
                done.text = outcome.result().text
                return done
            events: list[Any] = []
            async for item in outcome:
                if isinstance(item, Failure):
                    done.failure = item
                    continue
                if (
                    isinstance(item, StreamEvent)
                    and item.kind == "text"
                    and done.first_event_chunks_sent is None
                ):
                    rec = emu.last_request if emu is not None else None
                    done.first_event_chunks_sent = rec.chunks_sent if rec is not None else None
                events.append(item)
            done.events = events
            done.text = "".join(e.text for e in events if isinstance(e, StreamEvent) and e.kind == "text")
            return done
        finally:
            await rt.aclose()

    return asyncio.run(go())


def reply_text(p: Prov) -> str:
    return f"emulated reply from {p.dialect} model {p.model}"


def dump(obj: Any) -> str:
    return json.dumps(obj, default=str)[:2000]
