"""Local servers: Ollama, vLLM, llama.cpp and LM Studio (no key unless the server was started with one).

Facts come from shared/reference/provider-wire.md and each provider's documentation (`docs`)."""

from __future__ import annotations

from clawgate.catalog.presets.types import Preset

PRESETS: tuple[Preset, ...] = (
    Preset(
        id="ollama",
        name="Ollama (local)",
        api="ollama",
        apis=("ollama", "openai-completions"),
        base_url="http://127.0.0.1:11434",
        env_vars=("OLLAMA_API_KEY",),
        accepts_any_model=True,
        auth_optional=True,
        local=True,
        timeout_seconds=900.0,
        docs="https://github.com/ollama/ollama/blob/main/docs/openai.md",
    ),
    Preset(
        id="vllm",
        name="vLLM (local)",
        api="openai-completions",
        apis=("openai-completions", "openai-responses"),
        base_url="http://127.0.0.1:8000/v1",
        env_vars=("VLLM_API_KEY",),
        accepts_any_model=True,
        auth_optional=True,
        local=True,
        timeout_seconds=900.0,
    ),
    Preset(
        id="llamacpp",
        name="llama.cpp server (local)",
        api="openai-completions",
        base_url="http://127.0.0.1:8080/v1",
        env_vars=("LLAMACPP_API_KEY", "LLAMA_API_KEY"),
        accepts_any_model=True,
        auth_optional=True,
        local=True,
        timeout_seconds=900.0,
        aliases=("llama.cpp", "llama-cpp"),
    ),
    Preset(
        id="lmstudio",
        name="LM Studio (local)",
        api="openai-completions",
        apis=("openai-completions", "openai-responses"),
        base_url="http://127.0.0.1:1234/v1",
        env_vars=("LMSTUDIO_API_KEY", "LM_API_TOKEN"),
        accepts_any_model=True,
        auth_optional=True,
        local=True,
        timeout_seconds=900.0,
        aliases=("lm-studio",),
    ),
)
