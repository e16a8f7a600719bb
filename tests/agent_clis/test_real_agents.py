"""Done-when 1 and 2 of issue 12 with the real agent CLIs, unchanged: Claude Code (`claude -p`) and Codex CLI
(`codex exec`) from npm, against the emulator through a real gateway, each pointed at clawgate only the way
its docs say (a base URL and the gateway token)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from tests.support.gateway import GatewayProcess

from clawgate.emulator import EmulatorThread

from .conftest import WRONG_KEY, Agents, claude_env, codex_home, providers, run_cli

Start = Callable[[dict[str, Any]], GatewayProcess]


def workdir(tmp_path: Path) -> tuple[Path, Path]:
    home, work = tmp_path / "home", tmp_path / "work"
    home.mkdir(parents=True)
    work.mkdir(parents=True)
    return home, work


def posts(emu: EmulatorThread, dialect: str) -> list[Any]:
    return [r for r in emu.requests_for(dialect=dialect) if r.method == "POST"]


# --- Claude Code -------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def gw_anthropic(emulator: EmulatorThread, start_gateway: Start) -> GatewayProcess:
    """Claude Code's own model names go to the Anthropic provider (its model family)."""
    return start_gateway({"models": {"providers": providers(emulator)}})


@pytest.fixture(scope="module")
def gw_openai(emulator: EmulatorThread, start_gateway: Start) -> GatewayProcess:
    """An operator who sends Claude Code's names to an OpenAI-dialect provider with one route."""
    routes = [{"match": "claude-*", "to": "openai/gpt-4o-mini"}]
    return start_gateway({"models": {"providers": providers(emulator), "routes": routes}})


@pytest.mark.parametrize("model_flag", [[], ["--model", "haiku"]], ids=["default-model", "haiku"])
def test_claude_code_through_an_anthropic_provider(
    agents: Agents, gw_anthropic: GatewayProcess, emu: EmulatorThread, tmp_path: Path, model_flag: list[str]
) -> None:
    home, work = workdir(tmp_path)
    argv = [str(agents.claude), "-p", *model_flag, "echo: hello from claude code"]
    r = run_cli(argv, claude_env(home, gw_anthropic), work)
    assert r.returncode == 0, r.output
    assert "hello from claude code" in r.stdout
    sent = posts(emu, "anthropic")
    assert sent, "Claude Code's request never reached the provider"
    model = sent[-1].model
    assert model is not None and model.startswith("claude-haiku-" if model_flag else "claude-")
    assert sent[-1].path == "/anthropic/v1/messages" and sent[-1].status == 200


@pytest.mark.parametrize("model_flag", [[], ["--model", "haiku"]], ids=["default-model", "haiku"])
def test_claude_code_through_an_openai_dialect_provider(
    agents: Agents, gw_openai: GatewayProcess, emu: EmulatorThread, tmp_path: Path, model_flag: list[str]
) -> None:
    home, work = workdir(tmp_path)
    argv = [str(agents.claude), "-p", *model_flag, "echo: hello through chat"]
    r = run_cli(argv, claude_env(home, gw_openai), work)
    assert r.returncode == 0, r.output
    assert "hello through chat" in r.stdout
    (sent,) = [r for r in posts(emu, "openai") if r.path.endswith("/chat/completions")][-1:]
    assert sent.model == "gpt-4o-mini" and not posts(emu, "anthropic")
    body = sent.body
    assert body["max_tokens"] <= 16384  # Claude Code's own limit, within gpt-4o-mini's
    assert {t["function"]["name"] for t in body["tools"]} >= {"Bash", "Read", "Edit"}


# --- Codex CLI -----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def gw_codex(emulator: EmulatorThread, start_gateway: Start) -> GatewayProcess:
    p = providers(emulator)
    # Codex sends a hosted web_search tool no chat provider has: this operator lets clawgate drop it for groq
    p["groq"]["dropUnsupported"] = ["tools.web_search"]
    p["ochat"] = {**providers(emulator)["openai"], "api": "openai-completions"}  # refuses it
    p["rejecting"] = {"baseUrl": emulator.base_url("openai"), "api": "openai-responses", "apiKey": WRONG_KEY}
    return start_gateway({"models": {"providers": p}})


def codex(agents: Agents, gw: GatewayProcess, tmp_path: Path, model: str, prompt: str) -> Any:
    home, work = workdir(tmp_path)
    env = codex_home(home, gw, model)
    return run_cli([str(agents.codex), "exec", "--skip-git-repo-check", prompt], env, work)


def test_codex_through_a_responses_provider(
    agents: Agents, gw_codex: GatewayProcess, emu: EmulatorThread, tmp_path: Path
) -> None:
    r = codex(agents, gw_codex, tmp_path, "gpt-5.5", "echo: hello from codex")
    assert r.returncode == 0, r.output
    assert "hello from codex" in r.stdout
    (sent,) = posts(emu, "openai")[-1:]
    assert sent.path == "/openai/v1/responses" and sent.model == "gpt-5.5"  # passed through as Responses


def test_codex_through_a_chat_provider(
    agents: Agents, gw_codex: GatewayProcess, emu: EmulatorThread, tmp_path: Path
) -> None:
    r = codex(agents, gw_codex, tmp_path, "groq/llama-3.3-70b-versatile", "echo: hello over chat")
    assert r.returncode == 0, r.output
    assert "hello over chat" in r.stdout
    (sent,) = posts(emu, "groq")[-1:]
    names = [t["function"]["name"] for t in sent.body["tools"]]
    assert "exec_command" in names and any(
        n.startswith("multi_agent_v1__") for n in names
    )  # sub-agent tools kept


def test_codex_gets_the_refusal_of_its_web_search_tool_by_name(
    agents: Agents, gw_codex: GatewayProcess, emu: EmulatorThread, tmp_path: Path
) -> None:
    r = codex(agents, gw_codex, tmp_path, "ochat/gpt-4o-mini", "echo: hi")
    assert r.returncode != 0
    assert "tools.web_search" in r.output and "request.unsupported_param" in r.output
    assert not posts(emu, "openai")  # nothing was sent


def test_a_provider_key_rejection_ends_codex_quickly_with_the_owner(
    agents: Agents, gw_codex: GatewayProcess, emu: EmulatorThread, tmp_path: Path
) -> None:
    ok = codex(agents, gw_codex, tmp_path / "ok", "gpt-5.5", "echo: warm up")
    assert ok.returncode == 0, ok.output
    r = codex(agents, gw_codex, tmp_path / "bad", "rejecting/gpt-5.5", "echo: hi")
    assert r.returncode != 0
    assert "owner: provider_auth" in r.output and "auth.rejected" in r.output, r.output
    # Done-when: within 10 s (plus this machine's own start-up and round-trip time, measured just above)
    assert r.seconds < 10.0 + ok.seconds, f"codex took {r.seconds:.1f}s (a good run took {ok.seconds:.1f}s)"
