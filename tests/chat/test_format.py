"""What the chat surfaces print: counts, the footer, error lines, plans, SSE parsing."""

from __future__ import annotations

import asyncio

import pytest

from clawgate.chat.format import error_line, footer_text, plan_lines, short_count


@pytest.mark.parametrize(
    ("n", "text"),
    [
        (None, "?"),
        (0, "0"),
        (999, "999"),
        (1834, "1.8k"),
        (128_000, "128k"),
        (262_144, "262k"),
        (2_000_000, "2.0m"),
    ],
)
def test_short_count(n: int | None, text: str) -> None:
    assert short_count(n) == text


def test_footer_like_the_seeds_tui() -> None:
    session = {
        "id": "s_8f3a1b2c3d4e5f",
        "title": None,
        "model": {"ref": "openrouter/openrouter/auto", "from": "agents.list[0].model"},
        "tokens": {"used": None, "context_window": 2_000_000},
    }
    assert footer_text("main", session, "connected") == (
        "agent main | session s_8f3a1b2c | openrouter/openrouter/auto (agents.list[0].model) | tokens ?/2.0m | "
        "gateway connected"
    )
    titled = {**session, "title": "hello", "tokens": {"used": 1834, "context_window": 2_000_000}}
    assert footer_text("main", titled, "error: gateway.not_running").startswith(
        "agent main | session hello | "
    )
    assert footer_text("main", titled, "error: gateway.not_running").endswith(
        "tokens 1.8k/2.0m | gateway error: gateway.not_running"
    )


def test_error_line_has_owner_code_and_next_and_is_never_empty() -> None:
    err = {
        "owner": "provider_auth",
        "code": "auth.rejected",
        "message": "openrouter rejected credential env:OPENROUTER_API_KEY (sk-or-v1…04f4#7c1d2e): Missing "
        "Authentication header",
        "next": ["clawgate models status --probe --agent main", "clawgate health"],
    }
    assert error_line(err) == (
        "provider_auth auth.rejected — openrouter rejected credential env:OPENROUTER_API_KEY "
        "(sk-or-v1…04f4#7c1d2e): Missing Authentication header · next: clawgate models status --probe --agent main"
    )
    assert error_line({}) == "runtime error — the run failed without a message"
    # the OpenAI-style envelope's shape (next as a string, next_steps as the list)
    assert error_line(
        {"owner": "request", "code": "x", "message": "m", "next": "a", "next_steps": ["a", "b"]}
    ).endswith("· next: a")


def test_plan_lines_show_provenance_and_fingerprints() -> None:
    plan = {
        "agent": "main",
        "agent_from": "agents.list[0]",
        "model": {
            "ref": "openai/gpt-4o",
            "from": "session.model_pin",
            "shadows": [{"from": "agents.defaults.model.primary", "ref": "x/y"}],
        },
        "attempts": [
            {
                "ref": "openai/gpt-4o",
                "role": "primary",
                "from": "session.model_pin",
                "api": "openai-completions",
                "base_url": "https://api.openai.com/v1",
                "status": "ok",
                "credential": {
                    "source": "env:OPENAI_API_KEY",
                    "fingerprint": "sk-test-…0001#396e4a",
                    "shadowed": [],
                },
            }
        ],
    }
    lines = plan_lines(plan)
    assert lines[1] == "model openai/gpt-4o from session.model_pin"
    assert "  shadows agents.defaults.model.primary = x/y" in lines
    assert "    credential: env:OPENAI_API_KEY sk-test-…0001#396e4a" in lines


def test_sse_parser_reads_events_comments_and_multiline_data() -> None:
    from clawgate.chat.client import iter_sse

    raw = (
        b": keep-alive\n\n"
        b'event: token\ndata: {"session_id": "s", "run_id": "r", "text": "hi"}\n\n'
        b'event: notice\r\ndata: {"type": "notice",\r\ndata:  "text": "x"}\r\n\r\n'
    )

    class Content:
        def __aiter__(self):  # type: ignore[no-untyped-def]
            async def gen():  # type: ignore[no-untyped-def]
                for line in raw.splitlines(keepends=True):
                    yield line

            return gen()

    class Resp:
        content = Content()

    async def go() -> list[dict[str, object]]:
        return [ev async for ev in iter_sse(Resp())]  # type: ignore[arg-type]

    assert asyncio.run(go()) == [
        {"session_id": "s", "run_id": "r", "text": "hi", "type": "token"},
        {"type": "notice", "text": "x"},
    ]
