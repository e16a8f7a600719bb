"""Every row of OpenClaw's verbs table (clawgate.cli.openclaw_verbs): `clawgate <the same words>` works in a
home wired to the emulator, or exits 2 naming the clawgate command; docs/openclaw-cli.md is that table."""

from __future__ import annotations

from pathlib import Path

import pytest

from clawgate.cli.openclaw_verbs import VERBS, render_markdown
from clawgate.emulator import EmulatorThread

from .conftest import OPENAI_KEY, SETUP_TOKEN, providers

DOC = Path(__file__).resolve().parents[2] / "docs" / "openclaw-cli.md"


def _home(home, emu: EmulatorThread) -> None:
    cfg = providers(emu)
    cfg["openai"] = {"baseUrl": emu.base_url("openai")}
    home.config(
        {
            "models": {"providers": cfg},
            "agents": {
                "defaults": {
                    "model": {"primary": "openai/gpt-4o", "fallbacks": ["anthropic/claude-sonnet-4-5"]},
                    "models": {"openai/gpt-4o-mini": {"alias": "fast"}},
                }
            },
            "gateway": {"port": 18790},
        }
    )
    home.dotenv(f"OPENAI_API_KEY={OPENAI_KEY}\n")
    home.profiles(
        "main",
        {
            "version": 1,
            "profiles": {
                "anthropic:default": {"type": "token", "provider": "anthropic", "token": SETUP_TOKEN}
            },
        },
    )


def test_the_table_has_72_rows_and_says_what_works() -> None:
    assert len(VERBS) == 72
    assert len({v.openclaw for v in VERBS}) == 72
    assert all(v.clawgate.startswith("clawgate ") for v in VERBS)
    assert all(v.exit_code == 2 for v in VERBS if not v.works)


def test_the_doc_is_the_table() -> None:
    assert DOC.read_text() == render_markdown(), (
        'regenerate: python -c \'from clawgate.cli.openclaw_verbs import render_markdown as r; open("docs/openclaw-cli.md","w").write(r())\''
    )


@pytest.mark.parametrize("verb", VERBS, ids=[v.openclaw for v in VERBS])
def test_each_verb(home, cli, emu: EmulatorThread, verb) -> None:
    _home(home, emu)
    res = cli(*verb.run, input=verb.stdin)
    text = res.out + res.err
    assert "No such command" not in text and "No such option" not in text, text
    assert res.code == verb.exit_code, f"clawgate {' '.join(verb.run)} -> {res.code}\n{text}"
    if not verb.works:
        assert f"openclaw {verb.openclaw}" in res.err and f"next: {verb.clawgate}" in res.err
