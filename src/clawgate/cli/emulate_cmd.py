"""`clawgate emulate`: run the provider emulator (every dialect, scripted faults) in the foreground."""

from __future__ import annotations

import json

import click


@click.command("emulate")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=18790, show_default=True, type=int)
@click.option(
    "--keys",
    "keys_file",
    type=click.Path(exists=True, dir_okay=False),
    help='JSON file: {"openai": ["sk-test-..."], "dashscope:intl": [...]} (default: any key is valid).',
)
def emulate(host: str, port: int, keys_file: str | None) -> None:
    """Serve OpenAI-, Anthropic-, OpenRouter-, DashScope-, Groq-, Moonshot-, DeepSeek- and Gemini-style APIs
    locally, with scripted faults, for testing agents and clawgate itself without a real provider."""
    from clawgate.emulator import serve

    keys = json.loads(open(keys_file).read()) if keys_file else None  # noqa: SIM115
    serve(host=host, port=port, keys=keys)
